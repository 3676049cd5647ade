import { leanShown, type CommitVerdict } from '../bisect/outcome.js';
import type { EventStream, RunEvent } from '../events.js';
import {
  ambiguousText, fmtChange, fmtChangeInterval, fmtConfidence, fmtDuration, fmtP, fmtPct, fmtRatio, fmtValue,
  measuredBeside, short, clip, fileLine,
} from '../report/format.js';
import { termText } from '../report/escape.js';
import type { MetricInfo } from '../probes/types.js';
import { cachedFromText, noiseLines, paceLine, undecidedText } from '../report/noise.js';
import { dependencyLine } from '../report/dependency.js';
import { improvementText } from '../report/improvements.js';
import { vanishedText } from '../report/vanished.js';
import { endCheckText, whyAgain } from '../report/open-question.js';
import { DriftBlocks, driftText, speedDrift } from '../report/speed-drift.js';
import { quieterCpu, quieterCpuText, RunTimes } from '../report/quieter-cpu.js';
import { unexplainedText } from '../report/one-step.js';
import { costSummary } from '../report/cost.js';
import type { RunCost } from '../run-cost.js';

/**
 * One greppable line per event, no escape codes: for CI logs, pipes and --no-tui. Every line goes
 * through the terminal escaper, whatever part of it came from the repository.
 */
