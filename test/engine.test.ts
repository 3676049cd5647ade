import { describe, expect, it } from 'vitest';
import { BisectEngine, defaultEngineOptions } from '../src/bisect/engine.js';
import { CommitGraph, graphOf } from '../src/bisect/graph.js';
import { improvementsSeen } from '../src/bisect/improvements.js';
import { blockOrder, fewestDecisive, fewestRounds, looks } from '../src/bisect/schedule.js';
import { ErrorBudget, plannedDecisions } from '../src/bisect/error-budget.js';
import { byNearness, decide, factsOf, lean, openKind, type OpenQuestion } from '../src/bisect/verdict.js';
import { Relative } from '../src/stats/compare.js';
import { gaussian, seededRng } from '../src/stats/rng.js';
import { interleaved, sampler, shaOf, simulateBaseline, simulateBisect, simulateRounds, linearCommits } from '../bench/simulate.js';
import type { EngineOptions, MeasureStep, RoundResult } from '../src/bisect/engine.js';

describe('commit graph', () => {
  it('picks the middle of a linear range', () => {
    const g = new CommitGraph(linearCommits(9));
    const all = g.ancestors[g.size - 1].clone();
    expect(g.shas[g.midpoint(all, (i) => i === g.size - 1)!]).toBe(shaOf(4));
  });
  it('visits the commits git bisect visits on a linear range, whichever commit is the culprit', () => {
    // `git bisect run` on c0 (good) .. c15 (bad), a commit bad from c<p> on, printed what it tested:
    const git: Record<number, number[]> = {
      1: [7, 3, 2, 1], 2: [7, 3, 2, 1], 3: [7, 3, 2], 4: [7, 3, 5, 4], 5: [7, 3, 5, 4], 6: [7, 3, 5, 6],
      7: [7, 3, 5, 6], 8: [7, 11, 9, 8], 9: [7, 11, 9, 8], 10: [7, 11, 9, 10], 11: [7, 11, 9, 10],
      12: [7, 11, 13, 12], 13: [7, 11, 13, 12], 14: [7, 11, 13, 14], 15: [7, 11, 13, 14],
    };
    const g = new CommitGraph(Array.from({ length: 15 }, (_, i) => ({ sha: `c${i + 1}`, parents: [`c${i}`] })));
    for (const [p, visits] of Object.entries(git)) {
      const candidates = g.ancestors[14].clone();
      let bad = 14;
      const seen: number[] = [];
      for (;;) {
        const next = g.midpoint(candidates, (i) => i === bad);
        if (next === undefined) break;
        seen.push(next + 1);
        if (next + 1 >= Number(p)) {
          candidates.and(g.ancestors[next]);
          bad = next;
        } else candidates.andNot(g.ancestors[next]);
      }
      expect([p, seen]).toEqual([p, visits]);
    }
  });
  it('orders a DAG with a merged side branch topologically', () => {
    // g0 - a1 - a2 - M - b ; g0 - s1 - s2 - M
    const g = new CommitGraph([
      { sha: 'a1', parents: ['g0'] }, { sha: 'a2', parents: ['a1'] },
      { sha: 's1', parents: ['g0'] }, { sha: 's2', parents: ['s1'] },
      { sha: 'M', parents: ['a2', 's2'] }, { sha: 'b', parents: ['M'] },
    ]);
    expect(g.shas.indexOf('s1')).toBeLessThan(g.shas.indexOf('s2'));
    expect(g.shas.indexOf('M')).toBeGreaterThan(g.shas.indexOf('a2'));
    expect(g.ancestors[g.index.get('M')!].count()).toBe(5);
    const fp = new CommitGraph([
      { sha: 'a1', parents: ['g0'] }, { sha: 'M', parents: ['a1', 's1'] }, { sha: 's1', parents: ['g0'] },
    ], { firstParent: true });
    expect(fp.ancestors[fp.index.get('M')!].has(fp.index.get('s1')!)).toBe(false);
  });
  it('is built once per list of commits and mode, and shared by the engines over it', () => {
    const range = [
      { sha: 'a1', parents: ['g0'] }, { sha: 'M', parents: ['a1', 's1'] }, { sha: 's1', parents: ['g0'] },
    ];
    expect(graphOf(range)).toBe(graphOf(range));
    expect(graphOf(range, { firstParent: true })).not.toBe(graphOf(range));
    const fp = graphOf(range, { firstParent: true });
    expect(fp.ancestors[fp.index.get('M')!].has(fp.index.get('s1')!)).toBe(false);
    expect(graphOf([...range])).not.toBe(graphOf(range));
    const engine = (r: typeof range) => new BisectEngine(r, { good: 'g0', bad: 'M' }, { better: 'lower', deterministic: false, ...defaultEngineOptions }, seededRng(1));
    expect(engine(range).graph).toBe(engine(range).graph);
  });
  it('doubles looks up to the maximum', () => {
    expect(looks(5, 60)).toEqual([5, 10, 20, 40, 60]);
    expect(looks(60, 60)).toEqual([60]);
  });
  it('never spends a look on fewer samples than could decide it', () => {
    // 1 / C(n + m, n) is the smallest p-value n samples can reach against m.
    expect(fewestDecisive(0.004, 2, 60, 8)).toBe(4); // C(12, 4) = 495: 0.002 <= 0.004; C(11, 3) = 165: 0.006 > 0.004
    expect(fewestDecisive(0.004, 6, 60, 8)).toBe(6); // never fewer than asked for
    expect(fewestDecisive(1e-9, 2, 60, 2)).toBe(60); // at most the maximum
    expect(fewestDecisive(0.004, 2, 60)).toBe(5); // as many a side: C(10, 5) = 252, 0.00397
    // References with half the target's count: C(11, 7) = 330 (0.003 > 0.0025), C(12, 8) = 495 (0.002).
    expect(fewestDecisive(0.0025, 2, 60, (n) => Math.ceil(n / 2))).toBe(8);
  });
  it('starts a culprit\'s check beside its parent with the rounds a rank bound of the pair needs', () => {
    // Nothing side by side yet: 3 rounds, C(6, 3) = 20 (0.05), where 1 and 2 cannot show any step.
    expect(fewestRounds(0.05, 0, 0, 60)).toBe(3);
    // The parent's verdict block took the culprit once beside its 5: one round more, C(8, 2) = 28.
    expect(fewestRounds(0.05, 5, 1, 60)).toBe(1);
    expect(fewestRounds(0.01, 0, 0, 60)).toBe(5);
    expect(fewestRounds(1e-12, 0, 0, 4)).toBe(4);
  });
  it('measures a block in an order shuffled inside each round, every commit spread over the rounds', () => {
    const counts: [string, number][] = [['x', 6], ['g', 2], ['b', 2]];
    const orders = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const order = blockOrder(counts, seededRng(seed));
      expect(order.filter((s) => s === 'x')).toHaveLength(6);
      expect(order.filter((s) => s === 'g')).toHaveLength(2);
      // Spread: one of the two good samples in each half of the block.
      expect(order.slice(0, 5).filter((s) => s === 'g')).toHaveLength(1);
      orders.add(order.join(''));
    }
    expect(orders.size).toBeGreaterThan(5);
    expect(new Set([...orders].map((o) => o[0])).size).toBeGreaterThan(1); // no commit always first
  });
});

