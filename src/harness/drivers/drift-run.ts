import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DriftCheck } from '../../drift/check.js';
import type { CandidateResult, DriftOutcome, DriftProgress, LocatedStep } from '../../drift/check.js';
import { changeId, creepId } from '../../drift/drift.js';
import { looksLikeDate, spreadPoints } from '../../drift/window.js';
import { CommitFailure, ExitCode, UsageError } from '../../errors.js';
import type { CommitMeta, EventStream, RunEvent } from '../../events.js';
import type { Probe } from '../../probes/types.js';
import { seededRng } from '../../stats/rng.js';
import { median, summarize } from '../../stats/summary.js';
import { driftNoiseLines } from '../../report/noise.js';
import { isLoaded, machineLoad } from '../process/machine-load.js';
import { candidateReason, renderDriftReport, renderSeriesSvg } from '../../report/drift.js';
import type { DriftCandidate, DriftChange } from '../../drift/types.js';
import type { DriftResult } from '../../report/drift.js';
import { fmtSignedPct as pct, short } from '../../report/format.js';
import type { DriftStore, StoreRecord } from '../store/drift-store.js';
import { hashOf } from '../store/fingerprint.js';
import { Repo } from '../git/git.js';
import { Interrupted, interruptedMeanwhile, Measurer } from '../measure/measurer.js';
import { cacheRoot, runsDir } from '../store/paths.js';
import { postWebhook } from '../notify/webhook.js';
import { webhookPayload } from '../../report/webhook.js';
import { RunLog } from '../record/run-log.js';

export interface DriftOptions {
  repoDir: string;
  branch: string;
  since?: string;
  points: number;
  store: DriftStore;
  probeName: string;
  probe: Probe;
  probeDefinition: unknown;
  build?: string;
  install?: string;
  env?: Record<string, string>;
  threshold: number;
  minSamples: number;
  maxSamples: number;
  confidence: number;
  warmup: number;
  useCache: boolean;
  jsonFile?: string;
  reportFile?: string;
  buildTimeoutMs?: number;
  /** POST the alert here when the check finds something (exit 5): src/report/webhook.ts. */
  webhook?: string;
}

type Meta = CommitMeta & { tree: string };

/**
 * The scheduled check: the pure DriftCheck (src/drift/check.ts) says what to measure (a spread of
 * the window against its start, points where the series moved, each candidate's two points side
 * by side, a bisect inside each confirmed step, the window's ends for creep), this measures it
 * through the one Measurer, then writes the result, the writeup and the store records.
 */
