import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { lock, npmEnv, packageSource, probeScript } from './fixtures/dep-packages.js';
import { startRegistry, type LocalRegistry } from './fixtures/registry.js';
import { FixtureRepo, listDirs, repoState, tempDir } from './fixtures/repo.js';
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
 * slow-c's own repository: 1.0.0 and 1.1.0 are fast; between the tags v1.1.0 and v1.2.0 the
 * commit "cache lookups" makes a call 5 ms → 150 ms. Every tag is published to the local registry.
 */
function slowPackageRepo(): { repo: FixtureRepo; slowCommit: string } {
  const repo = new FixtureRepo();
  cleanups.push(() => repo.cleanup());
  const release = (version: string, ms: number) => {
    repo.commit(`release ${version}`, packageSource('slow-c', version, ms));
    repo.tag(`v${version}`);
    registry.publish(repo.dir);
  };
  release('1.0.0', 5);
  release('1.1.0', 5);
  repo.commit('refactor the lookup table', { 'NOTES.md': 'refactor\n' });
  const slowCommit = repo.commit('cache lookups', { 'index.js': packageSource('slow-c', '1.1.0', 150)['index.js'] });
  repo.commit('tidy', { 'NOTES.md': 'tidy\n' });
  release('1.2.0', 150);
  release('1.3.0', 150);
  return { repo, slowCommit };
}

function fastPackage(): void {
  for (const version of ['1.0.0', '1.1.0']) {
    const r = new FixtureRepo();
    r.write(packageSource('fast-a', version, 5));
    registry.publish(r.dir);
    r.cleanup();
  }
}

/** A project that bumps fast-a 1.0.0 → 1.1.0 and slow-c 1.0.0 → 1.3.0 in one commit, from the registry. */
function projectRepo(): { repo: FixtureRepo; bump: string } {
  const repo = new FixtureRepo();
  cleanups.push(() => repo.cleanup());
  const env = npmEnv(registry.url);
  const manifest = (deps: Record<string, string>) => JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }, null, 2) + '\n';
  repo.write({ 'package.json': manifest({ 'fast-a': '1.0.0', 'slow-c': '1.0.0' }), 'probe.js': probeScript(['fast-a', 'slow-c']) });
  lock(repo, env);
  repo.commit('initial');
  repo.tag('good');
  repo.commit('docs', { 'README.md': 'app\n' });
  repo.write({ 'package.json': manifest({ 'fast-a': '1.1.0', 'slow-c': '1.3.0' }) });
  lock(repo, env);
  const bump = repo.commit('chore(deps): bump fast-a to 1.1.0 and slow-c to 1.3.0');
  repo.commit('more docs', { 'CHANGELOG.md': 'x\n' });
  repo.tag('bad');
  return { repo, bump };
}

describe('descent into a dependency bump: versions from a real registry, commits from the repository', () => {
  it('names the package, the first slow published version and the commit inside it', async () => {
    const { repo: dep, slowCommit } = slowPackageRepo();
    fastPackage();
    const { repo, bump } = projectRepo();
    const depBefore = repoState(dep.dir);
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(
      [
        '--good', 'good', '--bad', 'bad', '--install', 'auto', '--no-profile', '--max-samples', '20', '--dep-repo', `slow-c=${dep.dir}`,
        '--json', join(out, 'r.json'), '--report', join(out, 'w.md'), '--', 'node', 'probe.js',
      ],
      { cwd: repo.dir, cache, env: npmEnv(registry.url) },
    );
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(bump);
    expect(result.culprit?.dependency, r.all).toMatchObject({
      ecosystem: 'npm', name: 'slow-c', from: '1.0.0', to: '1.3.0', firstBadVersion: '1.2.0', lastGoodVersion: '1.1.0',
      commit: slowCommit, commitSubject: 'cache lookups',
    });
    const levels = result.culprit!.descent!.levels;
    expect(levels.map((l) => [l.level, l.candidates])).toEqual([['package', 2], ['version', 3], ['commit', 4]]);
    expect(levels.every((l) => (l.ratio ?? 0) > 1.5)).toBe(true);
    expect(result.culprit!.descent!.stopped).toBeUndefined();
    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain(`slow-c 1.0.0 → 1.3.0; first slow version 1.2.0; commit ${slowCommit.slice(0, 10)} cache lookups`);
    expect(r.stdout).toContain('deps version: found 1.2.0');
    const events = readFileSync(join(result.runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    expect(events.filter((e) => e.type === 'dep-level').map((e) => (e as { level: string }).level)).toEqual(['package', 'version', 'commit']);
    // The dependency's repository is read, never changed; nothing is left behind.
    expect(repoState(dep.dir)).toEqual(depBefore);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });
});
