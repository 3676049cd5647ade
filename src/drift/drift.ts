import type { Better } from '../stats/compare.js';
import { worseBy } from './candidates.js';

/**
 * Where creep accumulated: the intervals between neighbouring points that got worse, outside the
 * located steps (`stepAts`: the series position after each step), worst first. `from`/`to` are
 * series positions.
 */
export function creepContributors(
  values: readonly number[], stepAts: ReadonlySet<number>, better: Better,
): { from: number; to: number; worse: number }[] {
  return values
    .slice(1)
    .map((v, i) => ({ from: i, to: i + 1, worse: worseBy(values[i], v, better) }))
    .filter((c) => !stepAts.has(c.to) && c.worse > 0)
    .sort((a, b) => b.worse - a.worse);
}

/** Stable id of a change point: the same culprit of the same probe is the same change. */
export function changeId(probe: string, culprit: string): string {
  return `${probe.replace(/[^\w.-]+/g, '_')}@${culprit.slice(0, 12)}`;
}

/** Stable id of the creep of one window: a re-run of the same window finds the same creep and does not alert again. */
export function creepId(probe: string, from: string, to: string): string {
  return `${probe.replace(/[^\w.-]+/g, '_')}@creep-${from.slice(0, 8)}-${to.slice(0, 8)}`;
}
