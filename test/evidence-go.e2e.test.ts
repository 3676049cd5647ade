import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { goEvidenceRepo } from './fixtures/evidence-repos.js';
import { tempDir } from './fixtures/repo.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

const hasGo = (() => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('evidence at the culprit (go)', () => {
  it.skipIf(!hasGo)('Go: go-bench with -cpuprofile names the helper the culprit added, and saves pprof files and the pprof diff', async () => {
    const { repo, shas } = goEvidenceRepo();
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'work', '--max-samples', '20', '--json', join(out, 'r.json'), '--report', join(out, 'w.md')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    const ev = result.evidence![0];
    expect(ev.profiler).toBe('pprof');
    expect(ev.top[0], JSON.stringify(ev.top.slice(0, 3))).toMatchObject({ function: 'example.com/gob.checksum', file: 'checksum.go', inChange: 'added', new: true });
    expect(ev.before!.endsWith('.pprof') && ev.after!.endsWith('.pprof')).toBe(true);
    expect(readFileSync(join(ev.after!, '..', 'pprof-diff.txt'), 'utf8')).toContain('checksum');
    // The culprit's folder holds what was found, not the Node and Python profiler hooks.
    expect(readdirSync(join(ev.after!, '..')).filter((f) => /profiler|python-site/.test(f))).toEqual([]);
    expect(readFileSync(join(out, 'w.md'), 'utf8')).toContain("Profiled with Go's pprof");
    // go test -bench runs to a set time: the writeup reads shares, not milliseconds, as the change.
    expect(ev.fixedTime).toBe(true);
    expect(readFileSync(join(out, 'w.md'), 'utf8')).toContain('each lasts about a set time whatever the code\'s speed');
  }, 600_000);
});
