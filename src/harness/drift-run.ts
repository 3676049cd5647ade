import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { alternating } from '../bisect/schedule.js';
import { dirname, join, resolve } from 'node:path';
import { BisectEngine } from '../bisect/engine.js';
import { changePoints, defaultChangePointOptions, type SeriesPoint } from '../drift/changepoints.js';
import { changeId, gradualDrift } from '../drift/drift.js';
import { looksLikeDate, spreadPoints } from '../drift/window.js';
import { CommitFailure, ExitCode, UsageError } from '../errors.js';
import type { CommitMeta, EventStream, RunEvent } from '../events.js';
import type { Probe } from '../probes/types.js';
import type { Better } from '../stats/compare.js';
import { seededRng } from '../stats/rng.js';
import { median } from '../stats/summary.js';
import { renderDriftReport, renderSeriesSvg, type DriftResult, type DriftChange } from '../report/drift.js';
import type { DriftStore, StoreRecord } from './drift-store.js';
import { hashOf } from './fingerprint.js';
import { Repo } from './git.js';
import { Interrupted, Measurer } from './measurer.js';
import { cacheRoot } from './paths.js';
import { postWebhook } from './webhook.js';
import { webhookPayload } from '../report/webhook.js';
import { RunLog } from './run-log.js';

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
const flip = (b: Better): Better => (b === 'lower' ? 'higher' : 'lower');

/**
 * The scheduled check: measure a spread of the window's first-parent commits against its start
 * (re-measured here, on this machine), find the steps, confirm and bisect each with the bisect
 * engine, call out gradual drift, and append the run to the store.
 */
