import type { RunEvent } from '../../events.js';
import type { JobResult, RoundPlan } from '../fleet/plan.js';

/** What became of one job of a round, as the runner brought it back. */
export interface JobOutcome {
  index: number;
  /** The job's output folder on this machine (result.json, logs/, artifacts/), when it came back. */
  dir?: string;
  result?: JobResult;
  /** Why no result came back: the job crashed, was cancelled or timed out, or its artifact is missing. */
  lost?: string;
  /** Where to look at the job (a run's page, a pod). */
  where?: string;
}

export interface RoundContext {
  /** This round's folder on this machine: one sub-folder per job. */
  dir: string;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
}

/**
 * A runner only moves plans out and results back: it runs each job of a round (the one command
 * `perfbisect job <plan.json> --index <i> --out <dir>`) on a machine of its own and never decides
 * anything. Local processes, a GitHub Actions matrix and a Kubernetes Indexed Job are runners.
 */
export interface Runner {
  readonly name: string;
  /** What the runner needs, checked before anything is measured (a token, the workflow, the cluster). */
  check(): Promise<void>;
  runRound(plan: RoundPlan, ctx: RoundContext): Promise<JobOutcome[]>;
}

export const runnerNames = ['local', 'github-actions', 'kubernetes'] as const;
export type RunnerName = (typeof runnerNames)[number];