export function plainReporter(events: EventStream, writeLine: (line: string) => void): () => void {
  const write = (line: string) => writeLine(termText(line).replace(/\s*\n\s*/g, ' '));
  let metric: MetricInfo = { name: '', unit: '', better: 'lower' };
  const subjects = new Map<string, string>();
  const parents = new Map<string, string | undefined>();
  const saidCached = new Set<string>();
  let cost: RunCost | undefined;
  const subj = (sha: string) => clip(subjects.get(sha) ?? '', 70);
  const samples = new Map<string, number>();
  const change = (worse: number) => fmtChange(worse, metric.better);
  const slow = slowPhases(events, write);
  const drift = new DriftBlocks();
  const times = new RunTimes();
  let oneStep = false;
  const skipped = new Set<string>();
  const off = events.subscribe((e: RunEvent) => {
    slow.see(e);
    drift.see(e);
    times.see(e);
    switch (e.type) {
      case 'run-start':
        metric = e.metric;
        write(
          `perfbisect: ${e.rangeSize} commits between ${e.good.ref} (${short(e.good.sha)}) and ${e.bad.ref} (${short(e.bad.sha)}) in ${e.repo}` +
            (e.folder ? `; the command runs in ${e.folder}/ of each checkout, as started` : ''),
        );
        write(
          `probe ${e.probe.name === e.probe.kind ? e.probe.name : `${e.probe.name} (${e.probe.kind})`}: ${e.metric.name}${e.metric.unit ? ` in ${e.metric.unit}` : ''}, ${e.metric.better} is better${e.deterministic ? ', deterministic' : ''}`,
        );
        write(`run ${e.runId}: ${e.runDir}`);
        oneStep = !!e.oneStep;
        if (e.oneStep) write(`one step looked for (--one-step): a verdict asks only which side of it a commit is on; other steps in the range are not looked for`);
        if (e.resumed) {
          const blocks = e.resumed.blocks;
          write(`resuming: the ${blocks} block(s) of its run log go back to the engine first, not measured again`);
        }
        break;
      case 'range':
        for (const c of e.commits) {
          subjects.set(c.sha, c.subject);
          parents.set(c.sha, c.parents[0]);
        }
        break;
      case 'build-end':
        write(
          (e.cached
            ? `build ${short(e.sha)}: restored from the build cache in ${fmtDuration(e.seconds)}`
            : `build ${short(e.sha)} ${e.ok ? 'ok' : 'FAILED'} in ${fmtDuration(e.seconds)}` +
                `${e.fetched ? `, downloaded from ${termText(e.fetched)}` : ''}${e.ok ? '' : ` (log: ${e.log})`}`) + aheadNote(e),
        );
        if (!e.ok) for (const l of e.tail ?? []) write(`  | ${l}`);
        break;
      case 'install-end':
        if (e.seeded) write(`install ${short(e.sha)}: copied from the install cache in ${fmtDuration(e.seconds)}${aheadNote(e)}`);
        else
          write(
            `install ${short(e.sha)} ${e.ok ? 'ok' : 'FAILED'} in ${fmtDuration(e.seconds)}` +
              (e.ok ? (e.from ? `, starting from ${short(e.from)}'s modules` : '') : ` (log: ${e.log})`) + aheadNote(e),
          );
        if (!e.ok) for (const l of e.tail ?? []) write(`  | ${l}`);
        break;
      case 'measure-start': {
        const from = e.replayed ? ' (measured before the resume)' : e.cached ? ' (from cache)' : '';
        if (e.cached && !e.replayed && !saidCached.has(e.from?.run ?? '')) {
          write(cachedFromText(e.from));
          saidCached.add(e.from?.run ?? '');
        }
        write(
          `measure ${short(e.target)}${e.refs.length ? ` against ${e.refs.map(short).join(', ')}` : ''}: ` +
            `${e.rounds} round(s)${from}${e.look ? `, look ${e.look}: ${whyAgain(e.open, metric.better)}` : ''}` +
            `${e.again ? `, again afresh: ${AGAIN}` : ''}` +
            `${e.endCheck && !e.look ? `, ${endCheckText(e.endCheck)}` : ''}` +
            `${e.purpose === 'confirm' ? `, checking the located step beside ${parents.get(e.target) === e.refs[0] ? 'its parent' : 'the nearest commit before it shown good'}` : ''}` +
            `${e.purpose === 'endpoints' ? ' [endpoints]' : ` ${subj(e.target)}`}`,
        );
        break;
      }
      case 'sample':
        samples.set(e.sha, (samples.get(e.sha) ?? 0) + 1);
        break;
      case 'round': {
        const cached = e.jobs.filter((j) => j.cached).length;
        const targets = e.jobs.map((j) => short(j.target)).join(', ');
        write(
          `round ${e.round} on ${e.runner}: ${e.jobs.length} job(s), measuring ${targets}${cached ? ` (${cached} from the cache)` : ''}`,
        );
        break;
      }
      case 'job-end':
        if (e.lost)
          write(
            `job ${e.round}.${e.index} ${short(e.target)}: no result: ${e.lost}${e.where ? ` (${e.where})` : ''}`,
          );
        else {
          const took = e.seconds !== undefined ? ` in ${fmtDuration(e.seconds)}` : '';
          const note = `${e.cached ? ' (from the cache)' : ''}${e.failed ? `: ${e.failed}` : ''}`;
          write(`job ${e.round}.${e.index} ${short(e.target)} measured on ${e.machine}${took}${note}`);
        }
        break;
      case 'threshold':
        write(`threshold ${fmtPct(e.value)} (${e.source})`);
        break;
      case 'noise':
        for (const l of noiseLines(e.noise, metric.name, metric.better)) write(l);
        break;
      case 'pace':
        write(paceLine(e.pace));
        break;
      case 'verdict': {
        const v = e.verdict;
        const g = v.vsGood;
        write(
          `verdict ${short(v.sha)} ${verdictLabel(v)}: ` +
            `${g ? `${change(g.worse)} vs good ${fmtChangeInterval(g, metric.better)}${atLevel(v.alpha)} ${fmtP(g.p)}` : ''}` +
            `${v.vsBad ? `, ${change(v.vsBad.worse)} vs bad ${fmtP(v.vsBad.p)}` : ''}` +
            `${v.left !== undefined ? `, ${v.left} commit(s) left` : ''}` +
            ` (n=${v.samples}, ${v.targetPooled ? 'with its earlier samples' : 'this verdict\'s blocks'})${underMinStep(v)}${v.reason ? `; ${termText(v.reason)}` : ''} ${subj(v.sha)}`,
        );
        break;
      }
      case 'skip':
        skipped.add(e.sha);
        write(`skip ${short(e.sha)}: ${e.reason}${e.log ? ` (log: ${e.log})` : ''}`);
        break;
      case 'warning':
        write(`${e.note ? 'note' : 'warning'}: ${e.message}`);
        break;
      case 'artifact':
        write(`${e.kind} ${short(e.sha)}: ${e.path}`);
        break;
      case 'phase':
        if (e.phase === 'profile') write(`profiling culprit ${short(e.sha)} against its parent… (--no-profile skips this)`);
        break;
      case 'evidence':
        if (e.cached) write(`evidence ${short(e.sha)}: from the cache (profiled by an earlier run)`);
        if (e.note) write(`evidence ${short(e.sha)}: ${e.note}`);
        e.top.forEach((r, k) =>
          write(
            `evidence ${short(e.sha)} #${k + 1}: ${r.function} ${r.file ? fileLine(r) : '(native)'} ${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(1)} pts of the time${r.inChange ? `, ${r.inChange} by this commit` : ''}${r.under ? `, under ${r.under.function} ${fileLine(r.under)}` : ''}${r.calledFrom ? `, called from ${r.calledFrom.function} ${fileLine(r.calledFrom)}, which this commit changed` : ''}${r.calls ? `, calls ${r.calls.function} ${fileLine(r.calls)}, which this commit changed` : ''}`,
          ),
        );
        break;
      case 'cost':
        cost = e.cost;
        break;
      case 'run-end': {
        const outcome = e.outcome;
        const ep = outcome.endpoints;
        write(
          `endpoints: good ${fmtValue(ep.good.median, metric.unit)} → bad ${fmtValue(ep.bad.median, metric.unit)} (${fmtRatio(ep.ratio)}, ${fmtP(ep.comparison.p)})`,
        );
        if (outcome.status === 'no-regression')
          write(`result: no regression above ${fmtPct(outcome.noRegressionBelow)} between good and bad`);
        if (outcome.status === 'undecided') write(`result: ${undecidedText(outcome.noRegressionBelow)}`);
        for (const c of outcome.culprits) {
          write(
            `culprit ${c.sha} ${subj(c.sha)}: ${fmtValue(c.beforeSummary.median, metric.unit)} → ${fmtValue(c.afterSummary.median, metric.unit)} ` +
              `${fmtRatio(c.ratio)} [${fmtRatio(c.ratioCi[0])}, ${fmtRatio(c.ratioCi[1])}] ${fmtP(c.change.p)} (${measuredBeside(c.before, parents.get(c.sha), c.sideBySide)})`,
          );
        }
        const ratios = outcome.culprits.map((c) => c.ratio);
        const rest = oneStep ? unexplainedText(ep.ratio, ratios, outcome.threshold) : undefined;
        if (rest) write(`note: ${rest}`);
        for (const v of outcome.vanished ?? []) write(`note: ${vanishedText({ ...v, ci: v.ratioCi }, outcome.threshold)}`);
        const moved = speedDrift(drift.blocks);
        if (moved) {
          write(
            `note: ${driftText(moved)} (the machine's speed, or the commits' own conditions, moved during the run); ` +
              "each verdict is checked against samples taken beside it, so it stands, but medians taken at different times " +
              "(the endpoints', a culprit's) are not comparable",
          );
        }
        // A lean whose side was shown at the strict level is no guess (leanShown).
        const guesses = outcome.verdicts.filter((v) => v.verdict === 'inconclusive' && !leanShown(v));
        if (outcome.culprits.length && guesses.length) {
          write(
            `note: the search followed the lean of ${guesses.length} inconclusive verdict(s) (${guesses.map((v) => `${short(v.sha)} ${v.lean}`).join(', ')}); the confidence does not cover those guesses (see the writeup)`,
          );
        }
        for (const m of outcome.improvements ?? []) write(`improvement: ${improvementText(m, metric.better)}`);
        if (outcome.status === 'ambiguous')
          write(`result: ambiguous; ${ambiguousText(outcome.suspects, outcome.culprits.length, 'above', skipped)}`);
        const quieter = quieterCpu(times);
        if (quieter) write(`note: ${quieterCpuText(quieter)}`);
        if (cost) write(`cost: ${costSummary(cost)}`);
        write(`writeup: ${e.reportFile}`);
        write(`result json: ${e.resultFile}`);
        break;
      }
      case 'dep-level':
        write(`deps: ${e.level} level of culprit ${short(e.culprit)}: ${termText(e.title)}`);
        break;
      case 'dep-commit':
        subjects.set(e.sha, e.label);
        break;
      case 'dep-verdict': {
        const v = e.verdict;
        const g = v.vsGood;
        const label = verdictLabel(v);
        const vsGood = g ? `: ${change(g.worse)} vs good ${fmtP(g.p)}` : '';
        write(`deps ${e.level}: ${termText(e.label)} ${label}${vsGood}${v.reason ? ` (${termText(v.reason)})` : ''}`);
        break;
      }
      case 'dep-end':
        if (e.found) write(`deps ${e.level}: found ${termText(e.found)}${e.ratio ? ` ${fmtRatio(e.ratio)}` : ''}`);
        else write(`deps ${e.level}: stopped: ${termText(e.stopped ?? '')}`);
        break;
      case 'dep-result':
        if (e.dependency) write(`dependency: ${dependencyLine(e.dependency)}`);
        if (e.stopped) write(`dependency descent stopped: ${termText(e.stopped)}`);
        break;
      case 'run-error':
        // Errors that end the run are printed once, on stderr, by the CLI; an interruption is news here.
        if (e.exitCode === 130) write(`stopped: ${e.message}`);
        break;
    }
  });
  return () => {
    slow.stop();
    off();
  };
}

