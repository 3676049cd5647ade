import { describe, expect, it } from 'vitest';
import { changePoints, defaultChangePointOptions, energyQ, tTest } from '../src/drift/changepoints.js';
import type { SeriesPoint } from '../src/drift/changepoints.js';
import { findCandidates, pointsToAdd, spanCandidates } from '../src/drift/candidates.js';
import { DriftCheck } from '../src/drift/check.js';
import { confirmCreep, confirmStep } from '../src/drift/confirm.js';
import { changeId, creepContributors, creepId } from '../src/drift/drift.js';
import { spreadPoints } from '../src/drift/window.js';
import { gaussian, seededRng } from '../src/stats/rng.js';
import { flatShape, score, simulateDrift, windowCommits } from '../bench/drift-sim.js';
import { interleaved } from '../bench/simulate.js';
import type { BlockStore, DriftHistory } from '../bench/drift-sim.js';

function series(levels: number[], noise: number, seed = 1, samples = 8): SeriesPoint[] {
  const rng = seededRng(seed);
  const draw = (level: number) => Array.from({ length: samples }, () => level * (1 + noise * gaussian(rng)));
  return levels.map((level, i) => ({ sha: `c${i}`, samples: draw(level) }));
}
const opts = { ...defaultChangePointOptions, better: 'lower' as const, minMagnitude: 0.05 };
const checkOptions = {
  threshold: 0.05, better: 'lower' as const, deterministic: false, minSamples: 10, maxSamples: 60, confidence: 0.95,
  points: 16, extraPoints: 16,
};

/**
 * The history of the report that started this: 16 points, a +15% step, a −10% improvement, a +18%
 * step, then creep; 3–4 points a segment, a few percent of scatter.
 */
const issueLevels = [100, 100, 100, 100, 115, 115, 115, 115, 103.5, 103.5, 103.5, 122, 124, 126.5, 129, 131.5];

/** 31 commits measured at 16 points (every other commit): steps at 7 and 21, the improvement at 15, creep from 25. */
function issueHistory(cv: number): DriftHistory {
  const creep = Array.from({ length: 6 }, (_, k) => ({ at: 25 + k, size: 0.02 }));
  return {
    n: 31, noise: 'normal', cv,
    steps: [{ at: 7, size: 0.15 }, { at: 15, size: -0.1 }, { at: 21, size: 0.18 }, ...creep],
    truth: { regressions: [7, 21], improvements: [15], creep: true },
  };
}

