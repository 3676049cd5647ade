import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { nodeEvidenceRepo } from './fixtures/evidence-repos.js';
import { countPixels, decodePng } from './fixtures/png.js';
import { linearRepo, listDirs, tempDir } from './fixtures/repo.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('evidence at the culprit (node)', () => {
  it('Node: names the helper the culprit added in another file, marks it as in the change, and saves loadable profiles', async () => {
    const { repo, shas } = nodeEvidenceRepo();
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'work', '--min-samples', '5', '--max-samples', '12', '--json', join(out, 'r.json'), '--report', join(out, 'w.md')], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    const ev = result.evidence?.[0];
    expect(ev, r.all).toBeDefined();
    expect(ev!.culprit).toBe(shas[2]);
    expect(ev!.parent).toBe(shas[1]);
    expect(ev!.profiler).toBe('v8');
    const top = ev!.top[0];
    expect(top, JSON.stringify(ev, null, 1).slice(0, 3000)).toMatchObject({ function: 'checksum', file: 'src/checksum.js', line: 2, inChange: 'added', new: true });
    expect(top.delta).toBeGreaterThan(ev!.noise!);
    expect(top.selfAfter).toBeGreaterThan(top.selfBefore);
    // The caller the benchmark calls is modified by the commit too (its loop gained the call).
    const work = [...ev!.top, ...ev!.shrank].find((x) => x.function === 'work');
    if (work) expect(work.inChange).toBe('modified');
    expect(ev!.lines.some((l) => l.file === 'src/checksum.js')).toBe(true);
    expect(ev!.runs!.before).toBeGreaterThanOrEqual(4);

    // The saved profiles are V8 .cpuprofile files that DevTools and speedscope load.
    for (const f of [ev!.before!, ev!.after!]) {
      const p = JSON.parse(readFileSync(f, 'utf8')) as { nodes: unknown[]; samples: unknown[]; timeDeltas: unknown[] };
      expect(Array.isArray(p.nodes) && p.nodes.length > 0).toBe(true);
      expect(Array.isArray(p.samples) && p.samples.length > 0).toBe(true);
      expect(p.timeDeltas.length).toBe(p.samples.length);
    }

    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain('### Why it is slower');
    expect(md).toContain('src/checksum.js:2, added by this commit');
    expect(md).toContain('```diff');
    expect(md).toContain(ev!.after!);
    expect(r.stdout).toContain(`profiling culprit ${shas[2].slice(0, 10)}`);
    expect(r.stdout).toMatch(/evidence \w+ #1: checksum src\/checksum\.js:2 \+[\d.]+ pts of the time, added by this commit/);

    // The differential flame graph: standalone SVG naming the helper, rendered by a real browser.
    const svg = readFileSync(ev!.flamegraph!, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('checksum src/checksum.js:2');
    // The writeup shows it as an image; the self-contained HTML inlines it.
    expect(md).toContain(`![Differential flame graph at ${shas[2].slice(0, 10)}](${ev!.flamegraph})`);
    expect(readFileSync(join(result.runDir, 'writeup.html'), 'utf8')).toContain('checksum src/checksum.js:2');
    if (chromium) {
      const shot = join(out, 'flame.png');
      const profileDir = tempDir('pb-chromium-');
      execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profileDir}`, `--screenshot=${shot}`, '--window-size=1200,400', `file://${ev!.flamegraph}`], { stdio: 'ignore', timeout: 60_000 });
      // Drawn: frames that gained time at the culprit are red (the helper it added most of all).
      const image = decodePng(readFileSync(shot));
      expect([image.width, image.height]).toEqual([1200, 400]);
      expect(countPixels(image, (r, g, b) => r === 255 && g < 200 && g === b)).toBeGreaterThan(100);
    }
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  }, 420_000);

  it('says so when the probe runs no Node.js process, and --no-profile skips the step', async () => {
    const { repo, shas } = linearRepo({ commits: 4, regressAt: [2], baseMs: 30, factor: 4 });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    mkdirSync(out, { recursive: true });
    // One cache for both runs: the second replays the first's samples, only the evidence step differs.
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--max-samples', '20', '--json', join(out, 'a.json'), '--report', join(out, 'a.md'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const a = JSON.parse(readFileSync(join(out, 'a.json'), 'utf8')) as RunResult;
    expect(a.culprit?.sha).toBe(shas[2]);
    expect(a.evidence?.[0]).toMatchObject({ profiler: 'none', top: [] });
    expect(a.evidence?.[0].note).toContain('no Node.js or Python process ran');
    expect(readFileSync(join(out, 'a.md'), 'utf8')).toMatch(/### Why it is slower\n\nNo profile: no Node\.js or Python process ran/);
    // "No profile" is not kept for replay: an interpreter installed later, or a newer profiler, gets its chance.
    expect(listDirs(join(cache, 'evidence'))).toEqual([]);

    const n = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--max-samples', '20', '--json', join(out, 'b.json'), '--report', join(out, 'b.md'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(n.exitCode, n.all).toBe(0);
    const b = JSON.parse(readFileSync(join(out, 'b.json'), 'utf8')) as RunResult;
    expect(b.culprit?.sha).toBe(shas[2]);
    expect(b.evidence).toBeUndefined();
    expect(readFileSync(join(out, 'b.md'), 'utf8')).not.toContain('Why it is slower');
    expect(n.stdout).not.toContain('profiling culprit');
  }, 300_000);
});
