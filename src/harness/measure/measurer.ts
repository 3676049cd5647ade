import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommitFailure } from '../../errors.js';
import type { BlockRecord, CommitMeta, NoiseReport, RunEvent } from '../../events.js';
import type { Purpose } from '../../bisect/outcome.js';
import type { OpenQuestion } from '../../bisect/verdict.js';
import type { Probe, ProbeContext, Sample } from '../../probes/types.js';
import type { RunCost } from '../../run-cost.js';
import { environmentFingerprint, hashOf } from '../store/fingerprint.js';
import { outsideInputs, outsidePart } from '../store/outside-inputs.js';
import { probeContext, type HangGuard } from './probe-context.js';
import { SampleStore } from '../store/sample-store.js';
import { Worktrees } from '../git/worktrees.js';
import { median, quantileSorted, sorted, summarize } from '../../stats/summary.js';
import { costOf, defaultJobs, preparationCounted, Preparer, type FetchBuild } from '../build/prepare.js';
import type { Slot } from '../git/worktree-pool.js';
import type { Replay } from './replay.js';
import { RunLog, type LoggedEvent } from '../record/run-log.js';
import { runsDir } from '../store/paths.js';

type BusyMachine = Pick<NoiseReport, 'cores' | 'load' | 'busy' | 'others'>;

export interface MeasurerOptions {
  cache: string;
  repoRoot: string;
  runId: string;
  runDir: string;
  /** Every commit the run may measure, with its tree (cache keys are by tree). Callers may add to it. */
  meta: Map<string, CommitMeta & { tree: string }>;
  probe: Probe;
  /** The probe's validated config: part of every cache key. */
  probeDefinition: unknown;
  build?: string;
  /** The folder of each checkout the probe and the build run in, relative to its root ('' = the root). */
  folder?: string;
  env?: Record<string, string>;
  /**
   * Warm-up runs of a commit not measured in the block just before: a number of discarded runs, or
   * 'auto' (the default): one run, kept as a sample unless it stands out from the commit's other
   * samples in the block, as a cold first run does.
   */
  warmup: number | 'auto';
  useCache: boolean;
  buildTimeoutMs?: number;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /** Tell views a sample is being timed (true) or done (false): they hold their redraws meanwhile. */
  hush?: (on: boolean) => void;
  /** A new clean worktree per commit instead of the pool (--fresh). */
  fresh?: boolean;
  /** Install command or 'auto' (from the lockfile); installed once per lockfile key. */
  install?: string;
  /** Builds ahead allowed beside a measurement (--jobs); default from the core count. */
  jobs?: number;
  /** A commit's build from elsewhere (--artifacts: CI's build output), tried before building it. */
  fetchBuild?: FetchBuild;
  /** --resume: the interrupted run's blocks, taken from its log instead of measured again. */
  replay?: Replay;
}

/**
 * The one measuring path: check out and build commits, measure interleaved blocks with a probe,
 * replay blocks stored earlier on this machine, and emit every step. The bisect and the drift
 * check both drive it, so both get the same builds, interleaving and sample store.
 */
export class Measurer {
  readonly fp = environmentFingerprint();
  readonly cost: RunCost = {
    wallSeconds: 0, builds: 0, buildSeconds: 0, samples: 0, measureSeconds: 0, cachedBlocks: 0, perCommit: {},
    installs: 0, installSeconds: 0, installsReused: 0, buildsRestored: 0, profileSeconds: 0,
  };
  /** Sample details of every commit measured or replayed, for the before/after table. */
  readonly details = new Map<string, Record<string, number>[]>();
  /** Samples per commit stopped at the probe's timeout (their value: the timeout, a lower bound). */
  readonly censored = new Map<string, number>();
  /** Positions of the censored samples of the last block, by commit. */
  lastCensored: Record<string, number[]> = {};
  censoredAt?: number;
  readonly failed: Map<string, CommitFailure>;
  /** Worktree pool, install and build caches, builds ahead (prepare.ts). */
  readonly preparer: Preparer;
  /** Worktrees leased by prepareCommit, released after the block that needed them. */
  private readonly leases = new Map<string, Slot>();
  readonly buildCommand: string | undefined;
  private readonly store: SampleStore;
  private readonly baseEnv: Record<string, string>;
  /** Files and variables from outside the commit that the probe, install and build read: a cache key part. */
  readonly outside: Record<string, string>;
  private readonly ordinals = new Map<string, number>();
  /** The longest probe run that finished in this run (ms), for the hang guard. */
  private longestRunMs = 0;
  /** A run was stopped: the guard holds still from then on (see take). */
  private guardFired = false;
  /** Preparation counted per commit minus the wall time it took, summed over blocks (see finishCost). */
  prepareOverlap = 0;
  /** Commits the block just before ran for real (not replayed): they are warm already. */
  private lastRun = new Set<string>();
  /** The measuring time and samples of blocks replayed from the store, as the run that measured them timed them. */
  private readonly fromStore = { seconds: 0, samples: 0 };

