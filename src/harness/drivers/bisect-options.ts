import type { EngineOptions } from '../../bisect/engine.js';
import type { Probe } from '../../probes/types.js';
import type { RunResult } from '../../report/result.js';
import type { LoggedEvent } from '../record/run-log.js';
import type { Runner } from '../runners/types.js';

/** What the bisect command hands the bisect run: the CLI's flags and config, resolved. */
export interface BisectOptions {
  repoDir: string;
  good: string;
  bad: string;
  probeName: string;
  probe: Probe;
  /** The probe's validated config: part of every cache key. */
  probeDefinition: unknown;
  build?: string;
  /** The folder of each checkout the probe and the build run in, relative to its root ('' = the root). */
  folder?: string;
  env?: Record<string, string>;
  engine: Omit<EngineOptions, 'better' | 'deterministic'>;
  firstParent: boolean;
  keepWorktrees: boolean;
  warmup: number | 'auto';
  useCache: boolean;
  seed?: number;
  reproduce: string;
  /** The argv that started this run, saved so `--resume` can run it again. */
  argv: string[];
  jsonFile?: string;
  reportFile?: string;
  buildTimeoutMs?: number;
  runId?: string;
  /** Profile each culprit against its parent for the evidence (default on; --no-profile turns it off). */
  profile?: boolean;
  /** A new worktree per commit (--fresh), the install command or 'auto', builds beside measurement (--jobs). */
  fresh?: boolean;
  install?: string;
  jobs?: number;
  /** --budget: minutes the run may take; certainty is traded for time to fit (src/bisect/forecast.ts). */
  budgetMinutes?: number;
  /** Descend into a culprit's lockfile change (default on; --no-deps turns it off). */
  deps?: boolean;
  /** --dep-repo: package name → repository (local path or URL), for the commit level. */
  depRepos?: Record<string, string>;
  /** --runner / --runners: bisect in rounds of jobs on a fleet instead of one commit at a time here. */
  fleet?: { runner: Runner; runners: number };
  /** --artifacts github-actions:<workflow>/<artifact>: CI's build of a commit instead of building it. */
  artifacts?: string;
  /**
   * --resume: the interrupted run's log. Its good and bad commits are bisected again (not what the
   * refs name now), and its blocks are fed back to the engine before anything is measured.
   */
  resume?: { events: LoggedEvent[] };
}

export interface BisectRunResult {
  exitCode: number;
  result?: RunResult;
}
