import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BisectEngine } from '../../bisect/engine.js';
import type { Outcome } from '../../bisect/outcome.js';
import { finishBisect, referenceFailure } from './finish-bisect.js';
import { ciBuildSource } from '../build/ci-artifacts.js';
import { runRounds } from '../fleet/rounds.js';
import { confidenceWithin, forecast, paceBeyondForecast, type Forecast } from '../../bisect/forecast.js';
import { oneStepForecast, rehearse } from '../../bisect/rehearsal.js';
import { busyNowText, steadierMetric } from '../../report/noise.js';
import { isLoaded, machineLoad } from '../process/machine-load.js';
import { CommitFailure, ExitCode, UsageError } from '../../errors.js';
import type { CommitMeta, EventStream, NoiseReport, RunEvent } from '../../events.js';
import { Replay } from '../measure/replay.js';
import { seededRng } from '../../stats/rng.js';
import { Repo } from '../git/git.js';
import { writePartial } from '../record/report-files.js';
import { Interrupted, interruptedMeanwhile, Measurer } from '../measure/measurer.js';
import { cacheRoot, runsDir } from '../store/paths.js';
import { RunLog } from '../record/run-log.js';
import type { BisectOptions, BisectRunResult } from './bisect-options.js';
import { checkDepRepoNames } from '../deps/repos.js';

/**
 * Drive the pure engine against real commits: check out, build, measure interleaved blocks,
 * emit every step as an event, and write the result and writeup. All effects of a bisect live here.
 */