  private constructor(private readonly options: MeasurerOptions, readonly worktrees: Worktrees) {
    this.store = new SampleStore(join(options.cache, 'samples', `${hashOf([options.repoRoot, this.fp.hash])}.jsonl`));
    this.buildCommand = options.probe.build ?? options.build;
    this.baseEnv = { ...(process.env as Record<string, string>), ...options.env };
    this.outside = outsideInputs([options.probeDefinition, this.buildCommand, options.install], this.baseEnv);
    this.preparer = new Preparer({
      cache: options.cache,
      mirror: worktrees.mirror,
      worktreeDir: worktrees.dir,
      fresh: !!options.fresh,
      install: options.install,
      build: this.buildCommand,
      buildInputs: outsideInputs([this.buildCommand], this.baseEnv),
      folder: options.folder,
      env: options.env,
      baseEnv: this.baseEnv,
      tree: (sha) => options.meta.get(sha)!.tree,
      runDir: options.runDir,
      signal: options.signal,
      emit: options.emit,
      buildTimeoutMs: options.buildTimeoutMs,
      cost: this.cost,
      jobs: options.jobs ?? defaultJobs(),
      fetchBuild: options.fetchBuild,
    });
    this.failed = this.preparer.failed;
  }

  static async create(options: MeasurerOptions): Promise<Measurer> {
    return new Measurer(options, await Worktrees.create(options.cache, options.repoRoot, options.runId));
  }

  private costOf(sha: string) {
    return (this.cost.perCommit[sha] ??= { checkout: 0, build: 0, measure: 0, cached: false });
  }

  /** The commit's worktree, installed and built; leased until the block that needed it ends. */
  async prepareCommit(sha: string): Promise<string> {
    const held = this.leases.get(sha);
    if (held) return held.path;
    try {
      const slot = await this.preparer.prepare(sha);
      this.leases.set(sha, slot);
      return slot.path;
    } catch (e) {
      if (this.options.signal.aborted) throw new Interrupted();
      // Commits are prepared side by side: name the one that failed.
      blame(e, sha);
    }
  }

  private releaseAll(): void {
    for (const slot of this.leases.values()) this.preparer.release(slot);
    this.leases.clear();
  }

  /** Build what the search may need after this step (`next`: the engine's next targets either way). */
  ahead(step: { target: string; refs: string[] }, next: string[]): void {
    // Started only when the block is really measured: a replayed block needs no builds at all.
    this.pendingAhead = () => this.preparer.ahead(next.filter((s) => !this.failed.has(s)), [step.target, ...step.refs]);
  }
  private pendingAhead?: () => void;

  /** What each earlier run's log says of the machine (undefined: not busy, or no log): read once a run. */
  private readonly earlierRuns = new Map<string, BusyMachine | undefined>();

  /**
   * The run a stored block comes from, and the machine as that run's noise line found it: a replay
   * on a quiet machine of samples taken on a busy one says so. Read once per run, from its log.
   */
  private earlierRun(run: string): { run: string; busy?: BusyMachine } {
    if (!this.earlierRuns.has(run)) {
      let noise: LoggedEvent | undefined;
      try {
        noise = RunLog.read(join(runsDir(), run, 'events.jsonl')).filter((e) => e.type === 'noise').at(-1);
      } catch {
        // A log that cannot be read says nothing of the machine then: the replay is named all the same.
      }
      const n = noise?.type === 'noise' && noise.noise.loaded ? noise.noise : undefined;
      const others = n?.others !== undefined ? { others: n.others } : {};
      this.earlierRuns.set(run, n && { cores: n.cores, load: n.load, busy: n.busy, ...others });
    }
    const busy = this.earlierRuns.get(run);
    return { run, ...(busy ? { busy } : {}) };
  }

