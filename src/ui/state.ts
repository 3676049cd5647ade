import type { QuieterCpu } from '../report/quieter-cpu.js';
import type { CommitVerdict, Outcome, SearchProgress } from '../bisect/outcome.js';
import type { CommitMeta, Phase, RunEvent } from '../events.js';
import type { MetricInfo } from '../probes/types.js';
import type { RunCost } from '../run-cost.js';
import { termText } from '../report/escape.js';
import { fileLine } from '../report/format.js';
import { noiseLines } from '../report/noise.js';
import { dependencyLine } from '../report/dependency.js';
import { endCheckText, whyAgain } from '../report/open-question.js';
import type { DepLevel } from '../deps/result.js';

/**
 * The live UI's view state: a pure fold over the run's events (`reduce`). The Ink view and the
 * tests render from it; nothing here decides anything about the bisect, it only remembers what
 * the driver said. Every text from the repository is cleaned of terminal escapes here, once, on the way in.
 */
export type LadderVerdict = CommitVerdict['verdict'] | 'good-endpoint' | 'bad-endpoint';

export interface CommitView {
  sha: string;
  subject: string;
  author: string;
  /** Its first parent, where the range says (a culprit may have been measured beside another commit). */
  parent?: string;
  /** Position in the range, oldest first (the good endpoint is -1). */
  index: number;
  verdict?: LadderVerdict;
  lean?: 'good' | 'bad' | 'between';
  samples: number[];
  phase?: Phase;
  reason?: string;
}

export interface ViewState {
  runId: string;
  repo: string;
  runDir: string;
  good: { ref: string; sha: string };
  bad: { ref: string; sha: string };
  probe: { name: string; kind: string };
  metric: MetricInfo;
  deterministic: boolean;
  /** --one-step: further steps are not looked for. */
  oneStep?: boolean;
  /** The range, oldest first, plus the good endpoint in front. */
  order: string[];
  commits: Record<string, CommitView>;
  current?: string;
  currentPhase?: Phase;
  /** What the current block measures the target against (good and bad references). */
  refs: string[];
  /** For a later look of the current block's decision: why the look before did not decide. */
  again?: string;
  /** Build output of each commit (capped), for the build tail and the full-log key. */
  logs: Record<string, string[]>;
  threshold?: { value: number; source: string };
  /** Where the search stands, as the engine last said (candidates left, verdicts to come). */
  search?: SearchProgress;
  /** What the endpoints' noise will cost, in words (src/report/noise.ts). */
  noise: string[];
  warnings: string[];
  /** Decisions so far: the endpoints block counts as one step, then every verdict or skip. */
  steps: number;
  endpointsDone: boolean;
  startedAt: number;
  now: number;
  /** When the last step finished: cost per step is measured up to there, not up to now. */
  lastStepAt?: number;
  endedAt?: number;
  outcome?: Outcome;
  /** What the run cost, said once the search ended. */
  cost?: RunCost;
  /** Set at the run's end by the live view from the whole run's samples (src/report/quieter-cpu.ts). */
  quieterCpu?: QuieterCpu;
  resultFile?: string;
  reportFile?: string;
  exitCode?: number;
  error?: { message: string; tail: string[]; interrupted: boolean };
  /** The profile diff at each culprit, as the evidence step reported it. */
  evidence: Record<string, EvidenceView>;
  /** The descent into a culprit's lockfile change, while it runs and after. */
  deps?: DepView;
  /** Per culprit: the dependency found inside it, or why the descent stopped. */
  depResults: Record<string, string>;
}

/** One level of the dependency descent: its candidates (the good end first) and what was decided. */
export interface DepView {
  culprit: string;
  level: DepLevel;
  title: string;
  rows: { label: string; sha?: string; verdict?: LadderVerdict; lean?: 'good' | 'bad' | 'between' }[];
  /** How each finished level ended: "package: found slow-c 1.0.0 → 1.1.0" or why it stopped. */
  ended: string[];
}

export interface EvidenceView {
  profiler: string;
  top: { function: string; where: string; delta: number; inChange: 'added' | 'modified' | false; under?: string; calledFrom?: string; calls?: string }[];
  note?: string;
}

const LOG_CAP = 500;

export function initialState(now = 0): ViewState {
  return {
    runId: '', repo: '', runDir: '',
    good: { ref: '', sha: '' }, bad: { ref: '', sha: '' },
    probe: { name: '', kind: '' }, metric: { name: '', unit: '', better: 'lower' }, deterministic: false,
    order: [], commits: {}, refs: [], logs: {}, noise: [], warnings: [], steps: 0, endpointsDone: false, evidence: {},
    depResults: {},
    startedAt: now, now,
  };
}

const clean = (s: string) => termText(s);

function commit(s: ViewState, sha: string): CommitView {
  return (s.commits[sha] ??= { sha, subject: '', author: '', index: s.order.indexOf(sha) - 1, samples: [] });
}

