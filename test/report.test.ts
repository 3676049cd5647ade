import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownToHtml, renderHtml } from '../src/report/html.js';
import { commitsChart, distributionChart, ticks } from '../src/report/svg.js';
import { xmlText as esc } from '../src/report/escape.js';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, listDirs, sleeper, tempDir } from './fixtures/repo.js';

const ESC = '\x1b';
const hostile = `cache everything <script>alert("x")</script> & <img src=x onerror=alert(1)> ${ESC}[31mRED${ESC}[0m ${ESC}]0;pwned${ESC}\\ | \`tick\``;
const metric = { name: 'wall time', unit: 'ms', better: 'lower' as const };
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('SVG charts and the HTML converter (pure)', () => {
  it('escapes every text and draws one mark per sample', () => {
    const svg = distributionChart({ title: hostile, metric, before: { label: 'before <a>', values: [10, 11, 12, 10.5] }, after: { label: 'after', values: [20, 21, 22] } });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain(ESC);
    expect(svg).toContain('&lt;script&gt;');
    expect(svg.match(/<circle /g)).toHaveLength(7);
    const line = commitsChart([{ sha: 'a'.repeat(40), subject: hostile, verdict: 'good-endpoint', values: [1, 2] }, { sha: 'b'.repeat(40), subject: 'x', verdict: 'bad', values: [3, 4], culprit: true }], metric, 't');
    expect(line).not.toContain('<script');
    expect(line).toContain('bad');
    expect(ticks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('renders the writeup Markdown subset, with backslash escapes, and never passes markup through', () => {
    const md = ['## Title \\<b\\>', '', '**Range:** `good`  ', 'next', '', '| A | B \\| C |', '|---|---|', '| <script> | `x` |', '', '- item **bold**', '', '```sh', 'a <b>', '```', '', '![Chart](c.svg)', '![Other](missing.svg)', '[link](javascript:alert(1))'].join('\n');
    const html = markdownToHtml(md, new Map([['c.svg', '<svg id="c"></svg>']]));
    expect(html).toContain('<h2>Title &lt;b&gt;</h2>');
    expect(html).toContain('<strong>Range:</strong> <code>good</code><br>\nnext');
    expect(html).toContain('<th>B | C</th>');
    expect(html).toContain('<td>&lt;script&gt;</td>');
    expect(html).toContain('<li>item <strong>bold</strong></li>');
    expect(html).toContain('<pre><code>a &lt;b&gt;</code></pre>');
    expect(html).toContain('<figure><svg id="c"></svg><figcaption>Chart</figcaption></figure>');
    expect(html).toContain('Other (missing.svg)');
    expect(html).not.toContain('href="javascript');
    const page = renderHtml(md, [], hostile);
    expect(page).toContain("default-src 'none'");
    expect(page).not.toMatch(/<script|<link|src="http/);
    expect(esc(hostile)).not.toContain(ESC);
  });
});

describe('writeup files of a real run with a hostile commit message', () => {
  it('saves SVGs referenced from writeup.md, an escaped self-contained writeup.html, and keeps escapes off the terminal', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    const shas = [repo.commit('initial', sleeper(20))];
    repo.tag('good');
    for (let i = 1; i <= 4; i++) shas.push(repo.commit(i === 3 ? hostile : `change ${i}: unrelated`, i === 3 ? sleeper(150) : { [`n/${i}`]: `${i}` }));
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    cleanups.push(() => execFileSync('rm', ['-rf', cache, out]));
    const r = await runCli(['--good', 'good', '--bad', 'HEAD', '--min-samples', '6', '--max-samples', '14', '--json', join(out, 'r.json'), '--report', join(out, 'report.html'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[3]);
    // Plain output (CI=true): the news, no escape sequence from the commit message.
    expect(r.stdout).toContain(`culprit ${shas[3]}`);
    expect(r.all).not.toContain(ESC);

    const runDir = result.runDir;
    const md = readFileSync(join(runDir, 'writeup.md'), 'utf8');
    const short7 = shas[3].slice(0, 7);
    expect(md).toContain(`](chart-before-after-${short7}.svg)`);
    expect(md).toContain('](chart-commits.svg)');
    for (const f of [`chart-before-after-${short7}.svg`, 'chart-commits.svg']) {
      const svg = readFileSync(join(runDir, f), 'utf8');
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).not.toContain('<script');
    }
    // --report x.html gets the HTML; the run directory keeps both.
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toBe(readFileSync(join(runDir, 'writeup.html'), 'utf8'));
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<img|<link/);
    expect(html).not.toContain(ESC);
    expect(html.match(/<svg /g)?.length).toBe(2);
    expect(readdirSync(out).sort()).toEqual(['r.json', 'report.html']);
    // --report x.md: the Markdown, with its charts next to it so the image references resolve
    // (the same run again: every block comes from the sample cache).
    const mdOut = tempDir('pb-md-');
    cleanups.push(() => execFileSync('rm', ['-rf', mdOut]));
    const again = await runCli(['--good', 'good', '--bad', 'HEAD', '--min-samples', '6', '--max-samples', '14', '--report', join(mdOut, 'w.md'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(again.exitCode, again.all).toBe(0);
    expect(readdirSync(mdOut).sort()).toEqual([`chart-before-after-${short7}.svg`, 'chart-commits.svg', 'w.md']);
    expect(readFileSync(join(mdOut, 'w.md'), 'utf8')).toContain(`](chart-before-after-${short7}.svg)`);

    // The HTML opened in headless Chromium: it renders (a real screenshot), offline.
    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
    expect(chromium, 'Debian chromium is needed (scripts/ci-deps.sh installs it)').toBeTruthy();
    const profile = tempDir('pb-chromium-');
    cleanups.push(() => execFileSync('rm', ['-rf', profile]));
    const shot = join(out, 'shot.png');
    execFileSync(chromium!, [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', `--user-data-dir=${profile}`, '--window-size=1100,2400', `--screenshot=${shot}`, `file://${join(out, 'report.html')}`,
    ], { stdio: 'pipe', timeout: 90_000 });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });
});