describe('where the search stands (what the views and the run log show)', () => {
  it('counts the commits left in each search and the error budget spent, as git bisect would halve them', () => {
    // 32 commits, a 2x step at commit 21, a deterministic metric: every verdict is decided at its first look.
    const e = new BisectEngine(linearCommits(33), { good: shaOf(0), bad: shaOf(32) }, {
      better: 'lower', deterministic: true, minSamples: 1, maxSamples: 1, confidence: 0.95,
    }, seededRng(1));
    const before = e.progress();
    expect(before).toMatchObject({ endpoints: false, searches: [], remaining: 32, verdictsLeft: 5, done: false });
    expect(before.budget).toBeCloseTo(0.05, 12);
    const seen: number[] = [];
    for (let step = e.next(); step.type === 'measure'; step = e.next()) {
      e.record(Object.fromEntries(step.order.map((sha) => [sha, [Number(sha.slice(1)) >= 21 ? 200 : 100]])));
      const p = e.progress();
      if (!p.endpoints) continue;
      seen.push(p.remaining);
      expect(p.searches).toHaveLength(1);
      expect(p.remaining).toBe(p.searches[0].candidates);
      // The verdict just made says what it left, and what the tests had spent by then.
      const last = e.verdictList[e.verdictList.length - 1];
      if (last) expect(last.left).toBe(p.remaining);
      if (last) expect(last.spent).toBe(p.spent);
      expect(p.verdictsLeft).toBe(p.remaining > 1 ? Math.ceil(Math.log2(p.remaining)) : 0);
      expect(p.spent).toBeLessThanOrEqual(0.05);
    }
    // 32 commits in question after the endpoints, then halved by each verdict down to the culprit.
    expect(seen).toEqual([32, 16, 8, 4, 2, 1]);
    expect(e.progress()).toMatchObject({ done: true, remaining: 0, verdictsLeft: 0 });
    expect(e.verdictList.map((v) => v.left)).toEqual([16, 8, 4, 2, 1]);
  });

  it('splits the count in two when a commit lies between two steps, and counts k+1 parts a round on a fleet', () => {
    const e = new BisectEngine(linearCommits(17), { good: shaOf(0), bad: shaOf(16) }, {
      better: 'lower', deterministic: true, minSamples: 1, maxSamples: 1, confidence: 0.95,
    }, seededRng(1));
    // Steps at 4 and 12: the midpoint 8 sits between them.
    const value = (sha: string) => 100 * (Number(sha.slice(1)) >= 4 ? 2 : 1) * (Number(sha.slice(1)) >= 12 ? 2 : 1);
    for (let i = 0; i < 2; i++) {
      const step = e.next();
      if (step.type !== 'measure') throw new Error('expected a block');
      e.record(Object.fromEntries(step.order.map((sha) => [sha, [value(sha)]])));
    }
    expect(e.verdictList[0]).toMatchObject({ sha: shaOf(8), verdict: 'between', left: 16 });
    const p = e.progress();
    expect(p.searches.map((s) => s.candidates).sort((a, b) => a - b)).toEqual([8, 8]);
    expect(p.searches.map((s) => [s.good, s.bad]).sort()).toEqual([[shaOf(0), shaOf(8)], [shaOf(8), shaOf(16)]]);
    expect(p).toMatchObject({ remaining: 16, verdictsLeft: 6 });
    const fleet = new BisectEngine(linearCommits(121), { good: shaOf(0), bad: shaOf(120) }, {
      better: 'lower', deterministic: true, minSamples: 1, maxSamples: 1, confidence: 0.95, width: 3,
    }, seededRng(1));
    expect(fleet.progress()).toMatchObject({ remaining: 120, verdictsLeft: 4 }); // ⌈log4 120⌉ rounds
  });
});

describe('error budget', () => {
  it('never spends more than 1 - confidence, however many decisions a search makes', () => {
    const b = new ErrorBudget(0.05, plannedDecisions(127));
    let sum = 0;
    for (let k = 1; k <= 10_000; k++) sum += b.decision(k);
    expect(sum).toBeLessThanOrEqual(0.05);
    expect(sum).toBeGreaterThan(0.0499);
    // Half of a decision's share at its first look, the rest over the others.
    expect(b.look(1, 0, 5) * 2).toBeCloseTo(b.decision(1));
    expect(b.look(1, 0, 5) + 4 * b.look(1, 1, 5)).toBeCloseTo(b.decision(1));
  });
  it('states what the tests spent: the confidence holds for the decisions actually made', () => {
    const r = simulateBisect({ n: 128, steps: [{ at: 20, size: 0.08 }, { at: 90, size: 0.25 }], noise: 'normal', cv: 0.03 }, 11);
    expect(r.outcome.decisions).toBeGreaterThan(plannedDecisions(127)); // the second step's sub-search added some
    expect(r.outcome.alphaSpent).toBeGreaterThan(0);
    expect(r.outcome.alphaSpent).toBeLessThanOrEqual(0.05);
  });
});

describe('verdict rule', () => {
  const rel = (ref: number[], cand: number[]) => new Relative(ref, cand, 'lower');
  const spread = (level: number, n: number, seed: number) => {
    const rng = seededRng(seed);
    return Array.from({ length: n }, () => level * (1 + 0.02 * (rng() - 0.5)));
  };
  const levels = { alpha: 0.002, beta: 0.05, threshold: 0.04, minStep: 0.05 };
  it('puts a commit on the bad side without proving it equal to bad', () => {
    const f = factsOf(rel(spread(100, 12, 1), spread(200, 5, 2)), rel(spread(200, 12, 3), spread(200, 5, 2)), levels);
    expect(decide(f)).toBe('bad');
  });
  it('looks for a step on each side only when the commit is unlike both by more than the minimum step', () => {
    const between = factsOf(
      rel(spread(100, 20, 1), spread(150, 10, 2)),
      rel(spread(200, 20, 3), spread(150, 10, 2)),
      levels,
    );
    expect(decide(between)).toBe('between');
    // 3% from bad, below the 5% minimum further step: bad, not a second step.
    const near = factsOf(
      rel(spread(100, 20, 1), spread(194, 10, 2)),
      rel(spread(200, 20, 3), spread(194, 10, 2)),
      levels,
    );
    expect(decide(near)).toBe('bad');
  });
  it('side first, places a commit near one reference without proving it like it, and says what it left open', () => {
    const noisy = (level: number, n: number, seed: number) => {
      const rng = seededRng(seed);
      return Array.from({ length: n }, () => level * (1 + 0.2 * (rng() - 0.5)));
    };
    const at = (level: number, sideFirst: boolean) =>
      factsOf(
        rel(noisy(100, 12, 1), noisy(level, 4, 2)),
        rel(noisy(140, 12, 3), noisy(level, 4, 2)),
        { ...levels, ...(sideFirst ? { sideFirst } : {}) },
      );
    // 4 samples at 20% noise cannot rule out a further 5% step beside good: the lenient question waits.
    expect(decide(at(102, false))).toBeUndefined();
    const near = at(102, true);
    expect(decide(near)).toBe('good');
    expect(near.openLo).toBeGreaterThan(levels.minStep);
    // A third of the way to bad is not near enough to place without the proof.
    expect(decide(at(113, true))).toBeUndefined();
  });
  it('decides by the nearer side when the references are closer than two minimum steps', () => {
    // An earlier chance verdict left references 2% apart: no step worth finding lies between them.
    const f = factsOf(
      rel(spread(100, 20, 1), spread(100.5, 10, 2)),
      rel(spread(102, 20, 3), spread(100.5, 10, 2)),
      levels,
    );
    expect(f.close).toBe(true);
    expect(decide(f)).toBe('good');
    // The verdict says why it stands on figures that need not be significant.
    expect(byNearness(f)).toBe(true);
    const clearlyBad = factsOf(
      rel(spread(100, 20, 1), spread(194, 10, 2)),
      rel(spread(200, 20, 3), spread(194, 10, 2)),
      levels,
    );
    expect(byNearness(clearlyBad)).toBe(false);
  });
  it('places a commit by its value when the references are a hundredfold apart', () => {
    // Good 1.3 ms, bad 300 ms (minimum step an eighth of that change); the commit, slowed to 3.5 ms by
    // load, is +170% of good and -99% of bad: in good's units it lies 1% of the way from good to bad.
    const good = spread(1.3, 10, 1);
    const target = spread(3.5, 6, 2);
    const bad = spread(300, 10, 3);
    const wide = { ...levels, threshold: 0.15, minStep: 29 };
    const f = factsOf(rel(good, target), new Relative(bad, target, 'lower', false, 1.3), wide);
    expect(f.position).toBeLessThan(0.05);
    expect(f.likeHi).toBe(false);
    expect(decide(f)).toBe('good');
  });
  it('leans to a step on each side where, at the last look, the commit is unlike both by the minimum step', () => {
    // +11% of good and -20% of bad under 15% noise a sample: too noisy for the strict level, but the
    // lenient bounds and the estimates point to a step on each side. Leaning to good would lose one.
    const spread = (level: number) => Array.from({ length: 20 }, (_, i) => level * (1 + 0.25 * ((2 * i) / 19 - 1)));
    const [good, target, bad] = [spread(100), spread(111), spread(138)];
    const l = { ...levels, alpha: 0.001, threshold: 0.05, minStep: 0.06 };
    const f = factsOf(rel(good, target), new Relative(bad, target, 'lower', false, 100), l);
    expect(rel(good, target).worseAtLeast(l.alpha)).toBeLessThan(0);
    expect(rel(good, target).worseAtLeast(l.beta)).toBeGreaterThan(0);
    expect(decide(f)).toBeUndefined();
    expect(lean(f)).toBe('between');
  });
  it('waits for more samples where the data hint at a further step', () => {
    // 5% worse than good with few samples: neither clearly like good nor clearly a step.
    const f = factsOf(rel(spread(100, 6, 1), spread(105, 4, 2)), rel(spread(200, 6, 3), spread(105, 4, 2)), levels);
    expect(f.likeLo).toBe(false);
    expect(decide(f)).toBeUndefined();
    // What the next block's line says is open (±6% noise, 8 samples against 12): better than bad is
    // shown, a further step from good is not ruled out.
    const noisy = (level: number, n: number) =>
      Array.from({ length: n }, (_, i) => level * (1 + 0.12 * ((2 * i) / (n - 1) - 1)));
    const nearGood = factsOf(rel(noisy(100, 12), noisy(104, 8)), rel(noisy(200, 12), noisy(104, 8)), levels);
    expect(decide(nearGood)).toBeUndefined();
    expect(openKind(nearGood)).toBe('towards-good');
    // Worse than good and 4% under bad: the further step is towards bad.
    const nearBad = factsOf(rel(noisy(100, 12), noisy(192, 8)), rel(noisy(200, 12), noisy(192, 8)), levels);
    expect(decide(nearBad)).toBeUndefined();
    expect(openKind(nearBad)).toBe('towards-bad');
    // Halfway between references 20% apart with that noise: neither side shown.
    const halfway = factsOf(rel(noisy(100, 12), noisy(110, 8)), rel(noisy(120, 12), noisy(110, 8)), levels);
    expect(decide(halfway)).toBeUndefined();
    expect(openKind(halfway)).toBe('side');
    // Halfway between references 8% apart with ±3% noise: unlike both, not yet by half the threshold.
    const tight = (level: number, n: number) =>
      Array.from({ length: n }, (_, i) => level * (1 + 0.03 * ((2 * i) / (n - 1) - 1)));
    const unlike = factsOf(rel(tight(100, 12), tight(104, 8)), rel(tight(108, 12), tight(104, 8)), levels);
    expect(decide(unlike)).toBeUndefined();
    expect(openKind(unlike)).toBe('unlike-both');
  });
  it('says with each later look which question the look before left open', () => {
    const opens: string[] = [];
    for (let seed = 1; seed <= 4; seed++) {
      const options = { better: 'lower' as const, deterministic: false, ...defaultEngineOptions };
      const e = new BisectEngine(linearCommits(65), { good: shaOf(0), bad: shaOf(64) }, options, seededRng(seed));
      const sample = sampler({ n: 65, steps: [{ at: 40, size: 0.1 }], noise: 'normal', cv: 0.08 }, seededRng(seed + 7));
      for (let step = e.next(); step.type === 'measure'; step = e.next()) {
        if (step.purpose === 'verdict' && (step.look ?? 1) > 1) {
          expect(step.open).toBeDefined();
          opens.push(step.open!.kind === 'further-step' ? `towards-${step.open!.towards}` : step.open!.kind);
        } else expect(step.open).toBeUndefined();
        e.record(interleaved(step, (sha) => sample(Number(sha.slice(1)))));
      }
    }
    // A 10% step under 8% noise: later looks happen, and most are about a further step, not the side.
    expect(opens.length).toBeGreaterThan(4);
    expect(opens.filter((k) => k.startsWith('towards-')).length).toBeGreaterThan(0);
  });
});

