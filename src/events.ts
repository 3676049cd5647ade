import type { CommitVerdict, Outcome, Purpose, SearchProgress } from './bisect/outcome.js';
import type { OpenQuestion } from './bisect/verdict.js';
import type { Pace } from './bisect/forecast.js';
import type { MetricInfo } from './probes/types.js';
import type { DependencyDescent, DependencyFinding, DepLevel } from './deps/result.js';
import type { Evidence, EvidenceRow } from './evidence/types.js';
import type { FailureKind, Stage } from './errors.js';
import type { RunCost } from './run-cost.js';
import type { DriftCandidate, DriftChange } from './drift/types.js';

/**
 * The one record of a run. The engine's driver emits these; the live UI, the plain log, the
 * on-disk run log (runs/<id>/events.jsonl), resume and the writeup are all folds over them.
 */
export interface CommitMeta {
  sha: string;
  parents: string[];
  subject: string;
  author: string;
  date: string;
}

export type Phase = 'checkout' | 'install' | 'build' | 'server' | 'measure' | 'profile';

export type RunEvent =
  | DriftEvent
  | DepEvent
  | {
      type: 'run-start';
      runId: string;
      time: string;
      repo: string;
      good: { ref: string; sha: string };
      bad: { ref: string; sha: string };
      probe: { name: string; kind: string };
      metric: MetricInfo;
      deterministic: boolean;
      rangeSize: number;
      runDir: string;
      /** The command line that reproduces this run. */
      reproduce: string;
      /** The folder of each checkout the probe and the build ran in, where not the root. */
      folder?: string;
      /** A bisect in rounds on a fleet (--runner): the runner and the jobs a round. */
      fleet?: { runner: string; runners: number };
      /** --resume: the blocks the interrupted run's log held, fed back to the engine before anything is measured. */
      resumed?: { blocks: number };
      /** --one-step: the verdicts ask only which side of the step a commit is on. */
      oneStep?: true;
    }
  /** The commits of the range, oldest first, and the good endpoint (not in the range). */
  | { type: 'range'; commits: CommitMeta[]; good?: CommitMeta }
  | { type: 'phase'; sha: string; phase: Phase }
  | { type: 'output'; sha: string; stage: 'build' | 'probe' | 'server'; line: string }
  /** `fetched`: the build output was downloaded from there (--artifacts) instead of built. */
  | {
      type: 'build-end'; sha: string; ok: boolean; seconds: number; log: string; cached: boolean; tail?: string[];
      fetched?: string;
      /** Done ahead of the search, for a commit it may measure next (it may never). */
      ahead?: true;
    }
  /** An install that ran, or a seed from the install cache (`seeded`); modules reused in place emit none. */
  /**
   * `seeded`: copied from the install cache, nothing installed. `from`: installed starting from the
   * modules of that commit's install (the package manager changed only what differs).
   */
  | {
      type: 'install-end'; sha: string; ok: boolean; seconds: number; log: string; seeded: boolean; from?: string; tail?: string[];
      /** Done ahead of the search, for a commit it may measure next (it may never). */
      ahead?: true;
    }
  /** `replayed`: the block comes from the run being resumed, its log or its stored blocks (`cached` too). */
  | {
      type: 'measure-start'; target: string; refs: string[]; rounds: number; purpose: Purpose; cached: boolean;
      /** A later look of its decision (absent for the first): the samples so far did not decide. */
      look?: number;
      /** Why the look before did not decide. */
      open?: OpenQuestion;
      /** The commit is measured again, afresh: its first trial leaned to a step on each side. */
      again?: true;
      /** A located step's end, measured against its search's end on that side for a further step beyond. */
      endCheck?: 'below' | 'above';
      replayed?: true;
      /** From the cache: the run that measured the block, and how busy it found the machine (if it said so). */
      from?: { run: string; busy?: Pick<NoiseReport, 'cores' | 'load' | 'busy' | 'others'> };
    }
  | BlockRecord
  /** Where the search stands after each step (src/bisect/engine.ts `progress`): what the views show as progress. */
  | { type: 'search'; progress: SearchProgress }
  /** --budget used up: the verdicts left end at their next look (an input to the engine, replayed on --resume). */
  | { type: 'out-of-time'; minutes: number }
  /**
   * The search is over: what the harness adds to each culprit the engine found (its changed files,
   * and why the verdict is doubtful). What follows (descent, evidence) adds to the result.
   */
  | { type: 'search-end'; culprits: { sha: string; files: ChangedFile[]; suspicious?: string }[] }
  /** Where the run's time went, counted just before its end. */
  | { type: 'cost'; cost: RunCost }
  /**
   * `censored`: the run was stopped at the probe's timeout; `value` is the timeout, a lower bound.
   * `machine`: the fleet machine that took it (absent: this machine).
   */
  | { type: 'sample'; sha: string; value: number; details?: Record<string, number>; censored?: true; machine?: string }
  /** A round of jobs on a fleet (`--runner`): each job measures its target beside its references on one machine. */
  | {
      type: 'round'; round: number; runner: string;
      jobs: { index: number; target: string; refs: string[]; purpose: Purpose; cached: boolean }[];
    }
  /** One job came back (or did not: `lost` says why), with the machine that ran it and where to look. */
  | {
      type: 'job-end'; round: number; index: number; target: string; machine?: string; seconds?: number;
      where?: string; dir?: string; lost?: string; cached: boolean; failed?: string;
      /** The machine that ran it, as the result's fleet section lists it. */
      host?: FleetHost;
      /** Hash of each commit's build output on that machine (byte-identical builds make a verdict doubtful). */
      outputs?: Record<string, string>;
    }
  | { type: 'threshold'; value: number; source: string }
  /** The first decision: good against bad (the change, its interval and p), and whether it was inconclusive. */
  | { type: 'endpoints'; endpoints: Outcome['endpoints'] }
  /** After the endpoints: what the measured noise will cost, and how busy the machine is. */
  | { type: 'noise'; noise: NoiseReport }
  /** The verdicts take far longer than the forecast said: the rest of the run at their own pace. */
  | { type: 'pace'; pace: Pace }
  | { type: 'verdict'; verdict: CommitVerdict }
  | { type: 'skip'; sha: string; reason: string; log?: string }
  /** `note`: worth knowing, no problem (which interpreter runs the probe). */
  | { type: 'warning'; message: string; note?: true }
  | { type: 'artifact'; sha: string; kind: string; path: string }
  /** `time`: when the run ended (the writeup's date). */
  | { type: 'run-end'; outcome: Outcome; resultFile: string; reportFile: string; exitCode: number; time?: string }
  | { type: 'run-error'; message: string; exitCode: number; log?: string; tail?: string[] }
  /** Evidence at a culprit (profile diff): the top functions whose share of time grew. */
  | {
      type: 'evidence';
      sha: string;
      profiler: string;
      top: Pick<EvidenceRow, 'function' | 'file' | 'line' | 'delta' | 'inChange' | 'under' | 'calledFrom' | 'calls'>[];
      note?: string;
      /** Stored by an earlier run for the same culprit, parent, probe and machine: not profiled again. */
      cached?: true;
      /** All of it, as the result JSON and the writeup carry it. */
      evidence?: Evidence;
    };