describe('drift core: the series and its candidates', () => {
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

  it('E-Divisive finds two regressions and an improvement, and a regression later undone', () => {
    const levels = [...Array(6).fill(100), ...Array(5).fill(130), ...Array(5).fill(110), ...Array(6).fill(160)];
    const found = (s: SeriesPoint[]) => changePoints(s, opts).map((c) => [c.index, c.kind]);
    expect(found(series(levels, 0.02))).toEqual([[6, 'regression'], [11, 'improvement'], [16, 'regression']]);
    const bump = [...Array(4).fill(100), ...Array(3).fill(180), ...Array(3).fill(100), ...Array(5).fill(270)];
    expect(found(series(bump, 0.03, 5))).toEqual([[4, 'regression'], [7, 'improvement'], [10, 'regression']]);
  });

  it("flags the two steps and the improvement of the reference series as candidates, where the strict detector flags none", () => {
    // A few percent of scatter between points (shared by a point's samples), 2% within a point.
    const rng = seededRng(6);
    const s = issueLevels.map((level, i) => {
      const point = level * (1 + 0.03 * gaussian(rng));
      return { sha: `c${i}`, samples: Array.from({ length: 8 }, () => point * (1 + 0.02 * gaussian(rng))) };
    });
    const found = findCandidates(s, { threshold: 0.05, better: 'lower', splitP: 0.05 });
    expect(found.filter((c) => c.kind === 'regression').map((c) => c.at)).toEqual(expect.arrayContaining([4, 11]));
    expect(found.find((c) => c.at === 8)?.kind).toBe('improvement');
    for (const c of found) expect(c.before).toBe(c.at - 1);
    expect(found.find((c) => c.at === 4)?.sources).toContain('interval');
    // p ≤ 0.001 with 3–4 points a side: what the check relied on before, and why it saw only creep.
    expect(changePoints(s, opts)).toEqual([]);
  });

  it('flags a span of two intervals over one noisy point, and not a span that goes up then down', () => {
    const values = [100, 100, 100, 104, 112, 112, 112];
    const s = values.map((v, i) => ({ sha: `c${i}`, samples: [v] }));
    const found = findCandidates(s, { threshold: 0.1, better: 'lower', splitP: 0.05 });
    const intervals = found.filter((c) => c.sources.includes('interval'));
    expect(intervals).toEqual([]);
    const span = { at: 4, before: 2, kind: 'regression', interval: 0.12, sources: ['span'] };
    expect(spanCandidates(s, { threshold: 0.1, better: 'lower' })).toEqual([span]);
    const spike = [100, 100, 108, 100, 100].map((v, i) => ({ sha: `c${i}`, samples: [v] }));
    expect(spanCandidates(spike, { threshold: 0.05, better: 'lower' })).toEqual([]);
  });

  it('adds points inside the intervals that moved, the largest move first, never where no commit is left', () => {
    const s = series([100, 100, 130, 131, 160], 0.01, 3);
    const o = { threshold: 0.05, better: 'lower' as const, deterministic: false, alpha: 0.05 };
    expect(pointsToAdd(s, [0, 4, 8, 9, 12], [], o)).toEqual([6, 10]);
    expect(pointsToAdd(s, [0, 4, 5, 6, 7], [], o)).toEqual([]);
  });

  it('names where creep accumulated outside the located steps, and gives changes stable ids', () => {
    const values = [100, 101, 130, 132, 135, 139];
    expect(creepContributors(values, new Set([2]), 'lower').map((c) => c.to)).toEqual([5, 4, 3, 1]);
    expect(creepContributors([100, 90, 80], new Set(), 'lower')).toEqual([]);
    expect(changeId('p99 latency', 'abcdef0123456789')).toBe('p99_latency@abcdef012345');
    expect(creepId('p99', 'abcdef0123456789', '0123456789abcdef')).toBe('p99@creep-abcdef01-01234567');
  });
});

describe('drift core: confirmation', () => {
  const rng = seededRng(4);
  const draw = (level: number, n: number, cv = 0.03) => 
    Array.from({ length: n }, () => level * (1 + cv * gaussian(rng)));
  const o = {
    threshold: 0.05, alpha: 0.001, better: 'lower' as const, deterministic: false,
    first: true, final: false,
  };

  it('confirms a 15% step on ten samples a side, with its figures', () => {
    const c = confirmStep(draw(100, 10), draw(115, 10), o);
    expect(c.verdict).toBe('confirmed');
    expect(c.worse).toBeGreaterThan(0.1);
    expect(c.lo).toBeGreaterThan(0.025);
    expect(c.n).toEqual([10, 10]);
  });

  it('rejects no change once its interval is under the threshold, asks for more before it, gives up at the end', () => {
    expect(confirmStep(draw(100, 4), draw(100, 4), o).verdict).toBe('more');
    expect(confirmStep(draw(100, 40), draw(100, 40), o).verdict).toBe('below-threshold');
    expect(confirmStep(draw(100, 4), draw(106, 4), { ...o, final: true }).verdict).toBe('inconclusive');
  });

  it('past the first look, gives up on an estimate under half the threshold before its interval is narrow', () => {
    const before = draw(100, 10, 0.1);
    const after = before.map((x) => x * 1.01);
    expect(confirmStep(before, after, o).verdict).toBe('more');
    expect(confirmStep(before, after, { ...o, first: false }).verdict).toBe('too-small');
  });

  it('does not confirm a real change smaller than half the threshold, however many samples', () => {
    const c = confirmStep(draw(100, 60, 0.01), draw(102, 60, 0.01), o);
    expect(c.verdict).toBe('below-threshold');
  });

  it('lets the re-measurement say which way a step goes: a step the other way is confirmed as the other way', () => {
    const higher = { ...o, better: 'higher' as const };
    expect(confirmStep(draw(100, 20), draw(85, 20), higher)).toMatchObject({ verdict: 'confirmed' });
    expect(confirmStep(draw(100, 20), draw(85, 20), higher).opposite).toBeUndefined();
    expect(confirmStep(draw(100, 20), draw(115, 20), higher)).toMatchObject({ verdict: 'confirmed', opposite: true });
  });

  it('confirms creep only for what the steps leave unexplained', () => {
    const start = draw(100, 20);
    const end = draw(140, 20);
    expect(confirmCreep(start, end, 1.15 * 1.1, o).verdict).toBe('confirmed');
    expect(confirmCreep(start, end, 1.4, o).verdict).toBe('below-threshold');
  });
});

