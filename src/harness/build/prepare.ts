import PQueue from 'p-queue';
import { execFileSync } from 'node:child_process';
import { cpus, platform } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CommitFailure, tailLines } from '../../errors.js';
import type { RunEvent } from '../../events.js';
import type { CommitCost, RunCost } from '../../run-cost.js';
import { BuildCache, untrackedFiles } from './build-cache.js';
import { evict } from '../store/cache-store.js';
import { hashOf } from '../store/fingerprint.js';
import { outsidePart } from '../store/outside-inputs.js';
import {
  autoInstallCommand, dependencyFolders, ignoreScriptsHint, InstallCache, installDirs, installKey, installStamp,
  reconcileCommand, reconciles,
} from './installs.js';
import { runShell } from '../process/process.js';
import { cleanWorktree, WorktreePool, type Slot } from '../git/worktree-pool.js';

export interface PreparerOptions {
  cache: string;
  /** The shared mirror and this run's worktree folder (Worktrees.mirror / Worktrees.dir). */
  mirror: string;
  worktreeDir: string;
  /** A new clean worktree per commit instead of moving pooled ones. */
  fresh: boolean;
  /** Install command, 'auto' (from the lockfile) or none. */
  install?: string;
  build?: string;
  /** What the build reads from outside the commit (outside-inputs.ts): part of the build key. */
  buildInputs?: Record<string, string>;
  /** The folder of each checkout the build (and the probe) run in, relative to its root ('' = the root). */
  folder?: string;
  /** The user's env (part of the build key) and the full env processes get. */
  env?: Record<string, string>;
  baseEnv: Record<string, string>;
  tree: (sha: string) => string;
  runDir: string;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  buildTimeoutMs?: number;
  cost: RunCost;
  /** Builds allowed to run while a block is measured; 0 = build ahead only between measurements. */
  jobs: number;
  fetchBuild?: FetchBuild;
}

/**
 * A commit's build output from somewhere else, put into its worktree (CI's artifacts, --artifacts):
 * what it brought, or undefined where there is none (the commit is built as usual).
 */
export type FetchBuild = (sha: string, dir: string, signal: AbortSignal) => Promise<{ source: string } | undefined>;

/** --jobs default: on a machine with few cores a build beside a measurement adds noise, so none. */
export function defaultJobs(): number {
  return cpus().length <= 2 ? 0 : 1;
}

const now = () => performance.now();

type FullCost = CommitCost & Required<Pick<CommitCost, 'install' | 'server' | 'overhead' | 'saved'>>;

/** An install or build done ahead of the search, for a commit it may measure next: marked so in its event. */
const marked = (ahead: boolean) => (ahead ? { ahead: true as const } : {});

export function costOf(cost: RunCost, sha: string): FullCost {
  const c = (cost.perCommit[sha] ??= { checkout: 0, build: 0, measure: 0, cached: false });
  c.install ??= 0;
  c.server ??= 0;
  c.overhead ??= 0;
  c.saved ??= 0;
  return c as FullCost;
}

/**
 * Gets commits ready to measure, paying for each distinct thing once: worktrees from a pool,
 * installs per lockfile key, builds per tree (restored from the build cache), and builds ahead of
 * the search in a p-queue. The driver leases a commit's worktree for a block and releases it after.
 */
export class Preparer {
  readonly pool: WorktreePool;
  readonly failed = new Map<string, CommitFailure>();
  /** Hash of each built commit's outputs: a culprit with its baseline's hash changed nothing that runs. */
  readonly outputHashes = new Map<string, string>();
  private readonly installs: InstallCache;
  private readonly builds: BuildCache;
  private readonly inflight = new Map<string, Promise<void>>();
  /** Preparations a block asked for (not builds ahead), still running. */
  private readonly preparing = new Set<Promise<void>>();
  private readonly installing = new Map<string, Promise<void>>();
  private readonly queue: PQueue;
  private readonly pin: string[] = [];
  /** Commits whose worktrees a build ahead must not take: the current block's and the other builds ahead. */
  private keep = new Set<string>();
  private closed = false;
  /**
   * The run's signal, and aborted at close too: what still runs then (a build ahead the search never
   * reached, an endpoint's install after the other endpoint failed) is no longer wanted, and the run
   * ends without waiting for it.
   */
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private warnedRewrite = false;
  private warnedExtras = false;
  private warnedNothingToInstall = false;
  /** The install key each install command was last used with, and the commit it was for. */
  private readonly lastInstall = new Map<string, { key: string; sha: string }>();