/** Fold one event into the state. `at` is the event's time in ms (the run log records it as `t`). */
export function reduce(prev: ViewState, e: RunEvent, at: number): ViewState {
  const s: ViewState = { ...prev, commits: { ...prev.commits }, now: Math.max(prev.now, at) };
  const touch = (sha: string) => (s.commits[sha] = { ...commit(s, sha) });
  switch (e.type) {
    case 'run-start':
      return {
        ...initialState(at),
        runId: e.runId,
        repo: clean(e.folder ? `${e.repo}, in ${e.folder}/` : e.repo),
        runDir: clean(e.runDir),
        good: { ref: clean(e.good.ref), sha: e.good.sha },
        bad: { ref: clean(e.bad.ref), sha: e.bad.sha },
        probe: { name: clean(e.probe.name), kind: e.probe.kind },
        metric: { ...e.metric, name: clean(e.metric.name), unit: clean(e.metric.unit) },
        deterministic: e.deterministic,
        ...(e.oneStep ? { oneStep: true } : {}),
        order: [e.good.sha],
        commits: {
          [e.good.sha]: {
            sha: e.good.sha,
            subject: '',
            author: '',
            index: -1,
            samples: [],
            verdict: 'good-endpoint',
          },
        },
      };
    case 'range': {
      s.order = [s.good.sha || (e.commits[0]?.parents[0] ?? ''), ...e.commits.map((c) => c.sha)];
      e.commits.forEach((c: CommitMeta, i) => {
        s.commits[c.sha] = {
          ...commit(s, c.sha), subject: clean(c.subject), author: clean(c.author), parent: c.parents[0], index: i,
        };
      });
      if (s.bad.sha && s.commits[s.bad.sha]) s.commits[s.bad.sha].verdict = 'bad-endpoint';
      return s;
    }
    case 'phase':
      touch(e.sha).phase = e.phase;
      // A block checks out its references again (a no-op when their worktrees exist): only real
      // work moves the focus; the block's measure-start then points it at the block's target.
      if (e.phase === 'build' || e.phase === 'install' || e.phase === 'server' || e.phase === 'profile') {
        s.current = e.sha;
        s.currentPhase = e.phase;
      } else if (e.sha === s.current) {
        s.currentPhase = e.phase;
      }
      return s;
    case 'output': {
      const log = [...(s.logs[e.sha] ?? []), clean(e.line)];
      s.logs = { ...s.logs, [e.sha]: log.length > LOG_CAP ? log.slice(-LOG_CAP) : log };
      return s;
    }
    case 'build-end':
      if (!e.ok && e.tail?.length && !s.logs[e.sha]?.length) s.logs = { ...s.logs, [e.sha]: e.tail.map(clean) };
      return s;
    case 'measure-start':
      s.current = e.target;
      s.currentPhase = 'measure';
      s.refs = e.refs;
      s.again = e.look
        ? `look ${e.look}: ${whyAgain(e.open, s.metric.better)}`
        : e.endCheck
          ? endCheckText(e.endCheck)
          : undefined;
      return s;
    case 'sample': {
      const c = touch(e.sha);
      c.samples = [...c.samples, e.value];
      return s;
    }
    case 'threshold':
      s.threshold = { value: e.value, source: clean(e.source) };
      return s;
    case 'search':
      s.search = e.progress;
      // The endpoints' decision is the first step.
      if (e.progress.endpoints && !s.endpointsDone) {
        s.endpointsDone = true;
        s.steps++;
        s.lastStepAt = at;
      }
      return s;
    case 'verdict': {
      const v = e.verdict;
      const c = touch(v.sha);
      c.verdict = v.verdict;
      if (v.lean) c.lean = v.lean;
      s.steps++;
      s.lastStepAt = at;
      return s;
    }
    case 'skip': {
      const c = touch(e.sha);
      c.verdict = 'skipped';
      c.reason = clean(e.reason);
      s.steps++;
      s.lastStepAt = at;
      return s;
    }
    case 'warning':
      s.warnings = [...s.warnings, `${e.note ? 'note' : 'warning'}: ${clean(e.message)}`].slice(-5);
      return s;
    case 'noise':
      s.noise = noiseLines(e.noise, s.metric.name, s.metric.better);
      return s;
    case 'artifact':
      return s;
    case 'evidence':
      s.evidence = {
        ...s.evidence,
        [e.sha]: {
          profiler: e.profiler,
          note: e.note === undefined ? undefined : clean(e.note),
          top: e.top.map((r) => ({
            function: clean(r.function),
            where: r.file ? clean(fileLine(r)) : '(native)',
            delta: r.delta,
            inChange: r.inChange,
            ...(r.under
              ? { under: `${clean(r.under.function)} ${clean(fileLine(r.under))}` }
              : {}),
            ...(r.calledFrom
              ? { calledFrom: `${clean(r.calledFrom.function)} ${clean(fileLine(r.calledFrom))}` }
              : {}),
            ...(r.calls ? { calls: `${clean(r.calls.function)} ${clean(fileLine(r.calls))}` } : {}),
          })),
        },
      };
      return s;
    case 'dep-level': {
      const ended = prev.deps?.culprit === e.culprit ? prev.deps.ended : [];
      const rows: DepView['rows'] = [
        { label: clean(e.good.label), sha: e.good.sha, verdict: 'good-endpoint' },
        ...e.candidates.map((l) => ({ label: clean(l) })),
      ];
      rows[rows.length - 1].verdict = 'bad-endpoint';
      s.deps = { culprit: e.culprit, level: e.level, title: clean(e.title), rows, ended };
      return s;
    }
    case 'dep-commit':
      // The synthetic commit's "subject" is what it applies: the block view shows it while measuring.
      s.commits[e.sha] = { ...commit(s, e.sha), subject: clean(e.label) };
      if (s.deps) {
        const label = clean(e.label);
        s.deps = { ...s.deps, rows: s.deps.rows.map((r) => (r.label === label ? { ...r, sha: e.sha } : r)) };
      }
      return s;
    case 'dep-verdict':
      if (s.deps) {
        const v = e.verdict;
        const label = clean(e.label);
        const decided = (r: DepView['rows'][number]) => ({ ...r, verdict: v.verdict, lean: v.lean });
        s.deps = { ...s.deps, rows: s.deps.rows.map((r) => (r.label === label ? decided(r) : r)) };
      }
      return s;
    case 'dep-end':
      if (s.deps) {
        const ratio = e.ratio ? ` (×${e.ratio.toFixed(2)})` : '';
        const how = e.found ? `found ${clean(e.found)}${ratio}` : `stopped: ${clean(e.stopped ?? '')}`;
        s.deps = { ...s.deps, ended: [...s.deps.ended, `${e.level}: ${how}`] };
      }
      return s;
    case 'dep-result':
      s.depResults = {
        ...s.depResults,
        [e.culprit]: [e.dependency && dependencyLine(e.dependency), e.stopped && `went no deeper: ${clean(e.stopped)}`]
          .filter(Boolean)
          .join(' · '),
      };
      return s;
    case 'cost':
      s.cost = e.cost;
      return s;
    case 'run-end':
      s.outcome = e.outcome;
      s.resultFile = e.resultFile;
      s.reportFile = e.reportFile;
      s.exitCode = e.exitCode;
      s.current = undefined;
      s.endedAt = at;
      return s;
    case 'run-error':
      s.error = { message: clean(e.message), tail: (e.tail ?? []).map(clean), interrupted: e.exitCode === 130 };
      s.exitCode = e.exitCode;
      s.endedAt = at;
      return s;
    default:
      // Event types added later (by other features) do not change this view until it learns them.
      return s;
  }
}