describe('bisect engine on simulated noisy histories', () => {
  const h = (at: number, size: number, noise: 'normal' | 'drift' | 'spikes' = 'normal') => ({ n: 64, steps: [{ at, size }], noise, cv: 0.03 });

  it('finds a 25% step exactly across seeds and positions', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const at = 1 + ((seed * 13) % 62);
      expect(simulateBisect(h(at, 0.25), seed).culpritIdx).toEqual([at]);
    }
  });

  it('finds an 8% step under 3% noise with drift and spikes', () => {
    expect(simulateBisect(h(40, 0.08, 'drift'), 3).culpritIdx).toEqual([40]);
    expect(simulateBisect(h(17, 0.08, 'spikes'), 4).culpritIdx).toEqual([17]);
  });

  it('says no-regression when nothing changed', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = simulateBisect({ n: 64, steps: [], noise: 'normal', cv: 0.03 }, seed);
      expect(r.outcome.status).toBe('no-regression');
      expect(r.culpritIdx).toEqual([]);
      // The threshold it states is the change the result speaks for, not half of a shift of nothing.
      expect(r.outcome.threshold).toBe(r.outcome.noRegressionBelow);
      expect(r.outcome.thresholdSource).toMatch(/the smallest change (worth bisecting|this run could speak for)/);
    }
  });

  it('says undecided, not no-regression, when the noise neither shows nor rules out a change worth bisecting', () => {
    // +6% under 20% noise with at most 12 samples: not significant, and not shown below 5% either.
    const r = simulateBisect({ n: 16, steps: [{ at: 5, size: 0.06 }], noise: 'normal', cv: 0.2 }, 3, { maxSamples: 12 });
    expect(r.outcome.status).toBe('undecided');
    expect(r.outcome.culprits).toEqual([]);
    expect(r.outcome.noRegressionBelow).toBeGreaterThanOrEqual(0.05);
  });

  it('says no-regression for an improvement', () => {
    expect(simulateBisect(h(30, -0.2), 7).outcome.status).toBe('no-regression');
  });

  it('says where a later improvement hides part of the regression, and nothing where none does', () => {
    // +100% at 20, then a 40% improvement at 90: good → bad shows +20% only.
    const hid = { n: 128, steps: [{ at: 20, size: 1 }, { at: 90, size: -0.4 }], noise: 'normal' as const, cv: 0.03 };
    for (const seed of [1, 2, 3]) {
      const r = simulateBisect(hid, seed);
      expect(r.culpritIdx).toEqual([20]);
      const seen = r.outcome.improvements ?? [];
      expect(seen.length).toBeGreaterThanOrEqual(1);
      for (const m of seen) {
        // Each range holds the improvement and not the regression.
        const [after, through] = [Number(m.after.slice(1)), Number(m.through.slice(1))];
        expect(after).toBeGreaterThanOrEqual(20);
        expect(after).toBeLessThan(90);
        expect(through).toBeGreaterThanOrEqual(90);
        expect(m.commits).toBe(through - after);
      }
    }
    // An improvement before the regression shows as a good-side commit better than good.
    const early = simulateBisect({ ...hid, steps: [{ at: 30, size: -0.4 }, { at: 100, size: 1 }] }, 4);
    expect(early.culpritIdx).toEqual([100]);
    expect(early.outcome.improvements?.length).toBeGreaterThanOrEqual(1);
    for (const m of early.outcome.improvements ?? []) {
      expect(m.refSide).toBe('good');
      expect(Number(m.after.slice(1))).toBeLessThan(30);
      expect(Number(m.through.slice(1))).toBeGreaterThanOrEqual(30);
    }
    // A deterministic probe measures each commit once, in no trial shared with its reference: still shown.
    const exact = simulateBisect({ ...hid, cv: 0 }, 1, { deterministic: true });
    expect(exact.culpritIdx).toEqual([20]);
    expect(exact.outcome.improvements?.length).toBeGreaterThanOrEqual(1);
    for (const seed of [1, 2, 3]) {
      expect(simulateBisect({ ...hid, steps: [{ at: 20, size: 1 }] }, seed).outcome.improvements).toEqual([]);
      expect(simulateBisect({ n: 128, steps: [{ at: 20, size: 0.08 }, { at: 90, size: 0.25 }], noise: 'normal', cv: 0.03 }, seed).outcome.improvements).toEqual([]);
    }
  });

  it('sees no improvement in a branch merged from before good, which does not descend from it', () => {
    // p0 - g0 (good, outside the range) - a1 - M ; p0 - s1 - M: s1 forked before good.
    const g = new CommitGraph([
      { sha: 'a1', parents: ['g0'] }, { sha: 's1', parents: ['p0'] }, { sha: 'M', parents: ['a1', 's1'] },
    ]);
    expect(g.descendsFrom('a1', 'g0')).toBe(true);
    expect(g.descendsFrom('M', 'g0')).toBe(true);
    expect(g.descendsFrom('s1', 'g0')).toBe(false);
    expect(g.descendsFrom('M', 's1')).toBe(true);
    expect(g.descendsFrom('a1', 's1')).toBe(false);
    const better = { worse: -0.3, lo: -0.35, hi: -0.25, p: 1e-6, same: false, different: true };
    const verdict = (sha: string) => ({ sha, verdict: 'good' as const, refs: ['g0', 'M'], vsGood: better, samples: 10 });
    expect(improvementsSeen([verdict('s1')], g)).toEqual([]);
    expect(improvementsSeen([verdict('a1')], g).map((m) => [m.after, m.through, m.commits])).toEqual([['g0', 'a1', 1]]);
  });

  it('reports both steps of a two-step history, in commit order', () => {
    const r = simulateBisect({ n: 128, steps: [{ at: 20, size: 0.08 }, { at: 90, size: 0.25 }], noise: 'normal', cv: 0.03 }, 11);
    expect(r.culpritIdx).toEqual([20, 90]);
    expect(r.outcome.status).toBe('found');
  });

  it('builds no more than log2(N) + 3 commits for one step', () => {
    const r = simulateBisect({ n: 128, steps: [{ at: 77, size: 0.1 }], noise: 'normal', cv: 0.03 }, 5);
    expect(r.built).toBeLessThanOrEqual(Math.ceil(Math.log2(128)) + 3);
  });

  it('uses one sample per commit for deterministic metrics', () => {
    const r = simulateBisect({ n: 64, steps: [{ at: 33, size: 0.3 }], noise: 'normal', cv: 0 }, 1, { deterministic: true });
    expect(r.culpritIdx).toEqual([33]);
    expect(r.samples).toBeLessThan(20);
  });

  it('measures a one-commit range, its culprit beside good until its size is clear', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulateBisect({ n: 2, steps: [{ at: 1, size: 0.06 }], noise: 'normal', cv: 0.03 }, seed);
      expect(r.outcome.status).not.toBe('no-regression');
    }
  });

  it('names the commits the search measures next, whichever way the current verdict goes', () => {
    const e = new BisectEngine(linearCommits(16), { good: shaOf(0), bad: shaOf(15) }, { better: 'lower', deterministic: true, minSamples: 1, maxSamples: 1, confidence: 0.95 }, seededRng(1));
    const value = (sha: string) => (Number(sha.slice(1)) >= 5 ? 200 : 100);
    const run = () => {
      const step = e.next();
      if (step.type !== 'measure') throw new Error('expected a measurement');
      const got: Record<string, number[]> = {};
      for (const s of [...step.refs, step.target]) got[s] = [value(s)];
      e.record(got);
    };
    expect(e.nextTargets()).toEqual([shaOf(7)]);
    run(); // the endpoints
    expect((e.next() as { target: string }).target).toBe(shaOf(7));
    expect(e.nextTargets()).toEqual([shaOf(11), shaOf(3)]); // if c7 is good, if it is bad
    run(); // c7 is bad
    expect((e.next() as { target: string }).target).toBe(shaOf(3));
  });

  it('is ambiguous when the boundary falls among skipped commits, and lists exactly the suspects', () => {
    const commits = linearCommits(16);
    const rng = seededRng(1);
    const e = new BisectEngine(commits, { good: shaOf(0), bad: shaOf(15) }, { better: 'lower', deterministic: true, minSamples: 1, maxSamples: 1, confidence: 0.95 }, rng);
    const value = (sha: string) => (Number(sha.slice(1)) >= 8 ? 200 : 100);
    const unbuildable = new Set([shaOf(7), shaOf(8)]);
    for (;;) {
      const step = e.next();
      if (step.type === 'done') {
        expect(step.outcome.status).toBe('ambiguous');
        expect(step.outcome.suspects).toEqual([shaOf(7), shaOf(8), shaOf(9)]);
        break;
      }
      if (unbuildable.has(step.target)) { e.skip('build failed'); continue; }
      const got: Record<string, number[]> = {};
      for (const s of [...step.refs, step.target]) got[s] = [value(s)];
      e.record(got);
    }
  });

  it('decides a clear change at the first look, with the references\' earlier samples', () => {
    const r = simulateBisect({ n: 64, steps: [{ at: 41, size: 1 }], noise: 'normal', cv: 0.03 }, 2);
    expect(r.culpritIdx).toEqual([41]);
    // A handful of fresh samples a side cannot reach the bisect-wide alpha: with the references' earlier
    // samples every verdict is decided at its first look.
    for (const v of r.outcome.verdicts) expect(v).toMatchObject({ look: 1, pooled: true });
    expect(Math.max(...r.outcome.verdicts.map((v) => v.samples))).toBeLessThanOrEqual(6);
  });

  it('decides a large early step in a few probe runs a commit, as a hand-run loop would', () => {
    // x2.4 at the 3rd of 15 commits, 2% noise: 4 verdicts and the endpoints.
    const r = simulateBisect({ n: 16, steps: [{ at: 3, size: 1.4 }], noise: 'lognormal', cv: 0.02 }, 3);
    expect(r.culpritIdx).toEqual([3]);
    expect(r.samples).toBeLessThanOrEqual(60);
    expect(r.outcome.verdicts.every((v) => v.verdict !== 'inconclusive')).toBe(true);
  });

  it('with oneStep asks only the side: a step large against the noise for far fewer runs, and one of two steps', () => {
    // +25% under 9% lognormal noise: by default most runs go to ruling out a further step beside each commit.
    const h = { n: 64, steps: [{ at: 23, size: 0.25 }], noise: 'lognormal' as const, cv: 0.09 };
    let [all, one] = [0, 0];
    for (const seed of [1, 2, 3, 4, 5]) {
      const a = simulateBisect(h, seed);
      const b = simulateBisect(h, seed, { oneStep: true });
      expect(a.culpritIdx).toEqual([23]);
      expect(b.culpritIdx).toEqual([23]);
      expect(b.outcome.oneStep).toBe(true);
      expect(b.outcome.verdicts.every((v) => v.unresolved === undefined)).toBe(true);
      [all, one] = [all + a.samples, one + b.samples];
    }
    expect(one).toBeLessThan(all * 0.6);
    // Two steps: one is found, exactly as git bisect would; no search splits for the other.
    for (const seed of [1, 2, 3]) {
      const r = simulateBisect({ n: 64, steps: [{ at: 15, size: 0.3 }, { at: 45, size: 0.3 }], noise: 'lognormal', cv: 0.03 }, seed, { oneStep: true });
      expect(r.outcome.status).toBe('found');
      expect(r.culpritIdx).toHaveLength(1);
      expect([15, 45]).toContain(r.culpritIdx[0]);
      expect(r.outcome.verdicts.some((v) => v.verdict === 'between')).toBe(false);
      // No further step was looked for, so none is named; a commit unlike both says why it followed one.
      expect(r.outcome.verdicts.every((v) => v.minStep === undefined)).toBe(true);
      for (const v of r.outcome.verdicts.filter((x) => x.reason?.startsWith('nearer'))) {
        expect(v.reason).toMatch(/^nearer (good|bad): unlike both references, and with one step looked for \(--one-step\)/);
      }
      expect(r.outcome.verdicts.some((v) => v.reason?.startsWith('nearer'))).toBe(true);
    }
  });

  it('goes side first on a step large against the noise, and looks for a further step at the located step\'s ends', () => {
    // +40% at 3% noise: 4 thresholds and 5 times the noise, so a commit's side shows in a few samples.
    let shortcuts = 0;
    const checkRuns: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const blocks: MeasureStep[] = [];
      const r = simulateBisect({ n: 64, steps: [{ at: 23, size: 0.4 }], noise: 'lognormal', cv: 0.03 }, seed, {}, (st, e) => {
        blocks.push(st);
        // While a check is measured, the progress the views show counts it as a commit and a verdict to come.
        if (st.endCheck) expect(Math.min(e.progress().remaining, e.progress().verdictsLeft)).toBeGreaterThanOrEqual(1);
      });
      expect(r.culpritIdx).toEqual([23]);
      expect(r.outcome.sideFirst).toBeDefined();
      const checks = r.outcome.verdicts.filter((v) => v.reason?.startsWith('checked as'));
      expect(checks).toHaveLength(r.outcome.sideFirst!.checks);
      // A side left open by a verdict is checked once the step is located; with none left open, nothing is.
      const open = r.outcome.verdicts.filter((v) => v.unresolved && !v.reason?.startsWith('checked'));
      shortcuts += open.length;
      expect(checks.length > 0).toBe(open.length > 0);
      const sides = new Set(open.map((v) => (v.verdict === 'good' ? 'below' : 'above')));
      expect(checks).toHaveLength(sides.size);
      for (const v of checks) expect(v.reason).toMatch(/no further step beyond it$/);
      // The block of a check says so, for the views.
      expect(blocks.filter((st) => st.endCheck)).toHaveLength(checks.reduce((n, v) => n + v.look!, 0));
      // A check asks whether its end is like its search's end: that reference is sampled as often as the
      // end, and the located step's other end, whose side is given, once a look.
      for (const st of blocks.filter((b) => b.endCheck)) {
        const [end, given] = st.endCheck === 'below' ? st.refs : [...st.refs].reverse();
        const runs = (sha: string) => st.order.filter((x) => x === sha).length;
        expect(runs(given)).toBe(1);
        expect(runs(end)).toBe(runs(st.target));
        checkRuns.push(runs(st.target));
      }
      // As every verdict, a check says what is left in question after it: nothing, where it found no further step.
      for (const v of checks) expect(v.left).toBe(0);
    }
    expect(shortcuts).toBeGreaterThan(0);
    expect(Math.max(...checkRuns)).toBeGreaterThan(1);
    // Small against the noise, the same step is not: every verdict answers the lenient question itself.
    const noisy = simulateBisect({ n: 64, steps: [{ at: 23, size: 0.4 }], noise: 'lognormal', cv: 0.15 }, 1);
    expect(noisy.outcome.sideFirst).toBeUndefined();
  });

  it('counts the end checks still to come in its progress, and none it will not make once the time is out', () => {
    let both = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      simulateBisect({ n: 64, steps: [{ at: 23, size: 0.4 }], noise: 'lognormal', cv: 0.03 }, seed, {}, (st, e) => {
        if (st.endCheck !== 'below') return;
        // The parent's check is measured; the culprit's may wait behind it.
        if (e.progress().remaining === 2) both++;
        e.hurry();
        expect(e.progress().remaining).toBe(1);
      });
    }
    expect(both).toBeGreaterThan(0);
  });

  it('finds the smaller of two steps where side-first verdicts passed it, by checking the located step\'s parent', () => {
    // +8% at 12, then +40% at 44: the first verdicts sit a fifth of the way from good, close enough to
    // be placed good without ruling out the +8% step; the check of 44's parent against good finds it.
    let found = 0;
    let byCheck = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = simulateBisect({ n: 64, steps: [{ at: 12, size: 0.08 }, { at: 44, size: 0.4 }], noise: 'lognormal', cv: 0.03 }, seed);
      expect(r.outcome.culprits.map((c) => c.sha)).toContain(shaOf(44));
      if (r.culpritIdx.includes(12)) found++;
      const check = r.outcome.verdicts.find((v) => v.reason?.startsWith(`checked as the parent of ${shaOf(44)}`));
      if (check?.reason?.endsWith('is bisected')) {
        byCheck++;
        expect(r.culpritIdx).toEqual([12, 44]);
      }
    }
    expect(found).toBe(6);
    expect(byCheck).toBeGreaterThanOrEqual(3);
  });

  it('checks the culprit against the bad end too: a smaller step after a large one is found there', () => {
    // +40% at 20, then +8% at 55: commits after 20 sit near bad and go bad side first; checking 20 against
    // bad finds the +8% beyond it.
    let byCheck = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = simulateBisect({ n: 64, steps: [{ at: 20, size: 0.4 }, { at: 55, size: 0.08 }], noise: 'lognormal', cv: 0.03 }, seed);
      expect(r.culpritIdx).toEqual([20, 55]);
      const check = r.outcome.verdicts.find((v) => v.reason === `checked as ${shaOf(20)} against the bad end of its search: a further step lies beyond it, and is bisected`);
      if (check) {
        byCheck++;
        // The commits after 20 are in question again, up to bad.
        expect(check.left).toBeGreaterThan(1);
      }
    }
    expect(byCheck).toBeGreaterThanOrEqual(3);
  });

  it('says so where a located step\'s end could not be measured again for its check', () => {
    const h = { n: 64, steps: [{ at: 20, size: 0.4 }, { at: 55, size: 0.08 }], noise: 'lognormal' as const, cv: 0.03 };
    const e = new BisectEngine(linearCommits(h.n), { good: shaOf(0), bad: shaOf(h.n - 1) }, { better: 'lower', deterministic: false, ...defaultEngineOptions }, seededRng(2 ^ 0x9e3779b9));
    const sample = sampler(h, seededRng(2));
    let skipped = 0;
    for (let block = 0; block < 500; block++) {
      const step = e.next();
      if (step.type === 'done') {
        expect(skipped).toBe(1);
        expect(step.outcome.culprits.map((c) => c.sha)).toContain(shaOf(20));
        expect(step.outcome.sideFirst?.checks).toBe(0);
        const v = step.outcome.verdicts.find((x) => x.verdict === 'skipped')!;
        expect(v.reason).toBe(`build failed; the culprit against the bad end of its search was not checked`);
        return;
      }
      // The culprit measured again after its search closed: the check against the bad end.
      const again = step.purpose === 'verdict' && step.refs.includes(shaOf(63)) && e.verdictList.some((x) => x.sha === step.target && x.verdict === 'bad' && x.refs[1] !== shaOf(63));
      if (again && step.target === shaOf(20)) {
        skipped++;
        e.skip('build failed');
        continue;
      }
      e.record(interleaved(step, (sha) => sample(Number(sha.slice(1)))));
    }
    throw new Error('the bisect did not finish');
  });

  it('keeps a side left open before a split with the part of the search it belongs to', () => {
    // +8% at 10, +20% at 40 and at 56: a commit before 40 goes good side first, one between 40 and 56 splits
    // the search; the question left open towards good is the older part's, asked of its culprit's parent.
    // The 8% step is then bisected between references 8% apart, where verdicts go by nearness: about 97
    // of 100 seeds find it, so the count is taken over enough seeds that a few misses are not a failure.
    let all = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const steps = [{ at: 10, size: 0.08 }, { at: 40, size: 0.2 }, { at: 56, size: 0.2 }];
      const r = simulateBisect({ n: 64, steps, noise: 'lognormal', cv: 0.03 }, seed);
      expect(r.culpritIdx).toEqual(expect.arrayContaining([40, 56]));
      if (r.culpritIdx.includes(10)) all++;
    }
    expect(all).toBeGreaterThanOrEqual(20);
  });

  it('never goes side first when driven in rounds, even of one job: a round applies its verdicts together', () => {
    const r = simulateRounds({ n: 64, steps: [{ at: 23, size: 0.4 }], noise: 'lognormal', cv: 0.03 }, 1, { runners: 1, machines: 'one' });
    expect(r.culpritIdx).toEqual([23]);
    expect(r.outcome.sideFirst).toBeUndefined();
    expect(r.outcome.verdicts.filter((v) => v.unresolved && v.verdict !== 'inconclusive').every((v) => v.look! >= 3)).toBe(true);
  });

  it('finds both steps of +8% then +26% on a 100-commit history without an inconclusive verdict', () => {
    for (const seed of [1, 2, 3]) {
      const r = simulateBisect({ n: 100, steps: [{ at: 30, size: 0.08 }, { at: 70, size: 0.26 }], noise: 'lognormal', cv: 0.02 }, seed);
      expect(r.culpritIdx).toEqual([30, 70]);
      expect(r.outcome.verdicts.filter((v) => v.verdict === 'inconclusive')).toEqual([]);
      expect(r.samples).toBeLessThanOrEqual(400);
    }
  });

  it('names only steps above the minimum for exact metrics: bytes of noise beside a real step are not culprits', () => {
    // A 400-byte bundle grows by 11 KiB at commit 30 and by 8 to 24 bytes at five other commits.
    const steps = [
      { at: 5, size: 24 / 400 },
      { at: 12, size: 8 / 424 },
      { at: 30, size: 11264 / 432 },
      { at: 41, size: 16 / 11696 },
      { at: 50, size: 20 / 11712 },
      { at: 58, size: 12 / 11732 },
    ];
    const r = simulateBisect({ n: 64, steps, noise: 'normal', cv: 0 }, 1, { deterministic: true });
    expect(r.culpritIdx).toEqual([30]);
    expect(r.outcome.minStep).toBeGreaterThan(24 / 400);
  });

  it('does not let a verdict rest on earlier samples when the machine changed speed between trials', () => {
    const e = new BisectEngine(linearCommits(16), { good: shaOf(0), bad: shaOf(15) }, { better: 'lower', deterministic: false, minSamples: 10, maxSamples: 60, confidence: 0.95 }, seededRng(1));
    const rng = seededRng(7);
    let machine = 1;
    const value = (sha: string) => (Number(sha.slice(1)) >= 12 ? 200 : 100) * machine * (1 + 0.01 * (rng() - 0.5));
    const first = e.next();
    if (first.type !== 'measure') throw new Error('expected the endpoints');
    const measure = (step: typeof first) => e.record(interleaved(step, value));
    // Many earlier samples (as after a verdict that took several looks) would outweigh a few fresh ones.
    measure({ ...first, order: Array.from({ length: 40 }, () => [...first.refs, first.target]).flat() });
    machine = 1.3; // another job started: everything after the endpoints is 30% slower
    const step = e.next();
    if (step.type !== 'measure') throw new Error('expected a verdict');
    while (e.verdictList.length === 0) measure(e.next() as typeof first);
    // Pooled with the endpoints' samples, good's would be 30% faster than the commit: 'between'.
    expect(e.verdictList[0]).toMatchObject({ sha: step.target, verdict: 'good' });
  });

  it('finds no further step at a located step\'s end because the machine changed speed after the endpoints', () => {
    // x3.5 at 20 of 33, 6% noise; 20-60 runs in, every run gets 40% slower (another job starts: the end
    // check of the culprit's parent against good) or 30% faster (one ends: the culprit against bad). A
    // check pools its commit's samples, taken after, with the end's from the endpoints, taken before; the
    // estimates of a fresh sample or two of the end beside them cannot tell that from a further step.
    for (const [seed, speed] of [1.4, 0.7].flatMap((x) => Array.from({ length: 60 }, (_, i) => [i + 1, x]))) {
      const rng = seededRng(seed);
      const jumpAt = 20 + Math.floor(rng() * 40);
      let clock = 0;
      const value = (sha: string) =>
        (Number(sha.slice(1)) >= 20 ? 350 : 100) * (1 + 0.06 * gaussian(rng)) * (++clock > jumpAt ? speed : 1);
      const e = new BisectEngine(linearCommits(33), { good: shaOf(0), bad: shaOf(32) }, { better: 'lower', deterministic: false, ...defaultEngineOptions }, seededRng(seed ^ 0x9e3779b9));
      let step = e.next();
      while (step.type === 'measure') {
        e.record(interleaved(step, value));
        step = e.next();
      }
      expect(step.outcome.culprits.map((c) => c.sha)).toEqual([shaOf(20)]);
      expect(e.verdictList.filter((v) => v.verdict === 'between')).toEqual([]);
      expect(step.outcome.minorSteps).toEqual([]);
    }
  });

  /** 16 commits bisected to the end; `value` gives each run, knowing the block's target and its index. */
  const bisect16 = (
    options: Partial<EngineOptions>, seed: number, value: (sha: string, target: string, block: number) => number,
  ) => {
    const e = new BisectEngine(linearCommits(16), { good: shaOf(0), bad: shaOf(15) }, { better: 'lower', deterministic: false, minSamples: 4, maxSamples: 60, confidence: 0.95, ...options }, seededRng(seed));
    for (let block = 0; block < 200; block++) {
      const step = e.next();
      if (step.type === 'done') return { outcome: step.outcome, verdicts: e.verdictList };
      e.record(interleaved(step, (sha) => value(sha, step.target, block)));
    }
    throw new Error('the bisect did not finish');
  };

  it('does not call a commit between two steps on one look that a burst of load inflated', () => {
    // One step at 8 of 16. The first block after the endpoints runs while another job takes the CPU:
    // the target's samples come out 45% slower, the few fresh reference samples beside them do not.
    const rng = seededRng(11);
    const base = (sha: string) => (Number(sha.slice(1)) >= 8 ? 240 : 100) * (1 + 0.04 * (rng() - 0.5));
    const r = bisect16({}, 3, (sha, target, block) => base(sha) * (block === 1 && sha === target ? 1.45 : 1));
    expect(r.outcome.culprits.map((c) => c.sha)).toEqual([shaOf(8)]);
    expect(r.verdicts.filter((v) => v.verdict === 'between')).toEqual([]);
  });

  it('lists as smaller steps only located pairs that are worse beside each other', () => {
    // Seven steps of 1.2% in 128 commits: the searches close on pairs a little apart, by chance on one
    // that measured -0.06% (seed 24), which is no step of this regression.
    const steps = [4, 8, 12, 16, 20, 24, 28].map((at) => ({ at, size: 0.012 }));
    let listed = 0;
    for (let seed = 20; seed <= 28; seed++) {
      const { outcome } = simulateBisect({ n: 128, steps, noise: 'lognormal', cv: 0.03 }, seed);
      for (const m of outcome.minorSteps) expect(m.change.worse).toBeGreaterThan(0);
      listed += outcome.minorSteps.length;
    }
    expect(listed).toBeGreaterThan(0);
  });

  it('names no culprit where the change is spread over small steps: one of them is no answer', () => {
    // Seven steps of 1.2% (8.7% in all) under a 4% threshold: before, the largest located one (+1.4%)
    // was named the culprit of the whole change.
    const steps = [4, 8, 12, 16, 20, 24, 28].map((at) => ({ at, size: 0.012 }));
    for (const seed of [1, 2, 3]) {
      const { outcome } = simulateBisect({ n: 32, steps, noise: 'normal', cv: 0.005 }, seed);
      expect(outcome).toMatchObject({ status: 'ambiguous', culprits: [], unresolved: true });
      expect(outcome.suspects.length).toBeGreaterThan(0);
    }
  });

  it('says whether a culprit\'s figures come from samples taken side by side with its parent', () => {
    // A ×2.4 step at 3 of 16, decided at first looks: the parent's block holds one fresh sample of the
    // culprit, too few to stand alone, so the figures pool every sample of each, and say so.
    const rng = seededRng(21);
    const level = (sha: string) => (Number(sha.slice(1)) >= 3 ? 240 : 100) * (1 + 0.02 * (rng() - 0.5));
    const r = bisect16({}, 4, (sha) => level(sha));
    const [c] = r.outcome.culprits;
    expect(c.sha).toBe(shaOf(3));
    expect(c.sideBySide).toBe(false);
    // A 6% step at 3% noise takes later looks beside the parent: enough samples of both, side by side.
    const small = simulateBisect({ n: 32, steps: [{ at: 9, size: 0.06 }], noise: 'normal', cv: 0.03 }, 2);
    expect(small.outcome.culprits.map((x) => [x.sha, x.sideBySide])).toEqual([[shaOf(9), true]]);
    // An exact metric does not drift: one value each is as good as side by side.
    const exact = bisect16({ deterministic: true, minSamples: 1, maxSamples: 1 }, 1, (sha) => level(sha));
    expect(exact.outcome.culprits[0].sideBySide).toBe(true);
  });

  it('measures a commit again, afresh, before its lean splits the search in two', () => {
    // One 8% step at 12 of 32. The first midpoint (15, after the step) runs halfway between good and bad
    // for its first 60 samples, as under a long burst of load, then at its own speed: at the last look it
    // is unlike both references and leans 'between'. A split would bisect a side with no step in it.
    // (A burst that strikes one commit and not the references can also put it on the wrong side early,
    // by chance: at this level, 30 bisects in 200 do; seed 8 is one. bench/README.md has the figures.)
    for (const seed of [4, 5, 6, 7, 9]) {
      const rng = seededRng(seed);
      let burst = 0;
      const value = (i: number) =>
        (i === 15 && burst++ < 60 ? 104 : i >= 12 ? 108 : 100) * (1 + 0.03 * gaussian(rng));
      const e = new BisectEngine(linearCommits(32), { good: shaOf(0), bad: shaOf(31) }, { better: 'lower', deterministic: false, ...defaultEngineOptions }, seededRng(seed + 99));
      const measured = new Set<string>();
      const startsAgain: string[] = [];
      let step = e.next();
      for (; step.type !== 'done'; step = e.next()) {
        measured.add(step.target);
        // The block that starts over says so (the plain view's line names it), and only that one.
        if (step.again) startsAgain.push(step.target);
        e.record(interleaved(step, (sha) => value(Number(sha.slice(1)))));
      }
      expect(startsAgain).toEqual([shaOf(15)]);
      expect(step.outcome.culprits.map((c) => c.sha)).toEqual([shaOf(12)]);
      expect(step.outcome.verdicts.filter((v) => v.lean === 'between' || v.verdict === 'between')).toEqual([]);
      const again = step.outcome.verdicts.find((v) => v.sha === shaOf(15));
      expect(again?.verdict).toBe('bad');
      expect(again?.reason).toMatch(/measured again/);
      // The endpoint, then one commit per halving of 31: nothing spent on a side without a step.
      expect(measured.size).toBe(6);
    }
  });

  it('places a commit by its value on a hundredfold step, even when a burst of load inflated it', () => {
    // Good 1.3 ms, bad 300 ms from commit 12 of 16. The first verdict's commit runs during a burst that
    // makes it 2.7× slower: +170% of good, but still a hundredth of the way to bad.
    const rng = seededRng(13);
    const base = (sha: string) => (Number(sha.slice(1)) >= 12 ? 300 : 1.3) * (1 + 0.1 * (rng() - 0.5));
    const r = bisect16({}, 5, (sha, target, block) => base(sha) * (block === 1 && sha === target ? 2.7 : 1));
    expect(r.outcome.culprits.map((c) => c.sha)).toEqual([shaOf(12)]);
    expect(r.verdicts[0].verdict).not.toBe('bad');
    // A bad verdict states its step relative to bad: at most half the way back to good.
    const bad = r.verdicts.filter((x) => x.verdict === 'bad');
    expect(bad.length).toBeGreaterThan(0);
    for (const v of bad) expect(v.minStep).toBeLessThanOrEqual(0.5);
  });

  it('finds both steps of an exact metric that starts at zero (0, then 50, then 100 queries)', () => {
    const value = (sha: string) => (Number(sha.slice(1)) >= 11 ? 100 : Number(sha.slice(1)) >= 5 ? 50 : 0);
    const r = bisect16({ deterministic: true, minSamples: 1, maxSamples: 1 }, 1, value);
    expect(r.outcome.culprits.map((c) => c.sha)).toEqual([shaOf(5), shaOf(11)]);
    for (const v of r.verdicts) expect(Number.isFinite(v.minStep ?? 0)).toBe(true);
  });

  it('measures a culprit against its parent side by side, so a machine that changed speed mid-run cannot hide it', () => {
    // A history whose machine gets 20% slower partway: the culprit used to be lost to pooled samples.
    const at = 1 + ((12 * 37) % 126);
    const r = simulateBisect({ n: 128, steps: [{ at, size: 0.08 }], noise: 'jump', cv: 0.03 }, 1000 + 12 * 7919);
    expect(r.outcome.status).toBe('found');
    expect(r.culpritIdx).toEqual([at]);
  });

  it('decides on side-by-side samples alone where a commit sits beyond both references', () => {
    // The machine turns 20% slower before commit 95 (good; the step is at 103) is measured: its
    // references' earlier samples were taken at the old speed, and against them it once looked worse
    // than bad itself. Its verdict rests on the samples taken beside it alone, and it is good.
    const r = simulateBisect({ n: 128, steps: [{ at: 103, size: 0.08 }], noise: 'jump', cv: 0.03 }, 2105538514);
    expect(r.culpritIdx).toEqual([103]);
    const v = r.outcome.verdicts.find((x) => x.sha === shaOf(95))!;
    expect(v.verdict).toBe('good');
    expect(v.pooled).toBe(false);
  });

  it('says at the next look when a commit beyond both references is left to side-by-side samples', () => {
    // The machine turns 20% slower while commit 99 (good) is measured: against its references' earlier
    // samples it looks slower than both, so only the samples taken beside it count from then on.
    const open: OpenQuestion[] = [];
    const h = { n: 128, steps: [{ at: 103, size: 0.08 }], noise: 'jump' as const, cv: 0.03 };
    const r = simulateBisect(h, 8, {}, (step) => {
      if (step.target === shaOf(99) && step.open) open.push(step.open);
    });
    expect(r.culpritIdx).toEqual([103]);
    expect(open[0].kind).toBe('beyond-both');
    // The line's estimates are the ones that put it beyond both: worse than each reference.
    expect(open[0].vsGood).toBeGreaterThan(0);
    expect(open[0].vsBad).toBeGreaterThan(0);
    expect(r.outcome.verdicts.find((x) => x.sha === shaOf(99))!.verdict).toBe('good');
  });

  it('moves the good reference to the nearest good commit, so the culprit is measured beside its parent', () => {
    // The machine's speed wanders by ~3% every few blocks: compared with the far good endpoint, or
    // with its parent measured in another trial, this culprit's 8% change was lost.
    const r = simulateBisect({ n: 128, steps: [{ at: 112, size: 0.08 }], noise: 'wiggle', cv: 0.03 }, 1000 + 3 * 7919);
    expect(r.culpritIdx).toEqual([112]);
    const last = r.outcome.verdicts.at(-1)!;
    expect(last.refs[0]).toBe(shaOf(111));
  });

  it('checks a merge that made things slower beside its first parent in one look, never measured beside it before', () => {
    // g0 - m1..m12 and g0 - s1..s12, merged at M (x8), then n1, b. M's first parent m12 was never measured
    // beside M by a verdict: a look of one or two rounds could not show any step at the lenient level.
    const commits: { sha: string; parents: string[] }[] = [];
    for (const side of ['m', 's'])
      for (let i = 1; i <= 12; i++) commits.push({ sha: `${side}${i}`, parents: [i === 1 ? 'g0' : `${side}${i - 1}`] });
    commits.push({ sha: 'M', parents: ['m12', 's12'] }, { sha: 'n1', parents: ['M'] }, { sha: 'b', parents: ['n1'] });
    const slow = new Set(['M', 'n1', 'b']);
    for (const seed of [1, 2, 3]) {
      const e = new BisectEngine(commits, { good: 'g0', bad: 'b' }, { better: 'lower', deterministic: false, minSamples: 4, maxSamples: 60, confidence: 0.95 }, seededRng(seed));
      const noise = seededRng(100 + seed);
      const confirms: MeasureStep[] = [];
      let step = e.next();
      while (step.type === 'measure') {
        if (step.purpose === 'confirm') confirms.push(step);
        e.record(interleaved(step, (s) => (slow.has(s) ? 800 : 100) * (1 + 0.02 * (noise() - 0.5))));
        step = e.next();
      }
      expect(step.outcome.culprits.map((c) => [c.sha, c.before])).toEqual([['M', 'm12']]);
      expect(confirms.map((c) => c.rounds)).toEqual([3]);
    }
  });

  it('keeps the good reference across a merge whose other branch made things faster', () => {
    // g0 - s1 (20% faster) - s2 ; g0 - c1 - c2 (50% slower) ; both merged into M, then b.
    const commits = [
      { sha: 's1', parents: ['g0'] }, { sha: 's2', parents: ['s1'] },
      { sha: 'c1', parents: ['g0'] }, { sha: 'c2', parents: ['c1'] },
      { sha: 'M', parents: ['c2', 's2'] }, { sha: 'b', parents: ['M'] },
    ];
    const level: Record<string, number> = { g0: 1, s1: 0.8, s2: 0.8, c1: 1, c2: 1.5, M: 1.2, b: 1.2 };
    const e = new BisectEngine(commits, { good: 'g0', bad: 'b' }, { better: 'lower', deterministic: false, minSamples: 10, maxSamples: 60, confidence: 0.95 }, seededRng(1));
    const noise = seededRng(101);
    for (;;) {
      const step = e.next();
      if (step.type === 'done') {
        // Compared with s2, c1 would look 25% slower: a false 'between' and a false culprit.
        expect(step.outcome.culprits.map((c) => c.sha)).toEqual(['c2']);
        expect(step.outcome.culprits[0].before).toBe('c1');
        expect(step.outcome.verdicts.filter((v) => v.verdict === 'between')).toEqual([]);
        break;
      }
      e.record(interleaved(step, (s) => level[s] * (1 + 0.03 * (noise() - 0.5))));
    }
  });

  it('beats the hand-made 5-run midpoint baseline on an 8% step', () => {
    let ours = 0;
    let theirs = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const hist = { n: 64, steps: [{ at: 10 + seed, size: 0.08 }], noise: 'lognormal' as const, cv: 0.05 };
      if (simulateBisect(hist, seed).culpritIdx[0] === 10 + seed) ours++;
      if (simulateBaseline(hist, seed).culpritIdx[0] === 10 + seed) theirs++;
    }
    expect(ours).toBeGreaterThan(theirs);
    expect(ours).toBeGreaterThanOrEqual(18);
  });
});

