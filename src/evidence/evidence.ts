import { addedLines, changedFileFor, type ChangedLines } from './changes.js';
import { alignToCulprit, compareProfiles, hotChangedLines, moduleLines, profileNoise } from './compare.js';
import { attributeEvaluated, locateEvaluated } from './eval-code.js';
import type { Evidence, ProfileAggregate } from './types.js';

/** One side of the comparison: all runs, and the two halves whose difference measures the noise. */
export interface Side {
  all: ProfileAggregate;
  halves: [ProfileAggregate, ProfileAggregate];
}

/** Below this many samples in a half, one sample moves a share by 5 points or more: no noise to measure. */
const MIN_HALF_SAMPLES = 20;

/**
 * The noise floor one commit's profiles can measure: the largest share difference between its two
 * halves, or nothing when a half holds too few samples (a parent whose benchmark runs for a few
 * milliseconds gets a handful of samples; their shares jump by tens of points and would hide everything).
 */
function sideNoise(s: Side): number | undefined {
  return Math.min(s.halves[0].samples, s.halves[1].samples) >= MIN_HALF_SAMPLES ? profileNoise(...s.halves) : undefined;
}

/**
 * The evidence for one culprit from the profiles of its parent and itself: the noise floor measured
 * at both commits, the rows beyond it, and the changed lines that carry the time.
 */
export function buildEvidence(i: {
  culprit: string;
  parent: string;
  before: Side;
  after: Side;
  changes: ChangedLines;
  /** The culprit's text of the files it changed: where code run through eval or new Function is found. */
  sources?: ReadonlyMap<string, string>;
  limit?: number;
}): Evidence {
  const measured = [sideNoise(i.before), sideNoise(i.after)].filter((n): n is number => n !== undefined);
  const noise = measured.length
    ? Math.max(...measured)
    : Math.max(profileNoise(...i.before.halves), profileNoise(...i.after.halves));
  const located = (a: ProfileAggregate) => (i.sources ? attributeEvaluated(a, locateEvaluated(a, i.sources)) : a);
  const after = located(i.after.all);
  const before = located(alignToCulprit(i.before.all, i.changes));
  const { top, shrank } = compareProfiles(before, after, i.changes, { noise, limit: i.limit });
  const ev: Evidence = {
    culprit: i.culprit,
    parent: i.parent,
    profiler: i.after.all.profiler,
    runs: { before: i.before.all.runs, after: i.after.all.runs },
    // cProfile counts every call: there are no samples to report.
    ...(i.after.all.profiler === 'cprofile'
      ? {}
      : { samples: { before: i.before.all.samples, after: i.after.all.samples } }),
    noise,
    top,
    shrank,
    lines: hotChangedLines(after, i.changes),
  };
  // Profilers without lines (cProfile): quote the added definitions of the rows tied to the change.
  if (ev.lines.length === 0) {
    for (const r of top) {
      const text = r.inChange ? changedFileFor(i.changes, r.file)?.added.get(r.line) : undefined;
      if (text !== undefined)
        ev.lines.push({ file: r.file, line: r.line, text, share: r.shareAfter, msPerRun: r.selfAfter });
    }
  }
  const module = top.find((r) => r.calledFrom?.function === '<module>')?.calledFrom;
  if (module) {
    const added = changedFileFor(i.changes, module.file)?.added;
    const quoted = moduleLines(module, i.changes).sort((a, b) => a - b).slice(0, ADDED_QUOTED);
    if (added && quoted.length)
      ev.moduleCode = quoted.map((line) => ({ file: module.file, line, text: added.get(line)! }));
  }
  if (top.length && !top.some((r) => r.inChange || r.calledFrom || r.calls)) {
    const { lines, total } = addedLines(i.changes, ADDED_QUOTED, top[0].under?.file);
    if (lines.length) Object.assign(ev, { added: lines, addedTotal: total });
  }
  return ev;
}

/** Added lines quoted when no slower function is tied to the change: enough to show a small change whole. */
const ADDED_QUOTED = 8;

/** Split runs into the two halves (alternating, so drift over time falls into both). */
export function halves<T>(runs: T[]): [T[], T[]] {
  return [runs.filter((_, k) => k % 2 === 0), runs.filter((_, k) => k % 2 === 1)];
}
