import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { lock, npmEnv, packPackages, probeScript } from './fixtures/dep-packages.js';
import { FixtureRepo, listDirs, readRendered, repoState, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import type { RunEvent } from '../src/events.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

const names = ['fast-a', 'fast-b', 'slow-c'];

/**
 * A project that installs three packages from tarballs in vendor/ (file: dependencies). One commit
 * bumps all three, as Renovate does; only slow-c's new version is slow (5 ms → 400 ms a call: Node's
 * start-up, 200 ms and more under load, adds to both sides, and the step must stay clear of that noise).
 */
function bumpRepo() {
  const repo = new FixtureRepo();
  const packs = tempDir('pb-packs-');
  // Both versions of the three packed by one npm; each tarball enters vendor/ with the commit that uses it.
  const packages = ['1.0.0', '1.1.0'].flatMap((version) =>
    names.map((name) => ({ name, version, waitMs: name === 'slow-c' && version === '1.1.0' ? 400 : 5 })),
  );
  const tarballs = packPackages(packs, join(packs, 'tgz'), packages);
  const vendor = join(repo.dir, 'vendor');
  mkdirSync(vendor, { recursive: true });
  const deps = (v: string) =>
    Object.fromEntries(
      packages.flatMap(({ name, version }, i) => {
        if (version !== v) return [];
        copyFileSync(tarballs[i], join(vendor, basename(tarballs[i])));
        return [[name, `file:vendor/${basename(tarballs[i])}`]];
      }),
    );
  repo.write({
    'package.json':
      JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps('1.0.0') }, null, 2) + '\n',
    'probe.js': probeScript(names),
  });
  lock(repo);
  repo.commit('initial');
  repo.tag('good');
  repo.write({
    'package.json':
      JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps('1.1.0') }, null, 2) +
      '\n',
  });
  lock(repo);
  const bump = repo.commit('chore(deps): bump fast-a, fast-b and slow-c to 1.1.0');
  // A commit after the bump: the bisect finds the bump, rather than start from it as the bad end.
  repo.commit('docs', { 'CHANGELOG.md': 'x\n' });
  repo.tag('bad');
  cleanups.push(() => repo.cleanup());
  return { repo, bump };
}

describe('descent into a dependency bump: the package level', () => {
  // One fixture and cache for both runs: the second replays the bisect's samples.
  const cache = tempDir('pb-cache-');
  let fixture: ReturnType<typeof bumpRepo>;
  const args = (out: string, extra: string[]) => [
    // One slow package in one commit: --one-step spares the verdicts ruling out a further step beside it.
    ...['--good', 'good', '--bad', 'bad', '--install', 'auto', '--no-profile', '--one-step', '--max-samples', '20', ...extra],
    ...['--json', join(out, 'r.json'), '--report', join(out, 'w.md'), '--', 'node', 'probe.js'],
  ];

  it('names the one slow package among three bumped in one commit: result, writeup, run log, output', async () => {
    fixture = bumpRepo();
    const { repo, bump } = fixture;
    const before = repoState(repo.dir);
    const out = tempDir('pb-out-');
    const r = await runCli(args(out, []), { cwd: repo.dir, cache, env: npmEnv() });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(bump);
    const d = result.culprit?.dependency;
    expect(d, r.all).toMatchObject({ ecosystem: 'npm', name: 'slow-c', from: '1.0.0', to: '1.1.0' });
    expect(d?.firstBadVersion).toBeUndefined();
    const descent = result.culprit!.descent!;
    expect(descent.manager).toBe('npm');
    expect(descent.lockfile).toBe('package-lock.json');
    expect(descent.changes.map((c) => c.name)).toEqual(names);
    expect(descent.groups).toBe(3);
    expect(descent.levels[0]).toMatchObject({ level: 'package', candidates: 3, found: 'slow-c 1.0.0 → 1.1.0' });
    // A clear slowdown: the interval lies well above no change (the 5 → 400 ms call is diluted by
    // Node's start-up, so the ratio itself moves with the machine's load).
    expect(descent.levels[0].ci?.[0], JSON.stringify(descent.levels[0])).toBeGreaterThan(1.1);
    // Tarballs have no published versions: it says so instead of asking a registry.
    expect(descent.stopped).toMatch(
      /slow-c 1\.1\.0 is installed from file:vendor\/slow-c-1\.1\.0\.tgz, not from a registry/,
    );
    expect(result.status).toBe('found');
    const md = readRendered(join(out, 'w.md'));
    expect(md).toContain('slow-c 1.0.0 → 1.1.0');
    expect(md).toContain('Inside the dependency change');
    expect(md).toMatch(/stopped: slow-c 1\.1\.0 is installed from/);
    expect(r.stdout).toContain('dependency: slow-c 1.0.0 → 1.1.0');
    expect(r.stdout).toMatch(/deps: package level of culprit/);
    // The package level's measurements are in the run's own log, as typed events.
    const events = readFileSync(join(result.runDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunEvent);
    const level = events.find((e) => e.type === 'dep-level');
    expect(level).toMatchObject({
      level: 'package',
      candidates: ['fast-a 1.0.0 → 1.1.0', 'fast-b 1.0.0 → 1.1.0', 'slow-c 1.0.0 → 1.1.0'],
    });
    const synthetic = new Set(events.filter((e) => e.type === 'dep-commit').map((e) => (e as { sha: string }).sha));
    expect(synthetic.size).toBe(3);
    expect(events.some((e) => e.type === 'sample' && synthetic.has(e.sha))).toBe(true);
    expect(events.some((e) => e.type === 'dep-verdict')).toBe(true);
    expect(repoState(repo.dir)).toEqual(before);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('--no-deps leaves the culprit at the commit', async () => {
    const { repo, bump } = fixture;
    const out = tempDir('pb-out-');
    const r = await runCli(args(out, ['--no-deps']), { cwd: repo.dir, cache, env: npmEnv() });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(bump);
    expect(result.culprit?.dependency).toBeUndefined();
    expect(result.culprit?.descent).toBeUndefined();
    expect(result.cost.cachedBlocks).toBeGreaterThan(0);
    expect(readFileSync(join(result.runDir, 'events.jsonl'), 'utf8')).not.toContain('"type":"dep-');
    expect(readFileSync(join(out, 'w.md'), 'utf8')).not.toContain('Inside the dependency change');
  });
});
