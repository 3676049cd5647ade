import { describe, expect, it } from 'vitest';
import { compare } from '../src/stats/compare.js';
import { exactCdf, mannWhitney } from '../src/stats/mann-whitney.js';
import { gaussian, seededRng } from '../src/stats/rng.js';
import { bootstrapRatioCi, hodgesLehmann } from '../src/stats/shift.js';
import { countOutliers, median, summarize } from '../src/stats/summary.js';

const noisy = (seed: number, n: number, level: number, cv: number) => {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => level * (1 + cv * gaussian(rng)));
};

describe('summary', () => {
  it('computes median, spread and outliers', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const s = summarize([10, 10, 10, 10]);
    expect(s.spread).toBe(0);
    expect(countOutliers([1, 1, 1, 1, 1, 1, 1, 50])).toBe(1);
  });
});

describe('mann-whitney', () => {
  it('finds a clear shift and not a null one', () => {
    expect(mannWhitney(noisy(1, 30, 100, 0.03), noisy(2, 30, 110, 0.03)).p).toBeLessThan(1e-6);
    expect(mannWhitney(noisy(3, 30, 100, 0.03), noisy(4, 30, 100, 0.03)).p).toBeGreaterThan(0.01);
  });
  it('handles all-tied samples', () => {
    expect(mannWhitney([5, 5, 5], [5, 5, 5]).p).toBe(1);
  });
  // Reference values: scipy 1.17 `mannwhitneyu(b, a, method='exact')`, two-sided and alternative='greater'.
  it.each([
    {
      a: [1.1, 2.2, 3.3, 4.4, 5.5],
      b: [6.1, 7.2, 8.3, 9.4, 10.5],
      u: 25,
      p: 0.007936507936507936,
      above: 0.003968253968253968,
    },
    {
      a: [19.2, 20.1, 21.7, 22.4, 18.9, 20.8, 21.1, 19.7, 20.3, 22.0],
      b: [21.5, 23.9, 22.8, 24.6, 23.1, 22.2, 25.0, 23.7, 24.1, 21.9],
      u: 94,
      p: 0.00032475264673407085,
      above: 0.00016237632336703542,
    },
    {
      a: [3.1, 4.2, 5.0, 6.3],
      b: [4.9, 6.8, 7.7, 8.1, 9.4, 10.2],
      u: 22,
      p: 0.0380952380952381,
      above: 0.01904761904761905,
    },
    {
      a: [10.0, 11.5, 9.8, 10.7, 12.1, 10.3, 11.0],
      b: [10.9, 12.4, 11.8, 13.0, 12.2, 11.1, 12.9, 13.5],
      u: 50,
      p: 0.009324009324009324,
      above: 0.004662004662004662,
    },
  ])('gives exact p-values where samples are few (U = $u)', ({ a, b, u, p, above }) => {
    const r = mannWhitney(a, b);
    expect(r.exact).toBe(true);
    expect(r.u).toBe(u);
    expect(r.p).toBeCloseTo(p, 12);
    expect(r.pAbove).toBeCloseTo(above, 12);
  });
  it('counts the exact null distribution of U', () => {
    // n = m = 3: 20 arrangements with U = 0..9 in 1, 1, 2, 3, 3, 3, 3, 2, 1, 1 ways.
    expect(Array.from(exactCdf(3, 3), (x) => Math.round(x * 20))).toEqual([1, 2, 4, 7, 10, 13, 16, 18, 19, 20]);
  });
});

