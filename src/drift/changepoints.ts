import jstatPkg from 'jstat';
import { compare, type Better } from '../stats/compare.js';
import { median } from '../stats/summary.js';

const { jStat } = jstatPkg;

/** One measured commit of the series: its per-sample values (the point's value is their median). */
export interface SeriesPoint {
  sha: string;
  samples: number[];
}

export interface ChangePointOptions {
  /** Significance of a split (Student t-test on the point values), Hunter/Otava's default 0.001. */
  pValue: number;
  /** Points required on each side of a step. */
  minPoints: number;
  /** Smallest relative step that counts (the probe's threshold). */
  minMagnitude: number;
  better: Better;
  /** Error rate of the per-sample check of each step (rank test of the samples either side). */
  sampleAlpha: number;
}

export const defaultChangePointOptions: Omit<ChangePointOptions, 'better' | 'minMagnitude'> = {
  pValue: 0.001,
  minPoints: 2,
  sampleAlpha: 0.01,
};

export interface ChangePoint {
  /** Index of the first point after the step. */
  index: number;
  /** Relative change of the segment means across the step, + = worse (whatever the metric's direction). */
  worse: number;
  /** Mean of the segments either side (between the neighbouring change points). */
  before: number;
  after: number;
  /** t-test p of the final (second) pass. */
  p: number;
  kind: 'regression' | 'improvement';
}

/**
 * E-Divisive means (Matteson & James 2014) as Hunter/Otava use it: the split that maximises the
 * energy statistic of the point values, accepted when a t-test of the two sides is below
 * `pValue` (deterministic, no permutations), applied recursively; then a second pass re-tests each
 * step between its neighbouring steps and drops the ones that no longer hold. Guards the users of
 * those tools asked for: `minPoints` on each side, a minimum magnitude, and each step's samples
 * (not just the medians) on either side must differ by a rank test.
 */
export function changePoints(series: readonly SeriesPoint[], options: ChangePointOptions): ChangePoint[] {
  const x = series.map((p) => median(p.samples));
  const found = new Set<number>();
  const split = (lo: number, hi: number) => {
    const cut = bestSplit(x, lo, hi, options.minPoints);
    if (!cut) return;
    const best = cut.tau;
    if (tTest(x.slice(lo, best), x.slice(best, cut.kappa)) > options.pValue) return;
    found.add(best);
    split(lo, best);
    split(best, hi);
  };
  split(0, x.length);
  // Second pass: each step between its neighbours, until nothing more is dropped.
  let cps = [...found].sort((a, b) => a - b);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < cps.length; i++) {
      const lo = i ? cps[i - 1] : 0;
      const hi = i + 1 < cps.length ? cps[i + 1] : x.length;
      const keep = accept(series, x, lo, cps[i], hi, options);
      if (!keep) {
        cps = cps.filter((_, k) => k !== i);
        changed = true;
        break;
      }
    }
  }
  return cps.map((c, i) => {
    const lo = i ? cps[i - 1] : 0;
    const hi = i + 1 < cps.length ? cps[i + 1] : x.length;
    const before = mean(x.slice(lo, c));
    const after = mean(x.slice(c, hi));
    const worse = ((options.better === 'lower' ? 1 : -1) * (after - before)) / (Math.abs(before) || 1);
    return {
      index: c,
      worse,
      before,
      after,
      p: tTest(x.slice(lo, c), x.slice(c, hi)),
      kind: worse > 0 ? 'regression' : 'improvement',
    };
  });
}

function accept(
  series: readonly SeriesPoint[],
  x: number[],
  lo: number,
  c: number,
  hi: number,
  options: ChangePointOptions,
): boolean {
  if (c - lo < options.minPoints || hi - c < options.minPoints) return false;
  const a = x.slice(lo, c);
  const b = x.slice(c, hi);
  if (tTest(a, b) > options.pValue) return false;
  const before = mean(a);
  if (Math.abs(mean(b) - before) / (Math.abs(before) || 1) < options.minMagnitude) return false;
  // The samples of the points next to the step must differ too: a step made of one noisy median is not one.
  const left = series.slice(Math.max(lo, c - options.minPoints), c).flatMap((p) => p.samples);
  const right = series.slice(c, Math.min(hi, c + options.minPoints)).flatMap((p) => p.samples);
  if (left.length < 2 || right.length < 2) return true;
  const cmp = compare(left, right, {
    threshold: options.minMagnitude,
    alpha: options.sampleAlpha,
    better: options.better,
  });
  return cmp.p <= options.sampleAlpha && Math.abs(cmp.worse) >= options.minMagnitude / 2;
}

/**
 * Matteson & James's estimate: the (tau, kappa) with the largest energy statistic between
 * x[lo..tau) and x[tau..kappa). Letting the right side end before `hi` is what finds a step
 * followed by a step back (a regression later undone), which a single split of the whole
 * segment averages away.
 */
export function bestSplit(
  x: readonly number[],
  lo: number,
  hi: number,
  minPoints: number,
): { tau: number; kappa: number } | undefined {
  let best: { tau: number; kappa: number } | undefined;
  let bestQ = -Infinity;
  for (let t = lo + minPoints; t <= hi - minPoints; t++) {
    for (let k = t + minPoints; k <= hi; k++) {
      const q = energyQ(x.slice(lo, t), x.slice(t, k));
      if (q > bestQ) {
        bestQ = q;
        best = { tau: t, kappa: k };
      }
    }
  }
  return best;
}

/** Matteson & James's Q: (mn/(m+n)) · (2·E|X−Y| − E|X−X'| − E|Y−Y'|). */
export function energyQ(a: readonly number[], b: readonly number[]): number {
  const m = a.length;
  const n = b.length;
  const within = (v: readonly number[]) => {
    if (v.length < 2) return 0;
    let s = 0;
    for (let i = 0; i < v.length; i++) for (let j = i + 1; j < v.length; j++) s += Math.abs(v[i] - v[j]);
    return s / ((v.length * (v.length - 1)) / 2);
  };
  let between = 0;
  for (const u of a) for (const v of b) between += Math.abs(u - v);
  between /= m * n;
  return ((m * n) / (m + n)) * (2 * between - within(a) - within(b));
}

/**
 * Two-sided Student t-test p-value with pooled variance, as Hunter's tester does
 * (scipy's ttest_ind_from_stats, equal_var default): with 2–4 points a side Welch's degrees of
 * freedom collapse and no step would ever pass p ≤ 0.001. Constant sides give 1, or 0 when they differ.
 */
export function tTest(a: readonly number[], b: readonly number[]): number {
  if (a.length < 2 || b.length < 2) return 1;
  const ma = mean(a);
  const mb = mean(b);
  const df = a.length + b.length - 2;
  const pooled = ((a.length - 1) * variance(a, ma) + (b.length - 1) * variance(b, mb)) / df;
  const se = Math.sqrt(pooled * (1 / a.length + 1 / b.length));
  if (se === 0) return ma === mb ? 1 : 0;
  return Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(ma - mb) / se, df)));
}

export const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / (v.length || 1);
const variance = (v: readonly number[], m: number) =>
  v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, v.length - 1);
