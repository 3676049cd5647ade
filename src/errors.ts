/** Exit codes are a public contract (README, "Exit codes"). */
export const ExitCode = {
  found: 0,
  noRegression: 1,
  usage: 2,
  ambiguous: 3,
  environment: 4,
  driftFound: 5,
  undecided: 6,
  interrupted: 130,
} as const;

/** A mistake the user can fix: bad flag, unknown ref, invalid config. Exit 2. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;
}

/** Something outside the user's input went wrong: a tool is missing, an endpoint does not build. Exit 4. */
export class EnvironmentError extends Error {
  readonly exitCode = ExitCode.environment;
  constructor(message: string, readonly detail?: string) {
    super(message);
  }
}

/**
 * How a stage went wrong, kept apart in every message: a process that exited non-zero crashed; one
 * stopped at its timeout was too slow (a measurement, not a crash); anything else failed.
 */
export type FailureKind = 'crashed' | 'too slow' | 'failed';

/** A commit could not be built or measured; in the middle of a range it is skipped. */
/** Where a commit failed: preparing it (install, build), or measuring it (probe, the probe's server). */
export type Stage = 'install' | 'build' | 'probe' | 'server';

export class CommitFailure extends Error {
  /** The commit that failed, set by the harness where it knows (a block measures several commits). */
  sha?: string;
  constructor(
    readonly stage: Stage,
    message: string,
    readonly logFile?: string,
    readonly logTail: string[] = [],
    readonly kind: FailureKind = 'failed',
  ) {
    super(message);
  }

  /** The commit could not be prepared (installed or built): every block that needs it fails. */
  get preparing(): boolean {
    return this.stage === 'install' || this.stage === 'build';
  }

  /** What the failure means for the commit: "does not install", "does not build", "cannot be measured". */
  get consequence(): string {
    return this.stage === 'install' ? 'does not install' : this.stage === 'build' ? 'does not build' : 'cannot be measured';
  }

  /** "the probe crashed", "the probe was too slow", "the build failed", … */
  get headline(): string {
    return `the ${this.stage} ${this.kind === 'too slow' ? 'was too slow' : this.kind}`;
  }

  /**
   * One line for a skipped commit: the headline (`where` it happened, on a fleet), the message and
   * the output line that says why.
   */
  summary(where = ''): string {
    const line = errorLine(this.logTail);
    const quote = line && !this.message.includes(line) ? `; output: "${clip(line, 160)}"` : '';
    return `${this.headline}${where}: ${this.message}${quote}`;
  }
}

/**
 * What to do when a process failed for want of a dependency: a worktree holds only the commit's
 * tracked files, its dependencies are installed only when asked.
 */
export function missingDependencyHint(output: string): string | undefined {
  // The script the command names is not in the checkout (Node: the entry module, required by nothing;
  // Python: the file it was asked to open). No install brings it back.
  const entry =
    /Cannot find module '((?:\/|\.{1,2}\/)[^']+)'/.exec(output) ?? /can't open file '([^']+)': \[Errno 2\]/.exec(output);
  if (entry && !/Require stack:\s*\n\s*-|imported from/.test(output)) {
    // Named as in the repository (bench/bench.js) where the path lies in one of our worktrees.
    const name = /\/worktrees\/[^/]+\/(?:slot-\d+|[0-9a-f]{12})\/(.+)$/.exec(entry[1])?.[1] ?? entry[1].split('/').pop();
    return (
      `${name} is not in this commit's checkout, where the command runs: commit it, or give its absolute ` +
      'path so that every commit runs the same script'
    );
  }
  const where = 'each commit is checked out without node_modules or a virtualenv';
  if (/No module named|ModuleNotFoundError/.test(output))
    return (
      `a Python module is missing: ${where}; give the install, like --install "python3 -m venv .venv && ` +
      `.venv/bin/pip install -r requirements.txt" and run .venv/bin/python, or set PYTHONPATH`
    );
  if (/Cannot find (module|package)|MODULE_NOT_FOUND|ERR_MODULE_NOT_FOUND|cannot find package/.test(output)) {
    // NODE_PATH serves require() only: ES modules' import does not read it, nor does Go.
    const esm = /ERR_MODULE_NOT_FOUND|Cannot find package '[^']*' imported from/.test(output);
    const required = !esm && /Cannot find module '|MODULE_NOT_FOUND/.test(output);
    return (
      `a dependency is missing: ${where}; add --install auto (one install per distinct lockfile, reused)` +
      (required ? ', or install it once outside the repository and set NODE_PATH to that node_modules' : '')
    );
  }
  return undefined;
}