describe('drift core: the whole check on simulated histories', () => {
  it("locates the two steps of the reference series at their culprits, the improvement as an improvement, the rest as creep", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const h = issueHistory(0.03);
      const run = simulateDrift(h, seed, checkOptions);
      const s = score(h, run.outcome);
      expect({ seed, ...s }).toMatchObject({ seed, regressions: 2, improvements: 1, creep: true, falseSteps: 0 });
      const step = run.outcome.candidates.find((c) => c.status === 'step' && c.kind === 'regression')!;
      expect(step.confirmation?.verdict).toBe('confirmed');
    }
  });

  it('says what rejected each candidate: the confirmation with its figures, or a bisect that found it spread', () => {
    const out = simulateDrift(issueHistory(0.05), 3, checkOptions).outcome;
    const rejected = out.candidates.filter((c) => c.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const c of rejected) {
      expect(['confirmation', 'bisect']).toContain(c.rejectedBy);
      const verdict = c.confirmation?.verdict;
      if (c.rejectedBy === 'confirmation') expect(verdict).toMatch(/below-threshold|too-small|inconclusive/);
      else expect(c.bisect).toBeDefined();
    }
  });

  it('raises nothing on flat series at 5% noise', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const flat = flatShape(40, 'normal', 0.05);
      const s = score(flat, simulateDrift(flat, seed, checkOptions).outcome);
      expect({ seed, alerts: s.alerts, falseSteps: s.falseSteps }).toEqual({ seed, alerts: 0, falseSteps: 0 });
    }
  });

  it('re-run with the blocks stored: measures nothing new and decides the same', () => {
    const store: BlockStore = new Map();
    const first = simulateDrift(issueHistory(0.05), 9, checkOptions, store);
    const again = simulateDrift(issueHistory(0.05), 9, checkOptions, store);
    expect(first.samples).toBeGreaterThan(0);
    expect(again.samples).toBe(0);
    expect(again.replayed).toBe(again.blocks);
    expect(again.outcome).toEqual(first.outcome);
  });

  it('a deterministic metric: one sample a point, steps located exactly', () => {
    const h = { ...issueHistory(0), noise: 'normal' as const };
    const out = simulateDrift(h, 1, { ...checkOptions, deterministic: true }).outcome;
    expect(score(h, out)).toMatchObject({ regressions: 2, improvements: 1, falseSteps: 0 });
    expect(out.series.every((p) => p.samples.length === 1 || p.position === 0)).toBe(true);
  });

  it('a higher-is-better metric: a drop is the regression, a rise the improvement', () => {
    const commits = windowCommits(17);
    const level = (i: number) => (i >= 5 ? 80 : 100) * (i >= 11 ? 1.3 : 1);
    const check = new DriftCheck(commits, { ...checkOptions, better: 'higher' }, seededRng(1));
    const rng = seededRng(2);
    for (let step = check.next(); step.type === 'measure'; step = check.next()) {
      const got: Record<string, number[]> = {};
      for (const sha of [...step.refs, step.target]) {
        got[sha] = Array.from({ length: step.rounds }, () => level(Number(sha.slice(1))) * (1 + 0.02 * gaussian(rng)));
      }
      check.record(got);
    }
    const done = check.next();
    if (done.type !== 'done') throw new Error('the check did not finish');
    const steps = done.outcome.candidates.flatMap((c) => c.steps).map((s) => [Number(s.culprit.slice(1)), s.kind]);
    expect(steps).toEqual([[5, 'regression'], [11, 'improvement']]);
  });

  it('a point that does not build is left out and the check goes on', () => {
    const commits = windowCommits(17);
    const check = new DriftCheck(commits, checkOptions, seededRng(1));
    const rng = seededRng(5);
    let skipped = 0;
    for (let step = check.next(); step.type === 'measure'; step = check.next()) {
      if (step.target === 'w0004' && step.stage === 'series') {
        check.skip('w0004', 'build failed: exit 1');
        skipped++;
        continue;
      }
      const got: Record<string, number[]> = {};
      for (const sha of [...step.refs, step.target]) {
        const level = Number(sha.slice(1)) >= 9 ? 130 : 100;
        got[sha] = Array.from({ length: step.rounds }, () => level * (1 + 0.02 * gaussian(rng)));
      }
      check.record(got);
    }
    const done = check.next();
    if (done.type !== 'done') throw new Error('the check did not finish');
    expect(skipped).toBe(1);
    expect(done.outcome.skipped).toEqual([{ sha: 'w0004', reason: 'build failed: exit 1' }]);
    expect(done.outcome.series.map((p) => p.sha)).not.toContain('w0004');
    expect(done.outcome.candidates.flatMap((c) => c.steps).map((s) => s.culprit)).toEqual(['w0009']);
  });
});

