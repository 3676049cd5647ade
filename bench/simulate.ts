/**
 * Synthetic histories for the pure engine: N commits, planted steps, a noise model and a clock,
 * driven through the same interleaved schedule the harness uses. Shared by unit tests and bench/.
 */
import { BisectEngine, defaultEngineOptions, type EngineOptions, type MeasureStep } from '../src/bisect/engine.js';
import type { Outcome } from '../src/bisect/outcome.js';
import { gaussian, seededRng, type Rng } from '../src/stats/rng.js';
import { median } from '../src/stats/summary.js';

export type NoiseModel = 'normal' | 'lognormal' | 'drift' | 'spikes' | 'bimodal' | 'jump' | 'wiggle' | 'bursts' | 'phases';

export interface History {
  n: number;
  /** Step positions (index of the first slower commit, 1..n-1; commit 0 is good) and relative sizes. */
  steps: { at: number; size: number }[];
  noise: NoiseModel;
  cv: number;
}

export function levelAt(h: History, i: number): number {
  return h.steps.reduce((lvl, s) => (i >= s.at ? lvl * (1 + s.size) : lvl), 100);
}

export function sampler(h: History, rng: Rng) {
  let clock = 0;
  // Another job starts on the machine at a random moment of the run: everything is 20% slower after.
  const jumpAt = h.noise === 'jump' ? 40 + Math.floor(rng() * 400) : Infinity;
  // A shared machine's speed wanders: a new ±3% level every 25 samples (about one block).
  let speed = 1;
  // Another job now and then: at about one sample in 100 a burst starts that slows the next 3–12
  // samples by 15–50%, often the target's samples of one block and not the references' few beside them.
  let burst = { left: 0, slow: 1 };
  // A shared machine's speed in short phases: its slowdown follows an AR(1) process, each sample
  // keeping 0.8 of the last one's, with 1.2 times the spread of the per-run noise. Neighbouring runs
  // share half their noise (lag-1 autocorrelation 0.47; 0.43–0.72 measured on the 2-core host of
  // bench/verdict-cost.ts), so a block's few samples can sit in one phase, away from the
  // references' earlier ones.
  let phase = 0;
  return (i: number): number => {
    clock++;
    if (h.noise === 'phases') phase = 0.8 * phase + 0.6 * 1.2 * h.cv * gaussian(rng);
    if (h.noise === 'wiggle' && clock % 25 === 0) speed = 1 + 0.03 * gaussian(rng);
    if (h.noise === 'bursts' && burst.left === 0 && rng() < 0.01) {
      burst = { left: 3 + Math.floor(rng() * 10), slow: 1.15 + 0.35 * rng() };
    }
    const base = levelAt(h, i);
    const z = gaussian(rng);
    switch (h.noise) {
      case 'normal':
        return base * (1 + h.cv * z);
      case 'lognormal':
        return base * Math.exp(h.cv * z * 1.2) * (rng() < 0.05 ? 1 + rng() : 1);
      case 'drift':
        // The machine slows by ~15% over 2,000 samples: interleaving must cancel it.
        return base * (1 + h.cv * z) * (1 + 0.15 * Math.min(1, clock / 2000));
      case 'spikes':
        return base * (1 + h.cv * z) * (rng() < 0.03 ? 3 : 1);
      case 'bimodal':
        return base * (1 + h.cv * z) * (rng() < 0.3 ? 1.1 : 1);
      case 'wiggle':
        return base * (1 + h.cv * z) * speed;
      case 'jump':
        return base * (1 + h.cv * z) * (clock > jumpAt ? 1.2 : 1);
      case 'phases':
        return base * (1 + h.cv * z) * (1 + phase);
      case 'bursts': {
        const slow = burst.left > 0 ? burst.slow : 1;
        burst.left = Math.max(0, burst.left - 1);
        return base * (1 + h.cv * z) * slow;
      }
    }
  };
}

export const shaOf = (i: number) => `c${String(i).padStart(5, '0')}`;

export function linearCommits(n: number) {
  // Commit 0 is the good endpoint (outside the range); 1..n-1 are the range; n-1 is bad.
  return Array.from({ length: n - 1 }, (_, k) => ({ sha: shaOf(k + 1), parents: [shaOf(k)] }));
}

export interface SimResult {
  outcome: Outcome;
  culpritIdx: number[];
  samples: number;
  built: number;
}

/** One block measured as the harness does: one run of each commit of the step's order, in that order. */
export function interleaved(
  step: { order: readonly string[] },
  sample: (sha: string) => number,
): Record<string, number[]> {
  const got: Record<string, number[]> = {};
  for (const sha of step.order) (got[sha] ??= []).push(sample(sha));
  return got;
}

