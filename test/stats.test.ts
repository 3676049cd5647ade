import { describe, expect, it } from 'vitest';
import { compare } from '../src/stats/compare.js';
import { mannWhitney } from '../src/stats/mann-whitney.js';
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
  it('compares deterministic metrics with a tolerance', () => {
    expect(compare([1000], [1003], { ...o, deterministic: true }).same).toBe(true);
    expect(compare([1000], [1300], { ...o, deterministic: true }).different).toBe(true);
  });
});
