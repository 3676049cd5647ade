import { mkdirSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BisectEngine, type EngineOptions } from '../bisect/engine.js';
import { CommitFailure, EnvironmentError, ExitCode, UsageError } from '../errors.js';
import type { CommitMeta, EventStream, RunEvent } from '../events.js';
import type { Probe, ProbeContext, Sample } from '../probes/types.js';
import { buildResult, type RunCost, type RunResult } from '../report/result.js';
import { seededRng } from '../stats/rng.js';
import { summarize } from '../stats/summary.js';
import { environmentFingerprint, hashOf } from './fingerprint.js';
import { Repo } from './git.js';
import { writeReport } from './report-files.js';
import { cacheRoot } from './paths.js';
import { runShell } from './process.js';
import { probeContext } from './probe-context.js';
import { RunLog } from './run-log.js';
import { SampleStore } from './sample-store.js';
import { Worktrees } from './worktrees.js';

export interface BisectOptions {
  repoDir: string;
  good: string;
  bad: string;
  probeName: string;
  probe: Probe;
  /** The probe's validated config: part of every cache key. */
  probeDefinition: unknown;
  build?: string;
  env?: Record<string, string>;
  engine: Omit<EngineOptions, 'better' | 'deterministic'>;
  firstParent: boolean;
  keepWorktrees: boolean;
  warmup: number;
  useCache: boolean;
  seed?: number;
  reproduce: string;
  /** The argv that started this run, saved so `--resume` can run it again. */
  argv: string[];
  jsonFile?: string;
  reportFile?: string;
  buildTimeoutMs?: number;
  runId?: string;
}

export interface BisectRunResult {
  exitCode: number;
  result?: RunResult;
}

/**
 * Drive the pure engine against real commits: check out, build, measure interleaved blocks,
 * emit every step as an event, and write the result and writeup. All effects of a bisect live here.
 */