export interface ChangedFile {
  file: string;
  added: number;
  removed: number;
}

/** A fleet machine: its own name for itself and what makes numbers from two machines incomparable. */
export interface FleetHost {
  name: string;
  cpu: string;
  cores: number;
  os: string;
}

/** Why a block could not be measured: the commit, the stage, and where its log is. */
export interface BlockFailure {
  sha: string;
  stage: Stage;
  kind: FailureKind;
  message: string;
  log?: string;
  tail: string[];
}

/**
 * A block as the engine took it: each commit's samples in the engine's order, their details and the
 * positions of censored ones; or why it could not be measured. This is what --resume feeds back to
 * the engine and what the result is folded from; `sample` events are there for the live views.
 */
export interface BlockRecord {
  type: 'block';
  target: string;
  refs: string[];
  order: string[];
  purpose: Purpose;
  samples: Record<string, number[]>;
  /** Per commit, each sample's details (p50, rps …), where the probe records them. */
  details?: Record<string, Record<string, number>[]>;
  /** Per commit, the positions of samples stopped at the probe's timeout. */
  censored?: Record<string, number[]>;
  /** What measuring it took, preparation included: what a replay of it saves. */
  seconds?: number;
  /** The fleet machine that measured it (absent: this machine), and the job of which round it was. */
  machine?: string;
  job?: { round: number; index: number; key: string };
  failure?: BlockFailure;
}

/** A figure the probe could measure instead, as the endpoints' samples showed it (NoiseReport.steadier). */
export interface SteadierMetric {
  /** The config's `metric` value, and the figure's name. */
  metric: string;
  name: string;
  better: 'lower' | 'higher';
  /** Its noise a sample, and the good→bad change it shows (+ = worse). */
  cv: number;
  change: number;
  /** About how many times fewer samples a commit it needs for the step it shows. */
  factor: number;
}

