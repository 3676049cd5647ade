import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { countColor, decodePng } from './fixtures/png.js';
import { FixtureRepo, listDirs, sleeper, tempDir } from './fixtures/repo.js';

const ESC = '\x1b';
const hostile = `cache everything <script>alert("x")</script> & <img src=x onerror=alert(1)> ${ESC}[31mRED${ESC}[0m ${ESC}]0;pwned${ESC}\\ | \`tick\``;
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

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
    const charts = (id: string) => [`chart-before-after-${short7}-${id}.svg`, `chart-commits-${id}.svg`];
    for (const f of charts(result.runId)) expect(md).toContain(`](${f})`);
    for (const f of charts(result.runId)) {
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
    const againId = /run (\S+):/.exec(again.stdout)![1];
    expect(againId).not.toBe(result.runId);
    expect(readdirSync(mdOut).sort()).toEqual([...charts(againId), 'w.md'].sort());
    expect(readFileSync(join(mdOut, 'w.md'), 'utf8')).toContain(`](${charts(againId)[0]})`);
    // The first run's writeup into the same folder keeps its own charts: the second run's stay as they were.
    const kept = readFileSync(join(mdOut, charts(againId)[1]), 'utf8');
    const first = await runCli(['report', result.runId, '--out', join(mdOut, 'first.md')], { cwd: repo.dir, cache });
    expect(first.exitCode, first.all).toBe(0);
    expect(readdirSync(mdOut).sort()).toEqual([...charts(againId), ...charts(result.runId), 'first.md', 'w.md'].sort());
    expect(readFileSync(join(mdOut, charts(againId)[1]), 'utf8')).toBe(kept);
    expect(readFileSync(join(mdOut, 'first.md'), 'utf8')).toContain(`](${charts(result.runId)[1]})`);

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
    // What was drawn: the page at the window's size, with the before/after chart in its colours near
    // the top (a blank page, or one whose inline SVG did not render, has none of them).
    const image = decodePng(readFileSync(shot));
    expect([image.width, image.height]).toEqual([1100, 2400]);
    expect(countColor(image, '#1565c0'), 'the "before" samples, in blue').toBeGreaterThan(20);
    expect(countColor(image, '#c62828'), 'the "after" samples, in red').toBeGreaterThan(20);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });
});
