/** Plain descriptive statistics over one commit's samples. */
export interface Summary {
  n: number;
  median: number;
  mean: number;
  min: number;
  max: number;
  /** Median absolute deviation scaled to match a standard deviation under normal noise. */
  spread: number;
  /** spread / |median|: the relative noise of one sample. */
  cv: number;
}

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Quantile of already-sorted values with linear interpolation (type 7, as R and numpy default). */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantileSorted(sorted(values), 0.5);
}

export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m))) * 1.4826;
}

export function summarize(values: readonly number[]): Summary {
  const s = sorted(values);
  const n = s.length;
  if (n === 0) return { n: 0, median: NaN, mean: NaN, min: NaN, max: NaN, spread: NaN, cv: NaN };
  const med = quantileSorted(s, 0.5);
  const spread = mad(s);
  return {
    n,
    median: med,
    mean: s.reduce((a, b) => a + b, 0) / n,
    min: s[0],
    max: s[n - 1],
    spread,
    cv: med !== 0 ? spread / Math.abs(med) : 0,
  };
}

/** Tukey fences: samples beyond 3 IQR of the quartiles, for hyperfine-style outlier warnings. */
export function countOutliers(values: readonly number[]): number {
  const s = sorted(values);
  if (s.length < 5) return 0;
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  const iqr = q3 - q1;
  return s.filter((v) => v < q1 - 3 * iqr || v > q3 + 3 * iqr).length;
}