export async function runDrift(
  options: DriftOptions, events: EventStream, signal: AbortSignal,
): Promise<{ exitCode: number; result?: DriftResult }> {
  const emit = (e: RunEvent) => events.emit(e);
  const note = (message: string) => emit({ type: 'drift-note', message });
  const repo = await Repo.open(options.repoDir);
  const tip = await repo.resolve(options.branch, '--branch');
  const history = await options.store.load();
  const probeHash = hashOf(options.probeDefinition);
  const window = await selectWindow(repo, tip, options, history);
  if (!window) {
    note(`no new commits on ${options.branch} since the last check (${tip.slice(0, 10)}): nothing to measure`);
    return { exitCode: ExitCode.found };
  }
  const { start, commits } = window;
  const meta = new Map<string, Meta>(commits.map((c) => [c.sha, c]));
  const first = spreadPoints(commits.length, options.points).length;
  note(
    `window ${short(start)}..${short(tip)}: ${commits.length - 1} commits on ${options.branch}, measuring ${first} first`,
  );

  const cache = cacheRoot();
  const runId = `drift-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${tip.slice(0, 7)}-${process.pid}`;
  const runDir = join(runsDir(), runId);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const log = new RunLog(join(runDir, 'events.jsonl'));
  const unsubscribe = events.subscribe((e) => log.write(e));
  emit({ type: 'range', commits: commits.map(({ tree: _t, ...c }) => c) });
  const measurer = await Measurer.create({
    cache,
    repoRoot: repo.root,
    runId,
    runDir,
    meta,
    probe: options.probe,
    probeDefinition: options.probeDefinition,
    build: options.build,
    install: options.install,
    env: options.env,
    warmup: options.warmup,
    useCache: options.useCache,
    buildTimeoutMs: options.buildTimeoutMs,
    signal,
    emit,
  });
  const better = options.probe.metric.better;
  try {
    const check = new DriftCheck(
      commits.map((c) => ({ sha: c.sha, parents: c.parents })),
      {
        threshold: options.threshold,
        better,
        deterministic: !!options.probe.deterministic,
        minSamples: options.minSamples,
        maxSamples: options.maxSamples,
        confidence: options.confidence,
        points: options.points,
        extraPoints: options.points,
      },
      seededRng(parseInt(tip.slice(0, 8), 16)),
    );
    // What earlier checks stored (alerted on) or someone acknowledged is not alerted on again.
    const seen = new Set(history.flatMap((r) => {
      if (r.type === 'ack') return [r.id];
      return (r.type === 'change' || r.type === 'creep') && r.probe === options.probeName ? [r.id] : [];
    }));
    const acked = new Set(history.flatMap((r) => (r.type === 'ack' ? [r.id] : [])));
    const status = (id: string) => ({ known: seen.has(id), acked: acked.has(id) });
    const changes: DriftChange[] = [];
    const candidates: DriftCandidate[] = [];
    const decided = (c: CandidateResult) => {
      const located = c.steps.map((st) => locatedChange(c, st, meta, options.probeName, status));
      const candidate = driftCandidate(c, located.map((x) => x.id), options.threshold);
      candidates.push(candidate);
      emit({ type: 'drift-candidate', candidate });
      for (const change of located) {
        changes.push(change);
        emit({ type: 'drift-change', change });
      }
    };
    // Said once, at the first series; the load is sampled before measuring starts, so that the probe's
    // own processes are not counted as another tenant's.
    const load = await machineLoad();
    let noiseSaid = false;
    const sayNoise = (series: readonly { sha: string; samples: readonly number[] }[]) => {
      const spread = series.filter((x) => x.samples.length >= 3);
      if (options.probe.deterministic || spread.length < 2) return;
      noiseSaid = true;
      const cv = median(spread.map((x) => summarize(x.samples).cv));
      const cpu = measurer.cpuNoise(spread.map((x) => x.sha));
      const n = { cv, ...cpu, ...load, loaded: isLoaded(load), points: spread.length, threshold: options.threshold };
      for (const line of driftNoiseLines(n, options.probe.metric.name)) note(line);
    };
    const show = (p: DriftProgress) => {
      if (p.type === 'points-added') note(`the series moved: ${p.shas.length} more point(s) where it changed`);
      else if (p.type === 'series') {
        const points = p.series.map((x) => ({ sha: x.sha, value: x.value, n: x.samples.length, added: x.added }));
        emit({ type: 'drift-series', points });
        if (!noiseSaid) sayNoise(p.series);
        const spans = p.spans ? ` and ${p.spans} span(s) over a noisy point, each checked unless a confirmed step covers it` : '';
        note(`${p.candidates} candidate step(s)${spans}: re-measuring each one's two points side by side before bisecting it`);
      } else if (p.type === 'confirming') {
        const c = p.candidate;
        const between = `between ${short(p.from)} and ${short(p.to)} (${c.sources.join(', ')})`;
        note(`candidate ${c.kind} of ${pct(c.interval)} ${between}: confirming`);
      } else if (p.type === 'verdict') emit({ type: 'verdict', verdict: p.verdict });
      else if (p.type === 'candidate') decided(p.result);
    };
    const outcome = await measureCheck(check, measurer, start, signal, show, emit);
    const series = outcome.series;
    if (series.length < 2) {
      const window = `${short(start)}..${short(tip)}`;
      throw new UsageError(`no commit of the window ${window} but its start could be measured: see the skipped ones.`);
    }
    // In window order, whichever was confirmed first (spans are confirmed after the other candidates).
    const order = new Map(commits.map((c, i) => [c.sha, i]));
    changes.sort((a, b) => order.get(a.culprit ?? a.to)! - order.get(b.culprit ?? b.to)!);
    candidates.sort((a, b) => order.get(a.to)! - order.get(b.to)! || order.get(a.from)! - order.get(b.from)!);
    const creep = creepOf(outcome, { id: creepId(options.probeName, start, tip), commits: commits.length - 1, status });
    if (outcome.creep) {
      const left = pct(outcome.creep.unexplained);
      note(outcome.creep.found ? `creep: ${left} that the located steps do not explain` : `creep: none (${left} left)`);
    }
    const alerts = [
      ...changes.filter((c) => c.kind === 'regression' && !c.known).map((c) => c.id),
      ...(creep.drift && !creep.drift.known ? [creep.drift.id] : []),
    ];
    const exitCode = alerts.length ? ExitCode.driftFound : ExitCode.found;
    const result: DriftResult = {
      schemaVersion: 1,
      runId,
      probe: { name: options.probeName, kind: options.probe.kind, metric: options.probe.metric },
      branch: options.branch,
      window: { from: start, to: tip, commits: commits.length - 1 },
      threshold: options.threshold,
      fingerprint: measurer.fp,
      series: series.map((p) => ({
        sha: p.sha,
        subject: meta.get(p.sha)?.subject ?? '',
        date: meta.get(p.sha)?.date ?? '',
        value: p.value,
        n: p.samples.length,
        added: p.added,
      })),
      changes,
      candidates,
      drift: creep.drift,
      creepCheck: creep.check,
      alerts,
      exitCode,
      store: options.store.where,
      cost: measurer.cost,
    };
    const fingerprint = measurer.fp.hash;
    const records: StoreRecord[] = [
      {
        type: 'run',
        runId,
        probe: options.probeName,
        branch: options.branch,
        from: start,
        to: tip,
        fingerprint,
        probeHash,
        time: new Date().toISOString(),
      },
      ...series.map((p): StoreRecord => ({
        type: 'point',
        runId,
        probe: options.probeName,
        sha: p.sha,
        tree: meta.get(p.sha)!.tree,
        fingerprint,
        probeHash,
        samples: p.samples,
        value: p.value,
        date: meta.get(p.sha)!.date,
        subject: meta.get(p.sha)!.subject,
      })),
      ...changes.map((c): StoreRecord => ({
        type: 'change',
        runId,
        probe: options.probeName,
        id: c.id,
        from: c.from,
        to: c.to,
        culprit: c.culprit ?? undefined,
        change: c.change,
        kind: c.kind,
        confirmed: c.confirmed,
      })),
      ...(creep.drift ? [creepRecord(creep.drift, { runId, probe: options.probeName, from: start, to: tip })] : []),
    ];
    await options.store.add(runId, records);
    const svg = renderSeriesSvg(result.series, changes, options.probe.metric);
    // Named after the run, as a bisect's charts: reports of several checks in one folder keep their own.
    const svgFile = `series-${runId}.svg`;
    const report = renderDriftReport(result, { svgFile });
    writeFileSync(join(runDir, svgFile), svg);
    writeFileSync(join(runDir, 'result.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(runDir, 'writeup.md'), report);
    if (options.jsonFile) writeOut(options.jsonFile, JSON.stringify(result, null, 2) + '\n');
    if (options.reportFile) {
      writeOut(options.reportFile, report);
      writeOut(join(dirname(resolve(options.reportFile)), svgFile), svg);
    }
    if (process.env.GITHUB_STEP_SUMMARY)
      appendFileSync(process.env.GITHUB_STEP_SUMMARY, renderDriftReport(result, {}) + '\n');
    if (options.webhook && exitCode === ExitCode.driftFound) {
      const failed = await postWebhook(
        options.webhook,
        webhookPayload(result, options.reportFile ? resolve(options.reportFile) : join(runDir, 'writeup.md')),
      );
      if (failed) emit({ type: 'warning', message: `${failed}; the alert was not delivered (the result stands)` });
      else note('alert posted to the webhook');
    }
    emit({
      type: 'drift-end',
      exitCode,
      resultFile: options.jsonFile ? resolve(options.jsonFile) : join(runDir, 'result.json'),
      reportFile: options.reportFile ? resolve(options.reportFile) : join(runDir, 'writeup.md'),
    });
    return { exitCode, result };
  } catch (e) {
    if (e instanceof Interrupted || signal.aborted) {
      emit({
        type: 'run-error',
        message: 'interrupted; measured samples are kept in the sample cache',
        exitCode: ExitCode.interrupted,
      });
      return { exitCode: ExitCode.interrupted };
    }
    throw e;
  } finally {
    await measurer.close();
    await options.probe.dispose?.().catch(() => undefined); // run-wide resources of the probe (a database server)
    await measurer.worktrees.cleanup();
    unsubscribe();
    log.close();
  }
}

/** The window: from --since, else from the end of the last check of this probe on this branch, else 7 days. */
async function selectWindow(
  repo: Repo,
  tip: string,
  options: DriftOptions,
  history: StoreRecord[],
): Promise<{ start: string; commits: Meta[] } | undefined> {
  let start: string | undefined;
  if (options.since && !looksLikeDate(options.since)) start = await repo.resolve(options.since, '--since');
  else {
    const last = options.since
      ? undefined
      : history
          .filter(
            (r): r is Extract<StoreRecord, { type: 'run' }> =>
              r.type === 'run' && r.probe === options.probeName && r.branch === options.branch,
          )
          .pop();
    if (last && (await repo.isAncestor(last.to, tip).catch(() => false))) start = last.to;
    else {
      const since = options.since ?? '7 days ago';
      const inWindow = (await repo.raw(['rev-list', '--first-parent', `--since=${since}`, tip]))
        .trim()
        .split('\n')
        .filter(Boolean);
      if (inWindow.length === 0) return undefined;
      const oldest = inWindow[inWindow.length - 1];
      const parent = (await repo.meta(oldest)).parents[0];
      if (!parent && (await repo.shallowEdge()).has(oldest)) {
        throw new UsageError(
          `the drift window (since ${since}) reaches past the history of this clone, which ends at ` +
            `${oldest.slice(0, 10)}.${await repo.shallowHint()}`,
        );
      }
      start = parent ?? oldest;
    }
  }
  if (start === tip) return undefined;
  if (!(await repo.isAncestor(start, tip)))
    throw new UsageError(
      `--since ${options.since} is not an ancestor of --branch ${options.branch}: give a commit or date on that branch.`,
    );
  const range = await repo.range(start, tip, true);
  return { start, commits: [await repo.meta(start), ...range] };
}

/** Every block the pure check asks for, measured; a commit that fails is skipped, unless it is the window's start. */
async function measureCheck(
  check: DriftCheck, measurer: Measurer, start: string, signal: AbortSignal,
  show: (p: DriftProgress) => void, emit: (e: RunEvent) => void,
): Promise<DriftOutcome> {
  for (;;) {
    if (signal.aborted) throw new Interrupted();
    const step = check.next();
    check.drain().forEach(show);
    if (step.type === 'done') return step.outcome;
    measurer.ahead(step, check.nextTargets());
    try {
      check.record(await measurer.measureBlock(step));
    } catch (e) {
      // A probe stopped by Ctrl-C fails like a crash: that is the interrupt, not the commit.
      if (await interruptedMeanwhile(signal)) throw new Interrupted();
      if (!(e instanceof CommitFailure)) throw e;
      const sha = e.sha ?? step.target;
      if (sha === start) {
        throw new UsageError(
          `the window's start ${short(start)} ${e.consequence}: ${e.headline}: ${e.message}. Pick another with --since.`,
        );
      }
      const reason = e.summary();
      emit({ type: 'skip', sha, reason });
      check.skip(sha, reason);
    }
    check.drain().forEach(show);
  }
}

type Seen = { known: boolean; acked: boolean };

/** A located step as the result, the store and the alert show it. */
function locatedChange(
  c: CandidateResult, st: LocatedStep, meta: Map<string, Meta>, probe: string, status: (id: string) => Seen,
): DriftChange {
  const id = changeId(probe, st.culprit);
  return {
    id, from: c.from, to: c.to, culprit: st.culprit, subject: meta.get(st.culprit)?.subject ?? '', kind: st.kind,
    change: st.change, confirmed: true, ...status(id), before: st.before, after: st.after, p: st.p,
  };
}

type CreepFound = NonNullable<DriftResult['drift']>;

function creepRecord(d: CreepFound, options: { runId: string; probe: string; from: string; to: string }): StoreRecord {
  return { type: 'creep', ...options, id: d.id, total: d.total, unexplained: d.unexplained };
}

/** The creep the result shows: found (with its id, for the store and the alert), and the check's figures either way. */
function creepOf(
  outcome: DriftOutcome, options: { id: string; commits: number; status: (id: string) => Seen },
): { drift: DriftResult['drift']; check: DriftResult['creepCheck'] } {
  const creep = outcome.creep;
  if (!creep) return { drift: null, check: null };
  const f = creep.confirmation;
  const figures = { lo: f.lo, hi: f.hi, p: f.p };
  const check = {
    verdict: f.verdict, total: creep.total, unexplained: creep.unexplained, ...figures, alpha: f.alpha, n: f.n,
  };
  if (!creep.found) return { drift: null, check };
  const sha = (i: number) => outcome.series[i].sha;
  const drift = {
    id: options.id, total: creep.total, unexplained: creep.unexplained, ...figures, commits: options.commits,
    largestStep: creep.largestInterval, ...options.status(options.id),
    contributors: creep.contributors.map((x) => ({ from: sha(x.from), to: sha(x.to), change: x.worse })),
  };
  return { drift, check };
}

/** A candidate as the JSON result shows it: changes oriented + = worse in the metric's own direction. */
function driftCandidate(c: CandidateResult, steps: string[], threshold: number): DriftCandidate {
  // The check measured an improvement with the direction flipped.
  const sign = c.kind === 'improvement' ? -1 : 1;
  const f = c.confirmation;
  const [lo, hi] = f ? (sign > 0 ? [f.lo, f.hi] : [-f.hi, -f.lo]) : [0, 0];
  const confirmation: DriftCandidate['confirmation'] = f
    ? { verdict: f.verdict, change: sign * f.worse, lo, hi, p: f.p, alpha: f.alpha, n: f.n }
    : null;
  if (confirmation && f?.opposite) confirmation.opposite = true;
  const largest = c.bisect?.largest;
  const bisect = c.bisect && {
    status: c.bisect.status, commits: c.bisect.commits,
    largest: largest ? { culprit: largest.culprit, change: largest.change, p: largest.p } : null,
  };
  const base = {
    from: c.from, to: c.to, kind: c.kind, interval: c.interval, sources: c.sources, split: c.split ?? null,
    status: c.status, rejectedBy: c.rejectedBy ?? null, confirmation, bisect: bisect ?? null,
  };
  const reason = c.failure ? `a measurement failed: ${c.failure}` : candidateReason(base, threshold);
  return { ...base, steps, reason };
}

function writeOut(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}
