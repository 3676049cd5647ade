/** Exit codes are a public contract (README, "Exit codes"). */
export const ExitCode = {
  found: 0,
  noRegression: 1,
  usage: 2,
  ambiguous: 3,
  environment: 4,
  driftFound: 5,
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

/** A commit could not be built or measured; in the middle of a range it is skipped. */
export class CommitFailure extends Error {
  /** The commit that failed, set by the harness where it knows (a block measures several commits). */
  sha?: string;
  constructor(
    readonly stage: 'build' | 'probe' | 'server',
    message: string,
    readonly logFile?: string,
    readonly logTail: string[] = [],
  ) {
    super(message);
  }
}