  /** Stop building ahead; the run is over. */
  close(): Promise<void> {
    this.releaseAll();
    return this.preparer.close();
  }

  private contextFor(sha: string, dir: string): ProbeContext {
    const { runDir, signal, emit } = this.options;
    const probeLog = join(runDir, 'logs', `${sha.slice(0, 12)}-probe.log`);
    const artifactsDir = join(runDir, 'artifacts', sha.slice(0, 12));
    const env = { ...this.baseEnv, PERFBISECT_COMMIT: sha };
    const cwd = join(dir, this.options.folder ?? '');
    return probeContext({ cwd, sha, env, signal, logFile: probeLog, artifactsDir, emit, guard: this.guard });
  }

  /** The hang guard a probe's runs and the culprit's profiling share (probe-context.ts). */
  readonly guard: HangGuard = { ms: () => this.hangGuardMs(), text: HANG_GUARD_TEXT };

  /**
   * The limit of a probe run where the probe sets none: HANG_GUARD_FACTOR times the longest run that
   * finished so far, and at least the floor. A commit that hangs (a deadlock, an endless loop) would
   * otherwise stop the bisect for good; stopped there, its runs count as at least the limit (censored,
   * as at a timeout), which is as slow as the search needs to place it. Unset before any run finished.
   */
  private hangGuardMs(): number | undefined {
    // A run that measured nothing itself (all replayed) goes by the replayed runs' mean time.
    const longest = this.longestRunMs || this.secondsPerRun * 1000;
    if (!longest) return undefined;
    return Math.max(HANG_GUARD_FLOOR_MS, HANG_GUARD_FACTOR * longest);
  }

  /**
   * A probe run stopped at its timeout: counted, and said once per commit. It is a measurement
   * (at least the timeout, ranked at or above every run that finished), not a failure.
   */
  private noteCensored(sha: string, value: number): void {
    const n = (this.censored.get(sha) ?? 0) + 1;
    this.censored.set(sha, n);
    this.censoredAt = value;
    if (n > 1) return;
    const at = `${value} ${this.options.probe.metric.unit}`.trim();
    const own = (this.options.probeDefinition as { timeout?: number } | undefined)?.timeout !== undefined;
    const limit = own ? "the probe's timeout" : HANG_GUARD_TEXT;
    this.options.emit({
      type: 'warning',
      message: `${sha.slice(0, 10)}: a probe run ran past ${limit} and was stopped: ` +
        `the probe was too slow (it did not crash). The run counts as a censored sample, at least ${at}; ` +
        'later runs of this commit that time out count the same way.',
    });
  }

  /**
   * One run of each commit of `order`, in that order (warm-ups first); or the block as the run log of
   * a resumed run holds it, or as the sample store does. Every block ends with a `block` event: the
   * samples as the engine takes them, or why the block could not be measured.
   */
  async measureBlock(block: Block): Promise<Record<string, number[]>> {
    const { target, refs } = block;
    const sig = `${target}|${refs.join(',')}`;
    const ordinal = block.ordinal ?? this.ordinals.get(sig) ?? 0;
    this.ordinals.set(sig, ordinal + 1);
    const logged = this.options.replay?.take(block);
    if (logged) return this.replayLogged(block, logged);
    try {
      return await this.measureOrReuse(block, ordinal);
    } catch (e) {
      // A probe stopped by q or Ctrl-C did not fail: nothing is recorded, the resumed run measures it.
      if (e instanceof CommitFailure && !this.options.signal.aborted) {
        const failure = {
          sha: e.sha ?? target, stage: e.stage, kind: e.kind, message: e.message, tail: e.logTail,
          ...(e.logFile ? { log: e.logFile } : {}),
        };
        const { purpose } = block;
        this.options.emit({ type: 'block', target, refs, order: [...block.order], purpose, samples: {}, failure });
      }
      throw e;
    }
  }

  /**
   * Seconds a probe run takes: as measured by this run, else as the run whose blocks the store
   * replayed timed them (0 when neither timed one).
   */
  get secondsPerRun(): number {
    const { cost, fromStore } = this;
    if (cost.samples) return cost.measureSeconds / cost.samples;
    return fromStore.samples ? fromStore.seconds / fromStore.samples : 0;
  }

  /** Other figures the probe's samples carry that its `metric` could measure instead. */
  get alternatives() {
    return this.options.probe.alternatives ?? [];
  }