/** Why a commit's decision starts over (src/bisect/engine.ts measureAgain). */
const AGAIN =
  "its samples so far leaned to a step on each side but did not decide; before the search splits, it is measured beside both references anew, their earlier samples left out";

/** How often a long install or build says it is still running, where no live view shows its clock. */
const STILL_RUNNING_MS = 60_000;
/** An install or build before the first block is announced once it has run this long: a cache copy takes less. */
const STARTED_AFTER_MS = 2_000;

/**
 * An install or build that runs for minutes (npm retrying a host it cannot reach) would leave a CI log
 * silent: a line a minute says what is still running, and for how long; and those before the first
 * measurement that last more than a moment say they started, the first installs of a run taking tens of
 * seconds with nothing else shown (a copy from the install cache, usually quicker, says only that it was copied).
 */
function slowPhases(events: EventStream, write: (line: string) => void) {
  const running = new Map<string, { phase: string; since: number; said: number }>();
  // Before the first block nothing else is printed while the endpoints' installs and builds run.
  let measuring = false;
  const pending = new Set<NodeJS.Timeout>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [sha, r] of running) {
      if (now - r.said < STILL_RUNNING_MS) continue;
      r.said = now;
      const line = `${r.phase} ${short(sha)}: still running after ${fmtDuration((now - r.since) / 1000)}`;
      events.whenQuiet(() => write(line));
    }
  }, STILL_RUNNING_MS / 6);
  timer.unref();
  return {
    see(e: RunEvent): void {
      if (e.type === 'measure-start' && !e.cached) measuring = true;
      if (e.type === 'phase') {
        if (e.phase === 'install' || e.phase === 'build') {
          const r = { phase: e.phase, since: Date.now(), said: Date.now() };
          running.set(e.sha, r);
          if (!measuring) {
            const line = `${e.phase} ${short(e.sha)} started (measuring waits for it)`;
            const later = setTimeout(() => {
              pending.delete(later);
              if (running.get(e.sha) === r && !measuring) events.whenQuiet(() => write(line));
            }, STARTED_AFTER_MS);
            later.unref();
            pending.add(later);
          }
        } else running.delete(e.sha);
      } else if (e.type === 'install-end' || e.type === 'build-end') running.delete(e.sha);
      else if (e.type === 'run-end' || e.type === 'run-error') running.clear();
    },
    stop: () => {
      clearInterval(timer);
      for (const t of pending) clearTimeout(t);
    },
  };
}