  constructor(private readonly options: PreparerOptions) {
    this.signal = AbortSignal.any([options.signal, this.stop.signal]);
    this.pool = new WorktreePool(options.mirror, options.worktreeDir, options.fresh);
    this.installs = new InstallCache(join(options.cache, 'installs'));
    this.builds = new BuildCache(join(options.cache, 'builds'));
    // --jobs 0: the queue runs only between blocks, when no measurement can be disturbed, so it may
    // use every core (both candidate midpoints build side by side instead of one after the other).
    this.queue = new PQueue({ concurrency: options.jobs > 0 ? options.jobs : Math.max(1, cpus().length) });
    options.cost.jobs = options.jobs;
    // Builds beside a measurement stay off the last core, where the system lets us pin them.
    if (options.jobs > 0 && cpus().length >= 2 && platform() === 'linux' && hasTaskset())
      this.pin = ['taskset', '-c', `0-${cpus().length - 2}`];
  }

  /** Lease a worktree at `sha`, installed and built. Release it with `release` after measuring. */
  prepare(sha: string): Promise<Slot> {
    const p = this.prepareNow(sha);
    // Tracked so that close() can wait for it to stop, settled either way (its caller sees the outcome).
    const settled = p.then(() => undefined, () => undefined);
    this.preparing.add(settled);
    void settled.then(() => this.preparing.delete(settled));
    return p;
  }

  private async prepareNow(sha: string): Promise<Slot> {
    const prior = this.failed.get(sha);
    if (prior) throw prior;
    const building = this.inflight.get(sha);
    if (building) {
      // Waiting for a build that runs in the background is build time on the run's critical path.
      const w0 = now();
      await building;
      this.options.cost.aheadWaitSeconds = (this.options.cost.aheadWaitSeconds ?? 0) + (now() - w0) / 1000;
    }
    const again = this.failed.get(sha);
    if (again) throw again;
    const t0 = now();
    this.options.emit({ type: 'phase', sha, phase: 'checkout' });
    const { slot } = await this.pool.lease(sha);
    costOf(this.options.cost, sha).checkout += (now() - t0) / 1000;
    try {
      await this.ensure(sha, slot, false);
    } catch (e) {
      this.pool.release(slot);
      throw e;
    }
    return slot;
  }

  release(slot: Slot): void {
    this.pool.release(slot);
  }

  /** Build these commits in the background (guesses of what the search needs next). */
  ahead(shas: string[], keep: string[] = []): void {
    if (!this.options.build && !this.options.install) return;
    // A build ahead taking the worktree another one just readied would undo it: the commit would be
    // checked out and restored again when the search reaches it.
    this.keep = new Set([...keep, ...shas]);
    for (const sha of shas) {
      if (this.failed.has(sha) || this.inflight.has(sha)) continue;
      const p = this.queue
        .add(async () => {
          if (this.signal.aborted) return;
          let slot: Slot | undefined;
          try {
            slot = (await this.pool.lease(sha, this.keep)).slot;
            await this.ensure(sha, slot, true);
          } catch {
            // Recorded in failed, or (a checkout git cannot make) met again when the search needs the commit.
          } finally {
            if (slot) this.pool.release(slot);
          }
        })
        .finally(() => this.inflight.delete(sha));
      this.inflight.set(
        sha,
        p.then(() => undefined),
      );
    }
  }

  /** Around every measured block: with --jobs 0, builds ahead run only between blocks. */
  async beginMeasure(): Promise<void> {
    if (this.options.jobs > 0) return;
    this.queue.pause();
    const t0 = now();
    await this.queue.onPendingZero();
    this.options.cost.aheadWaitSeconds = (this.options.cost.aheadWaitSeconds ?? 0) + (now() - t0) / 1000;
  }

