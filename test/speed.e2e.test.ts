/**
 * A fast bisect end to end: resume after a kill, a second run that reuses everything, one install per
 * distinct lockfile, builds restored by tree, byte-identical builds flagged, and the cache command.
 */
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, runCli } from './fixtures/cli.js';
import { linearRepo, listDirs, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/**
 * The planted regressions are 3× on a 100 ms sleep: a few samples decide them even on a loaded machine.
 * Each repository has one step, and no test here is about finding a second one: --one-step spares the
 * samples that would rule out a further step beside each commit.
 */
const fast = ['--min-samples', '5', '--max-samples', '12', '--one-step'];
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;
const storeKeys = (cache: string) =>
  listDirs(join(cache, 'samples')).flatMap((f) => readFileSync(join(cache, 'samples', f), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { key: string }).key));

/** A build whose output (dist/out.txt) is the same at every commit: the program is work.sh itself. */
const constantBuild = () => ({ 'build.sh': '#!/bin/sh\nmkdir -p dist && echo "built" > dist/out.txt\n' });

describe('a fast bisect', () => {
  it('resumes a --no-cache run killed halfway, measures no block twice, and finds the same culprit', async () => {
    const { repo, shas } = linearRepo({ commits: 8, regressAt: [5], baseMs: 100, extra: constantBuild });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    // --no-cache: the resumed run must still replay this run's own blocks (and nothing else).
    const args = ['--good', 'good', '--bad', 'bad', '--build', 'sh build.sh', ...fast, '--no-cache', '--json', 'out.json', '--', 'sh', 'work.sh'];
    const child = execa('node', [cliPath, ...args], { cwd: repo.dir, reject: false, env: { CI: 'true', PERFBISECT_CACHE_DIR: cache }, stdin: 'ignore' });
    // Kill it (no chance to clean up) once two blocks are stored: the endpoints and the first verdict.
    const deadline = Date.now() + 90_000;
    while (storeKeys(cache).length < 2 && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await child;
    const before = storeKeys(cache);
    expect(before.length).toBeGreaterThanOrEqual(2);
    const [runId] = readdirSync(join(cache, 'runs'));
    // Blocks the log lost (a kill between the store's write and the log's) come back from the store.
    const log = join(cache, 'runs', runId, 'events.jsonl');
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    writeFileSync(log, lines.filter((l) => (JSON.parse(l) as { type: string }).type !== 'block').join('\n') + '\n');

    const r = await runCli(['--resume'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = readJson(join(repo.dir, 'out.json'));
    expect(result.runId).toBe(runId);
    expect(result.culprit?.sha).toBe(shas[5]);
    // Every block stored before the kill is replayed, none is measured and stored again.
    expect(result.cost.cachedBlocks).toBe(before.length);
    // They are this run's own blocks, not an earlier run's: the cache note is not for them.
    expect(r.all).toContain('(measured before the resume)');
    expect(r.all).not.toContain('measured blocks come from the cache');
    const after = storeKeys(cache);
    expect(new Set(after).size).toBe(after.length);
    // The build output is identical at every commit, so the verdict is flagged.
    expect(result.culprit?.suspicious).toMatch(/byte-identical/);
    // The killed run's worktrees are gone after the resumed one.
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  // Shared by the next two tests: a first run, then runs that reuse its caches.
  const { repo: reuseRepo, shas } = linearRepo({ commits: 6, regressAt: [4], baseMs: 100, extra: (i) => ({ 'build.sh': `#!/bin/sh\nmkdir -p dist && echo "build of change ${i}" > dist/out.txt\n` }) });
  cleanups.push(() => reuseRepo.cleanup());
  const cache = tempDir('pb-cache-');
  const out = tempDir('pb-out-');
  const args = (f: string, ...more: string[]) => ['--good', 'good', '--bad', 'bad', '--build', 'sh build.sh', ...fast, '--json', join(out, f), ...more, '--', 'sh', 'work.sh'];

  it('a second identical run reuses every block and builds nothing', async () => {
    const repo = reuseRepo;
    const first = await runCli(args('1.json'), { cwd: repo.dir, cache });
    expect(first.exitCode, first.all).toBe(0);
    const r1 = readJson(join(out, '1.json'));
    expect(r1.culprit?.sha).toBe(shas[4]);
    expect(r1.culprit?.suspicious).toBeUndefined();
    expect(r1.cost.builds).toBeGreaterThan(0);

    const second = await runCli(args('2.json'), { cwd: repo.dir, cache });
    expect(second.exitCode, second.all).toBe(0);
    const r2 = readJson(join(out, '2.json'));
    expect(r2.culprit?.sha).toBe(shas[4]);
    expect(r2.cost.builds).toBe(0);
    expect(r2.cost.samples).toBe(0);
    expect(r2.cost.cachedBlocks).toBeGreaterThan(0);
    expect(r2.cost.savedSeconds).toBeGreaterThan(0);
    // The noise line speaks of the samples it has: an earlier run's, not of how busy the machine is now.
    expect(second.stdout).toMatch(/verdicts to come \(the endpoints' samples are an earlier run's, from the cache, and so is the time a run takes\)/);
    expect(second.stdout).not.toMatch(/^machine busy/m);
    expect(r2.noise?.replayed).toBe(true);
  });

  it('with --no-cache it measures again but restores builds by tree; cache info and clean', async () => {
    const repo = reuseRepo;

    const third = await runCli(args('3.json', '--no-cache'), { cwd: repo.dir, cache });
    expect(third.exitCode, third.all).toBe(0);
    const r3 = readJson(join(out, '3.json'));
    expect(r3.culprit?.sha).toBe(shas[4]);
    expect(r3.cost.builds).toBe(0);
    expect(r3.cost.buildsRestored).toBeGreaterThan(0);
    expect(r3.cost.samples).toBeGreaterThan(0);
    // perfbisect's own overhead is shared among the commits it measured: the shares add up to the whole.
    const shares = Object.values(r3.cost.perCommit).reduce((sum, c) => sum + (c.overhead ?? 0), 0);
    expect(shares).toBeCloseTo(r3.cost.overheadSeconds!, 6);
    expect(readFileSync(join(r3.runDir, 'writeup.md'), 'utf8')).toContain('#### Where the time went');

    // cache info shows every kind; clean --older-than keeps fresh entries; clean removes them.
    const info = await runCli(['cache', 'info'], { cwd: repo.dir, cache });
    expect(info.exitCode, info.all).toBe(0);
    for (const kind of ['builds', 'samples', 'runs', 'installs']) expect(info.stdout).toMatch(new RegExp(`^\\s+${kind}\\s+\\S+`, 'm'));
    const keep = await runCli(['cache', 'clean', '--older-than', '30d'], { cwd: repo.dir, cache });
    expect(keep.stdout).toContain('removed 0 entries');
    expect(listDirs(join(cache, 'builds')).length).toBeGreaterThan(0);
    const clean = await runCli(['cache', 'clean'], { cwd: repo.dir, cache });
    expect(clean.exitCode, clean.all).toBe(0);
    expect(listDirs(join(cache, 'builds'))).toEqual([]);
    expect(listDirs(join(cache, 'samples'))).toEqual([]);
    expect(listDirs(join(cache, 'runs'))).toEqual([]);
  });

  it('installs once per distinct lockfile, with a local file: dependency (no network)', async () => {
    // The lockfile changes at commit 3 (a second local dependency); the regression is at 5.
    const { repo, shas } = linearRepo({
      commits: 6, regressAt: [5], baseMs: 100,
      extra: (i) => ({ ...npmLocalDeps(i < 3 ? ['a'] : ['a', 'b'], ['a', 'b']), ...constantBuild() }),
    });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--install', 'auto', '--build', 'sh build.sh', ...fast, '--json', 'out.json', '--', 'sh', '-c', 'test -e node_modules/a/index.js && sh work.sh'],
      { cwd: repo.dir, cache },
    );
    expect(r.exitCode, r.all).toBe(0);
    const result = readJson(join(repo.dir, 'out.json'));
    expect(result.culprit?.sha).toBe(shas[5]);
    expect(result.cost.installs).toBe(2);
    expect(listDirs(join(cache, 'installs')).filter((d) => !d.includes('.tmp-')).length).toBe(2);
    // The same bisect without the install measures something else: nothing stored is replayed for it
    // (without node_modules the probe fails at good).
    const bare = await runCli(
      ['--good', 'good', '--bad', 'bad', '--build', 'sh build.sh', ...fast, '--', 'sh', '-c', 'test -e node_modules/a/index.js && sh work.sh'],
      { cwd: repo.dir, cache },
    );
    expect(bare.exitCode, bare.all).toBe(2);
    expect(bare.stderr).toMatch(/--good good cannot be measured/);
  });

  it('a new lockfile starts from the modules installed last, and ends with exactly its own', async () => {
    // A new lockfile every second commit (one more local package each time); the regression is at 9. The
    // first commits are installed side by side, from nothing; the search's later ones find an install done.
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const deps = (i: number) => names.slice(0, 1 + Math.floor(i / 2));
    const { repo, shas } = linearRepo({
      commits: 13, regressAt: [9], baseMs: 100,
      extra: (i) => ({ ...npmLocalDeps(deps(i), names), ...constantBuild() }),
    });
    cleanups.push(() => repo.cleanup());
    // The probe fails (a skipped commit) unless node_modules holds exactly the commit's dependencies (the
    // package.json names a dependency d only as file:deps/d). Checked by the shell itself: a node check
    // costs a start of node each run, hundreds of noisy milliseconds on a busy machine beside the 100 ms sleep.
    const exact =
      'pkg=$(cat package.json); for d in a b c d e f g; do case "$pkg" in *"file:deps/$d"*) named=0 ;; *) named=1 ;; esac; ' +
      'test -e node_modules/$d; [ $named = $? ] || exit 3; done; sh work.sh';
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--install', 'auto', '--build', 'sh build.sh', ...fast, '--no-profile', '--json', 'out.json', '--', 'sh', '-c', exact],
      { cwd: repo.dir, cache: tempDir('pb-cache-') },
    );
    expect(r.exitCode, r.all).toBe(0);
    const result = readJson(join(repo.dir, 'out.json'));
    expect(result.culprit?.sha).toBe(shas[9]);
    expect(r.stdout).not.toMatch(/skip/i);
    const installs = readFileSync(join(result.runDir, 'events.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { type: string; sha: string; from?: string; seeded?: boolean })
      .filter((e) => e.type === 'install-end' && !e.seeded);
    const started = installs.filter((e) => e.from);
    expect(started.length, r.stdout).toBeGreaterThan(0);
    for (const e of started) expect(deps(shas.indexOf(e.from!))).not.toEqual(deps(shas.indexOf(e.sha)));
    expect(r.stdout).toMatch(/install \S+ ok in .*, starting from \S+'s modules/);
    // An install that fails on a seeded tree (here: it finds a file the other install left) gets a
    // clean start before the commit counts as failed.
    const picky = "npm ci --no-audit --no-fund && test ! -e node_modules/.mine && touch node_modules/.mine";
    const again = await runCli(
      ['--good', 'good', '--bad', 'bad', '--install', picky, '--build', 'sh build.sh', ...fast, '--no-profile', '--json', 'again.json', '--', 'sh', '-c', exact],
      { cwd: repo.dir, cache: tempDir('pb-cache-') },
    );
    expect(again.exitCode, again.all).toBe(0);
    expect(readJson(join(repo.dir, 'again.json')).culprit?.sha).toBe(shas[9]);
    expect(again.stdout).not.toMatch(/skip|starting from/i);
  });

  it('an install of another ecosystem (a Python venv) runs in each worktree that needs it, never seeded empty', async () => {
    // The install writes .venv (kept across commits like node_modules) and records which worktree ran it;
    // the probe needs it. There is nothing for the install cache to copy, so every worktree runs it itself.
    const { repo, shas } = linearRepo({
      commits: 6, regressAt: [4], baseMs: 60,
      extra: () => ({ 'requirements.txt': 'nothing==1.0\n' }),
    });
    cleanups.push(() => repo.cleanup());
    const install = 'mkdir -p .venv && echo ok > .venv/installed && pwd >> "$PB_LOG"';
    const log = join(tempDir('pb-log-'), 'installs.txt');
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--install', install, ...fast, '--no-profile', '--json', 'out.json', '--', 'sh', '-c', 'test -e .venv/installed && sh work.sh'],
      { cwd: repo.dir, env: { PB_LOG: log } },
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(readJson(join(repo.dir, 'out.json')).culprit?.sha).toBe(shas[4]);
    // Once per worktree: each distinct directory installed once.
    const dirs = readFileSync(log, 'utf8').trim().split('\n');
    expect(dirs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(dirs).size).toBe(dirs.length);
    // --install auto with no package.json installs nothing, and says so once.
    const auto = await runCli(['--good', 'good', '--bad', 'bad', '--install', 'auto', ...fast, '--no-profile', '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(auto.exitCode, auto.all).toBe(0);
    expect(auto.stdout.match(/--install auto found no package\.json or lockfile at the repository.s root/g)).toHaveLength(1);
  });

  it('a JavaScript install that writes no root node_modules (a subfolder app) is not seeded empty either', async () => {
    const { repo, shas } = linearRepo({
      commits: 6, regressAt: [4], baseMs: 60,
      extra: () => ({ 'package.json': '{"name":"root","private":true}\n', 'web/package.json': '{"name":"web"}\n' }),
    });
    cleanups.push(() => repo.cleanup());
    const install = 'mkdir -p web/node_modules/a && echo 1 > web/node_modules/a/i.js';
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--install', install, ...fast, '--no-profile', '--json', 'out.json', '--', 'sh', '-c', 'test -e web/node_modules/a/i.js && sh work.sh'],
      { cwd: repo.dir },
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(readJson(join(repo.dir, 'out.json')).culprit?.sha).toBe(shas[4]);
  });

  it('a commit that waited for another worktree to install its lockfile counts the wait, not a saving', async () => {
    const { repo, shas } = linearRepo({ commits: 4, regressAt: [3], baseMs: 60, extra: () => ({ 'package.json': '{"name":"x","version":"1.0.0"}\n' }) });
    cleanups.push(() => repo.cleanup());
    const install = 'sleep 2 && mkdir -p node_modules/a && echo 1 > node_modules/a/i.js';
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--install', install, ...fast, '--no-profile', '--json', 'out.json', '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = readJson(join(repo.dir, 'out.json'));
    expect(result.culprit?.sha).toBe(shas[3]);
    expect(result.cost.installs).toBe(1);
    // Time spent on a reused install plus the time it claims to have saved is about the one install (the
    // copy of its modules aside, slow on a busy machine); counted twice, it would be twice the install.
    for (const [sha, c] of Object.entries(result.cost.perCommit))
      if (c.installReused)
        expect((c.install ?? 0) + (c.saved ?? 0), sha).toBeLessThan(result.cost.installSeconds! * 1.5);
  });

  it('rejects bad --resume input with one line and leaves nothing behind', async () => {
    const { repo } = linearRepo({ commits: 3, regressAt: [] });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const resume = await runCli(['--resume', 'nonexistent'], { cwd: repo.dir, cache });
    expect(resume.exitCode).toBe(2);
    expect(resume.stderr.trim().split('\n')).toHaveLength(1);
    expect(resume.stderr).toContain('--resume nonexistent');
    expect(listDirs(join(cache, 'runs'))).toEqual([]);
    // A run still going (its worktree folder names a live pid: this test's) cannot be resumed twice.
    mkdirSync(join(cache, 'runs', 'live'), { recursive: true });
    writeFileSync(join(cache, 'runs', 'live', 'argv.json'), JSON.stringify({ argv: ['--good', 'good', '--', 'sh', 'work.sh'], cwd: repo.dir, repo: repo.dir }));
    mkdirSync(join(cache, 'worktrees', 'live'), { recursive: true });
    writeFileSync(join(cache, 'worktrees', 'live', '.pid'), String(process.pid));
    const live = await runCli(['--resume', 'live'], { cwd: repo.dir, cache });
    expect(live.exitCode).toBe(2);
    expect(live.stderr).toContain('still going');
    mkdirSync(join(cache, 'runs', 'broken'), { recursive: true });
    writeFileSync(join(cache, 'runs', 'broken', 'argv.json'), '{"argv": [');
    const broken = await runCli(['--resume', 'broken'], { cwd: repo.dir, cache });
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toContain('damaged');
    rmSync(join(cache, 'runs'), { recursive: true, force: true });
    rmSync(join(cache, 'worktrees'), { recursive: true, force: true });
    const empty = await runCli(['--resume'], { cwd: repo.dir, cache });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain('no earlier run');
  });

  it('rejects bad cache and --jobs input with one line', async () => {
    const { repo } = linearRepo({ commits: 3, regressAt: [] });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const banana = await runCli(['cache', 'clean', '--older-than', 'banana'], { cwd: repo.dir, cache });
    expect(banana.exitCode).toBe(2);
    expect(banana.stderr.trim().split('\n')).toHaveLength(1);
    expect(banana.stderr).toContain('--older-than banana');
    const size = await runCli(['cache', 'clean', '--max-size', 'lots'], { cwd: repo.dir, cache });
    expect(size.exitCode).toBe(2);
    expect(size.stderr).toContain('--max-size lots');
    const jobs = await runCli(['--good', 'good', '--jobs', '-1', '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(jobs.exitCode).toBe(2);
    expect(jobs.stderr).toContain('--jobs -1');
  });
});

/** package.json and package-lock.json depending on local `file:` packages `deps`, with `all` in deps/. */
function npmLocalDeps(deps: string[], all: string[]): Record<string, string> {
  const pkg = { name: 'app', version: '1.0.0', dependencies: Object.fromEntries(deps.map((d) => [d, `file:deps/${d}`])) };
  const lock = {
    name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true,
    packages: {
      '': pkg,
      ...Object.fromEntries(deps.flatMap((d) => [[`deps/${d}`, { version: '1.0.0' }], [`node_modules/${d}`, { resolved: `deps/${d}`, link: true }]])),
    },
  };
  const files: Record<string, string> = { 'package.json': JSON.stringify(pkg, null, 2), 'package-lock.json': JSON.stringify(lock, null, 2) };
  for (const d of all) {
    files[`deps/${d}/package.json`] = JSON.stringify({ name: d, version: '1.0.0', main: 'index.js' });
    files[`deps/${d}/index.js`] = `module.exports = '${d}';\n`;
  }
  return files;
}