export async function runDrift(o: DriftOptions, events: EventStream, signal: AbortSignal): Promise<{ exitCode: number; result?: DriftResult }> {
  const emit = (e: RunEvent) => events.emit(e);
  const note = (message: string) => emit({ type: 'drift-note', message });
  const repo = await Repo.open(o.repoDir);
  const tip = await repo.resolve(o.branch, '--branch');
  const history = await o.store.load();
  const probeHash = hashOf(o.probeDefinition);
  const window = await selectWindow(repo, tip, o, history);
  if (!window) {
    note(`no new commits on ${o.branch} since the last check (${tip.slice(0, 10)}): nothing to measure`);
    return { exitCode: ExitCode.found };
  }
  const { start, commits } = window;
  const meta = new Map<string, Meta>(commits.map((c) => [c.sha, c]));
  const idx = spreadPoints(commits.length, o.points);
  const pts = idx.map((i) => commits[i].sha);
  note(`window ${start.slice(0, 10)}..${tip.slice(0, 10)}: ${commits.length - 1} commits on ${o.branch}, measuring ${pts.length} of them`);

  const cache = cacheRoot();
  const runId = `drift-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${tip.slice(0, 7)}-${process.pid}`;
  const runDir = join(cache, 'runs', runId);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const log = new RunLog(join(runDir, 'events.jsonl'));
  const unsubscribe = events.subscribe((e) => log.write(e));
  emit({ type: 'range', commits: commits.map(({ tree: _t, ...c }) => c) });
  const measurer = await Measurer.create({
    cache, repoRoot: repo.root, runId, runDir, meta, probe: o.probe, probeDefinition: o.probeDefinition, build: o.build, install: o.install, env: o.env,
    warmup: o.warmup, useCache: o.useCache, buildTimeoutMs: o.buildTimeoutMs, signal, emit,
  });
  const better = o.probe.metric.better;
  try {
    // Series: every point interleaved with the baseline, and scaled by the baseline of its own
    // block, so the machine getting slower during the run does not read as a trend.
    const base = pts[0];
    const baseAll: number[] = [];
    const series: SeriesPoint[] = [];
    const raw = new Map<string, number[]>();
    const blockBase = new Map<string, number[]>();
    for (const sha of pts.slice(1)) {
      if (signal.aborted) throw new Interrupted();
      let s: Record<string, number[]>;
      try {
        s = await measurer.measureBlock({ target: sha, refs: [base], order: alternating(sha, [base], o.minSamples), rounds: o.minSamples, purpose: 'verdict' });
      } catch (e) {
        if (!(e instanceof CommitFailure)) throw e;
        if (sha === base || measurer.failed.has(base)) throw new UsageError(`the window's start ${base.slice(0, 10)} ${e.stage === 'build' ? 'does not build' : 'cannot be measured'}: ${e.headline}: ${e.message}. Pick another start with --since.`);
        emit({ type: 'skip', sha, reason: `${e.headline}: ${e.message}` });
        continue;
      }
      const b = s[base] ?? [];
      baseAll.push(...b);
      raw.set(sha, s[sha] ?? []);
      blockBase.set(sha, b);
    }
    const baseMedian = median(baseAll);
    series.push({ sha: base, samples: baseAll });
    for (const sha of pts.slice(1)) {
      const v = raw.get(sha);
      if (!v) continue;
      const scale = baseMedian / (median(blockBase.get(sha)!) || baseMedian || 1);
      series.push({ sha, samples: v.map((x) => x * scale) });
    }
    const values = series.map((p) => median(p.samples));
    emit({ type: 'drift-series', points: series.map((p, i) => ({ sha: p.sha, value: values[i], n: p.samples.length })) });

    const cps = changePoints(series, { ...defaultChangePointOptions, better, minMagnitude: o.threshold });
    const known = new Set(history.flatMap((r) => (r.type === 'change' && r.probe === o.probeName && r.culprit ? [r.id] : r.type === 'ack' ? [r.id] : [])));
    const acked = new Set(history.flatMap((r) => (r.type === 'ack' ? [r.id] : [])));
    const changes: DriftChange[] = [];
    for (const cp of cps) {
      const from = series[cp.index - 1].sha;
      const to = series[cp.index].sha;
      note(`step ${cp.kind} of ${(cp.worse * 100).toFixed(1)}% between ${from.slice(0, 10)} and ${to.slice(0, 10)}: confirming, then bisecting`);
      const found = await bisectStep(repo, measurer, meta, from, to, cp.kind === 'improvement' ? flip(better) : better, o, signal, emit);
      const id = found.culprit ? changeId(o.probeName, found.culprit) : changeId(o.probeName, `${from.slice(0, 6)}-${to.slice(0, 6)}`);
      const change: DriftChange = {
        id, from, to, culprit: found.culprit ?? null, kind: cp.kind,
        change: cp.kind === 'improvement' ? -found.worse : found.worse,
        confirmed: found.confirmed, known: known.has(id), acked: acked.has(id),
        subject: found.culprit ? meta.get(found.culprit)?.subject ?? '' : '',
        before: found.before, after: found.after, p: found.p,
      };
      changes.push(change);
      emit({ type: 'drift-change', change });
    }
    // The bisect's culprit-vs-parent change, not the series' segment means: a segment that holds
    // creep would make its step look larger and hide the drift.
    const confirmedSteps = cps.flatMap((cp, i) => (changes[i].confirmed ? [{ ...cp, worse: changes[i].change }] : []));
    const drift = gradualDrift(values, confirmedSteps, { threshold: o.threshold, better, commits: commits.length - 1 });
    const driftOut = drift && {
      total: drift.total, unexplained: drift.unexplained, commits: drift.commits, largestStep: drift.largestStep,
      contributors: drift.contributors.map((c) => ({ from: series[c.from].sha, to: series[c.to].sha, change: c.worse })),
    };
    const alerts = changes.filter((c) => c.confirmed && c.kind === 'regression' && !c.known && !c.acked);
    const exitCode = alerts.length || driftOut ? ExitCode.driftFound : ExitCode.found;
    const result: DriftResult = {
      schemaVersion: 1, runId, probe: { name: o.probeName, kind: o.probe.kind, metric: o.probe.metric }, branch: o.branch,
      window: { from: start, to: tip, commits: commits.length - 1 }, threshold: o.threshold, fingerprint: measurer.fp,
      series: series.map((p, i) => ({ sha: p.sha, subject: meta.get(p.sha)?.subject ?? '', date: meta.get(p.sha)?.date ?? '', value: values[i], n: p.samples.length })),
      changes, drift: driftOut ?? null, alerts: alerts.map((c) => c.id), exitCode, store: o.store.where, cost: measurer.cost,
    };
    const records: StoreRecord[] = [
      { type: 'run', runId, probe: o.probeName, branch: o.branch, from: start, to: tip, fingerprint: measurer.fp.hash, probeHash, time: new Date().toISOString() },
      ...series.map((p, i): StoreRecord => ({
        type: 'point', runId, probe: o.probeName, sha: p.sha, tree: meta.get(p.sha)!.tree, fingerprint: measurer.fp.hash, probeHash,
        samples: p.samples, value: values[i], date: meta.get(p.sha)!.date, subject: meta.get(p.sha)!.subject,
      })),
      ...changes.map((c): StoreRecord => ({ type: 'change', runId, probe: o.probeName, id: c.id, from: c.from, to: c.to, culprit: c.culprit ?? undefined, change: c.change, kind: c.kind, confirmed: c.confirmed })),
    ];
    await o.store.add(runId, records);
    const svg = renderSeriesSvg(result.series, changes, o.probe.metric);
    const report = renderDriftReport(result, { svgFile: 'series.svg' });
    writeFileSync(join(runDir, 'series.svg'), svg);
    writeFileSync(join(runDir, 'result.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(runDir, 'writeup.md'), report);
    if (o.jsonFile) writeOut(o.jsonFile, JSON.stringify(result, null, 2) + '\n');
    if (o.reportFile) {
      writeOut(o.reportFile, renderDriftReport(result, { svgFile: 'series.svg' }));
      writeOut(join(dirname(resolve(o.reportFile)), 'series.svg'), svg);
    }
    if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, renderDriftReport(result, {}) + '\n');
    if (o.webhook && exitCode === ExitCode.driftFound) {
      const failed = await postWebhook(o.webhook, webhookPayload(result, o.reportFile ? resolve(o.reportFile) : join(runDir, 'writeup.md')));
      if (failed) emit({ type: 'warning', message: `${failed}; the alert was not delivered (the result stands)` });
      else note('alert posted to the webhook');
    }
    emit({ type: 'drift-end', exitCode, resultFile: o.jsonFile ? resolve(o.jsonFile) : join(runDir, 'result.json'), reportFile: o.reportFile ? resolve(o.reportFile) : join(runDir, 'writeup.md') });
    return { exitCode, result };
  } catch (e) {
    if (e instanceof Interrupted || signal.aborted) {
      emit({ type: 'run-error', message: 'interrupted; measured samples are kept in the sample cache', exitCode: ExitCode.interrupted });
      return { exitCode: ExitCode.interrupted };
    }
    throw e;
  } finally {
    await measurer.close();
    await o.probe.dispose?.().catch(() => undefined); // run-wide resources of the probe (a database server)
    await measurer.worktrees.cleanup();
    unsubscribe();
    log.close();
  }
}

/** The window: from --since, else from the end of the last check of this probe on this branch, else 7 days. */
async function selectWindow(repo: Repo, tip: string, o: DriftOptions, history: StoreRecord[]): Promise<{ start: string; commits: Meta[] } | undefined> {
  let start: string | undefined;
  if (o.since && !looksLikeDate(o.since)) start = await repo.resolve(o.since, '--since');
  else {
    const last = o.since ? undefined : history.filter((r): r is Extract<StoreRecord, { type: 'run' }> => r.type === 'run' && r.probe === o.probeName && r.branch === o.branch).pop();
    if (last && (await repo.isAncestor(last.to, tip).catch(() => false))) start = last.to;
    else {
      const since = o.since ?? '7 days ago';
      const inWindow = (await repo.raw(['rev-list', '--first-parent', `--since=${since}`, tip])).trim().split('\n').filter(Boolean);
      if (inWindow.length === 0) return undefined;
      const oldest = inWindow[inWindow.length - 1];
      const parent = (await repo.meta(oldest)).parents[0];
      start = parent ?? oldest;
    }
  }
  if (start === tip) return undefined;
  if (!(await repo.isAncestor(start, tip))) throw new UsageError(`--since ${o.since} is not an ancestor of --branch ${o.branch}: give a commit or date on that branch.`);
  const range = await repo.range(start, tip, true);
  return { start, commits: [await repo.meta(start), ...range] };
}

/** Confirm a step with an interleaved re-measurement of its neighbours, then bisect it: both are the bisect engine's. */
async function bisectStep(
  repo: Repo, measurer: Measurer, meta: Map<string, Meta>, from: string, to: string, better: Better,
  o: DriftOptions, signal: AbortSignal, emit: (e: RunEvent) => void,
): Promise<{ confirmed: boolean; culprit?: string; worse: number; before: number; after: number; p: number }> {
  const range = await repo.range(from, to, true);
  for (const c of range) if (!meta.has(c.sha)) meta.set(c.sha, c);
  const engine = new BisectEngine(
    range.map((c) => ({ sha: c.sha, parents: c.parents })), { good: from, bad: to },
    { threshold: o.threshold, minSamples: o.minSamples, maxSamples: o.maxSamples, confidence: o.confidence, better, deterministic: o.probe.deterministic },
    seededRng(parseInt(to.slice(0, 8), 16)), { firstParent: true },
  );
  let seen = 0;
  for (;;) {
    if (signal.aborted) throw new Interrupted();
    const step = engine.next();
    if (step.type === 'done') {
      const out = step.outcome;
      const ep = out.endpoints;
      const c = out.culprits[0];
      return {
        confirmed: out.status !== 'no-regression', culprit: out.status === 'no-regression' ? undefined : c?.sha,
        worse: c ? c.change.worse : ep.comparison.worse, before: c ? c.beforeSummary.median : ep.good.median, after: c ? c.afterSummary.median : ep.bad.median,
        p: c ? c.change.p : ep.comparison.p,
      };
    }
    try {
      engine.record(await measurer.measureBlock(step));
    } catch (e) {
      if (!(e instanceof CommitFailure) || step.purpose !== 'verdict') throw e;
      emit({ type: 'skip', sha: step.target, reason: `${e.headline}: ${e.message}` });
      engine.skip(`${e.headline}: ${e.message}`);
    }
    const vs = engine.verdictList;
    for (; seen < vs.length; seen++) if (vs[seen].verdict !== 'skipped') emit({ type: 'verdict', verdict: vs[seen] });
  }
}

function writeOut(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}