  endMeasure(): void {
    this.queue.start();
  }

  /** Stop building ahead (the run is over). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.queue.clear();
    await this.queue.onPendingZero().catch(() => undefined);
    await Promise.all(this.preparing);
    try {
      evict(this.options.cache); // keep the caches within their limit, least recently used first
    } catch {
      /* a cache entry removed under us by `perfbisect cache clean` */
    }
  }

  private async ensure(sha: string, slot: Slot, ahead: boolean): Promise<void> {
    if (slot.ready) return;
    const c = costOf(this.options.cost, sha);
    // Prepared in the background: off the critical path, except the wait for it (aheadWaitSeconds).
    if (ahead) c.ahead = true;
    const env = { ...this.options.baseEnv, PERFBISECT_COMMIT: sha };
    const dir = slot.path;
    const fail = (f: CommitFailure): never => {
      this.failed.set(sha, f);
      throw f;
    };
    // A pooled worktree still holds what the previous commit's build and probe left: the build must
    // see only this commit's tree, and the build cache must store only what this build produced.
    const k0 = now();
    await cleanWorktree(dir, dependencyFolders);
    c.checkout += (now() - k0) / 1000;
    const folder = this.options.folder;
    if (folder && !existsSync(join(dir, folder))) {
      // Before the install: a checkout without the folder has nothing to build or measure there.
      const stage = this.options.build ? 'build' : 'probe';
      fail(new CommitFailure(stage, `the folder ${folder}/, where perfbisect was started and the ${stage} runs, is not in this commit`));
    }
    const command = this.options.install === 'auto' ? autoInstallCommand(dir) : this.options.install;
    if (command) await this.install(sha, slot, command, ahead, env, fail);
    else if (this.options.install === 'auto') this.nothingToInstall(sha);
    const build = this.options.build;
    if (build) {
      // Version 2: entries written before worktrees were cleaned may hold other commits' outputs.
      const key = hashOf({
        v: 2,
        tree: this.options.tree(sha),
        build,
        ...(folder ? { folder } : {}),
        install: slot.installKey ?? null,
        env: this.options.env ?? null,
        ...outsidePart(this.options.buildInputs ?? {}),
        node: process.version,
        platform: platform(),
        // Outputs downloaded from CI are not this machine's build: they are cached apart.
        ...(this.options.fetchBuild ? { fetched: true } : {}),
      });
      const entry = this.builds.get(key);
      const logFile = join(this.options.runDir, 'logs', `${sha.slice(0, 12)}-build.log`);
      if (entry) {
        const t0 = now();
        this.builds.restore(entry, dir);
        const seconds = (now() - t0) / 1000;
        c.build += seconds;
        c.saved += Math.max(0, entry.seconds - seconds);
        c.buildCached = true;
        this.options.cost.buildsRestored = (this.options.cost.buildsRestored ?? 0) + 1;
        this.outputHashes.set(sha, entry.outputHash);
        this.options.emit({ type: 'build-end', sha, ok: true, seconds, log: logFile, cached: true, ...marked(ahead) });
      } else if (await this.fetched(sha, dir, key, logFile)) {
        // The build output came from CI: nothing to build here.
      } else {
        if (!ahead) this.options.emit({ type: 'phase', sha, phase: 'build' });
        const t0 = now();
        const r = await runShell(this.pinned(build, ahead), {
          cwd: join(dir, folder ?? ''),
          env,
          logFile,
          signal: this.signal,
          timeoutMs: this.options.buildTimeoutMs,
          onLine: (line) => this.options.emit({ type: 'output', sha, stage: 'build', line }),
        });
        if (this.signal.aborted) throw new Error('aborted');
        const seconds = (now() - t0) / 1000;
        this.options.cost.builds++;
        this.options.cost.buildSeconds += seconds;
        c.build += seconds;
        if (ahead) c.builtAhead = true;
        const tail = tailLines((r.stdout + '\n' + r.stderr).trim(), 15);
        this.options.emit({
          type: 'build-end',
          sha,
          ok: r.exitCode === 0,
          seconds,
          log: logFile,
          cached: false,
          ...(r.exitCode ? { tail } : {}),
          ...marked(ahead),
        });
        if (r.exitCode !== 0) {
          fail(this.stageFailure('build', r, logFile, tail));
        }
        const s0 = now();
        const saved = await this.builds.save(key, dir, [...dependencyFolders], seconds);
        c.build += (now() - s0) / 1000; // storing the output is part of preparing the commit
        this.outputHashes.set(sha, saved.outputHash);
      }
    }
    slot.ready = true;
  }

  /**
   * Put CI's build of the commit into its worktree, if there is one (--artifacts); saved to the build cache like a
   * build.
   */
  private async fetched(sha: string, dir: string, key: string, logFile: string): Promise<boolean> {
    if (!this.options.fetchBuild) return false;
    const t0 = now();
    const got = await this.options.fetchBuild(sha, dir, this.signal);
    if (!got) return false;
    const seconds = (now() - t0) / 1000;
    const c = costOf(this.options.cost, sha);
    c.build += seconds;
    c.buildFetched = true;
    this.options.cost.buildsFetched = (this.options.cost.buildsFetched ?? 0) + 1;
    mkdirSync(dirname(logFile), { recursive: true });
    writeFileSync(logFile, `build output downloaded from ${got.source}\n`);
    this.options.emit({
      type: 'build-end',
      sha,
      ok: true,
      seconds,
      log: logFile,
      cached: false,
      fetched: got.source,
    });
    const saved = await this.builds.save(key, dir, [...dependencyFolders], seconds);
    this.outputHashes.set(sha, saved.outputHash);
    return true;
  }

  /**
   * A worktree with no modules, about to install a key the cache does not hold, starts from the
   * modules of the key installed last (in a bisect, a nearby commit's): the package manager then
   * fetches and links only what differs, seconds where a whole install takes a minute. Only for
   * npm, pnpm and Yarn installs, which make the tree match the manifest and remove what it no longer
   * lists; never with --fresh, whose promise is that nothing is carried between commits.
   */
  private async seedFromNearest(dir: string, command: string): Promise<{ sha: string; dirs: string[] } | undefined> {
    const last = this.lastInstall.get(command);
    if (this.options.fresh || !last || !reconciles(command)) return undefined;
    const entry = this.installs.get(last.key);
    if (!entry?.dirs.length) return undefined;
    await this.installs.seed(last.key, dir, entry, this.signal);
    return { sha: last.sha, dirs: entry.dirs };
  }

  /**
   * The commit's dependencies, paid once per install key: kept in the worktree when it holds the
   * key's modules untouched since they were installed, else seeded from the install cache (a
   * copy), else installed and saved to the cache.
   */
  private async install(
    sha: string,
    slot: Slot,
    command: string,
    ahead: boolean,
    env: Record<string, string>,
    fail: (f: CommitFailure) => never,
  ): Promise<void> {
    const c = costOf(this.options.cost, sha);
    const dir = slot.path;
    const key = installKey(dir, command);
    // Another worktree is installing this key right now: wait and seed from it. (A loop, not one
    // await: two commits prepared side by side must not both start the install.) An install the cache
    // cannot copy (a venv) is not waited for: this worktree runs its own anyway.
    const w0 = now();
    while (installDirs(dir).length && this.installing.has(key)) await this.installing.get(key);
    const waited = (now() - w0) / 1000;
    c.install += waited;
    const entry = this.installs.get(key);
    const dirs = entry?.dirs ?? installDirs(dir);
    if (slot.installKey === key) {
      if (slot.installStamp === installStamp(dir, dirs)) {
        this.lastInstall.set(command, { key, sha });
        c.installReused = true;
        c.saved += Math.max(0, (entry?.seconds ?? 0) - waited);
        return;
      }
      // A build, a probe or a script wrote into the installed folders: the next commit must not inherit that.
      if (!this.warnedRewrite) {
        const message =
          `${sha.slice(0, 10)}: ${dirs.join(', ')} changed after it was installed (a build or a probe wrote into it): ` +
          'copied again from the install cache, for this and every later commit that finds it changed';
        this.options.emit({ type: 'warning', message });
      }
      this.warnedRewrite = true;
    }
    if (!ahead) this.options.emit({ type: 'phase', sha, phase: 'install' });
    const t0 = now();
    const logFile = join(this.options.runDir, 'logs', `${sha.slice(0, 12)}-install.log`);
    // An install of another ecosystem (a Python venv) leaves no folder the cache knows how to copy:
    // seeding would give this worktree nothing, so it runs the install itself.
    if (entry?.dirs.length) {
      await this.installs.seed(key, dir, entry, this.signal);
      const seconds = (now() - t0) / 1000;
      // Waiting for that install was paying for it: only what the copy beat the install by is saved.
      c.saved += Math.max(0, entry.seconds - seconds - waited);
      c.installReused = true;
      this.options.cost.installsReused = (this.options.cost.installsReused ?? 0) + 1;
      this.options.emit({ type: 'install-end', sha, ok: true, seconds, log: logFile, seeded: true, ...marked(ahead) });
    } else {
      let done = () => {};
      this.installing.set(key, new Promise<void>((r) => (done = r)));
      try {
        const start = slot.installKey ? undefined : await this.seedFromNearest(dir, command);
        const shell = (run: string) =>
          runShell(this.pinned(run, ahead), {
            cwd: dir,
            env,
            logFile,
            signal: this.signal,
            timeoutMs: this.options.buildTimeoutMs,
          });
        // Modules of another lockfile are reconciled in place, not deleted by `npm ci`.
        let from = start?.sha;
        let r = await shell(slot.installKey || start ? reconcileCommand(command) : command);
        if (start && r.exitCode !== 0 && !this.signal.aborted) {
          // The seeded tree may be what failed (a native module built for the other lockfile's
          // versions): the install gets its own clean start before it counts as failed.
          await removeDirs(dir, start.dirs);
          from = undefined;
          r = await shell(command);
        }
        if (this.signal.aborted) throw new Error('aborted');
        const seconds = (now() - t0) / 1000;
        this.options.cost.installs = (this.options.cost.installs ?? 0) + 1;
        this.options.cost.installSeconds = (this.options.cost.installSeconds ?? 0) + seconds;
        const tail = tailLines((r.stdout + '\n' + r.stderr).trim(), 15);
        const ok = r.exitCode === 0;
        this.options.emit({
          type: 'install-end',
          sha,
          ok,
          seconds,
          log: logFile,
          seeded: false,
          ...(ok && from ? { from } : {}),
          ...(ok ? {} : { tail }),
          ...marked(ahead),
        });
        if (r.exitCode !== 0) {
          slot.installKey = undefined;
          fail(this.stageFailure('install', r, logFile, tail));
        }
        await this.dropInstallExtras(sha, dir, command);
        // Only folders the install really wrote: one that wrote none (Yarn PnP, `cd web && npm ci`) is
        // run again in each worktree rather than seeded empty.
        const wrote = installDirs(dir).filter((d) => existsSync(join(dir, d)));
        await this.installs.save(key, dir, { command, seconds, dirs: wrote }, this.signal);
      } finally {
        this.installing.delete(key);
        done();
      }
    }
    c.install += (now() - t0) / 1000;
    if (ahead) c.installedAhead = true;
    this.lastInstall.set(command, { key, sha });
    slot.installKey = key;
    slot.installStamp = installStamp(dir, dirs);
  }

  /**
   * Files an install wrote outside the dependency folders (a `prepare` script's build, git hooks)
   * are not in the install cache, so commits that reuse the install would not have them: removed
   * here too, so every commit sees the same, and said once.
   */
  private async dropInstallExtras(sha: string, dir: string, command: string): Promise<void> {
    const extras = await untrackedFiles(dir, dependencyFolders);
    if (!extras.length) return;
    await cleanWorktree(dir, dependencyFolders);
    if (this.warnedExtras) return;
    this.warnedExtras = true;
    const shown = extras.slice(0, 5).join(', ') + (extras.length > 5 ? `, … (${extras.length} in all)` : '');
    const hint = this.options.build ? ignoreScriptsHint(command) : undefined;
    const message =
      `${sha.slice(0, 10)}: the install wrote ${shown} outside the dependency folders (a prepare or postinstall ` +
      'script?); commits that reuse the install would not have them, so they are removed for every commit: put build steps in the build command' +
      (hint ? `; ${hint}` : '');
    this.options.emit({ type: 'warning', message });
  }

  /** --install auto where no package.json is: said once, so a Python or Go user knows to give the command. */
  private nothingToInstall(sha: string): void {
    if (this.warnedNothingToInstall) return;
    this.warnedNothingToInstall = true;
    this.options.emit({
      type: 'warning',
      message:
        `${sha.slice(0, 10)}: --install auto found no package.json or lockfile at the repository's root (it knows npm, ` +
        'pnpm and yarn), so nothing was installed; give the command instead, e.g. --install "cd web && npm ci", or ' +
        '--install "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt" and run .venv/bin/python',
    });
  }

  /** A failed install or build: stopped at --build-timeout (too slow), or exited non-zero (crashed). */
  private stageFailure(
    what: 'install' | 'build',
    r: { timedOut: boolean; exitCode: number },
    logFile: string,
    tail: string[],
  ): CommitFailure {
    if (!r.timedOut)
      return new CommitFailure(what, `the ${what} exited with code ${r.exitCode}`, logFile, tail, 'crashed');
    const limit = `${(this.options.buildTimeoutMs ?? 0) / 1000} s`;
    return new CommitFailure(
      what,
      `the ${what} ran past --build-timeout ${limit} and was stopped`,
      logFile,
      tail,
      'too slow',
    );
  }

  private pinned(command: string, ahead: boolean): string {
    if (!ahead || this.pin.length === 0) return command;
    return `${this.pin.join(' ')} sh -c '${command.replace(/'/g, `'\\''`)}'`;
  }
}

async function removeDirs(dir: string, dirs: readonly string[]): Promise<void> {
  for (const d of dirs) await rm(join(dir, d), { recursive: true, force: true });
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Preparation time on the run's critical path so far: checkout, install and build of commits
 * prepared when a block needed them, and the waits for builds ahead (those ran beside other work,
 * so their own time is not counted).
 */
export function preparationCounted(cost: RunCost): number {
  let t = cost.aheadWaitSeconds ?? 0;
  for (const sha of Object.keys(cost.perCommit)) {
    const c = costOf(cost, sha);
    if (!c.ahead) t += c.checkout + c.install + c.build;
  }
  return t;
}

/**
 * Fill in where the time went once the run is over: perfbisect's own overhead is the wall time
 * not spent checking out, installing, building, starting servers, measuring or profiling, shared
 * evenly among the commits measured; the savings are what the reused installs, builds, blocks and
 * evidence originally cost.
 */
export function finishCost(cost: RunCost, wallSeconds: number, prepareOverlap = 0): void {
  cost.wallSeconds = wallSeconds;
  const shas = Object.keys(cost.perCommit);
  // A block's commits prepared side by side count their wall time, not the sum of their times.
  let work = preparationCounted(cost) - prepareOverlap + (cost.profileSeconds ?? 0);
  let saved = 0;
  for (const sha of shas) {
    const c = costOf(cost, sha);
    work += c.server + c.measure;
    saved += c.saved;
  }
  const overhead = Math.max(0, wallSeconds - work);
  const measured = shas.filter((sha) => cost.perCommit[sha].measure > 0 || cost.perCommit[sha].cached);
  for (const sha of measured) costOf(cost, sha).overhead = overhead / measured.length;
  cost.overheadSeconds = overhead;
  cost.savedSeconds = saved;
}