  /** A figure of the endpoints' sample details, each side's values (for the noise line's steadier metric). */
  figures(good: string, bad: string): (field: string) => { good: number[]; bad: number[] } {
    return (k) => ({ good: this.detailValues(good, k), bad: this.detailValues(bad, k) });
  }

  /** One numeric field of a commit's sample details, in the order the samples were taken. */
  private detailValues(sha: string, key: string): number[] {
    return (this.details.get(sha) ?? []).map((d) => d[key]).filter((v): v is number => typeof v === 'number');
  }

  /**
   * How much CPU time (user + system, where the probe records it) varies a sample at these commits, and
   * its share of wall time: whether `--metric cpu` would be the quieter metric. Absent where a commit
   * has fewer than 3 such samples.
   */
  cpuNoise(shas: readonly string[]): { cpuCv?: number; cpuShare?: number } {
    const cpu = shas.map((s) => this.detailValues(s, 'cpu'));
    const wall = shas.map((s) => this.detailValues(s, 'wall'));
    if (!cpu.length || !cpu.every((v) => v.length >= 3)) return {};
    const cpuCv = cpu.reduce((a, v) => a + summarize(v).cv, 0) / cpu.length;
    return wall.every((v) => v.length) ? { cpuCv, cpuShare: median(cpu.flat()) / median(wall.flat()) } : { cpuCv };
  }

  /** A block of the interrupted run, from its log: its samples go to the views and the engine as they were. */
  private replayLogged(block: Block, logged: BlockRecord): Record<string, number[]> {
    const { target } = block;
    const { emit } = this.options;
    this.lastRun = new Set();
    const f = logged.failure;
    if (f) {
      // It failed before it measured anything: it fails again, without building or measuring.
      emit(logged);
      const failure = Object.assign(new CommitFailure(f.stage, f.message, f.log, f.tail, f.kind), { sha: f.sha });
      if (failure.preparing) this.failed.set(f.sha, failure);
      throw failure;
    }
    this.cost.cachedBlocks++;
    this.costOf(target).cached = true;
    costOf(this.cost, target).saved += logged.seconds ?? 0;
    emit({ ...measureStart(block), cached: true, replayed: true });
    for (const [sha, values] of Object.entries(logged.samples)) {
      const d = logged.details?.[sha] ?? [];
      const cut = new Set(logged.censored?.[sha] ?? []);
      values.forEach((value, k) => {
        if (cut.has(k)) this.noteCensored(sha, value);
        const marks = { ...(cut.has(k) ? { censored: true as const } : {}), ...(d[k] ? { details: d[k] } : {}) };
        emit({ type: 'sample', sha, value, ...marks });
      });
      this.details.set(sha, [...(this.details.get(sha) ?? []), ...d]);
    }
    emit(logged);
    return logged.samples;
  }