/**
 * The line of a log tail that says what went wrong: the one naming an error, else the last with text
 * (compilers and shells print the reason last).
 */
export function errorLine(tail: readonly string[]): string | undefined {
  const named = tail.find((l) => namesTheError.test(l));
  const said = (l: string) => l.trim() && l.trim() !== '…' && !stackLine.test(l) && !runnersOwn.test(l);
  return (named ?? [...tail].reverse().find(said) ?? tail.find((l) => npmsReason.test(l)))?.trim();
}

/** What npm, yarn, make and Node print after the failing command's own words: not the reason. */
const runnersOwn = /^\s*(npm (ERR!|error|warn)|yarn run v|error Command failed|info Visit|make(\[\d+\])?: \*\*\*|Node\.js v\d)/;
/**
 * Where npm itself failed (a registry or host it cannot reach, a version that does not exist), its own
 * lines are all there is: the first that is not a code, a path or its advice says why.
 */
const npmsReason =
  /^\s*npm (ERR!|error) (?!(code|errno|syscall|path|command|signal|network (This|In most|If you|$))\b|A complete log|\s*$)/;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * A probe's process ran past its timeout and was stopped: the run was too slow, not broken. A
 * probe whose metric is that run's duration records it as a censored sample instead (command.ts).
 */
export class ProbeTooSlow extends CommitFailure {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    logFile?: string,
    logTail: string[] = [],
    /** What set the limit where it was not a timeout the user gave (the hang guard). */
    limit?: string,
  ) {
    const message = limit
      ? `\`${command}\` ran past ${limit} and was stopped after ${timeoutMs / 1000} s`
      : `\`${command}\` ran past its ${timeoutMs / 1000} s timeout and was stopped`;
    super('probe', message, logFile, logTail, 'too slow');
  }
}

/** A line that names what went wrong: `Error: Cannot find module 'x'`, `TypeError: …`, Go's `panic: …`. */
const namesTheError = /^\s*(?:Uncaught )?(?:\w*(?:Error|Exception)|panic|fatal error)\b[^\n]*:/;

/** Lines of a stack trace or of what a runtime prints after one: `    at f (x.js:1)`, `{ code: … }`, goroutines. */
const stackLine = /^(\s+at |\s*[{}\]]|\s+\w+: |goroutine \d|\t)/;
/** How far above the tail the line naming the error is looked for: one stack's length. */
const STACK_LINES = 40;

/**
 * The last lines of a process's output, for an error's log tail. Where they are a stack trace and the
 * line naming the error sits just above them (Node prints its stack and a details object after it),
 * that line comes first, then the tail.
 */
export function tailLines(text: string, lines = 10): string[] {
  if (!text.trim()) return [];
  const all = text.trimEnd().split('\n');
  const tail = all.slice(-lines);
  if (all.length <= lines || lines < 3 || tail.some((l) => namesTheError.test(l))) return tail;
  if (tail.filter((l) => stackLine.test(l)).length < tail.length / 2) return tail;
  for (let i = all.length - lines - 1; i >= Math.max(0, all.length - lines - STACK_LINES); i--)
    if (namesTheError.test(all[i])) return [all[i], '…', ...tail.slice(2)];
  return tail;
}