export async function runBisect(
  options: BisectOptions,
  events: EventStream,
  signal: AbortSignal,
): Promise<BisectRunResult> {
  const started = performance.now();
  const repo = await Repo.open(options.repoDir);
  const recorded = options.resume?.events.find(
    (e): e is Extract<RunEvent, { type: 'run-start' }> => e.type === 'run-start',
  );
  const good = await repo.resolve(recorded?.good.sha ?? options.good, '--good');
  const bad = await repo.resolve(recorded?.bad.sha ?? options.bad, '--bad');
  if (good === bad)
    throw new UsageError(
      `--good ${options.good} and --bad ${options.bad} are the same commit (${good.slice(0, 12)}): give a good commit older than the bad one.`,
    );
  if (!(await repo.isAncestor(good, bad))) {
    if (await repo.isAncestor(bad, good)) {
      throw new UsageError(
        `--good ${options.good} is newer than --bad ${options.bad} (bad is an ancestor of good). Swap them: --good ${options.bad} --bad ${options.good}.`,
      );
    }
    const shallow = await repo.shallowHint();
    throw new UsageError(
      shallow
        ? `--good ${options.good} is not an ancestor of --bad ${options.bad} in the history this clone has.${shallow}`
        : `--good ${options.good} is not an ancestor of --bad ${options.bad}. Use their merge base as good: --good $(git merge-base ${options.good} ${options.bad}).`,
    );
  }
  await checkDepRepoNames(repo, [good, bad], Object.keys(options.depRepos ?? {}));
  const range = await repo.range(good, bad, options.firstParent);
  const goodMeta = await repo.meta(good);
  const meta = new Map<string, CommitMeta & { tree: string }>([
    [good, goodMeta],
    ...range.map((c) => [c.sha, c] as const),
  ]);

  const probe = options.probe;
  const engine = new BisectEngine(
    range.map((c) => ({ sha: c.sha, parents: c.parents })),
    { good, bad },
    {
      ...options.engine,
      better: probe.metric.better,
      deterministic: probe.deterministic,
      width: options.fleet?.runners ?? 1,
    },
    seededRng(options.seed ?? parseInt(bad.slice(0, 8), 16)),
    { firstParent: options.firstParent },
  );
  if (engine.samplesNeeded > options.engine.maxSamples) {
    throw new UsageError(
      `--max-samples ${options.engine.maxSamples} is too few to decide at --confidence ${options.engine.confidence} over ${range.length} commits: ` +
        `a rank test needs at least ${engine.samplesNeeded} samples a side. Raise --max-samples to ${engine.samplesNeeded} or lower --confidence.`,
    );
  }

  const cache = cacheRoot();
  const runId =
    options.runId ??
    `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${good.slice(0, 7)}-${bad.slice(0, 7)}`;
  const runDir = join(runsDir(), runId);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  writeFileSync(
    join(runDir, 'argv.json'),
    JSON.stringify({ argv: options.argv, cwd: process.cwd(), repo: repo.root }),
  );
  const logFile = join(runDir, 'events.jsonl');
  // A resumed run writes its log anew; the interrupted run's log stays in place until its blocks are replayed.
  const log = new RunLog(logFile, { hold: !!options.resume });
  const unsubscribe = events.subscribe((e) => log.write(e));

  const emit = (e: RunEvent) => events.emit(e);
  const replay =
    options.resume &&
    new Replay(options.resume.events, {
      warn: (message) => emit({ type: 'warning', message }),
      done: () => log.release(),
    });
  emit({
    type: 'run-start',
    runId,
    time: new Date().toISOString(),
    repo: repo.root,
    good: { ref: recorded?.good.ref ?? options.good, sha: good },
    bad: { ref: recorded?.bad.ref ?? options.bad, sha: bad },
    probe: { name: options.probeName, kind: probe.kind },
    metric: probe.metric,
    deterministic: probe.deterministic,
    rangeSize: range.length,
    runDir,
    reproduce: options.reproduce,
    ...(options.folder ? { folder: options.folder } : {}),
    ...(options.fleet ? { fleet: { runner: options.fleet.runner.name, runners: options.fleet.runners } } : {}),
    ...(replay ? { resumed: { blocks: replay.blocks } } : {}),
    ...(options.engine.oneStep ? { oneStep: true as const } : {}),
  });
  const { tree: _tree, ...goodCommit } = goodMeta;
  emit({ type: 'range', commits: range.map(({ tree: _t, ...c }) => c), good: goodCommit });
  // On a fleet the commands run in another environment, which this machine's says nothing about.
  const runEnv = { ...process.env, ...options.env };
  const cautions = options.fleet ? [] : (probe.cautions?.(runEnv, { profiling: options.profile !== false }) ?? []);
  for (const message of cautions) emit({ type: 'warning', message, note: true });

  const measurer = await Measurer.create({
    cache,
    repoRoot: repo.root,
    runId,
    runDir,
    meta,
    probe,
    probeDefinition: options.probeDefinition,
    build: options.build,
    folder: options.folder,
    env: options.env,
    warmup: options.warmup,
    useCache: options.useCache,
    buildTimeoutMs: options.buildTimeoutMs,
    signal,
    emit,
    hush: (on) => events.hush(on),
    fresh: options.fresh,
    install: options.install,
    jobs: options.jobs,
    fetchBuild: options.artifacts ? ciBuildSource(options.artifacts) : undefined,
    replay,
  });
  const { failed, worktrees } = measurer;
  const endpointError = (sha: string, f: CommitFailure): never => referenceFailure(options, { good, bad }, sha, f);

  try {
    let seenVerdicts = 0;
    let thresholdShown = false;
    let shownSearch = '';
    let noise: NoiseReport | undefined;
    let noiseReports = 0;
    let hurried = false;
    // The verdicts' pace is counted from the endpoints' decision (or the end of a resumed run's replay).
    let paceFrom: { at: number; verdicts: number } | undefined;
    let paceSaid: number | undefined;
    let busyNowSaid = false;
    let busyCheck: Promise<void> = Promise.resolve();
    const sayIfBusyNow = async () => {
      const load = await machineLoad();
      if (!isLoaded(load) || busyNowSaid || signal.aborted) return;
      busyNowSaid = true;
      emit({ type: 'warning', message: busyNowText(load, probe.metric.name, noise), note: true });
    };
    let wasReplaying = false;
    // --budget counts the minutes the interrupted run had been going too.
    const budgetStart = started - (replay?.minutes ?? 0) * 60_000;
    const hurry = () => {
      hurried = true;
      engine.hurry();
      emit({ type: 'out-of-time', minutes: options.budgetMinutes ?? 0 });
      emit({
        type: 'warning',
        message: `--budget ${options.budgetMinutes} min used up: the verdicts left end at their next look, inconclusive where they must (the writeup says which)`,
      });
    };
    const outOfTime = () => {
      if (hurried) return;
      // While the log is fed back, the budget ran out where the interrupted run says it did.
      if (replay?.replaying) {
        if (replay.outOfTime()) hurry();
        return;
      }
      if (options.budgetMinutes && (performance.now() - budgetStart) / 60_000 > options.budgetMinutes) hurry();
    };
    const progress = () => {
      const search = engine.progress();
      const t = engine.currentThreshold;
      const ends = engine.endpointsDecision;
      if (!thresholdShown && t && ends) {
        thresholdShown = true;
        emit({ type: 'endpoints', endpoints: ends });
        emit({ type: 'threshold', value: t.value, source: t.source });
      }
      const vs = engine.verdictList;
      const before = seenVerdicts;
      for (; seenVerdicts < vs.length; seenVerdicts++)
        if (vs[seenVerdicts].verdict !== 'skipped') emit({ type: 'verdict', verdict: vs[seenVerdicts] });
      // The block that ends a replay is the log's too: the pace starts after it. With --budget the
      // budget, not the pace, says when the run ends.
      const fromLog = wasReplaying || !!replay?.replaying;
      wasReplaying = !!replay?.replaying;
      if (ends && (!paceFrom || fromLog)) paceFrom = { at: performance.now(), verdicts: vs.length };
      else if (paceFrom && noise && seenVerdicts > before && !hurried && !options.budgetMinutes) {
        const pace = paceBeyondForecast({
          verdicts: vs.length - paceFrom.verdicts,
          seconds: (performance.now() - paceFrom.at) / 1000,
          verdictsLeft: search.verdictsLeft,
          forecastSeconds: noise.minutes * 60,
          forecastVerdicts: noise.verdicts,
          said: paceSaid,
        });
        if (pace) {
          paceSaid = pace.seconds + pace.secondsLeft;
          emit({ type: 'pace', pace });
          // Quiet at the endpoints: whether other work has started since is what explains the pace.
          if (!noise.loaded && !noise.replayed && !busyNowSaid) busyCheck = sayIfBusyNow().catch(() => undefined);
        }
      }
      const shown = JSON.stringify(search);
      if (shown !== shownSearch) {
        shownSearch = shown;
        emit({ type: 'search', progress: search });
      }
    };
    progress();
    // On a fleet: rounds of jobs, each on a machine of its own (src/harness/fleet/rounds.ts).
    const fleet =
      options.fleet &&
      (await runRounds({
        engine,
        runner: options.fleet.runner,
        runners: options.fleet.runners,
        measurer,
        meta,
        cache,
        repoRoot: repo.root,
        runId,
        runDir,
        emit,
        signal,
        plan: {
          probe: { name: options.probeName, definition: options.probeDefinition },
          build: options.build,
          install: options.install,
          env: options.env,
          warmup: options.warmup,
          buildTimeoutMs: options.buildTimeoutMs,
          fresh: options.fresh,
          useCache: options.useCache,
          artifacts: options.artifacts,
        },
        replay,
        referenceFailed: endpointError,
        afterRound: () => {
          progress();
          outOfTime();
        },
      }));
    for (;;) {
      if (fleet) break;
      if (signal.aborted) throw new Interrupted();
      outOfTime();
      const step = engine.next();
      if (step.type === 'done') break;
      measurer.ahead(step, engine.nextTargets());
      try {
        // At the endpoints any failure ends the run (endpointError below).
        const samples = await measurer.measureBlock(step.purpose === 'endpoints' ? { ...step, failureEndsRun: true } : step);
        engine.record(samples);
      } catch (e) {
        // A probe stopped by Ctrl-C fails like a crash: that is the interrupt, not the commit.
        if (await interruptedMeanwhile(signal)) throw new Interrupted();
        if (!(e instanceof CommitFailure)) throw e;
        const culpritSha =
          e.sha ??
          (e.preparing
            ? ([step.target, ...step.refs].find((s) => failed.has(s)) ?? step.target)
            : step.target);
        if (step.purpose === 'verdict' && culpritSha === step.target) {
          emit({
            type: 'skip',
            sha: step.target,
            reason: e.summary(),
            ...(e.logFile ? { log: e.logFile } : {}),
          });
          engine.skip(e.summary());
        } else {
          endpointError(culpritSha, e);
        }
      }
      if (step.purpose === 'endpoints' && noiseReports < 2) {
        // Said at the endpoints' first look, where a user can act on it early (--metric cpu), and again
        // when they are decided if further looks changed the noise or the step: the threshold rests on those.
        const input = engine.forecastInput(1, 0);
        const moved = (a: number, b: number, floor: number, by = 5) =>
          Math.abs(a - b) > Math.max(floor, Math.abs(b) / by);
        // The first look's few samples can also misjudge the noise's shape: the forecast is rehearsed again.
        const runsMoved = (said: number | undefined) => {
          const r = said !== undefined && engine.rehearsalInput();
          const runs = r ? rehearse(r)?.runs : undefined;
          return runs !== undefined && moved(runs, said!, 0, 3);
        };
        const changed =
          noise && input && engine.endpointsDecision &&
          (moved(input.cv, noise.cv, 0) || moved(input.delta, noise.delta, 0.02) || runsMoved(noise.runs));
        if (input && (!noise || changed)) {
          // Resumed: what the interrupted run said here (and, with --budget, the confidence it relaxed to).
          const said = replay?.noises[noiseReports];
          const elapsed = (performance.now() - budgetStart) / 60_000;
          noise = said ? { ...said, resumed: true } : (await noiseReport(
            engine, measurer, [good, bad], options.budgetMinutes, elapsed, options.engine.confidence,
          ));
          if (said?.budget) engine.relax(said.budget.confidence);
          noiseReports++;
          emit({ type: 'noise', noise });
        }
        if (engine.endpointsDecision) noiseReports = 2;
      }
      progress();
    }
    const outcome = (engine.next() as { type: 'done'; outcome: Outcome }).outcome;
    // The look at the machine ends before the run does: its note belongs before the run's end in the log.
    await busyCheck;
    return await finishBisect({
      options,
      outcome,
      repo,
      meta,
      measurer,
      runDir,
      good,
      bad,
      started,
      emit,
      signal,
      record: () => {
        replay?.finish();
        log.release();
        return RunLog.read(logFile);
      },
    });
  } catch (e) {
    if (e instanceof Interrupted || signal.aborted) {
      // What was decided so far, for the person who pressed q (the samples stay in the cache for --resume).
      const partial = writePartial(runDir, {
        runId,
        good: { ref: options.good, sha: good },
        bad: { ref: options.bad, sha: bad },
        probe: { name: options.probeName, kind: probe.kind, metric: probe.metric },
        threshold: engine.currentThreshold,
        verdicts: engine.verdictList,
        meta,
        samples: (s) => engine.samplesOf(s),
      });
      emit({
        type: 'run-error',
        message: `interrupted; measured samples are kept: continue with perfbisect --resume ${runId} (partial result: ${partial})`,
        exitCode: ExitCode.interrupted,
      });
      return { exitCode: ExitCode.interrupted };
    }
    const exitCode = e instanceof UsageError ? ExitCode.usage : ExitCode.environment;
    emit({
      type: 'run-error',
      message: (e as Error).message,
      exitCode,
      ...((e as { tail?: string[] }).tail ? { tail: (e as { tail: string[] }).tail } : {}),
    });
    throw e;
  } finally {
    await measurer.close();
    await options.probe.dispose?.().catch(() => undefined); // run-wide resources of the probe (a database server)
    if (!options.keepWorktrees) await worktrees.cleanup();
    unsubscribe();
    log.close();
  }
}

