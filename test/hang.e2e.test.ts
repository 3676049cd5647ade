import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, tempDir } from './fixtures/repo.js';

/** Processes still running the hanging command (the guard must stop its whole tree). */
const hanging = () => {
  try {
    return execFileSync('pgrep', ['-f', 'sleep 987'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

describe('a commit that hangs', () => {
  const repo = new FixtureRepo();
  repo.commit('fast', { 'work.sh': 'sleep 0.01\n' });
  repo.tag('good');
  repo.commit('unrelated', { 'notes.txt': '1\n' });
  const culprit = repo.commit('wait for a lock nobody releases', { 'work.sh': 'sleep 987\n' });
  repo.commit('unrelated again', { 'notes.txt': '2\n' });
  repo.tag('bad');
  afterAll(() => repo.cleanup());

  it('is stopped by the hang guard, counted as at least the limit, and bisected like any slow commit', async () => {
    const out = tempDir('pb-out-');
    // The guard's floor is a minute; half a second keeps the test short. Every run of the hanging commits
    // lasts the guard, a score of them in all: 20× the 10 ms runs (their process starts included) is
    // about the floor where the machine is quiet, and more where it is busy, so the guard stays far
    // above any run of the fast commits.
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--json', join(out, 'r.json'), '--', 'sh', 'work.sh'], {
      cwd: repo.dir,
      env: { PERFBISECT_HANG_GUARD_FLOOR: '0.5' },
    });
    expect(r.exitCode, r.all).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'));
    expect(res.culprits.map((c: { sha: string }) => c.sha)).toEqual([culprit]);
    expect(r.all).toMatch(/a probe run ran past the hang guard \(20× the longest run so far, at least 0\.5 s; --timeout/);
    expect(hanging()).toBe('');
  }, 180_000);
});
