import { Shift } from './shift.js';
import { mannWhitney } from './mann-whitney.js';
import { median } from './summary.js';

export type Better = 'lower' | 'higher';

export interface CompareOptions {
  /** Smallest relative change that matters (0.05 = 5%). */
  threshold: number;
  /** Two-sided error rate for this one comparison. */
  alpha: number;
  better: Better;
  /** One exact sample per commit (bundle bytes, query counts): compare with a tolerance, no test. */
  deterministic?: boolean;
}

/**
 * How a candidate compares with a reference. Changes are relative to the reference's median and
 * oriented so that a positive number is worse, whatever the metric's direction.
 */
export interface Comparison {
  /** Relative change of the candidate (Hodges-Lehmann shift / |reference median|), + = worse. */
  worse: number;
  /** Interval of `worse` at level 1 - alpha. */
  lo: number;
  hi: number;
  /** Mann-Whitney U two-sided p-value. */
  p: number;
  /** The interval lies within ± threshold: no change that matters. */
  same: boolean;
  /** The interval lies beyond ± threshold/2 and the rank test agrees: a real change. */
  different: boolean;
}

/**
 * A candidate against a reference, as a relative change oriented so that + is worse, with one-sided
 * bounds at any level: what the verdict rule asks ("worse than good, at the strict level?", "within
 * the minimum step of bad, at the lenient level?"). Deterministic metrics have exact bounds.
 *
 * Changes are fractions of `unit`, by default the reference's median. A rule that weighs one commit
 * against two references passes the same unit to both, so that their numbers add up: against a 200×
 * slower bad commit, "−99% vs bad" and "+170% vs good" are −19,700% and +170% of good.
 */
export class Relative {
  /** Relative change of the candidate (Hodges-Lehmann shift / |unit|), + = worse. */
  readonly worse: number;
  private readonly shift: Shift | undefined;
  private readonly scale: number;
  private readonly sign: number;

  constructor(
    readonly ref: readonly number[],
    readonly cand: readonly number[],
    better: Better,
    readonly deterministic = false,
    unit?: number,
  ) {
    this.scale = Math.abs(unit ?? median(ref)) || 1;
    this.sign = better === 'lower' ? 1 : -1;
    if (deterministic) {
      this.worse = (this.sign * (median(cand) - median(ref))) / this.scale;
    } else {
      this.shift = new Shift(ref, cand);
      this.worse = (this.sign * this.shift.estimate) / this.scale;
    }
  }

  /** The candidate is worse by at least this much, with probability 1 − alpha. */
  worseAtLeast(alpha: number): number {
    if (!this.shift) return this.worse;
    const raw = this.sign > 0 ? this.shift.lower(alpha) : this.shift.upper(alpha);
    return (this.sign * raw) / this.scale;
  }

  /** The candidate is worse by at most this much (better by at least its negative), with probability 1 − alpha. */
  worseAtMost(alpha: number): number {
    if (!this.shift) return this.worse;
    const raw = this.sign > 0 ? this.shift.upper(alpha) : this.shift.lower(alpha);
    return (this.sign * raw) / this.scale;
  }

  /** The two-sided summary at level 1 − alpha, for reports. */
  summary(alpha: number, threshold: number): Comparison {
    // A metric that never goes below zero (times, bytes, counts) cannot get better by more than all of
    // the reference: rank bounds made relative to a small reference can pass that when the samples are few.
    const nonNegative = this.ref.every((v) => v >= 0) && this.cand.every((v) => v >= 0);
    const atLeast = this.worseAtLeast(alpha / 2);
    const atMost = this.worseAtMost(alpha / 2);
    const all = (Math.abs(median(this.ref)) || 1) / this.scale;
    const lo = nonNegative && this.sign > 0 ? Math.max(-all, atLeast) : atLeast;
    const hi = nonNegative && this.sign < 0 ? Math.min(all, atMost) : atMost;
    if (this.deterministic) {
      const same = Math.abs(this.worse) <= threshold;
      return { worse: this.worse, lo, hi, p: same ? 1 : 0, same, different: !same };
    }
    const { p } = mannWhitney(this.ref, this.cand);
    const same = lo > -threshold && hi < threshold;
    const different = (lo > threshold / 2 || hi < -threshold / 2) && p < alpha;
    return { worse: this.worse, lo, hi, p, same, different };
  }
}

export function compare(ref: readonly number[], cand: readonly number[], options: CompareOptions): Comparison {
  return new Relative(ref, cand, options.better, options.deterministic).summary(options.alpha, options.threshold);
}