/**
 * The interval is at the verdict's own strict level, not the 95% a reader assumes, and the p beside it is
 * the plain two-sided rank test: naming the level keeps "[-2.1%, +16.9%] p = 0.012" from reading as a
 * contradiction.
 */
function atLevel(alpha: number | undefined): string {
  return alpha ? ` at ${fmtConfidence(1 - 2 * alpha)}` : '';
}

/**
 * A good commit measurably worse than good (or a bad one measurably better than bad) is still on that
 * side: the difference is under the minimum further step. Said, so the line does not read as a contradiction.
 */
function underMinStep(v: CommitVerdict): string {
  const step = v.minStep;
  const off = v.verdict === 'good' ? (v.vsGood?.lo ?? 0) > 0 : v.verdict === 'bad' ? (v.vsBad?.hi ?? 0) < 0 : false;
  return step && off ? `, a difference under the ${fmtPct(step)} minimum further step` : '';
}

/**
 * A verdict's word. An inconclusive one whose side the strict test showed (leanShown) left only the
 * further-step question open: said, so that the commit a culprit rests on does not read as a guess.
 */
function verdictLabel(v: CommitVerdict): string {
  if (v.verdict !== 'inconclusive') return v.verdict;
  const shown = leanShown(v) ? ` (its side is shown; only a further step beside it was left open)` : '';
  return `inconclusive, leans ${v.lean}${shown}`;
}

/** Prepared before the search reached the commit: it may measure it next, or never (the other side won). */
function aheadNote(e: { ahead?: true }): string {
  return e.ahead ? ' (ahead: the search may measure it next)' : '';
}
