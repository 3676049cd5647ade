/**
 * Where a run's time went: plain data the harness counts, the run log records (the `cost` event)
 * and the result JSON and the writeup show (docs/result-schema.md).
 */
export interface RunCost {
  wallSeconds: number;
  builds: number;
  buildSeconds: number;
  samples: number;
  measureSeconds: number;
  cachedBlocks: number;
  perCommit: Record<string, CommitCost>;
  /** Installs run, and reused (seeded from the install cache or already in the worktree). */
  installs?: number;
  installSeconds?: number;
  installsReused?: number;
  /** Builds restored from the build cache instead of built. */
  buildsRestored?: number;
  /** Builds downloaded from CI's artifacts (--artifacts) instead of built. */
  buildsFetched?: number;
  /** On a fleet (--runner): rounds of jobs, the jobs run, and the jobs replayed from the cache. */
  rounds?: number;
  fleetJobs?: number;
  fleetJobsCached?: number;
  /** Seconds the caches saved: the original cost of what was reused, minus the reuse itself. */
  savedSeconds?: number;
  /**
   * perfbisect's own time: wall time not spent in checkout, install, build, server start,
   * measurement or profiling.
   */
  overheadSeconds?: number;
  /** Profiling the culprits against their parents (the evidence step), preparation excluded; 0 when replayed. */
  profileSeconds?: number;
  /** Builds allowed beside a measurement (--jobs). */
  jobs?: number;
  /** Time blocks waited for builds ahead to finish (with --jobs 0 they never overlap a measurement). */
  aheadWaitSeconds?: number;
}

/** Where one commit's time went, in seconds. */
export interface CommitCost {
  checkout: number;
  build: number;
  measure: number;
  /** Measured blocks replayed from the sample store. */
  cached: boolean;
  install?: number;
  /** Probe preparation (a server's start). */
  server?: number;
  overhead?: number;
  saved?: number;
  buildCached?: boolean;
  /** The build output was downloaded from CI (--artifacts). */
  buildFetched?: boolean;
  installReused?: boolean;
  /** Prepared ahead of the search, in the background (off the critical path). */
  ahead?: boolean;
  /** What ran ahead: an install (or a seed from the install cache), a build (not a restore). */
  installedAhead?: boolean;
  builtAhead?: boolean;
}
