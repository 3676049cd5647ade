/** What a drift check found, as its events, its result JSON and its store record it. */

/** A located step of a drift check (a confirmed candidate bisected to its culprit): result, store and writeup. */
export interface DriftChange {
  /** Stable: probe + culprit. A later check does not alert on a known or acknowledged id. */
  id: string;
  /** The measured points either side of the step. */
  from: string;
  to: string;
  culprit: string | null;
  subject: string;
  kind: 'regression' | 'improvement';
  /** Relative change of the metric across the culprit (beside its parent), + = worse. */
  change: number;
  /** The interleaved re-measurement of the two neighbouring points confirmed the step before it was bisected. */
  confirmed: boolean;
  known: boolean;
  acked: boolean;
  before: number;
  after: number;
  p: number;
}

/** How a re-measurement side by side decided: + = worse, its interval and p, samples a side. */
export interface DriftConfirmation {
  verdict: 'confirmed' | 'below-threshold' | 'too-small' | 'inconclusive';
  change: number;
  lo: number;
  hi: number;
  p: number;
  alpha: number;
  n: [number, number];
  /** The step went the other way than the series showed (the candidate's kind is the re-measured one). */
  opposite?: boolean;
}

/** Every candidate step, located or rejected, with the test that decided it and its figures. */
export interface DriftCandidate {
  /** The measured points either side. */
  from: string;
  to: string;
  kind: 'regression' | 'improvement';
  /** Change between the two points in the series, + = worse. */
  interval: number;
  /** What flagged it: an interval above the threshold, a lenient split, a span of two intervals over one point. */
  sources: ('interval' | 'split' | 'span')[];
  split: { p: number; change: number } | null;
  status: 'step' | 'rejected';
  rejectedBy: 'confirmation' | 'bisect' | 'measurement' | null;
  /** The two points re-measured side by side. */
  confirmation: DriftConfirmation | null;
  /** The bisect inside the confirmed candidate: status, commits, the largest single-commit change it located. */
  bisect: { status: string; commits: number; largest: { culprit: string; change: number; p: number } | null } | null;
  /** Located steps' ids. */
  steps: string[];
  /** One sentence: which test decided and with what figures. */
  reason: string;
}
