import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { pythonEvidenceRepo, pythonExe } from './fixtures/evidence-repos.js';
import { tempDir } from './fixtures/repo.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('evidence at the culprit (python)', () => {
  it('Python: cProfile through sitecustomize names the helper the culprit added, and saves pstats', async () => {
    const { repo, shas } = pythonEvidenceRepo();
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'work', '--min-samples', '5', '--max-samples', '12', '--json', join(out, 'r.json'), '--report', join(out, 'w.md')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    const ev = result.evidence![0];
    expect(ev.profiler).toBe('cprofile');
    expect(ev.top[0], JSON.stringify(ev.top.slice(0, 3))).toMatchObject({ function: 'checksum', file: 'src/checksum.py', line: 2, inChange: 'added', new: true });
    // pstats files load with Python's own pstats module.
    for (const f of [ev.before!, ev.after!]) {
      expect(f.endsWith('.pstats')).toBe(true);
      execFileSync('python3', ['-c', 'import pstats, sys; pstats.Stats(sys.argv[1])', f]);
    }
    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain("Profiled with Python's cProfile");
    expect(md).toContain('src/checksum.py:2, added by this commit');
  }, 420_000);

  it('Python: a first run that fills a cache in a fresh checkout does not hide the change as profile noise', async () => {
    const { repo, shas } = pythonEvidenceRepo();
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const env = { FIRST_RUN_CACHE: '1' };
    const args = ['--good', 'good', '--bad', 'bad', '--probe', 'work', '--min-samples', '5', '--max-samples', '12'];
    // The samples come from the cache the second time, so the profiles run in checkouts fresh from git.
    const first = await runCli([...args, '--no-profile'], { cwd: repo.dir, cache, env });
    expect(first.exitCode, first.all).toBe(0);
    const out = tempDir('pb-out-');
    const r = await runCli([...args, '--json', join(out, 'r.json')], { cwd: repo.dir, cache, env });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('(from cache)');
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    const ev = result.evidence![0];
    expect(ev.top.some((t) => t.function === 'fill_cache'), JSON.stringify(ev.top.slice(0, 3))).toBe(false);
    expect(ev.top[0], JSON.stringify(ev.top.slice(0, 3))).toMatchObject({ function: 'checksum', inChange: 'added' });
  }, 420_000);

  it('Python: a command that sets its own PYTHONPATH is told before measuring, and the missing profile says why', async () => {
    const { repo, shas } = pythonEvidenceRepo();
    cleanups.push(() => repo.cleanup());
    const dir = tempDir('pb-conf-');
    const config = join(dir, 'probes.config.ts');
    const run = `env PYTHONPATH=. ${pythonExe} bench.py`;
    writeFileSync(config, `export default { probes: { inline: { kind: 'command', run: ${JSON.stringify(run)}, metric: { name: 'ms', field: 'ms', unit: 'ms', better: 'lower' } } } };\n`);
    const out = tempDir('pb-out-');
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--config', config, '--probe', 'inline', '--min-samples', '5', '--max-samples', '12', '--json', join(out, 'r.json')],
      { cwd: repo.dir },
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^note: the command sets PYTHONPATH itself: .*so Python is not profiled there; set it outside perfbisect instead/m);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    expect(result.evidence?.[0]).toMatchObject({ profiler: 'none', top: [] });
    expect(result.evidence?.[0].note).toMatch(/a command that sets its own replaces them: set them outside perfbisect instead/);
  }, 420_000);
});
