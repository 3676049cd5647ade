/**
 * The profiler-neutral shape every profiler's output is folded into (V8 .cpuprofile, Python pstats,
 * Go pprof), so diffing, tying to the culprit's change and the flame graph are written once.
 * Times are milliseconds summed over all runs of one side; divide by `runs` for "per probe run".
 */
export type ProfilerName = 'v8' | 'cprofile' | 'pprof';

export interface FnStat {
  function: string;
  /** Path relative to the worktree when the code is the repository's own, else as the profiler named it. */
  file: string;
  /** 1-based line of the function's definition (0 when unknown). */
  line: number;
  self: number;
  total: number;
  /** Built at run time (eval, new Function, vm), located in `file` by its name and source text. */
  evaluated?: boolean;
}

export interface LineStat {
  file: string;
  line: number;
  self: number;
}

/** A call-tree node: one function at one call path. */
export interface FlameNode {
  key: string;
  name: string;
  self: number;
  total: number;
  children: FlameNode[];
}

export interface ProfileAggregate {
  profiler: ProfilerName;
  runs: number;
  /** All sampled time, idle excluded. */
  totalMs: number;
  samples: number;
  fns: Map<string, FnStat>;
  lines: Map<string, LineStat>;
  /** fnKey -> line -> self ms: which lines of a function carry its time. */
  fnLines: Map<string, Map<number, number>>;
  /** Merged call tree of all runs (absent when the profiler has no tree, e.g. cProfile). */
  tree?: FlameNode;
  /** fnKey -> caller fnKey -> ms of fnKey's time spent below that caller (any depth). */
  callers: Map<string, Map<string, number>>;
}

export const fnKey = (f: { function: string; file: string; line: number }) =>
  `${f.function}\u0000${f.file}\u0000${f.line}`;
export const lineKey = (file: string, line: number) => `${file}:${line}`;

export function emptyAggregate(profiler: ProfilerName): ProfileAggregate {
  return {
    profiler,
    runs: 0,
    totalMs: 0,
    samples: 0,
    fns: new Map(),
    lines: new Map(),
    fnLines: new Map(),
    callers: new Map(),
  };
}

/** How a hot spot relates to the culprit's diff. */
export type InChange = 'added' | 'modified' | false;

/** One row of the evidence: a function whose share of the time changed. */
export interface EvidenceRow {
  function: string;
  file: string;
  line: number;
  /** Self time, ms per probe run, at the parent and at the culprit. */
  selfBefore: number;
  selfAfter: number;
  totalBefore: number;
  totalAfter: number;
  /** Share of all sampled time (0..1) at each side. */
  shareBefore: number;
  shareAfter: number;
  /** Change of the self share, in percentage points. */
  delta: number;
  /** Change of self time, ms per probe run. */
  deltaMs: number;
  /** Absent at the parent. */
  new: boolean;
  inChange: InChange;
  /** The hottest line of this function at the culprit, when the profiler has lines. */
  hotLine?: { line: number; share: number; inChange: boolean; text?: string };
  /** A changed function on the call path to this one (when this one is not itself changed). */
  calledFrom?: { function: string; file: string; line: number };
  /**
   * Neither changed nor called from a changed function, but it calls one: what the changed function now
   * returns can make its caller do more (a scan that stops later), so the caller's own time grows.
   */
  calls?: { function: string; file: string; line: number };
  /**
   * Neither changed nor called from a changed function: the repository's own function it spent the
   * most time under (a regular expression's match under the tokenizer that runs it).
   */
  under?: { function: string; file: string; line: number };
  /** Code run through eval or new Function: `file` and `line` are where its source text is. */
  evaluated?: boolean;
}

export interface Evidence {
  culprit: string;
  parent: string;
  profiler: ProfilerName | 'none';
  /** Saved profiles (one representative run per side), paths in the run folder. */
  before?: string;
  after?: string;
  /** Every profile taken, per side. */
  files?: { before: string[]; after: string[] };
  runs?: { before: number; after: number };
  samples?: { before: number; after: number };
  /** Each profiled run lasted about a set time (ProbeProfiler.fixedTime): compare shares, not milliseconds. */
  fixedTime?: true;
  /** Largest share difference (percentage points) between two halves of the same commit's runs. */
  noise?: number;
  top: EvidenceRow[];
  shrank: EvidenceRow[];
  /** Changed lines that carry time at the culprit, quoted from the diff. */
  lines: { file: string; line: number; text: string; share: number; msPerRun: number }[];
  /**
   * What the commit added, quoted from the diff, when no slower function is one it changed or one a
   * changed function calls: the slower code may run on something it changed (a regular expression,
   * a constant, a setting).
   */
  added?: { file: string; line: number; text: string }[];
  /** Lines the commit added in all (lockfiles aside), of which `added` quotes the first. */
  addedTotal?: number;
  /**
   * Module code the culprit changed, quoted where a slower function ran under that module's top-level code
   * and the profiler gives no lines of it (cProfile's `<module>`).
   */
  moduleCode?: { file: string; line: number; text: string }[];
  flamegraph?: string;
  /** Why there is no profile, or what was partial. */
  note?: string;
}
