import { describe, expect, it } from 'vitest';
import { BisectEngine } from '../src/bisect/engine.js';
import { CommitGraph } from '../src/bisect/graph.js';
import { looks } from '../src/bisect/schedule.js';
import { seededRng } from '../src/stats/rng.js';
import { interleaved, shaOf, simulateBaseline, simulateBisect, linearCommits } from '../bench/simulate.js';

describe('commit graph', () => {
  it('picks the middle of a linear range', () => {
    const g = new CommitGraph(linearCommits(9));
    const all = g.ancestors[g.size - 1].clone();
    expect(g.shas[g.midpoint(all, (i) => i === g.size - 1)!]).toBe(shaOf(4));
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
  it('grows looks geometrically up to the maximum', () => {
    expect(looks(10, 60)).toEqual([10, 16, 26, 42, 60]);
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
    }
  });

  it('says no-regression for an improvement', () => {
    expect(simulateBisect(h(30, -0.2), 7).outcome.status).toBe('no-regression');
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

  it('decides a clear change at the first look, with the references\' samples from the trial before', () => {
    const r = simulateBisect({ n: 64, steps: [{ at: 41, size: 1 }], noise: 'normal', cv: 0.03 }, 2);
    expect(r.culpritIdx).toEqual([41]);
    // Five fresh samples a side cannot reach the bisect-wide alpha: without the earlier ones every verdict
    // took 16. (Now and then a reference's fresh samples differ from its earlier ones by chance, and that
    // verdict takes its second look with fresh samples only.)
    const atFirstLook = r.outcome.verdicts.filter((v) => v.samples === 10).length;
    expect(atFirstLook).toBeGreaterThanOrEqual(r.outcome.verdicts.length - 1);
  });

  it('does not let a verdict rest on earlier samples when the machine changed speed between trials', () => {
    const e = new BisectEngine(linearCommits(16), { good: shaOf(0), bad: shaOf(15) }, { better: 'lower', deterministic: false, minSamples: 10, maxSamples: 60, confidence: 0.95 }, seededRng(1));
    const rng = seededRng(7);
    let machine = 1;
    const value = (sha: string) => (Number(sha.slice(1)) >= 12 ? 200 : 100) * machine * (1 + 0.01 * (rng() - 0.5));
    const first = e.next();
    if (first.type !== 'measure') throw new Error('expected the endpoints');
    const measure = (step: typeof first, rounds = step.rounds) => e.record(interleaved({ ...step, rounds }, value));
    // Many earlier samples (as after a verdict that took several looks) would outweigh five fresh ones.
    measure(first, 40);
    machine = 1.3; // another job started: everything after the endpoints is 30% slower
    const step = e.next();
    if (step.type !== 'measure') throw new Error('expected a verdict');
    while (e.verdictList.length === 0) measure(e.next() as typeof first);
    // Pooled with the endpoints' samples, good's would be 30% faster than the commit: 'between'.
    expect(e.verdictList[0]).toMatchObject({ sha: step.target, verdict: 'good' });
  });

  it('measures a culprit against its parent side by side, so a machine that changed speed mid-run cannot hide it', () => {
    // A history whose machine gets 20% slower partway: the culprit used to be lost to pooled samples.
    const at = 1 + ((12 * 37) % 126);
    const r = simulateBisect({ n: 128, steps: [{ at, size: 0.08 }], noise: 'jump', cv: 0.03 }, 1000 + 12 * 7919);
    expect(r.outcome.status).toBe('found');
    expect(r.culpritIdx).toEqual([at]);
  });

  it('moves the good reference to the nearest good commit, so the culprit is measured beside its parent', () => {
    // The machine's speed wanders by ~3% every few blocks: compared with the far good endpoint, or
    // with its parent measured in another trial, this culprit's 8% change was lost.
    const r = simulateBisect({ n: 128, steps: [{ at: 112, size: 0.08 }], noise: 'wiggle', cv: 0.03 }, 1000 + 3 * 7919);
    expect(r.culpritIdx).toEqual([112]);
    const last = r.outcome.verdicts.at(-1)!;
    expect(last.refs[0]).toBe(shaOf(111));
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
