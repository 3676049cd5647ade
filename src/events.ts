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
  /** An install that ran, or a seed from the install cache (`seeded`); modules reused in place emit none. */
  | { type: 'install-end'; sha: string; ok: boolean; seconds: number; log: string; seeded: boolean; tail?: string[] }
  | { type: 'measure-start'; target: string; refs: string[]; rounds: number; purpose: Purpose; cached: boolean }
  /** `censored`: the run was stopped at the probe's timeout; `value` is the timeout, a lower bound. */
  | { type: 'sample'; sha: string; value: number; details?: Record<string, number>; censored?: true }
  | { type: 'threshold'; value: number; source: string }
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
      /** Stored by an earlier run for the same culprit, parent, probe and machine: not profiled again. */
      cached?: true;
    };

/** Drift checks (src/harness/drift-run.ts): progress lines, the measured series, each step found, the end. */
export type DriftEvent =
  | { type: 'drift-note'; message: string }
  | { type: 'drift-series'; points: { sha: string; value: number; n: number }[] }
  | { type: 'drift-change'; change: import('./report/drift.js').DriftChange }
  | { type: 'drift-end'; exitCode: number; resultFile: string; reportFile: string };

export type Listener = (e: RunEvent) => void;

export class EventStream {
  private readonly listeners: Listener[] = [];
  subscribe(fn: Listener): () => void {
    this.listeners.push(fn);
    return () => this.listeners.splice(this.listeners.indexOf(fn), 1);
  }
  emit(e: RunEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}
