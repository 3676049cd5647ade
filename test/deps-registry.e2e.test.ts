import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { lock, npmEnv, packageSource, probeScript } from './fixtures/dep-packages.js';
import { startRegistry, type LocalRegistry } from './fixtures/registry.js';
import { FixtureRepo, listDirs, readRendered, repoState, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import type { RunEvent } from '../src/events.js';

let registry: LocalRegistry;
const cleanups: (() => void)[] = [];
beforeAll(async () => {
  registry = await startRegistry();
}, 180_000);
afterAll(async () => {
  await registry?.stop();
  cleanups.forEach((f) => f());
});

/**
 * slow-c's own repository: 1.0.0 to 1.1.2 are fast (1.1.1 does not install); between the tags v1.1.2
 * and v1.2.0 the commit "cache lookups" makes a call 5 ms → 400 ms (Node's start-up, 200 ms and more
 * under load, adds to both sides: a 150 ms call can read as a step of +60% there, too close to the noise). Every
 * tag is to be published to the local registry: a copy of the package as tagged is added to `releases`.
 */
function slowPackageRepo(releases: string[]): { repo: FixtureRepo; slowCommit: string } {
  const repo = new FixtureRepo();
  cleanups.push(() => repo.cleanup());
  const copies = tempDir('pb-releases-');
  cleanups.push(() => rmSync(copies, { recursive: true, force: true }));
  const tagged = (version: string) => {
    repo.tag(`v${version}`);
    const dir = join(copies, version);
    cpSync(repo.dir, dir, { recursive: true, filter: (src) => src !== join(repo.dir, '.git') });
    releases.push(dir);
  };
  const release = (version: string, ms: number) => {
    repo.commit(`release ${version}`, packageSource('slow-c', version, ms));
    tagged(version);
  };
  release('1.0.0', 5);
  release('1.1.0', 5);
  // A version that cannot be installed: it needs a package the registry does not have.
  repo.commit('release 1.1.1', packageSource('slow-c', '1.1.1', 5, { dependencies: { 'no-such-package': '^1.0.0' } }));
  tagged('1.1.1');
  release('1.1.2', 5);
  repo.commit('refactor the lookup table', { 'NOTES.md': 'refactor\n' });
  const slowCommit = repo.commit('cache lookups', { 'index.js': packageSource('slow-c', '1.1.0', 400)['index.js'] });
  repo.commit('tidy', { 'NOTES.md': 'tidy\n' });
  release('1.2.0', 400);
  release('1.3.0', 400);
  return { repo, slowCommit };
}

/** fast-a 1.0.0 and 1.1.0, to be published: their folders. */
function fastPackage(): string[] {
  return ['1.0.0', '1.1.0'].map((version) => {
    const r = new FixtureRepo();
    cleanups.push(() => r.cleanup());
    r.write(packageSource('fast-a', version, 5));
    return r.dir;
  });
}

/** A project that bumps fast-a 1.0.0 → 1.1.0 and slow-c 1.0.0 → 1.3.0 in one commit, from the registry. */
function projectRepo(): { repo: FixtureRepo; bump: string } {
  const repo = new FixtureRepo();
  cleanups.push(() => repo.cleanup());
  const env = npmEnv(registry.url);
  const manifest = (deps: Record<string, string>) =>
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }, null, 2) + '\n';
  repo.write({
    'package.json': manifest({ 'fast-a': '1.0.0', 'slow-c': '1.0.0' }),
    'probe.js': probeScript(['fast-a', 'slow-c']),
  });
  lock(repo, env);
  repo.commit('initial');
  repo.tag('good');
  repo.write({ 'package.json': manifest({ 'fast-a': '1.1.0', 'slow-c': '1.3.0' }) });
  lock(repo, env);
  const bump = repo.commit('chore(deps): bump fast-a to 1.1.0 and slow-c to 1.3.0');
  // A commit after the bump: the bisect finds the bump, rather than start from it as the bad end.
  repo.commit('docs', { 'CHANGELOG.md': 'x\n' });
  repo.tag('bad');
  return { repo, bump };
}

