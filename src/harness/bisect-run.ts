import { mkdirSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BisectEngine, type EngineOptions } from '../bisect/engine.js';
import { confidenceWithin, forecast } from '../bisect/forecast.js';
import { isLoaded, machineLoad } from './machine-load.js';
import { CommitFailure, EnvironmentError, ExitCode, UsageError } from '../errors.js';
import type { CommitMeta, EventStream, NoiseReport, RunEvent } from '../events.js';
import type { Probe } from '../probes/types.js';
import { buildResult, type RunResult } from '../report/result.js';
import { seededRng } from '../stats/rng.js';
import { median, summarize } from '../stats/summary.js';
import { collectEvidence } from './evidence-run.js';
import { Repo } from './git.js';
import { writePartial, writeReport } from './report-files.js';
import { Interrupted, Measurer } from './measurer.js';
import { costOf, finishCost, flagIdenticalBuilds, preparationCounted } from './prepare.js';
import { EvidenceStore } from './evidence-store.js';
import { hashOf } from './fingerprint.js';
import { cacheRoot } from './paths.js';
import { RunLog } from './run-log.js';
import { readProbeArtifacts } from './probe-evidence.js';
import { descend } from './dep-descent.js';
import { checkDepRepoNames } from './dep-repos.js';
import { hasProbeEvidence } from '../report/evidence/probe.js';

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
  warmup: number | 'auto';
  useCache: boolean;
  seed?: number;
  reproduce: string;
  /** The argv that started this run, saved so `--resume` can run it again. */
  argv: string[];
  jsonFile?: string;
  reportFile?: string;
  buildTimeoutMs?: number;
  runId?: string;
  /** Profile each culprit against its parent for the evidence (default on; --no-profile turns it off). */
  profile?: boolean;
  /** Issue 10: a new worktree per commit (--fresh), the install command or 'auto', builds beside measurement (--jobs). */
  fresh?: boolean;
  install?: string;
  jobs?: number;
  /** --budget: minutes the run may take; certainty is traded for time to fit (src/bisect/forecast.ts). */
  budgetMinutes?: number;
  /** Descend into a culprit's lockfile change (default on; --no-deps turns it off). */
  deps?: boolean;
  /** --dep-repo: package name → repository (local path or URL), for the commit level. */
  depRepos?: Record<string, string>;
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
  await checkDepRepoNames(repo, [good, bad], Object.keys(o.depRepos ?? {}));
  const range = await repo.range(good, bad, o.firstParent);
  const goodMeta = await repo.meta(good);
  const meta = new Map<string, CommitMeta & { tree: string }>([[good, goodMeta], ...range.map((c) => [c.sha, c] as const)]);

  const probe = o.probe;
  const engine = new BisectEngine(
    range.map((c) => ({ sha: c.sha, parents: c.parents })),
    { good, bad },
    { ...o.engine, better: probe.metric.better, deterministic: probe.deterministic },
    seededRng(o.seed ?? parseInt(bad.slice(0, 8), 16)),
    { firstParent: o.firstParent },
  );
  if (engine.samplesNeeded > o.engine.maxSamples) {
    throw new UsageError(
      `--max-samples ${o.engine.maxSamples} is too few to decide at --confidence ${o.engine.confidence} over ${range.length} commits: ` +
        `a rank test needs at least ${engine.samplesNeeded} samples a side. Raise --max-samples to ${engine.samplesNeeded} or lower --confidence.`,
    );
  }

  const cache = cacheRoot();
  const runId = o.runId ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${good.slice(0, 7)}-${bad.slice(0, 7)}`;
  const runDir = join(cache, 'runs', runId);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  writeFileSync(join(runDir, 'argv.json'), JSON.stringify({ argv: o.argv, cwd: process.cwd(), repo: repo.root }));
  const log = new RunLog(join(runDir, 'events.jsonl'));
  const unsubscribe = events.subscribe((e) => log.write(e));

  const emit = (e: RunEvent) => events.emit(e);
  emit({
    type: 'run-start', runId, time: new Date().toISOString(), repo: repo.root,
    good: { ref: o.good, sha: good }, bad: { ref: o.bad, sha: bad },
    probe: { name: o.probeName, kind: probe.kind }, metric: probe.metric, deterministic: probe.deterministic,
    rangeSize: range.length, runDir, reproduce: o.reproduce,
  });
  emit({ type: 'range', commits: range.map(({ tree: _t, ...c }) => c) });

  const measurer = await Measurer.create({
    cache, repoRoot: repo.root, runId, runDir, meta, probe, probeDefinition: o.probeDefinition, build: o.build, env: o.env,
    warmup: o.warmup, useCache: o.useCache, buildTimeoutMs: o.buildTimeoutMs, signal, emit, hush: (on) => events.hush(on),
    fresh: o.fresh, install: o.install, jobs: o.jobs,
  });
  const { cost, details, failed, worktrees } = measurer;
  const endpointError = (sha: string, f: CommitFailure): never => {
    const which = sha === good ? `--good ${o.good}` : sha === bad ? `--bad ${o.bad}` : `reference ${sha.slice(0, 12)}`;
    const what = f.stage === 'build' ? 'does not build' : 'cannot be measured';
    const fix = f.kind === 'too slow' ? `Raise the ${f.stage === 'build' ? '--build-timeout' : "probe's timeout"}` : `Fix the ${f.stage === 'build' ? 'build command' : 'probe'}`;
    throw Object.assign(new UsageError(`${which} ${what}: ${f.headline}: ${f.message}. ${fix} or pick ${sha === good ? 'a --good' : 'a --bad'} where it works${f.logFile ? ` (log: ${f.logFile})` : ''}.`), { tail: f.logTail });
  };

  try {
    let seenVerdicts = 0;
    let thresholdShown = false;
    let noise: NoiseReport | undefined;
    let hurried = false;
    for (;;) {
      if (signal.aborted) throw new Interrupted();
      if (o.budgetMinutes && !hurried && (performance.now() - started) / 60_000 > o.budgetMinutes) {
        hurried = true;
        engine.hurry();
        emit({ type: 'warning', message: `--budget ${o.budgetMinutes} min used up: the verdicts left end at their next look, inconclusive where they must (the writeup says which)` });
      }
      const step = engine.next();
      if (step.type === 'done') break;
      measurer.ahead(step, engine.nextTargets());
      try {
        const samples = await measurer.measureBlock(step);
        engine.record(samples);
      } catch (e) {
        if (!(e instanceof CommitFailure)) throw e;
        const culpritSha = e.sha ?? (e.stage === 'build' ? [step.target, ...step.refs].find((s) => failed.has(s)) ?? step.target : step.target);
        if (step.purpose === 'verdict' && culpritSha === step.target) {
          emit({ type: 'skip', sha: step.target, reason: `${e.headline}: ${e.message}`, ...(e.logFile ? { log: e.logFile } : {}) });
          engine.skip(`${e.headline}: ${e.message}`);
        } else {
          endpointError(culpritSha, e);
        }
      }
      const t = engine.currentThreshold;
      if (!thresholdShown && t) {
        thresholdShown = true;
        emit({ type: 'threshold', value: t.value, source: t.source });
      }
      if (!noise && step.purpose === 'endpoints' && engine.forecastInput(1, 0)) {
        noise = await noiseReport(engine, measurer, [good, bad], o.budgetMinutes, (performance.now() - started) / 60_000);
        emit({ type: 'noise', noise });
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
      censored: { count: (s) => measurer.censored.get(s) ?? 0, at: measurer.censoredAt },
      probe: { name: o.probeName, kind: probe.kind, metric: probe.metric, deterministic: probe.deterministic },
      good: { ref: o.good, sha: good }, bad: { ref: o.bad, sha: bad },
      rangeSize: range.length, runId, runDir, reproduce: o.reproduce, cost, noise,
    });
    flagIdenticalBuilds(result, measurer.preparer.outputHashes);
    // A culprit that changed a lockfile: which package, which version, which commit (docs/dependencies.md).
    if (o.deps !== false && outcome.status === 'found') {
      for (const c of result.culprits) {
        try {
          const d = await descend({ sha: c.sha, parent: c.parent, date: c.date, files: c.files.map((f) => f.file) }, {
            measurer, meta, mirror: worktrees.mirror, cache, signal, emit,
            engine: { ...o.engine, better: probe.metric.better, deterministic: probe.deterministic },
            seed: o.seed ?? parseInt(bad.slice(0, 8), 16),
            env: { ...(process.env as Record<string, string>), ...o.env },
            depRepos: o.depRepos ?? {}, scratch: join(worktrees.dir, `deps-${c.sha.slice(0, 12)}`),
          });
          if (d) Object.assign(c, { descent: d.descent }, d.dependency ? { dependency: d.dependency } : {});
        } catch (e) {
          if (e instanceof Interrupted || signal.aborted) throw e;
          // The descent only adds to the result: the commit-level verdict and exit code stand.
          const message = `the descent into the dependency change failed: ${(e as Error).message.split('\n')[0]}`;
          emit({ type: 'warning', message });
          const lockfile = c.files.map((f) => f.file).find((f) => /lock|shrinkwrap/.test(f)) ?? '';
          c.descent = { lockfile, changes: [], groups: 0, levels: [], stopped: message };
        }
      }
    }
    // Evidence at the culprit (docs/evidence.md): profile parent and culprit, diff, tie to the change.
    if (o.profile !== false && outcome.culprits.length) {
      const p0 = performance.now();
      const prepared = preparationCounted(cost);
      const evidenceStore = new EvidenceStore(join(cache, 'evidence'));
      const tree = async (sha: string) => (await repo.raw(['rev-parse', `${sha}^{tree}`])).trim();
      const key = async (c: { sha: string; parent: string }) => hashOf({
        v: 1, probe: o.probeDefinition, build: measurer.buildCommand ?? null, env: o.env ?? null, fp: measurer.fp.hash,
        culprit: await tree(c.sha), parent: await tree(c.parent),
      });
      const keys = new Map<string, string>();
      let profiled = 0;
      for (const c of result.culprits) keys.set(c.sha, await key(c));
      result.evidence = await collectEvidence({
        culprits: result.culprits.map((c) => ({ sha: c.sha, parent: c.parent })),
        probe, prepare: (s) => measurer.prepareCommit(s), repo, runDir, env: o.env, signal, emit,
        store: {
          // --no-cache profiles again, as it measures again.
          get: (c, dir) => {
            const hit = o.useCache ? evidenceStore.get(keys.get(c.sha)!, dir) : undefined;
            if (hit) costOf(cost, c.sha).saved += hit.seconds;
            else profiled++;
            return hit?.evidence;
          },
          put: (c, ev, seconds) => evidenceStore.put(keys.get(c.sha)!, ev, seconds),
        },
      });
      // Profiling is its own line of the cost: its wall time, less the builds it needed (counted as builds).
      const spent = (performance.now() - p0) / 1000 - (preparationCounted(cost) - prepared);
      if (profiled) cost.profileSeconds = Math.max(0, spent);
    }
    await measurer.close();
    finishCost(cost, (performance.now() - started) / 1000, measurer.prepareOverlap);
    const resultFile = join(runDir, 'result.json');
    const reportFile = join(runDir, 'writeup.md');
    writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
    // writeup.md with its SVG charts and writeup.html; --report gets its copy (HTML for .html).
    const probeEvidence = result.culprits
      .map((c) => ({ culprit: c.sha, baseline: c.baseline, before: readProbeArtifacts(runDir, c.baseline), after: readProbeArtifacts(runDir, c.sha) }))
      .filter((p) => hasProbeEvidence(p.after));
    writeReport(runDir, result, { meta, samples: (s) => engine.samplesOf(s), probeEvidence }, o.reportFile);
    if (o.jsonFile) copyOut(resultFile, o.jsonFile);
    emit({ type: 'run-end', outcome, resultFile: o.jsonFile ? resolve(o.jsonFile) : resultFile, reportFile: o.reportFile ? resolve(o.reportFile) : reportFile, exitCode });
    return { exitCode, result };
  } catch (e) {
    if (e instanceof Interrupted || signal.aborted) {
      // What was decided so far, for the person who pressed q (the samples stay in the cache for --resume).
      const partial = writePartial(runDir, {
        runId, good: { ref: o.good, sha: good }, bad: { ref: o.bad, sha: bad }, probe: { name: o.probeName, kind: probe.kind, metric: probe.metric },
        threshold: engine.currentThreshold, verdicts: engine.verdictList, meta, samples: (s) => engine.samplesOf(s),
      });
      emit({ type: 'run-error', message: `interrupted; measured samples are kept: continue with perfbisect --resume ${runId} (partial result: ${partial})`, exitCode: ExitCode.interrupted });
      return { exitCode: ExitCode.interrupted };
    }
    const exitCode = e instanceof UsageError ? ExitCode.usage : ExitCode.environment;
    emit({ type: 'run-error', message: (e as Error).message, exitCode, ...((e as { tail?: string[] }).tail ? { tail: (e as { tail: string[] }).tail } : {}) });
    throw e;
  } finally {
    await measurer.close();
    await o.probe.dispose?.().catch(() => undefined); // run-wide resources of the probe (a database server)
    if (!o.keepWorktrees) await worktrees.cleanup();
    unsubscribe();
    log.close();
  }
}

export { Interrupted };

/**
 * After the endpoints: the noise they showed, what it will cost (src/bisect/forecast.ts), how busy the
 * machine is, and, with --budget, the confidence that fits the time left (the engine is relaxed to it).
 */
async function noiseReport(engine: BisectEngine, measurer: Measurer, ends: string[], budget: number | undefined, elapsedMinutes: number): Promise<NoiseReport> {
  const { cost, details } = measurer;
  const secondsPerRun = cost.samples ? cost.measureSeconds / cost.samples : 0;
  const built = ends.map((s) => cost.perCommit[s]?.build ?? 0);
  const input = engine.forecastInput(secondsPerRun, built.reduce((a, b) => a + b, 0) / ends.length)!;
  const cpu = ends.map((s) => (details.get(s) ?? []).map((d) => d.cpu).filter((v): v is number => typeof v === 'number'));
  const withCpu = cpu.every((v) => v.length >= 3);
  const cpuCv = withCpu ? cpu.reduce((a, v) => a + summarize(v).cv, 0) / cpu.length : undefined;
  const wall = ends.map((s) => (details.get(s) ?? []).map((d) => d.wall).filter((v): v is number => typeof v === 'number'));
  const cpuShare = withCpu && wall.every((v) => v.length) ? median(cpu.flat()) / median(wall.flat()) : undefined;
  let f = forecast(input);
  let budgetNote: NoiseReport['budget'];
  if (budget) {
    const asked = engine.currentConfidence;
    const at = (c: number) => forecast({ ...input, alpha: (input.alpha * (1 - c)) / (1 - asked) });
    const fits = confidenceWithin(budget - elapsedMinutes, asked, at) ?? 0.5;
    if (fits < asked) engine.relax(fits);
    f = at(fits);
    budgetNote = { minutes: budget, confidence: fits, asked };
  }
  const load = await machineLoad();
  return {
    cv: input.cv, cpuCv, cpuShare, samplesFor5pct: f.samplesFor5pct, samplesForThisStep: f.samplesForThisStep, delta: input.delta,
    minutes: f.minutes, verdicts: input.verdicts, cores: load.cores, load: load.load, busy: load.busy, loaded: isLoaded(load),
    ...(budgetNote ? { budget: budgetNote } : {}),
  };
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
    const v = list.map((d) => d[k]).filter((x) => typeof x === 'number');
    if (v.length) out[k] = median(v);
  }
  return out;
}