export function simulateBisect(
  h: History,
  seed: number,
  opts: Partial<EngineOptions> = {},
  onStep?: (step: MeasureStep, engine: BisectEngine) => void,
): SimResult {
  const rng = seededRng(seed);
  const sample = sampler(h, rng);
  const engine = new BisectEngine(
    linearCommits(h.n),
    { good: shaOf(0), bad: shaOf(h.n - 1) },
    { better: 'lower', deterministic: false, ...defaultEngineOptions, ...opts },
    seededRng(seed ^ 0x9e3779b9),
  );
  const idx = (sha: string) => Number(sha.slice(1));
  const built = new Set<string>();
  let samples = 0;
  for (;;) {
    const step = engine.next();
    if (step.type === 'done') {
      return {
        outcome: step.outcome,
        culpritIdx: step.outcome.culprits.map((c) => idx(c.sha)),
        samples,
        built: built.size,
      };
    }
    // As the harness does: ask what to build ahead while this block is measured.
    engine.nextTargets();
    onStep?.(step, engine);
    built.add(step.target);
    step.refs.forEach((r) => built.add(r));
    const got = interleaved(step, (sha) => sample(idx(sha)));
    samples += step.order.length;
    engine.record(got);
  }
}

export interface RoundSimOptions {
  /** Jobs a round. */
  runners: number;
  /**
   * Where jobs run. 'one': one machine takes every job (the local fleet). 'fleet': every job on a new
   * machine of its own speed (ephemeral CI runners), runner-to-runner differences of `spread` (sd).
   */
  machines: 'one' | 'fleet';
  spread?: number;
}

export interface RoundSimResult extends SimResult {
  rounds: number;
  jobs: number;
  /** Probe runs of each job, round by round (the endpoints are round 1). */
  perRound: number[][];
}

/**
 * The k-ary bisect in rounds (engine.nextRound / recordRound): each job measures its block on one
 * machine; on a fleet every job gets a machine of another speed, so a verdict that compared samples
 * across machines would see runner differences as steps.
 */
export function simulateRounds(
  h: History, seed: number, o: RoundSimOptions, opts: Partial<EngineOptions> = {},
): RoundSimResult {
  const rng = seededRng(seed);
  const engine = new BisectEngine(
    linearCommits(h.n),
    { good: shaOf(0), bad: shaOf(h.n - 1) },
    { better: 'lower', deterministic: false, ...defaultEngineOptions, ...opts, width: o.runners },
    seededRng(seed ^ 0x9e3779b9),
  );
  const idx = (sha: string) => Number(sha.slice(1));
  const one = sampler(h, rng);
  const built = new Set<string>();
  let samples = 0;
  let jobs = 0;
  const perRound: number[][] = [];
  for (let round = 0; ; round++) {
    const step = engine.nextRound(o.runners);
    if (step.type === 'done') {
      const culpritIdx = step.outcome.culprits.map((c) => idx(c.sha));
      return { outcome: step.outcome, culpritIdx, samples, built: built.size, rounds: round, jobs, perRound };
    }
    perRound.push(step.steps.map((s) => s.order.length));
    const results = step.steps.map((s) => {
      jobs++;
      const machine = o.machines === 'one' ? 'here' : `runner-${jobs}`;
      const speed = o.machines === 'one' ? 1 : 1 + (o.spread ?? 0.1) * gaussian(rng);
      const sample = o.machines === 'one' ? one : sampler(h, seededRng(Math.floor(rng() * 2 ** 31)));
      [s.target, ...s.refs].forEach((sha) => built.add(sha));
      samples += s.order.length;
      return { trial: s.trial, machine, samples: interleaved(s, (sha) => sample(idx(sha)) * speed) };
    });
    engine.recordRound(results);
  }
}

/** The hand-made strategy people script around `git bisect run`: 5 runs, median vs the midpoint. */
export function simulateBaseline(h: History, seed: number): { culpritIdx: number[]; samples: number; built: number } {
  const rng = seededRng(seed);
  const sample = sampler(h, rng);
  const med = (i: number) => median(Array.from({ length: 5 }, () => sample(i)));
  let samples = 10;
  const good = med(0);
  const bad = med(h.n - 1);
  let built = 2;
  if (bad <= good * 1.0) return { culpritIdx: [], samples, built };
  const mid = (good + bad) / 2;
  let lo = 0;
  let hi = h.n - 1;
  while (hi - lo > 1) {
    const m = (lo + hi) >> 1;
    samples += 5;
    built++;
    if (med(m) > mid) hi = m;
    else lo = m;
  }
  return { culpritIdx: [hi], samples, built };
}