describe('hodges-lehmann and bootstrap intervals', () => {
  it('contains the true shift', () => {
    const hl = hodgesLehmann(noisy(5, 40, 100, 0.03), noisy(6, 40, 108, 0.03), 0.01);
    expect(hl.lo).toBeLessThan(8);
    expect(hl.hi).toBeGreaterThan(8);
    const b = bootstrapRatioCi(noisy(7, 40, 100, 0.03), noisy(8, 40, 108, 0.03), seededRng(9));
    expect(b.lo).toBeLessThan(1.08);
    expect(b.hi).toBeGreaterThan(1.08);
  });
  // Reference values: the exact Moses interval, critical value found by enumerating all C(n+m, n)
  // rank arrangements in Python, the bound read off the sorted pairwise differences.
  it('gives the exact distribution-free (Moses) interval where samples are few', () => {
    const small = hodgesLehmann([3.1, 4.2, 5.0, 6.3], [4.9, 6.8, 7.7, 8.1, 9.4, 10.2], 0.05);
    expect(small.shift).toBeCloseTo(3.3, 10);
    expect(small.lo).toBeCloseTo(0.5, 10);
    expect(small.hi).toBeCloseTo(6.0, 10);
    const larger = hodgesLehmann(
      [10.0, 11.5, 9.8, 10.7, 12.1, 10.3, 11.0],
      [10.9, 12.4, 11.8, 13.0, 12.2, 11.1, 12.9, 13.5],
      0.05,
    );
    expect(larger.shift).toBeCloseTo(1.45, 10);
    expect(larger.lo).toBeCloseTo(0.3, 10);
    expect(larger.hi).toBeCloseTo(2.6, 10);
  });
  // Textbook example: permeability constants of the human chorioamnion at term (x) and at 12 to 26 weeks
  // (y), Hollander & Wolfe, Nonparametric Statistical Methods (1973), p. 69; the data of R's ?wilcox.test.
  // The Hodges-Lehmann estimate of x − y is 0.305, the median of the 50 differences (Hollander & Wolfe's
  // Δ̂, R's "difference in location"). The exact test: W = 35, p = 0.2544122544122544 (scipy 1.17
  // `mannwhitneyu(x, y, method='exact')`). The 95% Moses interval is the 9th and the 42nd smallest
  // difference, −0.15 and 0.76: R's rule (qwilcox(0.025, 10, 5) = 9), the critical value found by
  // enumerating all C(15, 5) rank arrangements in Python.
  it('gives the Hodges-Lehmann estimate and interval of a textbook example', () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const hl = hodgesLehmann(y, x, 0.05);
    expect(hl.shift).toBeCloseTo(0.305, 10);
    expect(hl.lo).toBeCloseTo(-0.15, 10);
    expect(hl.hi).toBeCloseTo(0.76, 10);
    const test = mannWhitney(y, x);
    expect(test.u).toBe(35);
    expect(test.p).toBeCloseTo(0.2544122544122544, 12);
  });
  it('gives an unbounded interval when there are too few samples to decide at that alpha', () => {
    const hl = hodgesLehmann([1, 2], [3, 4], 1e-4);
    expect(hl.lo).toBe(-Infinity);
  });
});

describe('compare', () => {
  const o = { threshold: 0.04, alpha: 0.001, better: 'lower' as const };
  it('says same for equal distributions and different for a step beyond the threshold', () => {
    const same = compare(noisy(10, 60, 100, 0.03), noisy(11, 60, 100, 0.03), o);
    expect(same.same).toBe(true);
    expect(same.different).toBe(false);
    const diff = compare(noisy(12, 60, 100, 0.03), noisy(13, 60, 110, 0.03), o);
    expect(diff.different).toBe(true);
    expect(diff.worse).toBeGreaterThan(0.05);
  });
  it('orients changes so that positive is worse for higher-is-better metrics', () => {
    const c = compare(noisy(14, 60, 1000, 0.03), noisy(15, 60, 800, 0.03), { ...o, better: 'higher' });
    expect(c.worse).toBeGreaterThan(0.15);
    expect(c.different).toBe(true);
  });
  it('never reports a time more than 100% better, however few and scattered the samples', () => {
    // A small, tight reference and a few scattered candidates: the rank bound alone would read −200%.
    const lower = compare([60, 61, 62, 63, 64], [0.1, 0.2, 0.3, 200, 300], { ...o, alpha: 0.01 });
    expect(lower.lo).toBeGreaterThanOrEqual(-1);
    const higher = compare([6, 6.1, 6.2, 6.3, 6.4], [0.1, 1, 6, 7, 30], { ...o, alpha: 0.01, better: 'higher' });
    expect(higher.hi).toBeLessThanOrEqual(1);
    // Values below zero (a signed metric) keep their bounds as measured.
    expect(compare([-1, 0, 1, 0.5, -0.5], [-40, -20, 0, 20, 40], { ...o, alpha: 0.01 }).lo).toBeLessThan(-1);
  });
  it('compares deterministic metrics with a tolerance', () => {
    expect(compare([1000], [1003], { ...o, deterministic: true }).same).toBe(true);
    expect(compare([1000], [1300], { ...o, deterministic: true }).different).toBe(true);
  });
});
