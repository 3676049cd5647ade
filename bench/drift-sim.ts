/**
 * Simulated drift checks: a window of commits with planted steps and creep, measured through the
 * pure DriftCheck with the harness's interleaved blocks and a replaying block store (as the
 * harness's sample store: a block is keyed by its commits, its rounds and how many times the
 * run asked for it). Shared by bench/drift.ts and the unit tests.
 */
import { DriftCheck, type DriftCheckOptions, type DriftMeasure, type DriftOutcome } from '../src/drift/check.js';
import { gaussian, seededRng, type Rng } from '../src/stats/rng.js';
import { interleaved, sampler, type History, type NoiseModel } from './simulate.js';

export interface DriftHistory {
  /** Commits in the window, its start included. */
  n: number;
  /** Multiplicative changes at window positions (creep is one small change per commit). */
  steps: { at: number; size: number }[];
  noise: NoiseModel;
  cv: number;
  /** What was planted, for scoring. */
  truth: { regressions: number[]; improvements: number[]; creep: boolean };
}

export const simSha = (i: number) => `w${String(i).padStart(4, '0')}`;
const position = (sha: string) => Number(sha.slice(1));

export function windowCommits(n: number) {
  return Array.from({ length: n }, (_, i) => ({ sha: simSha(i), parents: i ? [simSha(i - 1)] : [] }));
}

/** Blocks already measured, replayed as the harness's sample store replays them. */
export type BlockStore = Map<string, Record<string, number[]>>;

export interface SimDrift {
  outcome: DriftOutcome;
  /** Samples taken for real (not replayed), in all and by stage. */
  samples: number;
  byStage: Record<DriftMeasure['stage'], number>;
  blocks: number;
  replayed: number;
}

export function simulateDrift(
  h: DriftHistory, seed: number, o: DriftCheckOptions, store: BlockStore = new Map(),
): SimDrift {
  const rng = seededRng(seed);
  const sample = sampler({ n: h.n, steps: h.steps, noise: h.noise, cv: h.cv } satisfies History, rng);
  const check = new DriftCheck(windowCommits(h.n), o, seededRng(seed ^ 0x5bd1e995));
  const asked = new Map<string, number>();
  let samples = 0, blocks = 0, replayed = 0;
  const byStage = { series: 0, confirm: 0, bisect: 0, creep: 0 };
  for (;;) {
    const step = check.next();
    if (step.type === 'done') return { outcome: step.outcome, samples, byStage, blocks, replayed };
    const sig = `${step.target}|${step.refs.join(',')}`;
    const ordinal = asked.get(sig) ?? 0;
    asked.set(sig, ordinal + 1);
    const key = `${sig}|${ordinal}|${step.rounds}`;
    blocks++;
    let got = store.get(key);
    if (got) replayed++;
    else {
      got = interleaved(step, (sha) => sample(position(sha)));
      const taken = Object.values(got).reduce((k, v) => k + v.length, 0);
      samples += taken;
      byStage[step.stage] += taken;
      store.set(key, got);
    }
    check.record(got);
  }
}

/**
 * The reference shape: a regression, an improvement, a second regression, then creep to
 * the end, at random places so the segments between them hold from 2 to 6 measured points.
 */
export function referenceShape(rng: Rng, n: number, noise: NoiseModel, cv: number): DriftHistory {
  const at = (lo: number, hi: number) => Math.max(1, Math.round(n * (lo + (hi - lo) * rng())));
  const a = at(0.12, 0.3);
  const b = Math.max(a + 2, at(0.35, 0.5));
  const c = Math.max(b + 2, at(0.55, 0.68));
  const creepFrom = Math.max(c + 2, at(0.74, 0.84));
  const creepTotal = 0.1 + 0.1 * rng();
  const perCommit = (1 + creepTotal) ** (1 / (n - creepFrom)) - 1;
  const size = () => 0.13 + 0.07 * rng();
  const steps = [
    { at: a, size: size() },
    { at: b, size: -(0.08 + 0.07 * rng()) },
    { at: c, size: size() },
    ...Array.from({ length: n - creepFrom }, (_, k) => ({ at: creepFrom + k, size: perCommit })),
  ];
  return { n, steps, noise, cv, truth: { regressions: [a, c], improvements: [b], creep: true } };
}

export function flatShape(n: number, noise: NoiseModel, cv: number): DriftHistory {
  return { n, steps: [], noise, cv, truth: { regressions: [], improvements: [], creep: false } };
}

/** How a check did on a history: each planted step located exactly, and what it alerted on. */
export function score(h: DriftHistory, out: DriftOutcome) {
  const located = out.candidates.flatMap((c) => c.steps);
  const at = (kind: 'regression' | 'improvement', i: number) =>
    located.some((s) => s.kind === kind && position(s.culprit) === i);
  const planted = new Set([...h.truth.regressions, ...h.truth.improvements]);
  return {
    regressions: h.truth.regressions.filter((i) => at('regression', i)).length,
    improvements: h.truth.improvements.filter((i) => at('improvement', i)).length,
    creep: !!out.creep?.found,
    /** Located steps at a commit where nothing was planted (creep commits count as nothing). */
    falseSteps: located.filter((s) => !planted.has(position(s.culprit))).length,
    /** What exits 5: a located regression or confirmed creep. */
    alerts: located.filter((s) => s.kind === 'regression').length + (out.creep?.found ? 1 : 0),
    candidates: out.candidates.length,
    points: out.series.length,
  };
}

export { gaussian };
