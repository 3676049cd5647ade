import type { Better } from '../stats/compare.js';
import type { ChangePoint } from './changepoints.js';

export interface DriftFinding {
  /** Relative change from the window's start to its end, + = worse. */
  total: number;
  /** What the located steps do not account for, + = worse. */
  unexplained: number;
  commits: number;
  /** The largest changes between neighbouring measured points, worst first. */
  contributors: { from: number; to: number; worse: number }[];
  /** The largest single change between neighbouring points (the "no single commit above" figure). */
  largestStep: number;
}

/**
 * Gradual drift: the end is worse than the start by more than the threshold, and the located
 * steps do not account for it. Then name where it accumulated rather than blame one commit.
 * `values` are the point values in window order, `commits` how many commits the window spans.
 */
export function gradualDrift(values: readonly number[], steps: readonly ChangePoint[], o: { threshold: number; better: Better; commits: number }): DriftFinding | undefined {
  if (values.length < 2) return undefined;
  const sign = o.better === 'lower' ? 1 : -1;
  const rel = (a: number, b: number) => (sign * (b - a)) / (Math.abs(a) || 1);
  const total = rel(values[0], values[values.length - 1]);
  // Steps multiply: what is left once every located step is divided out.
  const explained = steps.reduce((f, s) => f * (1 + s.worse), 1);
  const unexplained = (1 + total) / explained - 1;
  if (unexplained <= o.threshold) return undefined;
  const stepAt = new Set(steps.map((s) => s.index));
  const contributors = values
    .slice(1)
    .map((v, i) => ({ from: i, to: i + 1, worse: rel(values[i], v) }))
    .filter((c) => !stepAt.has(c.to) && c.worse > 0)
    .sort((a, b) => b.worse - a.worse);
  return { total, unexplained, commits: o.commits, contributors: contributors.slice(0, 3), largestStep: contributors[0]?.worse ?? 0 };
}

/** Stable id of a change point: the same culprit of the same probe is the same change. */
export function changeId(probe: string, culprit: string): string {
  return `${probe.replace(/[^\w.-]+/g, '_')}@${culprit.slice(0, 12)}`;
}
