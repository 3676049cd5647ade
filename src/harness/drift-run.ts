import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DriftCheck, type CandidateResult, type DriftOutcome, type DriftProgress } from '../drift/check.js';
import { changeId, creepId as creepIdOf } from '../drift/drift.js';
import { looksLikeDate, spreadPoints } from '../drift/window.js';
import { CommitFailure, ExitCode, UsageError } from '../errors.js';
import type { CommitMeta, EventStream, RunEvent } from '../events.js';
import type { Probe } from '../probes/types.js';
import { seededRng } from '../stats/rng.js';
import { candidateReason, renderDriftReport, renderSeriesSvg, type DriftCandidate, type DriftChange, type DriftResult } from '../report/drift.js';
import { fmtSignedPct as pct, short } from '../report/format.js';
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
  const first = spreadPoints(commits.length, o.points).length;
  note(`window ${start.slice(0, 10)}..${tip.slice(0, 10)}: ${commits.length - 1} commits on ${o.branch}, measuring ${first} of them first`);

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
    const check = new DriftCheck(
      commits.map((c) => ({ sha: c.sha, parents: c.parents })),
      {
        threshold: o.threshold, better, deterministic: !!o.probe.deterministic, minSamples: o.minSamples, maxSamples: o.maxSamples,
        confidence: o.confidence, points: o.points, extraPoints: o.points,
      },
      seededRng(parseInt(tip.slice(0, 8), 16)),
    );
    const known = new Set(history.flatMap((r) => ((r.type === 'change' || r.type === 'creep') && r.probe === o.probeName) || r.type === 'ack' ? [r.id] : []));
    const acked = new Set(history.flatMap((r) => (r.type === 'ack' ? [r.id] : [])));
    const changes: DriftChange[] = [];
    const candidates: DriftCandidate[] = [];
    const decided = (c: CandidateResult) => {
      const located = c.steps.map((st): DriftChange => {
        const id = changeId(o.probeName, st.culprit);
        return {
          id, from: c.from, to: c.to, culprit: st.culprit, subject: meta.get(st.culprit)?.subject ?? '', kind: st.kind, change: st.change,
          confirmed: true, known: known.has(id), acked: acked.has(id), before: st.before, after: st.after, p: st.p,
        };
      });
      const candidate = driftCandidate(c, located.map((x) => x.id), o.threshold);
      candidates.push(candidate);
      emit({ type: 'drift-candidate', candidate });
      for (const change of located) {
        changes.push(change);
        emit({ type: 'drift-change', change });
      }
    };
    const show = (p: DriftProgress) => {
      if (p.type === 'points-added') note(`the series moved: measuring ${p.shas.length} more point(s) inside the intervals that changed`);
      else if (p.type === 'series') {
        emit({ type: 'drift-series', points: p.series.map((x) => ({ sha: x.sha, value: x.value, n: x.samples.length, added: x.added })) });
        note(`${p.candidates} candidate step(s): re-measuring each one's two points side by side before bisecting it`);
      } else if (p.type === 'confirming') note(`candidate ${p.candidate.kind} of ${pct(p.candidate.interval)} between ${short(p.from)} and ${short(p.to)} (${p.candidate.sources.join(', ')}): confirming`);
      else if (p.type === 'verdict') emit({ type: 'verdict', verdict: p.verdict });
      else if (p.type === 'candidate') decided(p.result);
    };
    let outcome: DriftOutcome;
    for (;;) {
      if (signal.aborted) throw new Interrupted();
      const step = check.next();
      check.drain().forEach(show);
      if (step.type === 'done') {
        outcome = step.outcome;
        break;
      }
      measurer.ahead(step, check.nextTargets());
      try {
        check.record(await measurer.measureBlock(step.target, step.refs, step.rounds, step.purpose));
      } catch (e) {
        if (!(e instanceof CommitFailure)) throw e;
        const sha = e.sha ?? step.target;
        if (sha === start) throw new UsageError(`the window's start ${start.slice(0, 10)} ${e.stage === 'build' ? 'does not build' : 'cannot be measured'}: ${e.message}. Pick another start with --since.`);
        emit({ type: 'skip', sha, reason: `${e.stage} failed: ${e.message}` });
        check.skip(sha, `${e.stage} failed: ${e.message}`);
      }
      check.drain().forEach(show);
    }
    const series = outcome.series;
    if (series.length < 2) throw new UsageError(`no commit of the window ${start.slice(0, 10)}..${tip.slice(0, 10)} could be measured besides its start: see the skipped commits above.`);

    // In window order, whichever was confirmed first (spans are confirmed after the other candidates).
    const order = new Map(commits.map((c, i) => [c.sha, i]));
    changes.sort((a, b) => order.get(a.culprit ?? a.to)! - order.get(b.culprit ?? b.to)!);
    candidates.sort((a, b) => order.get(a.to)! - order.get(b.to)! || order.get(a.from)! - order.get(b.from)!);
    const creep = outcome.creep;
    const creepId = creepIdOf(o.probeName, start, tip);
    const driftOut: DriftResult['drift'] = creep?.found
      ? {
        id: creepId, total: creep.total, unexplained: creep.unexplained, lo: creep.confirmation.lo, hi: creep.confirmation.hi, p: creep.confirmation.p,
        commits: commits.length - 1, largestStep: creep.largestInterval, known: known.has(creepId), acked: acked.has(creepId),
        contributors: creep.contributors.map((x) => ({ from: series[x.from].sha, to: series[x.to].sha, change: x.worse })),
      }
      : null;
    const creepCheck: DriftResult['creepCheck'] = creep && creep.confirmation.verdict !== 'more'
      ? { verdict: creep.confirmation.verdict, total: creep.total, unexplained: creep.unexplained, lo: creep.confirmation.lo, hi: creep.confirmation.hi, p: creep.confirmation.p, alpha: creep.confirmation.alpha, n: creep.confirmation.n }
      : null;
    if (creep) note(creep.found ? `creep: ${pct(creep.unexplained)} left once the located steps are divided out (${creepCheck?.n.join('+')} samples of the end against the start)` : `creep: none above the threshold (${pct(creep.unexplained)} left once the located steps are divided out)`);
    const alerts = [
      ...changes.filter((c) => c.kind === 'regression' && !c.known && !c.acked).map((c) => c.id),
      ...(driftOut && !driftOut.known && !driftOut.acked ? [driftOut.id] : []),
    ];
    const exitCode = alerts.length ? ExitCode.driftFound : ExitCode.found;
    const result: DriftResult = {
      schemaVersion: 1, runId, probe: { name: o.probeName, kind: o.probe.kind, metric: o.probe.metric }, branch: o.branch,
      window: { from: start, to: tip, commits: commits.length - 1 }, threshold: o.threshold, fingerprint: measurer.fp,
      series: series.map((p) => ({ sha: p.sha, subject: meta.get(p.sha)?.subject ?? '', date: meta.get(p.sha)?.date ?? '', value: p.value, n: p.samples.length, added: p.added })),
      changes, candidates, drift: driftOut, creepCheck, alerts, exitCode, store: o.store.where, cost: measurer.cost,
    };
    const records: StoreRecord[] = [
      { type: 'run', runId, probe: o.probeName, branch: o.branch, from: start, to: tip, fingerprint: measurer.fp.hash, probeHash, time: new Date().toISOString() },
      ...series.map((p): StoreRecord => ({
        type: 'point', runId, probe: o.probeName, sha: p.sha, tree: meta.get(p.sha)!.tree, fingerprint: measurer.fp.hash, probeHash,
        samples: p.samples, value: p.value, date: meta.get(p.sha)!.date, subject: meta.get(p.sha)!.subject,
      })),
      ...changes.map((c): StoreRecord => ({ type: 'change', runId, probe: o.probeName, id: c.id, from: c.from, to: c.to, culprit: c.culprit ?? undefined, change: c.change, kind: c.kind, confirmed: c.confirmed })),
      ...(driftOut ? [{ type: 'creep', runId, probe: o.probeName, id: driftOut.id, from: start, to: tip, total: driftOut.total, unexplained: driftOut.unexplained } satisfies StoreRecord] : []),
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

/** A candidate as the JSON result shows it: changes oriented + = worse in the metric's own direction. */
function driftCandidate(c: CandidateResult, steps: string[], threshold: number): DriftCandidate {
  // The check measured an improvement with the direction flipped.
  const sign = c.kind === 'improvement' ? -1 : 1;
  const f = c.confirmation;
  const confirmation: DriftCandidate['confirmation'] = f && f.verdict !== 'more'
    ? { verdict: f.verdict, change: sign * f.worse, lo: sign > 0 ? f.lo : -f.hi, hi: sign > 0 ? f.hi : -f.lo, p: f.p, alpha: f.alpha, n: f.n }
    : null;
  const largest = c.bisect?.largest;
  const base = {
    from: c.from, to: c.to, kind: c.kind, interval: c.interval, sources: c.sources, split: c.split ?? null, status: c.status,
    rejectedBy: c.rejectedBy ?? null, confirmation,
    bisect: c.bisect ? { status: c.bisect.status, commits: c.bisect.commits, largest: largest ? { culprit: largest.culprit, change: largest.change, p: largest.p } : null } : null,
  };
  return { ...base, steps, reason: c.failure ? `a measurement failed: ${c.failure}` : candidateReason(base, threshold) };
}

function writeOut(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}