/** Fold a recorded stream (runs/<id>/events.jsonl lines carry their time as `t`). */
export function foldEvents(events: (RunEvent & { t?: number })[], now?: number): ViewState {
  let s = initialState(events[0]?.t ?? 0);
  for (const e of events) s = reduce(s, e, e.t ?? s.now);
  return now === undefined ? s : { ...s, now };
}

/** Commits that may still hold the regression, as the engine counted them (before it says: the range). */
export function remaining(s: ViewState): number {
  return s.search?.remaining ?? Math.max(0, s.order.length - 1);
}

export interface Progress {
  remaining: number;
  stepsDone: number;
  stepsLeft: number;
  elapsedSeconds: number;
  /** Seconds left at the measured cost per step; undefined until a step has finished. */
  etaSeconds?: number;
}

export function progress(s: ViewState): Progress {
  const left = s.outcome ? 0 : remaining(s);
  // The verdicts the engine expects still; the endpoints block is a step of its own.
  const stepsLeft = s.outcome ? 0 : (s.endpointsDone ? 0 : 1) + (s.search?.verdictsLeft ?? 0);
  const elapsedSeconds = ((s.endedAt ?? s.now) - s.startedAt) / 1000;
  const perStep = s.steps > 0 && s.lastStepAt !== undefined ? (s.lastStepAt - s.startedAt) / 1000 / s.steps : undefined;
  return {
    remaining: left,
    stepsDone: s.steps,
    stepsLeft,
    elapsedSeconds,
    etaSeconds: perStep === undefined ? undefined : perStep * stepsLeft,
  };
}

export type LadderRow =
  | { kind: 'commit'; commit: CommitView; current: boolean }
  | { kind: 'fold'; count: number };

/**
 * The range compressed to what matters: the endpoints, every measured or current commit, and the
 * unmeasured stretches between them folded into one row each. Newest first, as `git log` reads.
 */
export function ladder(s: ViewState): LadderRow[] {
  const rows: LadderRow[] = [];
  let folded = 0;
  for (const sha of [...s.order].reverse()) {
    const c = s.commits[sha];
    if (!c) continue;
    const shown = c.verdict !== undefined || c.samples.length > 0 || sha === s.current;
    if (!shown) {
      folded++;
      continue;
    }
    if (folded) rows.push({ kind: 'fold', count: folded });
    folded = 0;
    rows.push({ kind: 'commit', commit: c, current: sha === s.current && !s.outcome });
  }
  if (folded) rows.push({ kind: 'fold', count: folded });
  return rows;
}
