import { describe, expect, it } from 'vitest';
import { defaultEngineOptions } from '../src/bisect/engine.js';
import { forecast } from '../src/bisect/forecast.js';
import { oneStepForecast, rehearse } from '../src/bisect/rehearsal.js';
import { seededRng } from '../src/stats/rng.js';
import { linearCommits, shaOf, type History } from '../bench/simulate.js';
import { forecastAndCost } from '../bench/forecast.js';

/** A linear range of n − 1 commits after good. */
const linear = (n: number) => ({ range: linearCommits(n), ends: { good: shaOf(0), bad: shaOf(n - 1) } });
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

describe('rehearsing the rest of the bisect on the endpoints\' noise', () => {
  it('forecasts the probe runs the verdicts then take, where the formula alone is two to four times low', () => {
    for (const cv of [0.03, 0.1]) {
      const h: History = { n: 120, steps: [{ at: 40, size: 0.25 }], noise: 'normal', cv };
      const runs = Array.from({ length: 7 }, (_, s) => forecastAndCost(h, 100 + s)!);
      const ratio = median(runs.map((r) => r.actual / r.rehearsed));
      expect(ratio, JSON.stringify({ cv, runs })).toBeGreaterThan(0.6);
      expect(ratio, JSON.stringify({ cv, runs })).toBeLessThan(1.7);
      if (cv === 0.1) expect(median(runs.map((r) => r.actual / r.formula))).toBeGreaterThan(1.7);
    }
  });

  it('costs more where the endpoints were noisier, and gives the same figures for the same samples', () => {
    const ends = (cv: number) => {
      const rng = seededRng(7);
      const draw = (level: number) => Array.from({ length: 12 }, () => level * (1 + cv * (rng() - 0.5) * 3.4));
      return { ...linear(61), good: draw(100), bad: draw(130), options: { better: 'lower' as const, deterministic: false, ...defaultEngineOptions, threshold: 0.05 } };
    };
    const quiet = rehearse(ends(0.02))!;
    const noisy = rehearse(ends(0.12))!;
    expect(noisy.runs).toBeGreaterThan(2 * quiet.runs);
    expect(rehearse(ends(0.12))).toEqual(noisy);
    // log2 60 ≈ 6 commits to decide.
    expect(quiet.commits).toBeGreaterThanOrEqual(5);
    expect(quiet.commits).toBeLessThanOrEqual(9);
  });

  it('offers --one-step where it would take far less: a step large against the noise, not one near it', () => {
    const ends = (cv: number, step: number) => {
      const rng = seededRng(7);
      const draw = (level: number) => Array.from({ length: 12 }, () => level * (1 + cv * (rng() - 0.5) * 3.4));
      return { ...linear(121), good: draw(100), bad: draw(100 * (1 + step)), options: { better: 'lower' as const, deterministic: false, ...defaultEngineOptions, threshold: 0.05 } };
    };
    const input = {
      cv: 0.12, delta: 0.3, threshold: 0.05, alpha: 0.002, minStep: 0.05, beta: 0.05,
      verdicts: 7, secondsPerRun: 1, secondsPerBuild: 0, minSamples: 5, maxSamples: 60,
    };
    const minutes = (r: ReturnType<typeof ends>, oneStep = false) =>
      forecast({ ...input, rehearsed: rehearse({ ...r, options: { ...r.options, oneStep } }) }).minutes;
    // +30% under 12% noise: most of a verdict is the further-step question (too noisy to go side first).
    const large = ends(0.12, 0.3);
    const one = oneStepForecast(large, input, minutes(large))!;
    expect(one).toBeDefined();
    expect(one).toBeLessThan(0.6 * minutes(large));
    expect(one).toBeCloseTo(minutes(large, true));
    // Already asked for, or a forecast under a minute: no hint.
    const asked = { ...large, options: { ...large.options, oneStep: true } };
    expect(oneStepForecast(asked, input, minutes(large))).toBeUndefined();
    expect(oneStepForecast(large, input, 0.5)).toBeUndefined();
    // +6% under 3% noise: the side itself is the question, and --one-step saves little.
    const small = ends(0.03, 0.06);
    expect(rehearse(small)).toBeDefined();
    expect(oneStepForecast(small, { ...input, cv: 0.03, delta: 0.06 }, minutes(small))).toBeUndefined();
  });

  it('prices the time from the rehearsal when it has one', () => {
    const input = {
      cv: 0.1, delta: 0.3, threshold: 0.05, alpha: 0.002, minStep: 0.05, beta: 0.05,
      verdicts: 7, secondsPerRun: 2, secondsPerBuild: 30, minSamples: 5, maxSamples: 60,
    };
    const f = forecast({ ...input, rehearsed: { runs: 300, commits: 6 } });
    expect(f).toMatchObject({ verdicts: 6, runsPerVerdict: 50 });
    expect(f.minutes).toBeCloseTo((300 * 2 + 6 * 30) / 60);
    expect(forecast(input).verdicts).toBe(7);
  });

  it('rehearses on the range as given: merges, and --first-parent', () => {
    // A mainline of 25 merges, each bringing a branch of two commits forked from the merge before.
    const range: { sha: string; parents: string[] }[] = [];
    let main = 'g';
    for (let m = 0; m < 25; m++) {
      const branch = [`b${m}a`, `b${m}b`];
      range.push({ sha: branch[0], parents: [main] }, { sha: branch[1], parents: [branch[0]] });
      range.push({ sha: `m${m}`, parents: [main, branch[1]] });
      main = `m${m}`;
    }
    const rng = seededRng(3);
    const draw = (level: number) => Array.from({ length: 10 }, () => level * (1 + 0.1 * (rng() - 0.5)));
    const input = { range, ends: { good: 'g', bad: main }, good: draw(100), bad: draw(200), options: { better: 'lower' as const, deterministic: false, ...defaultEngineOptions, threshold: 0.05 } };
    const all = rehearse(input)!;
    const merges = rehearse({ ...input, graphOpts: { firstParent: true } })!;
    // 75 commits take about log2 75 verdicts; the 25 merges alone about log2 25.
    expect(all.commits).toBeGreaterThanOrEqual(6);
    expect(merges.commits).toBeLessThan(all.commits);
  });

  it('rehearses nothing when the endpoints show no step', () => {
    const flat = Array.from({ length: 10 }, (_, i) => 100 + (i % 3));
    expect(rehearse({ ...linear(31), good: flat, bad: flat, options: { better: 'lower', deterministic: false, ...defaultEngineOptions, threshold: 0.05 } })).toBeUndefined();
  });
});