describe('bisect in rounds of k jobs (a fleet)', () => {
  const options = { better: 'lower' as const, deterministic: false, minSamples: 4, maxSamples: 60, confidence: 0.95 };
  /** Run rounds to the end: `measure(step)` gives each job's samples and machine, or a skip. */
  const drive = (
    e: BisectEngine,
    k: number,
    measure: (step: { target: string; refs: string[]; order: string[]; trial: number }) => RoundResult,
  ) => {
    for (let rounds = 0; ; rounds++) {
      const r = e.nextRound(k);
      if (r.type === 'done') return { outcome: r.outcome, rounds };
      expect(r.steps.length).toBeLessThanOrEqual(k);
      e.recordRound(r.steps.map(measure));
    }
  };

  it('names the culprit of a 120-commit history in at most ⌈log4 120⌉ + 2 rounds of 3 jobs', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const at = 1 + ((seed * 37) % 118);
      const r = simulateRounds({ n: 121, steps: [{ at, size: 0.5 }], noise: 'normal', cv: 0.03 }, seed, { runners: 3, machines: 'one' });
      expect(r.culpritIdx).toEqual([at]);
      expect(r.rounds).toBeLessThanOrEqual(Math.ceil(Math.log(120) / Math.log(4)) + 2);
    }
  });

  it('splits the commits in question into k+1 parts of about equal size', () => {
    const e = new BisectEngine(
      linearCommits(121),
      { good: shaOf(0), bad: shaOf(120) },
      { ...options, deterministic: true, minSamples: 1, maxSamples: 1, width: 3 },
      seededRng(1),
    );
    const value = (sha: string) => (Number(sha.slice(1)) >= 100 ? 200 : 100);
    const round = () => {
      const r = e.nextRound(3);
      if (r.type !== 'round') throw new Error('expected a round');
      e.recordRound(r.steps.map((s) => ({ trial: s.trial, machine: 'm', samples: Object.fromEntries(s.order.map((sha) => [sha, [value(sha)]])) })));
      return r.steps.map((s) => Number(s.target.slice(1)));
    };
    expect(round()).toEqual([120]); // the endpoints: one job
    expect(round()).toEqual([30, 60, 90]);
    // 91..120 are left: three targets split them into four parts of 7 or 8 commits.
    expect(round()).toEqual([97, 105, 112]);
    const next = round();
    expect(next.every((i) => i > 97 && i <= 105)).toBe(true);
  });

  it('never compares samples from different machines: a slower runner is not a step', () => {
    // The endpoints run on a fast machine; every later job on one 60% slower than it, where a 25%
    // step sits at commit 9. Good's samples from the fast machine, pooled in, would make every
    // commit on the slow machine look worse than good, and the culprit would be lost.
    const e = new BisectEngine(
      linearCommits(16),
      { good: shaOf(0), bad: shaOf(15) },
      { ...options, width: 2 },
      seededRng(3),
    );
    const noise = seededRng(5);
    let jobs = 0;
    const { outcome } = drive(e, 2, (s) => {
      const speed = jobs++ === 0 ? 1 : 1.6;
      const machine = jobs === 1 ? 'fast' : `slow-${jobs}`;
      const samples: Record<string, number[]> = {};
      for (const sha of s.order)
        (samples[sha] ??= []).push((Number(sha.slice(1)) >= 9 ? 125 : 100) * speed * (1 + 0.02 * (noise() - 0.5)));
      return { trial: s.trial, machine, samples };
    });
    expect(outcome.culprits.map((c) => c.sha)).toEqual([shaOf(9)]);
    expect(outcome.verdicts.filter((v) => v.verdict === 'between')).toEqual([]);
    // Each verdict says which machine's samples decided it; the culprit's before and after come from one machine.
    expect(outcome.verdicts.every((v) => v.machine?.startsWith('slow-'))).toBe(true);
    expect(outcome.culprits[0].change.worse).toBeGreaterThan(0.15);
    expect(outcome.culprits[0].change.worse).toBeLessThan(0.35);
  });

  it('finds a culprit when every job runs on a machine of its own speed (±30%)', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const at = 1 + ((seed * 13) % 62);
      const r = simulateRounds({ n: 64, steps: [{ at, size: 0.25 }], noise: 'lognormal', cv: 0.03 }, seed, { runners: 4, machines: 'fleet', spread: 0.3 });
      expect(r.culpritIdx).toEqual([at]);
    }
  });

  it('finds both steps of a two-step history, each side bisected against its own references', () => {
    for (const seed of [1, 2, 3]) {
      const r = simulateRounds({ n: 128, steps: [{ at: 20, size: 0.08 }, { at: 90, size: 0.25 }], noise: 'normal', cv: 0.03 }, seed, { runners: 3, machines: 'fleet' });
      expect(r.culpritIdx).toEqual([20, 90]);
      expect(r.outcome.alphaSpent).toBeLessThanOrEqual(0.05);
    }
  });

  it('says no-regression from the endpoints alone (one job a round) when nothing changed', () => {
    const r = simulateRounds({ n: 64, steps: [], noise: 'normal', cv: 0.03 }, 4, { runners: 3, machines: 'fleet' });
    expect(r.outcome.status).toBe('no-regression');
    expect(r.outcome.verdicts).toEqual([]);
    expect(r.jobs).toBe(r.rounds);
  });

  it('skips the targets a job could not build, and is ambiguous when the boundary falls among them', () => {
    const run = (unbuildable: Set<string>) => {
      const e = new BisectEngine(
        linearCommits(40),
        { good: shaOf(0), bad: shaOf(39) },
        { ...options, deterministic: true, minSamples: 1, maxSamples: 1, width: 3 },
        seededRng(1),
      );
      const value = (sha: string) => (Number(sha.slice(1)) >= 22 ? 200 : 100);
      return drive(e, 3, (s) =>
        unbuildable.has(s.target)
          ? { trial: s.trial, skipped: 'the build failed' }
          : { trial: s.trial, machine: `m${s.trial}`, samples: Object.fromEntries(s.order.map((sha) => [sha, [value(sha)]])) },
      ).outcome;
    };
    const found = run(new Set([shaOf(10), shaOf(20)]));
    expect(found.culprits.map((c) => c.sha)).toEqual([shaOf(22)]);
    const skipped = found.verdicts.filter((v) => v.verdict === 'skipped').map((v) => v.sha);
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((sha) => [shaOf(10), shaOf(20)].includes(sha))).toBe(true);
    const ambiguous = run(new Set([shaOf(21), shaOf(22)]));
    expect(ambiguous.status).toBe('ambiguous');
    expect(ambiguous.suspects).toEqual([shaOf(21), shaOf(22), shaOf(23)]);
  });

  it('bisects in rounds across a merge as git bisect does', () => {
    // g0 - a1 - a2 - M - b ; g0 - s1 - s2 (30% slower) - M
    const commits = [
      { sha: 'a1', parents: ['g0'] }, { sha: 'a2', parents: ['a1'] },
      { sha: 's1', parents: ['g0'] }, { sha: 's2', parents: ['s1'] },
      { sha: 'M', parents: ['a2', 's2'] }, { sha: 'b', parents: ['M'] },
    ];
    const level: Record<string, number> = { g0: 1, a1: 1, a2: 1, s1: 1, s2: 1.3, M: 1.3, b: 1.3 };
    const e = new BisectEngine(commits, { good: 'g0', bad: 'b' }, { ...options, width: 2 }, seededRng(2));
    const noise = seededRng(9);
    const { outcome } = drive(e, 2, (s) => ({ trial: s.trial, machine: `m${s.trial}`, samples: interleaved(s, (sha) => level[sha] * (1 + 0.02 * (noise() - 0.5))) }));
    expect(outcome.culprits.map((c) => c.sha)).toEqual(['s2']);
  });

  it('asks again for a job that brought nothing back, and refuses a new round before the last is recorded', () => {
    const e = new BisectEngine(
      linearCommits(16),
      { good: shaOf(0), bad: shaOf(15) },
      { ...options, width: 2 },
      seededRng(1),
    );
    const first = e.nextRound(2);
    if (first.type !== 'round') throw new Error('expected a round');
    expect(() => e.nextRound(2)).toThrow(/not recorded/);
    e.recordRound([]);
    const again = e.nextRound(2);
    if (again.type !== 'round') throw new Error('expected a round');
    expect(again.steps.map((s) => [s.target, s.trial])).toEqual(first.steps.map((s) => [s.target, s.trial]));
    expect(() => e.recordRound([{ trial: 99, machine: 'm', samples: {} }])).toThrow(/not in this round/);
  });

  it('plans the error budget for k decisions a round', () => {
    expect(plannedDecisions(120, 1)).toBe(plannedDecisions(120));
    expect(plannedDecisions(120, 3)).toBe(3 * 4 + 1);
    expect(plannedDecisions(999, 8)).toBe(8 * 4 + 1); // 9^3 = 729 < 1000 ≤ 9^4
    expect(plannedDecisions(728, 8)).toBe(8 * 3 + 1);
  });
});

