/**
 * What perfbisect reuses between commits (a pooled worktree, a cached build, a cached install)
 * must never change a verdict: real repositories whose builds and installs punish inexact reuse.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, linearRepo, listDirs, tempDir } from './fixtures/repo.js';
import { accumulatingBuildRepo, patchedDependencyRepo } from './fixtures/reuse.js';
import type { RunEvent } from '../src/events.js';
import { Preparer } from '../src/harness/build/prepare.js';
import { Worktrees } from '../src/harness/git/worktrees.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;

/** A Preparer over a fixture repository with its own cache and run folder, as a bisect makes one. */
async function preparerOver(
  repo: FixtureRepo,
  commands: { install?: string; build?: string; tree: (sha: string) => string },
  events: RunEvent[],
  jobs = 0,
): Promise<Preparer> {
  const cache = tempDir('pb-cache-');
  const runDir = tempDir('pb-run-');
  mkdirSync(join(runDir, 'logs'));
  const worktrees = await Worktrees.create(cache, repo.dir, 'run');
  cleanups.push(() => void worktrees.cleanup());
  return new Preparer({
    cache,
    mirror: worktrees.mirror,
    worktreeDir: worktrees.dir,
    fresh: false,
    ...commands,
    baseEnv: process.env as Record<string, string>,
    runDir,
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    cost: { wallSeconds: 0, builds: 0, buildSeconds: 0, samples: 0, measureSeconds: 0, cachedBlocks: 0, perCommit: {} },
    jobs,
  });
}

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
    expect(r.cost.buildsRestored, fresh.all).toBeGreaterThan(0);
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

describe('samples an earlier run measured', () => {
  it('are replayed for the same probe, and measured afresh once a helper that the script it runs from outside the repository loads is edited', async () => {
    const { repo, shas } = linearRepo({ commits: 3, regressAt: [2], factor: 4, baseMs: 40 });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    // Node's start-up (a tenth of a second) is in every sample: 40 ms against 160 keeps the step far above its jitter.
    const folder = tempDir('pb-probe-');
    const probe = join(folder, 'probe.mjs');
    const helper = join(folder, 'helper.mjs');
    writeFileSync(probe, "import { work } from './helper.mjs';\nwork();\n");
    writeFileSync(helper, "import { execFileSync } from 'node:child_process';\nexport const work = () => execFileSync('sh', ['work.sh']);\n");
    const run = async (name: string) => {
      // One step is planted and the point is what is replayed: --one-step spares ruling out a second.
      const r = await runCli(['--good', 'good', '--bad', 'bad', '--one-step', '--no-profile', '--json', join(out, name), '--', 'node', probe], { cwd: repo.dir, cache });
      expect(r.exitCode, r.all).toBe(0);
      const result = readJson(join(out, name));
      expect(result.culprits.map((c) => c.sha)).toEqual([shas[2]]);
      return { stdout: r.stdout, result };
    };
    await run('1.json');
    const again = await run('2.json');
    expect(again.result.cost.samples).toBe(0);
    expect(again.stdout).toMatch(/^measured blocks come from the cache/m);
    // An edited helper the script loads (the script's own edit works the same way: test/outside-inputs.test.ts).
    writeFileSync(helper, "import { execFileSync } from 'node:child_process';\n// edited\nexport const work = () => execFileSync('sh', ['work.sh']);\n");
    const edited = await run('3.json');
    expect(edited.result.cost.cachedBlocks).toBe(0);
    expect(edited.result.cost.samples).toBeGreaterThan(0);
    expect(edited.stdout).not.toMatch(/^measured blocks come from the cache/m);
  });
});

describe('builds ahead of the search', () => {
  it('keep each other\'s worktrees: a commit built ahead is measured where it was built, not restored again', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    const shas = [0, 1, 2].map((i) => repo.commit(`change ${i}`, { 'src.txt': `${i}\n` }));
    const events: RunEvent[] = [];
    // One build at a time: the second build ahead leases a worktree just after the first one released its own.
    const preparer = await preparerOver(repo, { build: 'cp src.txt out.txt', tree: (sha) => repo.git('rev-parse', `${sha}^{tree}`) }, events, 1);
    preparer.ahead([shas[1], shas[2]], [shas[0]]);
    for (const sha of [shas[2], shas[1]]) {
      const slot = await preparer.prepare(sha);
      expect(readFileSync(join(slot.path, 'out.txt'), 'utf8')).toBe(`${shas.indexOf(sha)}\n`);
      preparer.release(slot);
    }
    await preparer.close();
    const builds = events.flatMap((e) => (e.type === 'build-end' ? [e] : []));
    expect(builds.map((e) => e.sha).sort()).toEqual([shas[1], shas[2]].sort());
    // Built ahead of the search, and marked so: the search may never measure such a commit.
    expect(builds.every((e) => e.ahead)).toBe(true);
  });
});

