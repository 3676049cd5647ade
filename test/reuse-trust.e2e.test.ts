/**
 * What perfbisect reuses between commits (a pooled worktree, a cached build, a cached install)
 * must never change a verdict: real repositories whose builds and installs punish inexact reuse.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { listDirs, tempDir } from './fixtures/repo.js';
import { accumulatingBuildRepo } from './fixtures/reuse.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;

describe('each commit builds from its own tree only', () => {
  it('a build that never empties dist/: right culprit pooled, then --fresh on the same cache, and the cache holds one commit each', async () => {
    const { repo, shas } = accumulatingBuildRepo({ commits: 10, culpritAt: 7 });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const pooled = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'size', '--no-profile', '--json', join(out, 'pooled.json')], { cwd: repo.dir, cache });
    expect(pooled.exitCode, pooled.all).toBe(0);
    expect(readJson(join(out, 'pooled.json')).culprits.map((c) => c.sha)).toEqual([shas[7]]);
    // --fresh measures again (--no-cache) but restores builds from the cache the pooled run filled.
    const fresh = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'size', '--no-profile', '--fresh', '--no-cache', '--json', join(out, 'fresh.json')], { cwd: repo.dir, cache });
    expect(fresh.exitCode, fresh.all).toBe(0);
    const r = readJson(join(out, 'fresh.json'));
    expect(r.cost.buildsRestored).toBeGreaterThan(0);
    expect(r.culprits.map((c) => c.sha)).toEqual([shas[7]]);
    // Each cached build holds exactly what its commit's build wrote: one output per source of that commit.
    const builds = join(cache, 'builds');
    for (const key of readdirSync(builds).filter((k) => existsSync(join(builds, k, 'meta.json')))) {
      const files = (JSON.parse(readFileSync(join(builds, key, 'meta.json'), 'utf8')) as { files: string[] }).files;
      const a = files.filter((f) => /^dist\/a\.\d+\.js$/.test(f));
      expect(a, files.join(' ')).toHaveLength(1);
      expect(files.filter((f) => f.startsWith('dist/b.')).length + files.filter((f) => f.startsWith('dist/big.')).length).toBeLessThanOrEqual(1);
    }
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });
});