describe('the threshold line', () => {
  /** The endpoints at `spread` noise (good 100, bad 100 × ratio), fed until the threshold is set. */
  const thresholdAt = (spread: number, ratio: number) => {
    const e = new BisectEngine(linearCommits(33), { good: shaOf(0), bad: shaOf(32) }, {
      ...defaultEngineOptions, better: 'lower',
    }, seededRng(1));
    const pattern = [-1, -0.5, 0, 0.5, 1];
    let k = 0;
    for (let step = e.next(); step.type === 'measure' && !e.currentThreshold; step = e.next()) {
      const level = (sha: string) => (sha === shaOf(0) ? 100 : 100 * ratio);
      e.record(interleaved(step, (sha) => level(sha) * (1 + spread * pattern[k++ % pattern.length])));
    }
    return e.currentThreshold!;
  };

  it('says it was raised only where the figure shown is above 5%, and to what', () => {
    const seen = new Set<string>();
    for (let spread = 0.01; spread < 0.3; spread += 0.0005) {
      for (const ratio of [1.12, 1.6]) {
        const { value, source } = thresholdAt(spread, ratio);
        const shown = `${(value * 100).toFixed(1)}%`;
        if (!source.includes('raised')) {
          expect(shown, source).toBe(value < 0.05 ? shown : '5.0%');
          expect(source).toMatch(/^default: half the good→bad shift \([\d.]+%, Hodges-Lehmann\), within 1–5%$/);
          continue;
        }
        // The figure first, then the rule it departs from.
        expect(source).toMatch(/^default: 5%, raised to /);
        expect(shown, source).not.toBe('5.0%');
        const to = /raised to the ([\d.]+%) the measured noise/.exec(source);
        if (to) expect(to[1], source).toBe(shown);
        else expect(source).toMatch(/raised to half the good→bad shift \([\d.]+%, Hodges-Lehmann\), short of the [\d.]+% the measured noise \(.*\) can resolve$/);
        seen.add(to ? 'to the noise' : 'to half the shift');
      }
    }
    expect([...seen].sort()).toEqual(['to half the shift', 'to the noise']);
  });

  it('says the change it halved for a deterministic metric, in the same form', () => {
    const at = (bad: number) => {
      const e = new BisectEngine(linearCommits(9), { good: shaOf(0), bad: shaOf(8) }, {
        better: 'lower', deterministic: true, minSamples: 1, maxSamples: 1, confidence: 0.95,
      }, seededRng(1));
      const step = e.next();
      if (step.type === 'measure') e.record(interleaved(step, (sha) => (sha === shaOf(0) ? 1000 : bad)));
      return e.currentThreshold!;
    };
    expect(at(1040)).toEqual({ value: 0.02, source: 'default: half the good→bad change (4.0%), at most 5%' });
    expect(at(1500).value).toBe(0.05);
    expect(at(1000)).toEqual({ value: 0.01, source: 'default: 1% (good→bad did not worsen)' });
  });
});
