import { compare, type Better } from '../stats/compare.js';
import { median } from '../stats/summary.js';
import { changePoints, type SeriesPoint } from './changepoints.js';

/** A place in the series where a step may sit: between two measured points, most often neighbours. */
export interface Candidate {
  /** Position in the series of the first point after the step (the step lies between `before` and `at`). */
  at: number;
  /** Position in the series of the point before the step: `at - 1`, or `at - 2` for a span over one point. */
  before: number;
  kind: 'regression' | 'improvement';
  /** Relative change between the two points, + = worse. */
  interval: number;
  /**
   * What flagged it: a single interval above the threshold, a lenient split of the series, or a span
   * of two intervals that move the same way by more than the threshold together.
   */
  sources: ('interval' | 'split' | 'span')[];
  /** The split's t-test p and the change of the segment means across it, when a split flagged it. */
  split?: { p: number; change: number };
}

export interface CandidateOptions {
  threshold: number;
  better: Better;
  /** Significance of a split at which it becomes a candidate: lenient, confirmation is the strict step. */
  splitP: number;
}

/** Lenient on purpose: a false candidate costs one confirming measurement, a missed step costs the check. */
export const defaultSplitP = 0.05;

/** Relative change from a to b, + = worse. */
export function worseBy(a: number, b: number, better: Better): number {
  return ((better === 'lower' ? 1 : -1) * (b - a)) / (Math.abs(a) || 1);
}

/**
 * Candidate steps of a series: every interval between neighbouring points that moves by more
 * than the threshold, and every split E-Divisive means accepts at the lenient `splitP` with at
 * least half the threshold between the segment means, ordered by position; then the spans (see
 * `spanCandidates`), which are only worth confirming where these found nothing.
 */
export function findCandidates(series: readonly SeriesPoint[], options: CandidateOptions): Candidate[] {
  const values = series.map((p) => median(p.samples));
  const found = new Map<number, Candidate>();
  for (let i = 1; i < values.length; i++) {
    const interval = worseBy(values[i - 1], values[i], options.better);
    if (Math.abs(interval) <= options.threshold) continue;
    const kind = interval > 0 ? 'regression' : 'improvement';
    found.set(i, { at: i, before: i - 1, kind, interval, sources: ['interval'] });
  }
  const splits = changePoints(series, {
    pValue: options.splitP,
    minPoints: 2,
    minMagnitude: options.threshold / 2,
    better: options.better,
    sampleAlpha: options.splitP,
  });
  for (const s of splits) {
    const split = { p: s.p, change: s.worse };
    const known = found.get(s.index);
    if (known) {
      known.sources.push('split');
      known.split = split;
      // The segments say more about the direction than one interval does.
      known.kind = s.kind;
    } else {
      const interval = worseBy(values[s.index - 1], values[s.index], options.better);
      found.set(s.index, { at: s.index, before: s.index - 1, kind: s.kind, interval, sources: ['split'], split });
    }
  }
  return [...found.values()].sort((a, b) => a.at - b.at);
}

/**
 * Two neighbouring intervals that move the same way by more than the threshold together: one
 * noisy point in the middle of a step splits it into two intervals that are each too small, and
 * the step would be lost. The span's candidate is bisected across that point.
 */
export function spanCandidates(
  series: readonly SeriesPoint[],
  options: { threshold: number; better: Better },
): Candidate[] {
  const values = series.map((p) => median(p.samples));
  const out: Candidate[] = [];
  for (let i = 2; i < values.length; i++) {
    const first = worseBy(values[i - 2], values[i - 1], options.better);
    const second = worseBy(values[i - 1], values[i], options.better);
    const span = worseBy(values[i - 2], values[i], options.better);
    if (Math.sign(first) !== Math.sign(second) || Math.abs(span) <= options.threshold) continue;
    const kind = span > 0 ? 'regression' : 'improvement';
    out.push({ at: i, before: i - 2, kind, interval: span, sources: ['span'] });
  }
  return out;
}

/**
 * Which intervals between measured points deserve another point: those that moved (a lenient
 * rank test of the two points' samples, and at least half the threshold) or that hold a candidate,
 * and that still have an unmeasured commit inside. `positions` are the points' places in the
 * window. Returns the window positions to measure, the intervals that moved most first.
 */
export function pointsToAdd(
  series: readonly SeriesPoint[], positions: readonly number[], candidates: readonly Candidate[],
  options: { threshold: number; better: Better; deterministic: boolean; alpha: number },
): number[] {
  const flagged = new Set(candidates.map((c) => c.at));
  const out: { at: number; moved: number }[] = [];
  for (let i = 1; i < series.length; i++) {
    const lo = positions[i - 1];
    const hi = positions[i];
    if (hi - lo < 2) continue;
    const c = compare(series[i - 1].samples, series[i].samples, {
      threshold: options.threshold, alpha: options.alpha, better: options.better, deterministic: options.deterministic,
    });
    const moved = Math.abs(c.worse) >= options.threshold / 2 && (options.deterministic || c.p < options.alpha);
    if (moved || flagged.has(i)) out.push({ at: Math.floor((lo + hi) / 2), moved: Math.abs(c.worse) });
  }
  return out.sort((a, b) => b.moved - a.moved).map((x) => x.at);
}