describe('drift core: a loaded machine adds about the same time to every run of a block', () => {
  it('calls no creep beside one large step, whatever load each block ran under', () => {
    const commits = windowCommits(31);
    const at = new Map(commits.map((c, i) => [c.sha, i]));
    const level = (sha: string) => 55 * (at.get(sha)! >= 16 ? 3.9 : 1);
    const found: { seed: number; step: boolean; creep: boolean }[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const rng = seededRng(seed);
      const check = new DriftCheck(commits, checkOptions, seededRng(seed ^ 0x5bd1e995));
      for (;;) {
        const step = check.next();
        if (step.type === 'done') {
          const located = step.outcome.candidates.flatMap((c) => c.steps).map((s) => at.get(s.culprit));
          found.push({ seed, step: located.includes(16), creep: !!step.outcome.creep?.found });
          break;
        }
        // Another process's share of the machine, the same through one block: its runs each wait that long more.
        const load = 55 * 0.3 * rng();
        check.record(interleaved(step, (sha) => level(sha) * (1 + 0.03 * gaussian(rng)) + load));
      }
    }
    expect(found).toEqual(found.map(({ seed }) => ({ seed, step: true, creep: false })));
  });
});

describe('drift core: a step commit that fails in the creep block', () => {
  it('costs only its pair: the block runs again without it and creep is still decided', () => {
    const h = issueHistory(0.02);
    const commits = windowCommits(h.n);
    const at = new Map(commits.map((c, i) => [c.sha, i]));
    const level = (sha: string) => h.steps.reduce((l, s) => (at.get(sha)! >= s.at ? l * (1 + s.size) : l), 100);
    const rng = seededRng(7);
    const check = new DriftCheck(commits, checkOptions, seededRng(11));
    const creepBlocks: string[][] = [];
    let failed: string | undefined;
    for (;;) {
      const step = check.next();
      if (step.type === 'done') {
        expect(step.outcome.candidates.flatMap((c) => c.steps).map((s) => at.get(s.culprit))).toEqual([7, 15, 21]);
        expect(step.outcome.creep?.found).toBe(true);
        expect(step.outcome.skipped.map((s) => s.sha)).toEqual([failed]);
        break;
      }
      if (step.stage === 'creep') {
        creepBlocks.push([step.target, ...step.refs]);
        // The first creep block: the culprit of the first step fails this time (a flaky probe).
        if (!failed) {
          failed = commits[7].sha;
          expect(step.refs).toContain(failed);
          check.skip(failed, 'exit 1');
          continue;
        }
      }
      check.record(interleaved(step, (sha) => level(sha) * (1 + 0.02 * gaussian(rng))));
    }
    expect(creepBlocks.length).toBeGreaterThan(1);
    // After the failure, neither the culprit nor its parent is measured in the creep block again.
    for (const block of creepBlocks.slice(1)) {
      expect(block).not.toContain(commits[7].sha);
      expect(block).not.toContain(commits[6].sha);
    }
  });
});
