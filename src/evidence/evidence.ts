import type { ChangedLines } from './changes.js';
import { alignToCulprit, compareProfiles, hotChangedLines, profileNoise } from './compare.js';
import type { Evidence, ProfileAggregate } from './types.js';

/** One side of the comparison: all runs, and the two halves whose difference measures the noise. */
export interface Side {
  all: ProfileAggregate;
  halves: [ProfileAggregate, ProfileAggregate];
}

/**
 * The evidence for one culprit from the profiles of its parent and itself: the noise floor measured
 * at both commits, the rows beyond it, and the changed lines that carry the time.
 */
export function buildEvidence(i: { culprit: string; parent: string; before: Side; after: Side; changes: ChangedLines; limit?: number }): Evidence {
  const noise = Math.max(profileNoise(...i.before.halves), profileNoise(...i.after.halves));
  const { top, shrank } = compareProfiles(alignToCulprit(i.before.all, i.changes), i.after.all, i.changes, { noise, limit: i.limit });
  return {
    culprit: i.culprit,
    parent: i.parent,
    profiler: i.after.all.profiler,
    runs: { before: i.before.all.runs, after: i.after.all.runs },
    samples: { before: i.before.all.samples, after: i.after.all.samples },
    noise,
    top,
    shrank,
    lines: hotChangedLines(i.after.all, i.changes),
  };
}

/** Split runs into the two halves (alternating, so drift over time falls into both). */
export function halves<T>(runs: T[]): [T[], T[]] {
  return [runs.filter((_, k) => k % 2 === 0), runs.filter((_, k) => k % 2 === 1)];
}