  /** The block measured here, or replayed from the sample store. */
  private async measureOrReuse(block: Block, ordinal: number): Promise<Record<string, number[]>> {
    const { target, refs, order } = block;
    const { options, store, cost, details } = this;
    const { meta, emit, probe, signal } = options;
    const commits = [...refs, target];
    // Everything that decides what a sample measures: the probe, how each commit is installed and built.
    const key = hashOf({
      v: 3,
      probe: options.probeDefinition,
      build: this.buildCommand ?? null,
      ...(options.folder ? { folder: options.folder } : {}),
      install: options.install ?? null,
      env: options.env ?? null,
      ...outsidePart(this.outside),
      fp: this.fp.hash,
      target: meta.get(target)!.tree,
      refs: refs.map((r) => meta.get(r)!.tree),
      ordinal,
      warmup: options.warmup,
      // The order as positions in [target, ...refs]: the same block measured in another order is another block.
      order: order.map((sha) => commits.indexOf(sha)),
    });
    // --no-cache still replays this very run's blocks: that is how a resumed --no-cache run measures nothing twice.
    const hit = store.get(key);
    const stored = hit && (options.useCache || hit.runId === options.runId) ? hit : undefined;
    if (stored) {
      this.lastRun = new Set();
      cost.cachedBlocks++;
      this.costOf(target).cached = true;
      costOf(cost, target).saved += (stored.seconds ?? 0) + (stored.prepareSeconds ?? 0);
      if (stored.seconds) {
        this.fromStore.seconds += stored.seconds;
        this.fromStore.samples += commits.reduce((n, sha) => n + (stored.samples[meta.get(sha)!.tree]?.length ?? 0), 0);
      }
      // This very run's block, stored before it stopped: a resume, not an earlier run's measurement.
      const resumed = stored.runId === options.runId ? { replayed: true as const } : {};
      const from = stored.runId && !resumed.replayed ? { from: this.earlierRun(stored.runId) } : {};
      emit({ ...measureStart(block), cached: true, ...resumed, ...from });
      const out: Record<string, number[]> = {};
      for (const sha of commits) {
        out[sha] = stored.samples[meta.get(sha)!.tree] ?? [];
        const d = stored.details?.[meta.get(sha)!.tree] ?? [];
        const cut = new Set(stored.censored?.[meta.get(sha)!.tree] ?? []);
        out[sha].forEach((value, k) => {
          if (cut.has(k)) this.noteCensored(sha, value);
          emit({
            type: 'sample',
            sha,
            value,
            ...(cut.has(k) ? { censored: true as const } : {}),
            ...(d[k] ? { details: d[k] } : {}),
          });
        });
        details.set(sha, [...(details.get(sha) ?? []), ...d]);
      }
      const censored = Object.fromEntries(commits.flatMap((sha) => {
        const cut = stored.censored?.[meta.get(sha)!.tree];
        return cut?.length ? [[sha, cut]] : [];
      }));
      const storedDetails = Object.fromEntries(
        commits.map((sha) => [sha, stored.details?.[meta.get(sha)!.tree] ?? []]),
      );
      emit(blockRecord(block, out, storedDetails, censored, (stored.seconds ?? 0) + (stored.prepareSeconds ?? 0)));
      return out;
    }
    this.pendingAhead?.();
    this.pendingAhead = undefined;
    const dirs = new Map<string, string>();
    const b0 = performance.now();
    // The block's own commits are prepared side by side (good and bad build together at the start);
    // a failure is reported for the first failing commit in block order, as one at a time would. Where
    // a failure ends the run, the others' preparation is not waited for.
    const before = preparationCounted(cost);
    const preparing = commits.map((sha) => this.prepareCommit(sha));
    const leased = block.failureEndsRun ? await settleUntilFailure(preparing) : await Promise.allSettled(preparing);
    // Each commit's checkout, install and build is counted on its own; side by side they took this wall time.
    this.prepareOverlap += preparationCounted(cost) - before - (performance.now() - b0) / 1000;
    const failure = leased.find((r): r is PromiseRejectedResult => r?.status === 'rejected');
    if (failure) {
      this.releaseAll();
      throw failure.reason;
    }
    commits.forEach((sha, k) => dirs.set(sha, (leased[k] as PromiseFulfilledResult<string>).value));
    // With --jobs 0 a build ahead never runs beside a measurement: wait for it here.
    await this.preparer.beginMeasure();
    const m0 = performance.now();
    const ctxs = new Map(commits.map((sha) => [sha, this.contextFor(sha, dirs.get(sha)!)]));
    emit({ ...measureStart(block), cached: false });
    const out: Record<string, number[]> = {};
    const outDetails: Record<string, Record<string, number>[]> = {};
    const outCensored: Record<string, number[]> = {};
    const prepared: string[] = [];
    try {
      for (const sha of commits) {
        emit({ type: 'phase', sha, phase: 'measure' });
        const s0 = performance.now();
        await probe.prepare?.(ctxs.get(sha)!).catch((e) => blame(e, sha));
        costOf(cost, sha).server += (performance.now() - s0) / 1000;
        prepared.push(sha);
      }
      const take = async (sha: string, keep: 'yes' | 'no' | 'held') => {
        const t0 = performance.now();
        let s: Sample;
        let ranMs = 0;
        try {
          options.hush?.(true);
          s = await probe.sample(ctxs.get(sha)!).catch((e) => blame(e, sha));
        } finally {
          options.hush?.(false);
          ranMs = performance.now() - t0;
          this.costOf(sha).measure += ranMs / 1000;
          cost.measureSeconds += ranMs / 1000;
        }
        if (signal.aborted) throw new Interrupted();
        // Stopped runs are recorded at the limit of their moment: a limit that grew after one was stopped
        // would rank a later finished run above it, though the stopped one ran at least as long.
        if (s.censored) this.guardFired = true;
        else if (!this.guardFired) this.longestRunMs = Math.max(this.longestRunMs, ranMs);
        cost.samples++;
        if (keep === 'held') held.set(sha, s);
        else if (keep === 'yes') keepSample(sha, s);
      };
      const keepSample = (sha: string, s: Sample, first = false) => {
        const at = first ? 0 : (out[sha] ?? []).length;
        (out[sha] ??= []).splice(at, 0, s.value);
        (outDetails[sha] ??= []).splice(at, 0, s.details ?? {});
        if (first && outCensored[sha]) outCensored[sha] = outCensored[sha].map((i) => i + 1);
        if (s.censored) {
          (outCensored[sha] ??= []).push(at);
          this.noteCensored(sha, s.value);
        }
        const marks = {
          ...(s.censored ? { censored: true as const } : {}),
          ...(s.details ? { details: s.details } : {}),
        };
        emit({ type: 'sample', sha, value: s.value, ...marks });
      };
      const held = new Map<string, Sample>();
      // A command run in the block just before is warm (hyperfine, too, warms up once per command), so
      // it skips its warm-up; a probe with a prepare step (a server, a benchmark runner) starts afresh
      // for every block, so its warm-up stays.
      const cold = commits.filter((sha) => probe.prepare || !this.lastRun.has(sha));
      this.lastRun = new Set();
      const auto = !probe.deterministic && options.warmup === 'auto';
      // An automatic warm-up stands in for one of its commit's runs where enough are left to judge it by
      // (it usually looks like them, and then it is one run fewer); one that stands out is made up for.
      const runsOf = (sha: string) => order.filter((x) => x === sha).length;
      const standIn = new Set(auto ? cold.filter((sha) => runsOf(sha) > STAND_IN_OTHERS) : []);
      // The warm-up runs first, so the run it replaces is the commit's first: the rest stay interleaved.
      const planned = order.filter((sha, k) => !standIn.has(sha) || order.indexOf(sha) !== k);
      if (auto) for (const sha of cold) await take(sha, 'held');
      else if (!probe.deterministic && options.warmup !== 'auto') {
        for (let w = 0; w < options.warmup; w++) for (const sha of cold) await take(sha, 'no');
      }
      for (const sha of planned) await take(sha, 'yes');
      // The warm-up run counts when it looks like the commit's other runs: a cold first run stands out.
      for (const [sha, s] of held) {
        if (!s.censored && unremarkable(s.value, out[sha] ?? [])) keepSample(sha, s, true);
        else if (standIn.has(sha)) await take(sha, 'yes');
      }
      this.lastRun = new Set(commits);
    } finally {
      for (const sha of prepared) await probe.teardown?.(ctxs.get(sha)!).catch(() => undefined);
      this.preparer.endMeasure();
      this.releaseAll();
    }
    for (const sha of commits) details.set(sha, [...(details.get(sha) ?? []), ...(outDetails[sha] ?? [])]);
    this.lastCensored = outCensored;
    const byTree: Record<string, number[]> = {};
    const detailsByTree: Record<string, Record<string, number>[]> = {};
    const censoredByTree: Record<string, number[]> = {};
    for (const sha of commits) {
      byTree[meta.get(sha)!.tree] = out[sha] ?? [];
      detailsByTree[meta.get(sha)!.tree] = outDetails[sha] ?? [];
      if (outCensored[sha]) censoredByTree[meta.get(sha)!.tree] = outCensored[sha];
    }
    // seconds: what replaying this block saves a later run (its measurement, without the builds).
    const censored = Object.keys(censoredByTree).length ? { censored: censoredByTree } : {};
    const seconds = (performance.now() - m0) / 1000;
    store.put({
      key, runId: options.runId, samples: byTree, details: detailsByTree, ...censored, time: new Date().toISOString(),
      seconds, prepareSeconds: (m0 - b0) / 1000,
    });
    emit(blockRecord(block, out, outDetails, outCensored, seconds + (m0 - b0) / 1000));
    return out;
  }
}

