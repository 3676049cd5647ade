import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { driftRepo } from './fixtures/drift-repo.js';
import { linearRepo, repoState, tempDir } from './fixtures/repo.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** A clone of `dir` that holds only its newest `depth` commits, as CI checkouts do by default. */
function shallowClone(dir: string, depth: number): string {
  const to = join(tempDir('pb-shallow-'), 'clone');
  execFileSync('git', ['clone', '-q', '--no-local', `--depth=${depth}`, `file://${dir}`, to]);
  return to;
}

const fix = 'git fetch --unshallow --tags; in GitHub Actions, actions/checkout with fetch-depth: 0';

describe('a shallow clone: the error names it and the way out', () => {
  const { repo } = linearRepo({ commits: 6, regressAt: [3] });
  const drift = driftRepo();
  afterAll(() => {
    repo.cleanup();
    drift.repo.cleanup();
  });

  const cases: { name: string; setup: (clone: string) => void; args: string[]; says: RegExp; of: 'bisect' | 'drift'; depth?: number }[] = [
    {
      name: 'a --good older than the clone',
      setup: () => undefined,
      args: ['--good', 'HEAD~4', '--bad', 'HEAD', '--', 'true'],
      says: /--good HEAD~4: no such commit in .*\. This clone is shallow: fetch its history first/,
      of: 'bisect',
    },
    {
      // The good commit fetched alone (a tag, say): it is here, but its history to bad is not.
      name: 'a --good fetched without the history between',
      setup: (clone) => git(clone, 'fetch', '-q', '--depth=1', 'origin', 'refs/tags/good:refs/tags/good'),
      args: ['--good', 'good', '--bad', 'HEAD', '--', 'true'],
      says: /--good good is not an ancestor of --bad HEAD in the history this clone has\. This clone is shallow/,
      of: 'bisect',
    },
    {
      // A weekly check on a depth-1 checkout (actions/checkout's default): the window's history is cut
      // off, not empty. At depth 2 the tip's parent is here, and the window is whole.
      name: 'a drift window reaching past the clone',
      depth: 1,
      setup: () => undefined,
      args: ['drift', '--probe', 'work'],
      says: /the drift window \(since 7 days ago\) reaches past the history of this clone, which ends at [0-9a-f]{10}\. This clone is shallow/,
      of: 'drift',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: one line, exit 2, the way out, nothing left behind`, async () => {
      const clone = shallowClone(c.of === 'drift' ? drift.repo.dir : repo.dir, c.depth ?? 2);
      c.setup(clone);
      const cache = tempDir('pb-cache-');
      const before = repoState(clone);
      const r = await runCli(c.args, { cwd: clone, cache });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n'), r.all).toHaveLength(1);
      expect(r.stderr).toMatch(c.says);
      expect(r.stderr).toContain(fix);
      expect(repoState(clone)).toEqual(before);
      expect(readdirSync(cache).filter((d) => d === 'worktrees' && readdirSync(join(cache, d)).length)).toEqual([]);
    });
  }

  it('a full clone keeps the plain advice', async () => {
    const r = await runCli(['--good', 'v9.9', '--', 'true'], { cwd: repo.dir, cache: tempDir('pb-cache-') });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/Use a branch, tag or SHA that `git log` shows/);
    expect(r.stderr).not.toMatch(/shallow/);
  });
});
