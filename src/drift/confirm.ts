import { compare, type Better, type Comparison } from '../stats/compare.js';

/** What an interleaved re-measurement says about a candidate, or about the creep the steps leave unexplained. */
export interface Confirmation {
  verdict: 'confirmed' | 'below-threshold' | 'too-small' | 'inconclusive' | 'more';
  /** Relative change in the direction asked about (+ = worse for `better`), and the rank test's p. */
  worse: number;
  p: number;
  /** The interval the verdict rests on: at `rejectAlpha` when below the threshold, else at `alpha`. */
  lo: number;
  hi: number;
  /** Per-comparison error rate of a confirmation: the bisect's. */
  alpha: number;
  /** Samples either side. */
  n: [number, number];
  /** Confirmed, but the other way than the candidate was flagged (the series' noise pointed it wrong). */
  opposite?: boolean;
}

/** A confirmation that has decided. */
export type Decided = Confirmation & { verdict: Exclude<Confirmation['verdict'], 'more'> };

export interface ConfirmOptions {
  threshold: number;
  /** Per-comparison error rate: the bisect's, so a step is confirmed at the level it is then bisected at. */
  alpha: number;
  better: Better;
  deterministic: boolean;
  /** The first look: too few samples to give up on an estimate. */
  first: boolean;
  /** No more samples will come: decide now. */
  final: boolean;
}

/**
 * Error rate of a rejection. Confirming must be strict (a false alarm wakes people up); rejecting
 * costs at worst a step at the threshold, and at the strict level every false candidate would
 * be measured to 40+ samples a side before it is let go.
 */
export const rejectAlpha = 0.01;

/**
 * A candidate's two neighbours measured side by side. The re-measurement, not the series, says which
 * way the step goes: the test is two-sided, α/2 a side. Confirmed when the estimate reaches the
 * threshold and the interval lies beyond half of it (a real change, as src/stats/compare.ts defines
 * one: the bisect engine's endpoint rule asks only for more than nothing, but a drift check tests
 * many intervals, and in creep each one moves a little, so one of them would soon be measured above
 * the threshold by chance); rejected when the interval at `rejectAlpha` lies within the threshold
 * either way, or past the first look when the estimate is under half the threshold; otherwise more
 * samples, and at the last look inconclusive (rejected: an alert needs the evidence).
 */
export function confirmStep(
  before: readonly number[],
  after: readonly number[],
  options: ConfirmOptions,
): Confirmation {
  const at = (alpha: number) => compare(before, after, { ...options, alpha });
  const strict = at(options.alpha / 2);
  const lenient = at(rejectAlpha);
  const n: [number, number] = [before.length, after.length];
  const t = options.threshold;
  const base = { worse: strict.worse, p: strict.p, alpha: options.alpha, n, lo: strict.lo, hi: strict.hi };
  if (options.deterministic) {
    if (Math.abs(strict.worse) >= t) return { verdict: 'confirmed', ...base, opposite: strict.worse < 0 };
    return { verdict: 'below-threshold', ...base };
  }
  if (strict.lo > t / 2 && strict.worse >= t) return { verdict: 'confirmed', ...base };
  if (strict.hi < -t / 2 && strict.worse <= -t) return { verdict: 'confirmed', ...base, opposite: true };
  if (lenient.lo > -t && lenient.hi < t)
    return { verdict: 'below-threshold', ...base, lo: lenient.lo, hi: lenient.hi };
  // Futility: past the first look, an estimate under half the threshold would need the noise to turn
  // around by more than it moved to confirm; on a noisy machine waiting for the interval costs 40+ samples a side.
  if (!options.first && Math.abs(strict.worse) < t / 2) return { verdict: 'too-small', ...base };
  return { verdict: options.final ? 'inconclusive' : 'more', ...base };
}

/**
 * Creep confirmed: the window's end re-measured against its start changed by more than the located
 * steps explain (`explained`: the product of 1 + each step's change, measured in the same block), by
 * the same rule as a step, one-sided (creep that makes things better raises nothing).
 */
export function confirmCreep(
  start: readonly number[], end: readonly number[], explained: number, options: ConfirmOptions,
): Confirmation {
  const at = (alpha: number) => compare(start, end, { ...options, alpha });
  const left = (x: number) => (1 + x) / explained - 1;
  const strict: Comparison = at(options.alpha);
  const lenient: Comparison = at(rejectAlpha);
  const t = options.threshold;
  const n: [number, number] = [start.length, end.length];
  const base = { worse: left(strict.worse), p: strict.p, alpha: options.alpha, n };
  const strictFigures = { lo: left(strict.lo), hi: left(strict.hi) };
  if (options.deterministic)
    return { verdict: base.worse >= t ? 'confirmed' : 'below-threshold', ...base, ...strictFigures };
  if (strictFigures.lo > t / 2 && base.worse >= t) return { verdict: 'confirmed', ...base, ...strictFigures };
  if (left(lenient.hi) < t) return { verdict: 'below-threshold', ...base, lo: left(lenient.lo), hi: left(lenient.hi) };
  if (!options.first && base.worse < t / 2) return { verdict: 'too-small', ...base, ...strictFigures };
  return { verdict: options.final ? 'inconclusive' : 'more', ...base, ...strictFigures };
}