describe('descent into a dependency bump: versions from a real registry, commits from the repository', () => {
  // One cache for the three runs: a later run replays what an earlier one measured (samples, installs).
  const cache = tempDir('pb-cache-');
  let dep: { repo: FixtureRepo; slowCommit: string };
  let project: { repo: FixtureRepo; bump: string };
  const bisect = (out: string, extra: string[], env: Record<string, string>) =>
    runCli(
      [
        '--good',
        'good',
        '--bad',
        'bad',
        '--install',
        'auto',
        '--no-profile',
        // One slow package, version and commit: --one-step spares the verdicts ruling out a further step.
        '--one-step',
        '--max-samples',
        '20',
        ...extra,
        '--json',
        join(out, 'r.json'),
        '--report',
        join(out, 'w.md'),
        '--',
        'node',
        'probe.js',
      ],
      { cwd: project.repo.dir, cache, env },
    );

  // Publishing the versions and locking the project take a while: set up once, before the runs.
  beforeAll(async () => {
    const releases: string[] = [];
    dep = slowPackageRepo(releases);
    await registry.publishAll([...releases, ...fastPackage()]);
    project = projectRepo();
  }, 120_000);

  it('names the package and the first slow published version', async () => {
    const out = tempDir('pb-out-');
    const r = await bisect(out, [], npmEnv(registry.url));
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(project.bump);
    expect(result.culprit?.dependency, r.all).toMatchObject({ ecosystem: 'npm', name: 'slow-c', from: '1.0.0', to: '1.3.0', firstBadVersion: '1.2.0', lastGoodVersion: '1.1.2' });
    expect(result.culprit?.dependency?.commit).toBeUndefined();
    const levels = result.culprit!.descent!.levels;
    expect(levels.map((l) => [l.level, l.candidates, l.found])).toEqual([
      ['package', 2, 'slow-c 1.0.0 → 1.3.0'],
      ['version', 5, '1.2.0'],
    ]);
    expect(levels.map((l) => l.ratio), JSON.stringify(levels)).toEqual([expect.any(Number), expect.any(Number)]);
    // Each level found a clear slowdown: its interval lies well above no change. (The planted 80× slower
    // function is diluted by Node's start-up, so the ratio itself moves with the machine's load.)
    expect(levels.every((l) => (l.ci?.[0] ?? 0) > 1.1), JSON.stringify(levels)).toBe(true);
    expect(result.culprit!.descent!.stopped).toBe(
      'the commit level needs the repository of slow-c: --dep-repo slow-c=<path|url>',
    );
    const md = readRendered(join(out, 'w.md'));
    expect(md).toContain('slow-c 1.0.0 → 1.3.0; first slow version 1.2.0');
    expect(md).toContain(
      'Went as far as the version level and stopped: the commit level needs the repository of slow-c',
    );
    expect(r.stdout).toContain('deps version: found 1.2.0');
    const events = readFileSync(join(result.runDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunEvent);
    expect(events.filter((e) => e.type === 'dep-level').map((e) => (e as { level: string }).level)).toEqual([
      'package',
      'version',
    ]);
    // The version that does not install is skipped, as git bisect skips a commit that does not build.
    const skipped = events.filter((e) => e.type === 'dep-verdict' && e.verdict.verdict === 'skipped');
    expect(skipped.map((e) => (e as { label: string }).label)).toEqual(['slow-c 1.1.1']);
    expect(JSON.stringify(skipped[0])).toMatch(/npm could not resolve slow-c@1\.1\.1: .*404/);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('with --dep-repo, names the commit between the two tags; the levels above are replayed', async () => {
    const depBefore = repoState(dep.repo.dir);
    const out = tempDir('pb-out-');
    const r = await bisect(out, ['--dep-repo', `slow-c=${dep.repo.dir}`], npmEnv(registry.url));
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.dependency, r.all).toMatchObject({
      name: 'slow-c',
      firstBadVersion: '1.2.0',
      lastGoodVersion: '1.1.2',
      commit: dep.slowCommit,
      commitSubject: 'cache lookups',
    });
    const levels = result.culprit!.descent!.levels;
    expect(levels.map((l) => [l.level, l.candidates])).toEqual([
      ['package', 2],
      ['version', 5],
      ['commit', 4],
    ]);
    expect(levels[2].ci?.[0], JSON.stringify(levels[2])).toBeGreaterThan(1.1);
    expect(result.culprit!.descent!.stopped).toBeUndefined();
    expect(result.cost.cachedBlocks).toBeGreaterThan(5);
    const md = readRendered(join(out, 'w.md'));
    expect(md).toContain(
      `slow-c 1.0.0 → 1.3.0; first slow version 1.2.0; commit ${dep.slowCommit.slice(0, 10)} cache lookups`,
    );
    // The dependency's repository is only read.
    expect(repoState(dep.repo.dir)).toEqual(depBefore);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('without the registry, keeps the commit-level result and exit code and says where it stopped', async () => {
    await registry.stop();
    const out = tempDir('pb-out-');
    // A new npm cache, so npm cannot answer from what it saw before; perfbisect's install cache still
    // seeds the installs of the commits and of the package level, whose samples are replayed.
    const r = await bisect(
      out,
      [],
      npmEnv(registry.url, { npm_config_fetch_retries: '0', npm_config_cache: tempDir('pb-npm-cache-') }),
    );
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(project.bump);
    expect(result.culprit?.dependency).toMatchObject({ name: 'slow-c', from: '1.0.0', to: '1.3.0' });
    expect(result.culprit?.dependency?.firstBadVersion).toBeUndefined();
    expect(result.culprit?.descent?.stopped).toMatch(
      /the registry has no versions of slow-c to bisect \(npm view slow-c versions: .*ECONNREFUSED/,
    );
    expect(readRendered(join(out, 'w.md'))).toMatch(
      /Went as far as the package level and stopped: the registry has no versions of slow-c/,
    );
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });
});
