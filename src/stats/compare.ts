import { hodgesLehmann } from './shift.js';
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

export function compare(ref: readonly number[], cand: readonly number[], o: CompareOptions): Comparison {
  const scale = Math.abs(median(ref)) || 1;
  const sign = o.better === 'lower' ? 1 : -1;
  if (o.deterministic) {
    const worse = (sign * (median(cand) - median(ref))) / scale;
    const same = Math.abs(worse) <= o.threshold;
    return { worse, lo: worse, hi: worse, p: same ? 1 : 0, same, different: !same };
  }
  const hl = hodgesLehmann(ref, cand, o.alpha);
  const a = (sign * hl.lo) / scale;
  const b = (sign * hl.hi) / scale;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const worse = (sign * hl.shift) / scale;
  const { p } = mannWhitney(ref, cand);
  const same = lo > -o.threshold && hi < o.threshold;
  const different = (lo > o.threshold / 2 || hi < -o.threshold / 2) && p < o.alpha;
  return { worse, lo, hi, p, same, different };
}
