import { describe, expect, it } from 'vitest';
import { changePoints, defaultChangePointOptions, energyQ, tTest, type SeriesPoint } from '../src/drift/changepoints.js';
import { gradualDrift, changeId } from '../src/drift/drift.js';
import { spreadPoints } from '../src/drift/window.js';
import { gaussian, seededRng } from '../src/stats/rng.js';

function series(levels: number[], noise: number, seed = 1, samples = 8): SeriesPoint[] {
  const rng = seededRng(seed);
  return levels.map((l, i) => ({ sha: `c${i}`, samples: Array.from({ length: samples }, () => l * (1 + noise * gaussian(rng))) }));
}
const opts = { ...defaultChangePointOptions, better: 'lower' as const, minMagnitude: 0.05 };

describe('drift core', () => {
  it('spreads points evenly and always keeps both ends', () => {
    expect(spreadPoints(100, 5)).toEqual([0, 25, 50, 74, 99]);
    expect(spreadPoints(3, 16)).toEqual([0, 1, 2]);
    expect(spreadPoints(1, 16)).toEqual([0]);
    expect(spreadPoints(0, 16)).toEqual([]);
  });

  it('energy statistic peaks at the true step; t-test separates a step from noise', () => {
    const x = [1, 1.01, 0.99, 1, 2, 2.01, 1.99, 2];
    expect(energyQ(x.slice(0, 4), x.slice(4))).toBeGreaterThan(energyQ(x.slice(0, 3), x.slice(3)));
    expect(tTest([1, 1.01, 0.99, 1], [2, 2.01, 1.99, 2])).toBeLessThan(0.001);
    expect(tTest([1, 1.01, 0.99, 1], [1.01, 0.99, 1, 1])).toBeGreaterThan(0.5);
  });

  it('finds two regressions and an improvement at their true points', () => {
    const levels = [...Array(6).fill(100), ...Array(5).fill(130), ...Array(5).fill(110), ...Array(6).fill(160)];
    const cps = changePoints(series(levels, 0.02), opts);
    expect(cps.map((c) => [c.index, c.kind])).toEqual([[6, 'regression'], [11, 'improvement'], [16, 'regression']]);
  });

  it('finds a regression that is undone later (a bump), not only the largest step', () => {
    const levels = [...Array(4).fill(100), ...Array(3).fill(180), ...Array(3).fill(100), ...Array(5).fill(270)];
    const cps = changePoints(series(levels, 0.03, 5), opts);
    expect(cps.map((c) => [c.index, c.kind])).toEqual([[4, 'regression'], [7, 'improvement'], [10, 'regression']]);
  });

  it('reports improvements for a higher-is-better metric as improvements', () => {
    const levels = [...Array(8).fill(100), ...Array(8).fill(150)];
    const cps = changePoints(series(levels, 0.02), { ...opts, better: 'higher' });
    expect(cps).toHaveLength(1);
    expect(cps[0].kind).toBe('improvement');
  });

  it('raises no alarm on noise, a single outlier spike, or a step below the minimum magnitude', () => {
    expect(changePoints(series(Array(16).fill(100), 0.05, 7), opts)).toEqual([]);
    const spike = series(Array(16).fill(100), 0.02, 3);
    spike[8].samples = spike[8].samples.map((v) => v * 3);
    expect(changePoints(spike, opts)).toEqual([]);
    expect(changePoints(series([...Array(8).fill(100), ...Array(8).fill(102)], 0.002), opts)).toEqual([]);
  });

  it('needs at least two points on each side of a step', () => {
    const levels = [...Array(15).fill(100), 200];
    expect(changePoints(series(levels, 0.01), opts)).toEqual([]);
  });

  it('calls slow creep drift, names where it accumulated, and not when steps explain the change', () => {
    const creep = Array.from({ length: 16 }, (_, i) => 100 * 1.01 ** i);
    const d = gradualDrift(creep, [], { threshold: 0.05, better: 'lower', commits: 40 });
    expect(d?.total).toBeCloseTo(1.01 ** 15 - 1, 5);
    expect(d?.contributors.length).toBeGreaterThan(0);
    expect(d!.largestStep).toBeLessThan(0.02);
    const stepped = [...Array(8).fill(100), ...Array(8).fill(130)];
    const cp = changePoints(series(stepped, 0, 1, 1), { ...opts, sampleAlpha: 1 });
    expect(gradualDrift(stepped, cp, { threshold: 0.05, better: 'lower', commits: 16 })).toBeUndefined();
    expect(gradualDrift([100, 90, 80], [], { threshold: 0.05, better: 'lower', commits: 3 })).toBeUndefined();
  });

  it('gives a change a stable id from probe and culprit', () => {
    expect(changeId('p99 latency', 'abcdef0123456789')).toBe('p99_latency@abcdef012345');
  });
});