export async function runBisect(o: BisectOptions, events: EventStream, signal: AbortSignal): Promise<BisectRunResult> {
  const started = performance.now();
  const repo = await Repo.open(o.repoDir);
  const good = await repo.resolve(o.good, '--good');
  const bad = await repo.resolve(o.bad, '--bad');
  if (good === bad) throw new UsageError(`--good ${o.good} and --bad ${o.bad} are the same commit (${good.slice(0, 12)}): give a good commit older than the bad one.`);
  if (!(await repo.isAncestor(good, bad))) {
    if (await repo.isAncestor(bad, good)) {
      throw new UsageError(`--good ${o.good} is newer than --bad ${o.bad} (bad is an ancestor of good). Swap them: --good ${o.bad} --bad ${o.good}.`);
    }
    throw new UsageError(`--good ${o.good} is not an ancestor of --bad ${o.bad}. Use their merge base as good: --good $(git merge-base ${o.good} ${o.bad}).`);
  }
  const range = await repo.range(good, bad, o.firstParent);
  const goodMeta = await repo.meta(good);
  const meta = new Map<string, CommitMeta & { tree: string }>([[good, goodMeta], ...range.map((c) => [c.sha, c] as const)]);

  const cache = cacheRoot();
  const runId = o.runId ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${good.slice(0, 7)}-${bad.slice(0, 7)}`;
  const runDir = join(cache, 'runs', runId);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  writeFileSync(join(runDir, 'argv.json'), JSON.stringify({ argv: o.argv, cwd: process.cwd(), repo: repo.root }));
  const log = new RunLog(join(runDir, 'events.jsonl'));
  const unsubscribe = events.subscribe((e) => log.write(e));

  const probe = o.probe;
  const engine = new BisectEngine(
    range.map((c) => ({ sha: c.sha, parents: c.parents })),
    { good, bad },
    { ...o.engine, better: probe.metric.better, deterministic: probe.deterministic },
    seededRng(o.seed ?? parseInt(bad.slice(0, 8), 16)),
    { firstParent: o.firstParent },
  );
  const fp = environmentFingerprint();
  const store = new SampleStore(join(cache, 'samples', `${hashOf([repo.root, fp.hash])}.jsonl`));
  const buildCommand = probe.build ?? o.build;
  const baseEnv = { ...(process.env as Record<string, string>), ...o.env };
  const details = new Map<string, Record<string, number>[]>();
  const cost: RunCost = { wallSeconds: 0, builds: 0, buildSeconds: 0, samples: 0, measureSeconds: 0, cachedBlocks: 0, perCommit: {} };
  const costOf = (sha: string) => (cost.perCommit[sha] ??= { checkout: 0, build: 0, measure: 0, cached: false });
  const emit = (e: RunEvent) => events.emit(e);

  emit({
    type: 'run-start', runId, time: new Date().toISOString(), repo: repo.root,
    good: { ref: o.good, sha: good }, bad: { ref: o.bad, sha: bad },
    probe: { name: o.probeName, kind: probe.kind }, metric: probe.metric, deterministic: probe.deterministic,
    rangeSize: range.length, runDir, reproduce: o.reproduce,
  });
  emit({ type: 'range', commits: range.map(({ tree: _t, ...c }) => c) });

  const worktrees = await Worktrees.create(cache, repo.root, runId);
  const failed = new Map<string, CommitFailure>();
  const ready = new Set<string>();

  const prepareCommit = async (sha: string): Promise<string> => {
    const t0 = performance.now();
    emit({ type: 'phase', sha, phase: 'checkout' });
    const dir = await worktrees.checkout(sha);
    costOf(sha).checkout += (performance.now() - t0) / 1000;
    if (ready.has(sha) || !buildCommand) {
      ready.add(sha);
      return dir;
    }
    const prior = failed.get(sha);
    if (prior) throw prior;
    emit({ type: 'phase', sha, phase: 'build' });
    const logFile = join(runDir, 'logs', `${sha.slice(0, 12)}-build.log`);
    const b0 = performance.now();
    const r = await runShell(buildCommand, {
      cwd: dir, env: { ...baseEnv, PERFBISECT_COMMIT: sha }, logFile, signal, timeoutMs: o.buildTimeoutMs,
      onLine: (line) => emit({ type: 'output', sha, stage: 'build', line }),
    });
    if (signal.aborted) throw new Interrupted();
    const seconds = (performance.now() - b0) / 1000;
    cost.builds++;
    cost.buildSeconds += seconds;
    costOf(sha).build += seconds;
    const tail = (r.stdout + '\n' + r.stderr).trim().split('\n').slice(-15);
    emit({ type: 'build-end', sha, ok: r.exitCode === 0, seconds, log: logFile, cached: false, ...(r.exitCode ? { tail } : {}) });
    if (r.exitCode !== 0) {
      const f = new CommitFailure('build', r.timedOut ? `the build timed out` : `the build exited with code ${r.exitCode}`, logFile, tail);
      failed.set(sha, f);
      throw f;
    }
    ready.add(sha);
    return dir;
  };

  const contextFor = (sha: string, dir: string): ProbeContext => {
    const probeLog = join(runDir, 'logs', `${sha.slice(0, 12)}-probe.log`);
    const artifactsDir = join(runDir, 'artifacts', sha.slice(0, 12));
    const env = { ...baseEnv, PERFBISECT_COMMIT: sha };
    return probeContext({ cwd: dir, sha, env, signal, logFile: probeLog, artifactsDir, emit });
  };

  const ordinals = new Map<string, number>();
  const endpointError = (sha: string, f: CommitFailure): never => {
    const which = sha === good ? `--good ${o.good}` : sha === bad ? `--bad ${o.bad}` : `reference ${sha.slice(0, 12)}`;
    const what = f.stage === 'build' ? 'does not build' : 'cannot be measured';
    throw Object.assign(new UsageError(`${which} ${what}: ${f.message}. Fix the ${f.stage === 'build' ? 'build command' : 'probe'} or pick ${sha === good ? 'a --good' : 'a --bad'} where it works${f.logFile ? ` (log: ${f.logFile})` : ''}.`), { tail: f.logTail });
  };

  const measureBlock = async (target: string, refs: string[], rounds: number, purpose: 'endpoints' | 'verdict'): Promise<Record<string, number[]>> => {
    const commits = [...refs, target];
    const sig = `${target}|${refs.join(',')}`;
    const ordinal = ordinals.get(sig) ?? 0;
    ordinals.set(sig, ordinal + 1);
    const key = hashOf({
      v: 1, probe: o.probeDefinition, build: buildCommand ?? null, env: o.env ?? null, fp: fp.hash,
      target: meta.get(target)!.tree, refs: refs.map((r) => meta.get(r)!.tree), ordinal, rounds, warmup: o.warmup,
    });
    const stored = o.useCache ? store.get(key) : undefined;
    if (stored) {
      cost.cachedBlocks++;
      costOf(target).cached = true;
      emit({ type: 'measure-start', target, refs, rounds, purpose, cached: true });
      const out: Record<string, number[]> = {};
      for (const sha of commits) {
        out[sha] = stored.samples[meta.get(sha)!.tree] ?? [];
        const d = stored.details?.[meta.get(sha)!.tree] ?? [];
        out[sha].forEach((value, k) => emit({ type: 'sample', sha, value, ...(d[k] ? { details: d[k] } : {}) }));
        details.set(sha, [...(details.get(sha) ?? []), ...d]);
      }
      return out;
    }
    const dirs = new Map<string, string>();
    for (const sha of commits) dirs.set(sha, await prepareCommit(sha));
    const ctxs = new Map(commits.map((sha) => [sha, contextFor(sha, dirs.get(sha)!)]));
    emit({ type: 'measure-start', target, refs, rounds, purpose, cached: false });
    const out: Record<string, number[]> = {};
    const outDetails: Record<string, Record<string, number>[]> = {};
    const prepared: string[] = [];
    try {
      for (const sha of commits) {
        emit({ type: 'phase', sha, phase: 'measure' });
        await probe.prepare?.(ctxs.get(sha)!);
        prepared.push(sha);
      }
      const take = async (sha: string, keep: boolean) => {
        const t0 = performance.now();
        let s: Sample;
        try {
          s = await probe.sample(ctxs.get(sha)!);
        } finally {
          costOf(sha).measure += (performance.now() - t0) / 1000;
          cost.measureSeconds += (performance.now() - t0) / 1000;
        }
        if (signal.aborted) throw new Interrupted();
        cost.samples++;
        if (!keep) return;
        (out[sha] ??= []).push(s.value);
        (outDetails[sha] ??= []).push(s.details ?? {});
        emit({ type: 'sample', sha, value: s.value, ...(s.details ? { details: s.details } : {}) });
      };
      if (!probe.deterministic) for (let w = 0; w < o.warmup; w++) for (const sha of commits) await take(sha, false);
      for (let r = 0; r < rounds; r++) {
        for (const ref of refs) {
          await take(ref, true);
          await take(target, true);
        }
        if (refs.length === 0) await take(target, true);
      }
    } finally {
      for (const sha of prepared) await probe.teardown?.(ctxs.get(sha)!).catch(() => undefined);
    }
    for (const sha of commits) details.set(sha, [...(details.get(sha) ?? []), ...(outDetails[sha] ?? [])]);
    const byTree: Record<string, number[]> = {};
    const detailsByTree: Record<string, Record<string, number>[]> = {};
    for (const sha of commits) {
      byTree[meta.get(sha)!.tree] = out[sha] ?? [];
      detailsByTree[meta.get(sha)!.tree] = outDetails[sha] ?? [];
    }
    store.put({ key, samples: byTree, details: detailsByTree, time: new Date().toISOString() });
    return out;
  };

  try {
    let seenVerdicts = 0;
    let thresholdShown = false;
    for (;;) {
      if (signal.aborted) throw new Interrupted();
      const step = engine.next();
      if (step.type === 'done') break;
      try {
        const samples = await measureBlock(step.target, step.refs, step.rounds, step.purpose);
        engine.record(samples);
      } catch (e) {
        if (!(e instanceof CommitFailure)) throw e;
        const culpritSha = e.stage === 'build' ? [step.target, ...step.refs].find((s) => failed.has(s)) ?? step.target : step.target;
        if (step.purpose === 'verdict' && culpritSha === step.target) {
          emit({ type: 'skip', sha: step.target, reason: `${e.stage} failed: ${e.message}`, ...(e.logFile ? { log: e.logFile } : {}) });
          engine.skip(`${e.stage} failed: ${e.message}`);
        } else {
          endpointError(culpritSha, e);
        }
      }
      const t = engine.currentThreshold;
      if (!thresholdShown && t) {
        thresholdShown = true;
        emit({ type: 'threshold', value: t.value, source: t.source });
      }
      const vs = engine.verdictList;
      for (; seenVerdicts < vs.length; seenVerdicts++) if (vs[seenVerdicts].verdict !== 'skipped') emit({ type: 'verdict', verdict: vs[seenVerdicts] });
    }
    const outcome = (engine.next() as { type: 'done'; outcome: import('../bisect/engine.js').Outcome }).outcome;
    const files = new Map<string, { file: string; added: number; removed: number }[]>();
    for (const c of outcome.culprits) files.set(c.sha, await repo.changedFiles(meta.get(c.sha)?.parents[0] ?? c.before, c.sha));
    cost.wallSeconds = (performance.now() - started) / 1000;
    const exitCode = outcome.status === 'found' ? ExitCode.found : outcome.status === 'no-regression' ? ExitCode.noRegression : ExitCode.ambiguous;
    const result = buildResult({
      outcome, meta, files,
      samples: (s) => engine.samplesOf(s),
      summary: (s) => summarize(engine.samplesOf(s)),
      details: (s) => medianDetails(details.get(s)),
      probe: { name: o.probeName, kind: probe.kind, metric: probe.metric, deterministic: probe.deterministic },
      good: { ref: o.good, sha: good }, bad: { ref: o.bad, sha: bad },
      rangeSize: range.length, runId, runDir, reproduce: o.reproduce, cost,
    });
    const resultFile = join(runDir, 'result.json');
    const reportFile = join(runDir, 'writeup.md');
    writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
    // writeup.md with its SVG charts and writeup.html; --report gets its copy (HTML for .html).
    writeReport(runDir, result, { meta, samples: (s) => engine.samplesOf(s) }, o.reportFile);
    if (o.jsonFile) copyOut(resultFile, o.jsonFile);
    emit({ type: 'run-end', outcome, resultFile: o.jsonFile ? resolve(o.jsonFile) : resultFile, reportFile: o.reportFile ? resolve(o.reportFile) : reportFile, exitCode });
    return { exitCode, result };
  } catch (e) {
    if (e instanceof Interrupted || signal.aborted) {
      emit({ type: 'run-error', message: `interrupted; measured samples are kept: continue with perfbisect --resume ${runId}`, exitCode: ExitCode.interrupted });
      return { exitCode: ExitCode.interrupted };
    }
    const exitCode = e instanceof UsageError ? ExitCode.usage : ExitCode.environment;
    emit({ type: 'run-error', message: (e as Error).message, exitCode, ...((e as { tail?: string[] }).tail ? { tail: (e as { tail: string[] }).tail } : {}) });
    throw e;
  } finally {
    await o.probe.dispose?.().catch(() => undefined); // run-wide resources of the probe (a database server)
    if (!o.keepWorktrees) await worktrees.cleanup();
    unsubscribe();
    log.close();
  }
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

function copyOut(from: string, to: string): void {
  const dir = dirname(resolve(to));
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  copyFileSync(from, to);
}

/** Per-field medians of a commit's sample details (p50, p99, rps …) for the before/after table. */
export function medianDetails(list?: Record<string, number>[]): Record<string, number> | undefined {
  if (!list || list.length === 0 || Object.keys(list[0]).length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const k of Object.keys(list[0])) {
    const v = list.map((d) => d[k]).filter((x) => typeof x === 'number').sort((a, b) => a - b);
    if (v.length) out[k] = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
  return out;
}