export { Interrupted };

/**
 * After the endpoints: the noise they showed, what it will cost (src/bisect/forecast.ts), how busy the
 * machine is, and, with --budget, the confidence that fits the time left (the engine is relaxed to it).
 */
async function noiseReport(
  engine: BisectEngine,
  measurer: Measurer,
  ends: string[],
  budget: number | undefined,
  elapsedMinutes: number,
  requested: number,
): Promise<NoiseReport> {
  // The machine is looked at while the forecast below is rehearsed: that work is perfbisect's own, which
  // the look leaves out, and the run waits for one window instead of two.
  const looked = machineLoad();
  const { cost } = measurer;
  const { secondsPerRun } = measurer;
  const built = ends.map((s) => cost.perCommit[s]?.build ?? 0);
  const input = engine.forecastInput(secondsPerRun, built.reduce((a, b) => a + b, 0) / ends.length)!;
  const { cpuCv, cpuShare } = measurer.cpuNoise(ends);
  const steadier = steadierMetric(input, measurer.alternatives, measurer.figures(ends[0], ends[1]));
  const asked = engine.currentConfidence;
  const rehearsal = engine.rehearsalInput();
  const priced = new Map<number, Forecast>();
  // Each level rehearses the rest of the bisect at that confidence (well under a second).
  const at = (c: number): Forecast => {
    const known = priced.get(c);
    if (known) return known;
    const rehearsed = rehearsal && rehearse({ ...rehearsal, options: { ...rehearsal.options, confidence: c } });
    const f = forecast({ ...input, alpha: (input.alpha * (1 - c)) / (1 - asked), rehearsed });
    priced.set(c, f);
    return f;
  };
  let f = at(asked);
  let budgetNote: NoiseReport['budget'];
  if (budget) {
    const fits = confidenceWithin(budget - elapsedMinutes, asked, at) ?? 0.5;
    if (fits < asked) engine.relax(fits);
    f = at(fits);
    // What the user asked for, not what an earlier report of this run had already relaxed the engine to.
    budgetNote = { minutes: budget, confidence: fits, asked: requested };
  }
  const oneStepMinutes = budget ? undefined : oneStepForecast(rehearsal, input, f.minutes);
  const load = await looked;
  // Endpoints replayed from the cache were measured by an earlier run: today's load says nothing about them.
  const replayed = !cost.samples;
  return {
    cv: input.cv,
    cpuCv,
    cpuShare,
    ...(steadier ? { steadier } : {}),
    samplesFor5pct: f.samplesFor5pct,
    samplesForThisStep: f.samplesForThisStep,
    maxSamples: input.maxSamples,
    delta: input.delta,
    minutes: f.minutes,
    verdicts: f.verdicts,
    ...(rehearsal ? { runs: Math.round(f.runsPerVerdict * f.verdicts) } : {}),
    cores: load.cores,
    load: load.load,
    busy: replayed ? [] : load.busy,
    ...(load.others !== undefined && !replayed ? { others: load.others } : {}),
    loaded: !replayed && isLoaded(load),
    ...(replayed ? { replayed } : {}),
    ...(budgetNote ? { budget: budgetNote } : {}),
    ...(oneStepMinutes !== undefined ? { oneStepMinutes } : {}),
    // After --budget relaxed the engine: the noise's bound depends on the confidence.
    ...(engine.minStepSource ? { minStep: minStepOf(engine) } : {}),
  };
}

/** The minimum further step the verdicts look for, what sets it, and whether verdicts go side first. */
function minStepOf(engine: BisectEngine): NonNullable<NoiseReport['minStep']> {
  const sideFirst = engine.sideFirst ? { sideFirst: true as const } : {};
  return { value: engine.minStep!, source: engine.minStepSource!, ...sideFirst };
}
