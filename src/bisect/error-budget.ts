/**
 * How a bisect spends its error rate (1 − confidence) over the decisions it actually makes.
 *
 * A bisect cannot know in advance how many decisions it will make: a step between two others adds a
 * sub-search, a skipped commit adds a midpoint. So the rate is not divided by an expected count.
 * Decision k (the endpoints are decision 1) gets a share from a series that sums to 1 however long
 * it runs: the planned ⌈log2 (N+1)⌉ + 1 decisions share 80% equally, every further one takes
 * 20% · (D+1) / (k (k+1)) of what is left over, a tail that sums to 20%.
 *
 * Inside a decision the share is spent over its looks (a group-sequential test, Bonferroni over looks):
 * half at the first look, where a step that is large against the noise is decided, the rest evenly
 * over the later looks. Looks of exact rank tests rather than an SPRT: a likelihood ratio needs a model
 * of the samples' distribution, and timings are skewed, heavy-tailed and often bimodal, so a wrong model
 * would void the error rate; Bonferroni over a few doubling looks stays distribution-free.
 *
 * One share covers both one-sided questions of a verdict ("worse than the good reference?", "better
 * than the bad one?"): the good reference is worse than the bad one (an earlier decision says so), so
 * at most one of the two null hypotheses can be true and only that one can be wrongly rejected.
 */
export class ErrorBudget {
  private spentSoFar = 0;

  constructor(
    private totalRate: number,
    readonly planned: number,
  ) {}

  get total(): number {
    return this.totalRate;
  }

  /**
   * Spend up to `total` from now on (a larger rate, for a time budget): decisions already made spent
   * less than their new share, so the sum still stays within it.
   */
  raise(total: number): void {
    this.totalRate = Math.max(this.totalRate, total);
  }

  /** The share of decision k (1-based). */
  decision(k: number): number {
    const d = this.planned;
    if (k <= d) return (this.totalRate * 0.8) / d;
    return (this.totalRate * 0.2 * (d + 1)) / (k * (k + 1));
  }

  /** The error rate of look j (0-based) of decision k when it has `looks` looks in all. */
  look(k: number, j: number, looks: number): number {
    const share = this.decision(k);
    if (looks <= 1) return share;
    return j === 0 ? share / 2 : share / 2 / (looks - 1);
  }

  /** Record that a test was run at this level (whatever its outcome). */
  spend(alpha: number): void {
    this.spentSoFar += alpha;
  }

  /** The error rate spent by the tests actually run: the family-wise confidence is at least 1 − spent. */
  get spent(): number {
    return this.spentSoFar;
  }
}

/**
 * Decisions a bisect of n commits plans for: the endpoint check plus ⌈log2 (n+1)⌉ verdicts; with k
 * commits a round, k verdicts in each of ⌈log_{k+1} (n+1)⌉ rounds (a k-ary search decides more to
 * take fewer rounds).
 */
export function plannedDecisions(rangeSize: number, width = 1): number {
  // Rounded first: log2 (n+1) / log2 (k+1) is not exact for powers of k+1 in floating point.
  const rounds = Math.ceil(Number((Math.log2(rangeSize + 1) / Math.log2(width + 1)).toFixed(9)));
  return width * rounds + 1;
}
