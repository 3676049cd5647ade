import type { CommitVerdict, Outcome, Purpose } from './bisect/engine.js';
import type { MetricInfo } from './probes/types.js';

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
    }
  | { type: 'range'; commits: CommitMeta[] }
  | { type: 'phase'; sha: string; phase: Phase }
  | { type: 'output'; sha: string; stage: 'build' | 'probe' | 'server'; line: string }
  | { type: 'build-end'; sha: string; ok: boolean; seconds: number; log: string; cached: boolean; tail?: string[] }
  | { type: 'measure-start'; target: string; refs: string[]; rounds: number; purpose: Purpose; cached: boolean }
  | { type: 'sample'; sha: string; value: number; details?: Record<string, number> }
  | { type: 'threshold'; value: number; source: string }
  /** After the endpoints: what the measured noise will cost, and how busy the machine is. */
  | { type: 'noise'; noise: NoiseReport }
  | { type: 'verdict'; verdict: CommitVerdict }
  | { type: 'skip'; sha: string; reason: string; log?: string }
  | { type: 'warning'; message: string }
  | { type: 'artifact'; sha: string; kind: string; path: string }
  | { type: 'run-end'; outcome: Outcome; resultFile: string; reportFile: string; exitCode: number }
  | { type: 'run-error'; message: string; exitCode: number; log?: string; tail?: string[] }
  /** Evidence at a culprit (profile diff): the top functions whose share of time grew. */
  | {
      type: 'evidence';
      sha: string;
      profiler: string;
      top: { function: string; file: string; line: number; delta: number; inChange: 'added' | 'modified' | false }[];
      note?: string;
    };

/** What the endpoints' noise implies for the rest of the run (src/bisect/forecast.ts), as plain data. */
export interface NoiseReport {
  /** Relative noise of one sample of the metric, and of the CPU time where the probe records it. */
  cv: number;
  cpuCv?: number;
  /** CPU time as a share of wall time (medians): how much of the run is CPU work at all. */
  cpuShare?: number;
  /** Target samples a commit needs beside a 5% step, and beside this run's step. */
  samplesFor5pct: number;
  samplesForThisStep: number;
  delta: number;
  /** Estimated minutes for the verdicts still to make. */
  minutes: number;
  verdicts: number;
  /** Machine: cores, one-minute load average, other processes using a core. */
  cores: number;
  load: number;
  busy: { pid: number; name: string; cpu: number }[];
  loaded: boolean;
  /** --budget: minutes given, and the confidence the run now holds itself to. */
  budget?: { minutes: number; confidence: number; asked: number };
}

/** Drift checks (src/harness/drift-run.ts): progress lines, the measured series, each step found, the end. */
export type DriftEvent =
  | { type: 'drift-note'; message: string }
  | { type: 'drift-series'; points: { sha: string; value: number; n: number; added?: boolean }[] }
  /** A candidate step decided: located (then drift-change follows) or rejected, with the test and its figures. */
  | { type: 'drift-candidate'; candidate: import('./report/drift.js').DriftCandidate }
  | { type: 'drift-change'; change: import('./report/drift.js').DriftChange }
  | { type: 'drift-end'; exitCode: number; resultFile: string; reportFile: string };

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
