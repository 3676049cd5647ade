import { median, quantileSorted, sorted } from './summary.js';
import type { Rng } from './rng.js';
import { zFor } from './mann-whitney.js';

/**
 * Hodges-Lehmann estimate of the shift b - a with its distribution-free (Moses) interval.
 * The interval comes from the Mann-Whitney U distribution, so it stays valid at the very small
 * per-look alphas a sequential, Bonferroni-corrected bisect needs (a bootstrap cannot resolve those tails).
 */
export function hodgesLehmann(a: readonly number[], b: readonly number[], alpha: number): { shift: number; lo: number; hi: number } {
  const n = a.length;
  const m = b.length;
  const diffs = new Float64Array(n * m);
  let k = 0;
  for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) diffs[k++] = b[j] - a[i];
  diffs.sort();
  const N = diffs.length;
  const shift = N % 2 ? diffs[(N - 1) >> 1] : (diffs[N / 2 - 1] + diffs[N / 2]) / 2;
  const c = Math.floor((n * m) / 2 - zFor(alpha) * Math.sqrt((n * m * (n + m + 1)) / 12));
  if (c < 1) return { shift, lo: -Infinity, hi: Infinity };
  return { shift, lo: diffs[c - 1], hi: diffs[N - c] };
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
    const da = quantileSorted(sorted(bufA), 0.5);
    if (da !== 0) ratios.push(quantileSorted(sorted(bufB), 0.5) / da);
  }
  const s = sorted(ratios);
  const tail = (1 - confidence) / 2;
  return { ratio, lo: quantileSorted(s, tail), hi: quantileSorted(s, 1 - tail) };
}
