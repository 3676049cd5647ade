import type { GenericSchema, InferOutput } from 'valibot';
import type { Better } from '../stats/compare.js';

export interface MetricInfo {
  name: string;
  unit: string;
  better: Better;
}

/** One observation, with whatever else the probe saw (percentiles, per-file sizes) for the writeup. */
export interface Sample {
  value: number;
  details?: Record<string, number>;
  /**
   * The run was stopped at its timeout: `value` is the timeout, a lower bound of the true value
   * (a right-censored sample). Only for metrics that are the run's own duration, lower is better.
   */
  censored?: true;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time of the process, in milliseconds. */
  ms: number;
  /** User + system CPU time of the process and everything it started, in milliseconds, where known. */
  cpuMs?: number;
}

export interface ExecOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /**
   * Without `timeoutMs`, stop the run at the harness's hang guard (20× the longest run so far, at least a
   * minute), so a commit that hangs does not stop the bisect; a stop says it was the guard. A probe that
   * times its runs counts a stopped run as a censored sample; one whose figure the run prints reports the
   * commit too slow (skipped).
   */
  guard?: boolean;
}

/**
 * What the harness hands a probe for one commit. Probes never spawn processes or touch files
 * themselves: they ask the context, which logs, times out and cleans up. A service that outlives one
 * commit (the queries probe's PostgreSQL) belongs to the probe that starts it: it comes from the
 * harness's service modules and stops in the probe's dispose().
 */
export interface ProbeContext {
  /** The commit's worktree, built. */
  cwd: string;
  sha: string;
  /** Environment every process of this commit gets (the probe's own env merged in). */
  env: Record<string, string>;
  signal: AbortSignal;
  /**
   * Run a shell command in the worktree; output goes to the commit's probe log. A run stopped at
   * `timeoutMs` throws ProbeTooSlow instead of returning.
   */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Append a line to the commit's probe log. */
  log(line: string): void;
  /** A folder for this commit's artifacts (profiles, heap snapshots, reports), kept with the run. */
  artifactsDir: string;
  /** The commit's probe log file (server output goes here too). */
  logFile: string;
  /**
   * Start a long-running command (a server) in its own process group. The harness stops it at the
   * end of the block at the latest, and on Ctrl-C: a probe cannot leak a process.
   */
  spawn(command: string, opts?: { env?: Record<string, string> }): RunningProcess;
  /** A free TCP port on 127.0.0.1, picked by the OS. */
  freePort(): Promise<number>;
  /** Show a warning in the UI and the run log. */
  warn(message: string): void;
  /** Say something worth knowing that is no problem (which interpreter runs the probe), once per run. */
  note(message: string): void;
  /** Record a file the writeup should link (a profile, a report). */
  artifact(kind: string, path: string): void;
  /** Files under the worktree matching glob patterns (relative paths, sorted). */
  glob?(patterns: string[]): Promise<string[]>;
  /** Read a file; a relative path is taken from the worktree. */
  readFile?(path: string): Promise<Buffer>;
  /** Write a file (an evidence JSON in artifactsDir); parent folders are created. */
  writeFile?(path: string, data: string | Buffer): Promise<void>;
}

export interface RunningProcess {
  pid: number;
  /** Resolves with the exit code when the process group's leader exits. */
  exited: Promise<number | undefined>;
  /** The last lines it printed (stdout and stderr), for error messages. */
  tail(lines?: number): string[];
  /** Called with every line it prints from now on. */
  onLine(fn: (line: string) => void): void;
  /** SIGTERM to the group, SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

export interface AlternativeMetric {
  /** The key in each sample's details, and the value of the config's `metric` field that measures it. */
  field: string;
  info: MetricInfo;
}

export interface Probe {
  kind: string;
  metric: MetricInfo;
  /** One exact sample per commit (bundle bytes, query counts) instead of sequential sampling. */
  deterministic: boolean;
  /** Build command specific to this probe (overrides the config's top-level build). */
  build?: string;
  /**
   * Other figures each sample carries in its details that the probe's `metric` field could measure
   * instead (an http probe's mean latency beside its p99): the noise line names one that resolves the
   * step with far fewer samples.
   */
  alternatives?: readonly AlternativeMetric[];
  prepare?(ctx: ProbeContext): Promise<void>;
  sample(ctx: ProbeContext): Promise<Sample>;
  teardown?(ctx: ProbeContext): Promise<void>;
  /** Release what the probe kept for the whole run (a database server); called once at the end. */
  dispose?(): Promise<void>;
  /**
   * How to take one sample under this probe's native CPU profiler, for the evidence at the culprit.
   * Without it, the harness profiles every Node.js process the probe starts (V8, through NODE_OPTIONS).
   */
  profile?: ProbeProfiler;
  /**
   * What in the probe's setup would make its figures mislead here (a script that imports an installed
   * copy of the code), or leave the culprit without a profile, given the environment it runs in: said
   * once, before measuring.
   */
  cautions?(env: Record<string, string | undefined>, options: { profiling: boolean }): string[];
}

/** A probe's own knowledge of how to run itself under a profiler (src/evidence reads what it writes). */
export interface ProbeProfiler {
  profiler: 'v8' | 'cprofile' | 'pprof';
  /**
   * A profiled run lasts about a set time whatever the code's speed (a benchmark loop run to a time
   * budget): its milliseconds do not grow with the cost, only the shares do.
   */
  fixedTime?: boolean;
  /** One sample with the profiler on, its profile file(s) written into `outDir` (which exists). */
  sample(ctx: ProbeContext, outDir: string): Promise<Sample>;
}

/** A probe kind: its config's one schema (user input: every mistake reported with its path) and its probes. */
export interface ProbeKind<S extends GenericSchema = GenericSchema> {
  kind: string;
  /**
   * The config's check and normalization (defaults filled in), its TypeScript type (`InferInput` is what
   * users write in probes.config.ts) and its docs table (src/config/field-docs.ts).
   */
  schema: S;
  create(config: InferOutput<S>, name: string): Probe;
  /** One line for the README's table and `--help`. */
  describe: string;
}