/** What the endpoints' noise implies for the rest of the run (src/bisect/forecast.ts), as plain data. */
export interface NoiseReport {
  /** Relative noise of one sample of the metric, and of the CPU time where the probe records it. */
  cv: number;
  cpuCv?: number;
  /** CPU time as a share of wall time (medians): how much of the run is CPU work at all. */
  cpuShare?: number;
  /** Another figure the probe could measure that resolves the step with far fewer samples (src/report/noise.ts). */
  steadier?: SteadierMetric;
  /** Target samples a commit needs beside a 5% step, and beside this run's step. */
  samplesFor5pct: number;
  samplesForThisStep: number;
  /** The most samples a commit may take (--max-samples): a need beyond it is said as such. */
  maxSamples?: number;
  delta: number;
  /** Estimated minutes for the verdicts still to make, and the probe runs they take (rehearsed). */
  minutes: number;
  verdicts: number;
  runs?: number;
  /** Machine: cores, one-minute load average, other processes using a core. */
  cores: number;
  load: number;
  busy: { pid: number; name: string; cpu: number }[];
  /** Cores' worth of CPU other work used just then (Linux; see MachineLoad.others). */
  others?: number;
  loaded: boolean;
  /** The endpoints' samples came from the cache (an earlier run): no time a run, no load to speak of. */
  replayed?: boolean;
  /** Said again by --resume as the interrupted run said it: its load and forecast are of that time. */
  resumed?: boolean;
  /** --budget: minutes given, and the confidence the run now holds itself to. */
  budget?: { minutes: number; confidence: number; asked: number };
  /** The minutes rehearsed with --one-step, where far fewer than `minutes`: a faster way to one culprit. */
  oneStepMinutes?: number;
  /**
   * The smallest further step looked for beside a commit (not with --one-step), and what sets it: the
   * threshold, an eighth of the good→bad change, or what this noise resolves in about ten samples.
   */
  minStep?: { value: number; source: 'threshold' | 'change' | 'noise'; sideFirst?: true };
}

/** Drift checks (src/harness/drivers/drift-run.ts): progress lines, the measured series, each step found, the end. */
export type DriftEvent =
  | { type: 'drift-note'; message: string }
  | { type: 'drift-series'; points: { sha: string; value: number; n: number; added?: boolean }[] }
  /** A candidate step decided: located (then drift-change follows) or rejected, with the test and its figures. */
  | { type: 'drift-candidate'; candidate: DriftCandidate }
  | { type: 'drift-change'; change: DriftChange }
  | { type: 'drift-end'; exitCode: number; resultFile: string; reportFile: string };

/**
 * The descent into a culprit's dependency changes (src/harness/deps/descent.ts): each level
 * bisects synthetic commits (the parent with upgrades applied) with the same measuring loop, so
 * its blocks and samples are ordinary measure-start and sample events.
 */
export type DepEvent =
  | {
      type: 'dep-level';
      culprit: string;
      level: DepLevel;
      /** What is bisected, e.g. "3 upgrade groups in package-lock.json" or "left-pad 1.1.0 → 1.3.0". */
      title: string;
      good: { label: string; sha: string };
      /** What each candidate applies, oldest first; the last is the bad end. */
      candidates: string[];
    }
  /** A candidate's synthetic commit exists (made up front, or when the search first needs it). */
  | { type: 'dep-commit'; level: DepLevel; sha: string; label: string }
  | { type: 'dep-verdict'; level: DepLevel; label: string; verdict: CommitVerdict }
  | { type: 'dep-end'; culprit: string; level: DepLevel; found?: string; ratio?: number; stopped?: string }
  | {
      type: 'dep-result'; culprit: string; dependency?: DependencyFinding; stopped?: string;
      /** How far the descent went (the result's `descent`). */
      descent?: DependencyDescent;
    };

export type Listener = (e: RunEvent) => void;

export class EventStream {
  private readonly listeners: Listener[] = [];
  private hushed = false;
  private readonly waiting: (() => void)[] = [];

  /**
   * While a sample is being timed, views hold their own work (a redraw of the live UI) until it ends:
   * on a small machine it would be in the measurement.
   */
  hush(on: boolean): void {
    this.hushed = on;
    if (!on) for (const fn of this.waiting.splice(0)) fn();
  }

  /** Run `fn` now, or when the sample being timed ends. */
  whenQuiet(fn: () => void): void {
    if (this.hushed) this.waiting.push(fn);
    else fn();
  }

  subscribe(fn: Listener): () => void {
    this.listeners.push(fn);
    return () => this.listeners.splice(this.listeners.indexOf(fn), 1);
  }
  emit(e: RunEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}