/** A block's `block` event: details only where the probe records any, censored positions only where there are some. */
function blockRecord(
  block: Block,
  samples: Record<string, number[]>,
  details: Record<string, Record<string, number>[]>,
  censored: Record<string, number[]>,
  seconds: number,
): BlockRecord {
  const hasDetails = Object.values(details).some((list) => list.some((d) => Object.keys(d).length));
  const cut = Object.fromEntries(Object.entries(censored).filter(([, at]) => at.length));
  return {
    type: 'block', target: block.target, refs: [...block.refs], order: [...block.order], purpose: block.purpose,
    samples,
    ...(hasDetails ? { details } : {}), ...(Object.keys(cut).length ? { censored: cut } : {}), seconds,
  };
}

/** A block the engine asked for: its commits, and every run in the order to take them. */
export interface Block {
  target: string;
  refs: string[];
  order: readonly string[];
  rounds: number;
  purpose: Purpose;
  /** Which look of its decision the block is (1 = the first), where the engine says. */
  look?: number;
  /** Why the look before did not decide, where the engine says. */
  open?: OpenQuestion;
  /** The first look of a commit measured again, afresh, where the engine says. */
  again?: true;
  /** A located step's end checked for a further step beyond it, where the engine says. */
  endCheck?: 'below' | 'above';
  /** A commit of this block that cannot be prepared ends the run (the bisect's endpoints). */
  failureEndsRun?: true;
  /** Blocks of these commits asked for before in the run, when the caller counts them (a job of a round). */
  ordinal?: number;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/**
 * Whether a failure is really Ctrl-C: a terminal signals the whole foreground group, so a probe or
 * server can die of it a moment before this process's own handler runs. A failed commit waits that
 * moment before it is called a failure.
 */
export async function interruptedMeanwhile(signal: AbortSignal): Promise<boolean> {
  if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 250));
  return signal.aborted;
}