describe('installs reused between commits share nothing writable', () => {
  it('a postinstall and a build that rewrite a file in node_modules in place: right culprit, the cached install untouched', async () => {
    const { repo, shas } = patchedDependencyRepo({ commits: 7, culpritAt: 5 });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--probe', 'work', '--min-samples', '5', '--max-samples', '12', '--no-profile', '--json', join(out, 'r.json')],
      { cwd: repo.dir, cache },
    );
    expect(r.exitCode, r.all).toBe(0);
    const result = readJson(join(out, 'r.json'));
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[5]]);
    // One lockfile: one install, seeded into the other worktrees; the cache holds what the postinstall wrote.
    expect(result.cost.installs).toBe(1);
    const installs = readdirSync(join(cache, 'installs')).filter((d) => !d.includes('.tmp-'));
    expect(installs).toHaveLength(1);
    expect(readFileSync(join(cache, 'installs', installs[0], 'node_modules', 'delay', 'ms.js'), 'utf8')).toBe('module.exports = 100;\n');
    // Plain output says where the modules came from.
    expect(r.stdout).toMatch(/^install [0-9a-f]{10} ok in /m);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('a worktree whose node_modules a build rewrote is restored before another commit reuses its install', async () => {
    const { repo, shas } = patchedDependencyRepo({ commits: 3, culpritAt: 2 });
    cleanups.push(() => repo.cleanup());
    const events: RunEvent[] = [];
    const trees = new Map(shas.map((s) => [s, repo.git('rev-parse', `${s}^{tree}`)]));
    const preparer = await preparerOver(repo, { install: 'auto', build: 'sh build.sh', tree: (s) => trees.get(s)! }, events);
    const ms = (dir: string) => readFileSync(join(dir, 'node_modules', 'delay', 'ms.js'), 'utf8');
    // The culprit's build patches node_modules/delay/ms.js in place; the one worktree then moves to the commit before
    // it.
    const patched = await preparer.prepare(shas[2]);
    expect(ms(patched.path)).toBe('module.exports = 300;\n');
    preparer.release(patched);
    const before = await preparer.prepare(shas[1]);
    expect(before.path).toBe(patched.path);
    expect(ms(before.path)).toBe('module.exports = 100;\n');
    expect(events.some((e) => e.type === 'warning' && /changed after it was installed/.test(e.message))).toBe(true);
    // Untouched modules are reused as they are: no copy, no warning.
    preparer.release(before);
    const count = events.length;
    const again = await preparer.prepare(shas[0]);
    expect(events.slice(count).filter((e) => e.type === 'install-end' || e.type === 'warning')).toEqual([]);
    preparer.release(again);
    await preparer.close();
  });

  it('an install whose prepare script builds: its files are removed, and the warning says how to stop it building', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    const prepareScript = "node -e \"require('fs').writeFileSync('made.txt', 'by the install')\"";
    const sha = repo.commit('a package whose prepare script builds', {
      'package.json': JSON.stringify({ name: 'p', version: '1.0.0', private: true, scripts: { prepare: prepareScript } }),
    });
    const warnings = async (build: string | undefined) => {
      const events: RunEvent[] = [];
      const tree = repo.git('rev-parse', `${sha}^{tree}`);
      const preparer = await preparerOver(repo, { install: 'npm install --no-audit --no-fund', build, tree: () => tree }, events);
      const slot = await preparer.prepare(sha);
      const made = existsSync(join(slot.path, 'made.txt')) ? readFileSync(join(slot.path, 'made.txt'), 'utf8') : undefined;
      preparer.release(slot);
      await preparer.close();
      return { made, said: events.flatMap((e) => (e.type === 'warning' ? [e.message] : [])) };
    };
    // With a build command: the file the install made is gone, the build's is there, and the hint names the flag.
    const built = await warnings("echo 'by the build' > made.txt");
    expect(built.made).toBe('by the build\n');
    expect(built.said).toHaveLength(1);
    expect(built.said[0]).toMatch(/the install wrote made\.txt(, package-lock\.json)? outside the dependency folders/);
    expect(built.said[0]).toMatch(/--install "npm install --no-audit --no-fund --ignore-scripts" stops every install building them too/);
    // Without one, nothing else makes the file: no advice to skip the script.
    const alone = await warnings(undefined);
    expect(alone.made).toBeUndefined();
    expect(alone.said[0]).not.toContain('--ignore-scripts');
  });
});
