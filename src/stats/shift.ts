import { median, quantileSorted, sorted } from './summary.js';
import type { Rng } from './rng.js';
import { boundRank } from './mann-whitney.js';

/**
 * The Hodges-Lehmann shift of b against a (the median of all pairwise differences b − a) with its
 * distribution-free (Moses) bounds. The bounds come from the Mann-Whitney U distribution (exact for
 * few samples), so they stay valid at the very small alphas a Bonferroni-corrected bisect needs,
 * where a bootstrap cannot resolve the tails.
 */
export class Shift {
  readonly estimate: number;
  private readonly diffs: Float64Array;

  constructor(private readonly a: readonly number[], private readonly b: readonly number[]) {
    const diffs = new Float64Array(a.length * b.length);
    let k = 0;
    for (const y of b) for (const x of a) diffs[k++] = y - x;
    diffs.sort();
    this.diffs = diffs;
    this.estimate = quantileSorted(diffs, 0.5);
  }

  /** A lower bound of the shift that holds with probability 1 − alpha (−Infinity if the samples cannot give one). */
  lower(alpha: number): number {
    const c = boundRank(this.a.length, this.b.length, alpha);
    return c < 1 ? -Infinity : this.diffs[c - 1];
  }

  /** An upper bound of the shift that holds with probability 1 − alpha. */
  upper(alpha: number): number {
    const c = boundRank(this.a.length, this.b.length, alpha);
    return c < 1 ? Infinity : this.diffs[this.diffs.length - c];
  }
}

/** Hodges-Lehmann estimate of the shift b − a with its two-sided (Moses) interval at level 1 − alpha. */
export function hodgesLehmann(
  a: readonly number[],
  b: readonly number[],
  alpha: number,
): { shift: number; lo: number; hi: number } {
  const s = new Shift(a, b);
  return { shift: s.estimate, lo: s.lower(alpha / 2), hi: s.upper(alpha / 2) };
}

/** Percentile bootstrap interval of median(b) / median(a): the figure people read in a report. */
export function bootstrapRatioCi(
  a: readonly number[],
  b: readonly number[],
  rng: Rng,
  confidence = 0.95,
  resamples = 2000,
): { ratio: number; lo: number; hi: number } {
  const ma = median(a);
  const ratio = ma === 0 ? NaN : median(b) / ma;
  if (a.length < 2 || b.length < 2) return { ratio, lo: NaN, hi: NaN };
  const ratios: number[] = [];
  const bufA = new Array<number>(a.length);
  const bufB = new Array<number>(b.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < a.length; i++) bufA[i] = a[Math.floor(rng() * a.length)];
    for (let i = 0; i < b.length; i++) bufB[i] = b[Math.floor(rng() * b.length)];
    const da = median(bufA);
    if (da !== 0) ratios.push(median(bufB) / da);
  }
  const s = sorted(ratios);
  const tail = (1 - confidence) / 2;
  return { ratio, lo: quantileSorted(s, tail), hi: quantileSorted(s, 1 - tail) };
}