/**
 * How long the block's other commits may take to settle once one has failed to prepare, where that
 * failure ends the run: failures that come together (a build that fails everywhere) are named in block
 * order, and an install that failed at bad does not wait minutes for good's.
 */
const FAILURE_GRACE_MS = 2_000;

/**
 * A block's preparations as they settle; once one has failed, only those that settle within the grace
 * (the others are undefined, and stopped when the run closes).
 */
async function settleUntilFailure<T>(work: Promise<T>[]): Promise<(PromiseSettledResult<T> | undefined)[]> {
  const out: (PromiseSettledResult<T> | undefined)[] = work.map(() => undefined);
  let failed = () => {};
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  const all = Promise.all(
    work.map((p, k) =>
      p.then(
        (value) => void (out[k] = { status: 'fulfilled', value }),
        (reason: unknown) => {
          out[k] = { status: 'rejected', reason };
          failed();
        },
      ),
    ),
  );
  const grace = new AbortController();
  const wait = firstFailure.then(() => sleep(FAILURE_GRACE_MS, undefined, { signal: grace.signal }));
  await Promise.race([all, wait.catch(() => undefined)]);
  grace.abort();
  return [...out];
}

/** Runs of a commit besides its warm-up that can tell whether the warm-up stands out. */
const STAND_IN_OTHERS = 3;

/** The hang guard (Measurer.hangGuardMs): far beyond any run's noise, and never under a minute. */
const HANG_GUARD_FACTOR = 20;
/** PERFBISECT_HANG_GUARD_FLOOR (seconds) lowers the floor, for a test that hangs on purpose. */
const floorSeconds = Number(process.env.PERFBISECT_HANG_GUARD_FLOOR ?? '');
const HANG_GUARD_FLOOR_MS = floorSeconds > 0 ? floorSeconds * 1000 : 60_000;
const HANG_GUARD_TEXT =
  `the hang guard (${HANG_GUARD_FACTOR}× the longest run so far, at least ${HANG_GUARD_FLOOR_MS / 1000} s; ` +
  "--timeout, or the probe's timeout, sets the limit)";

/**
 * A value inside the far-out fences (3 IQR past the quartiles) of at least three others: nothing marks
 * it as a cold or disturbed run.
 */
function unremarkable(value: number, others: readonly number[]): boolean {
  if (others.length < STAND_IN_OTHERS) return false;
  const s = sorted(others);
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  return value >= q1 - 3 * (q3 - q1) && value <= q3 + 3 * (q3 - q1);
}

/** Name the commit a failure belongs to: a block measures its target and references alike. */
function blame(e: unknown, sha: string): never {
  if (e instanceof CommitFailure && !e.sha) e.sha = sha;
  throw e;
}

/** The measure-start event of a block; a later look of a decision says which. */
function measureStart(b: Block) {
  const { target, refs, rounds, purpose, look, open, again, endCheck } = b;
  const later = look && look > 1 ? { look, ...(open ? { open } : {}) } : {};
  const check = endCheck ? { endCheck } : {};
  return { type: 'measure-start' as const, target, refs, rounds, purpose, ...later, ...(again ? { again } : {}), ...check };
}
