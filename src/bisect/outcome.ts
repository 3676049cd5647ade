import type { Comparison } from '../stats/compare.js';
import type { Summary } from '../stats/summary.js';

/**
 * What a bisect decides, as plain data: each commit's verdict, the culprits it located and the outcome
 * of the whole search. The engine (engine.ts) produces it; the run log, the views and the reports read it.
 */

/**
 * endpoints: is there a regression at all; verdict: which side of the step is a commit on; confirm:
 * a located step measured beside its parent until its size is clearly above or below the threshold.
 */
export type Purpose = 'endpoints' | 'verdict' | 'confirm';

export type Verdict = 'good' | 'bad' | 'between' | 'skipped' | 'inconclusive';

export interface CommitVerdict {
  sha: string;
  verdict: Verdict;
  /** For inconclusive commits: the side the estimates lean to, which the search followed. */
  lean?: 'good' | 'bad' | 'between';
  refs: string[];
  vsGood?: Comparison;
  vsBad?: Comparison;
  samples: number;
  reason?: string;
  /** Which decision of the bisect this was (the endpoints are 1) and the error rate its tests spent. */
  decision?: number;
  alpha?: number;
  /** The look that decided (1 = the first), and whether references' earlier samples counted. */
  look?: number;
  /**
   * The minimum further step this verdict looked for (a smaller difference from a reference is no step),
   * relative to the reference it found the commit like: bad's for a bad verdict, good's otherwise.
   */
  minStep?: number;
  pooled?: boolean;
  /** The commit's own earlier samples count too (an end check of a located step): `samples` is all of them. */
  targetPooled?: true;
  /** The machine whose samples decided it (rounds on a fleet; absent for one machine). */
  machine?: string;
  /**
   * A further step on the commit's side up to this size could not be ruled out: the noise kept the
   * lenient bound wide and the estimate did not hint at one (src/bisect/verdict.ts). Relative to the
   * reference the commit was found like, as minStep.
   */
  unresolved?: number;
  /** The error rate the bisect's tests had spent when this verdict was made (of 1 − confidence). */
  spent?: number;
  /** Commits still in question in this verdict's search once it was applied (absent: it changed nothing). */
  left?: number;
}

/**
 * Where the search stands, as plain data for the views and the run log: they show it, they do not
 * work it out again.
 */
export interface SearchProgress {
  /** The endpoints are decided (a regression to look for, or none). */
  endpoints: boolean;
  /** Each search still open: its references and the commits in question between them (its bad one included). */
  searches: { good: string; bad: string; candidates: number }[];
  /**
   * Commits still in question over all searches, and each located step's end still to be checked for a
   * further step beyond it; the whole range before the endpoints are decided.
   */
  remaining: number;
  /**
   * Verdicts still to come, about: each search's candidates split in k+1 parts per round of k
   * (halved for the sequential bisect), until one is left; and one for each end check to come.
   */
  verdictsLeft: number;
  /** Decisions made so far (the endpoints are one), and the error rate their tests spent of `budget`. */
  decisions: number;
  spent: number;
  budget: number;
  done: boolean;
}

export interface CulpritFinding {
  sha: string;
  /**
   * The commit the change is measured against: the culprit's parent when measured, else the search's good reference.
   */
  before: string;
  beforeSummary: Summary;
  afterSummary: Summary;
  /**
   * after / before (1 + the Hodges-Lehmann shift over before's median) with its Moses interval at the run's
   * confidence.
   */
  ratio: number;
  ratioCi: [number, number];
  /** Decision statistics: relative worsening (Hodges-Lehmann), its interval and the rank test's p. */
  change: Comparison;
  /**
   * The summaries, ratio and change come from blocks that measured both commits (at least a few samples
   * of each); false: from all their samples, taken at different times, so they carry any change in the
   * machine's speed between those times. Each verdict was checked against samples taken beside it.
   */
  sideBySide: boolean;
}

/** Samples of each, taken in the same blocks, that make a culprit's side-by-side figures worth reporting alone. */
export const SIDE_BY_SIDE_ENOUGH = 5;

/**
 * found: culprits located; no-regression: bad is not worse than good by a change worth bisecting;
 * ambiguous: the culprit is among commits that could not be measured, or could not be pinned to one;
 * undecided: the noise hides whether bad is worse by that much (neither shown nor ruled out).
 */
export type Status = 'found' | 'no-regression' | 'ambiguous' | 'undecided';

export interface Outcome {
  status: Status;
  culprits: CulpritFinding[];
  /** Located steps smaller than the threshold (for example slow creep split into small steps). */
  minorSteps: CulpritFinding[];
  /**
   * Steps a search first closed on that did not show when measured beside their parent (smaller than
   * the threshold side by side): the commits after each were searched again. Absent in run logs
   * written before it was recorded.
   */
  vanished?: CulpritFinding[];
  /**
   * Changes for the better the verdicts showed in the range, not looked for (src/bisect/improvements.ts).
   * Absent in run logs written before it was recorded.
   */
  improvements?: ImprovementSeen[];
  suspects: string[];
  /** The change is real but no single commit could be shown to carry it (inconclusive verdicts or gradual creep). */
  unresolved: boolean;
  endpoints: {
    comparison: Comparison;
    ratio: number;
    ratioCi: [number, number];
    good: Summary;
    bad: Summary;
    inconclusive: boolean;
  };
  verdicts: CommitVerdict[];
  threshold: number;
  thresholdSource: string;
  /** The change below which "no regression" is claimed (status no-regression or undecided). */
  noRegressionBelow: number;
  /** Smallest further step between two references that was looked for (relative to good). */
  minStep: number;
  /** Chance of missing a further step of at least minStep at one measured commit. */
  beta: number;
  /** One step was looked for (--one-step): no further step was looked for at all. */
  oneStep: boolean;
  /**
   * Verdicts went side first (the change was large against the threshold and the noise): a further
   * step a verdict left open was looked for once, at the located step's ends, in `checks` comparisons
   * that each miss one of at least minStep with probability at most `beta`.
   */
  sideFirst?: { checks: number; beta: number };
  /** The error rate of a typical decision's last look (for reference; each decision has its own). */
  alpha: number;
  /** Requested family-wise confidence, held however many decisions the search made. */
  confidence: number;
  /** Decisions made (the endpoints included) and the error rate their tests spent: confidence ≥ 1 − spent. */
  decisions: number;
  alphaSpent: number;
}

/**
 * A change for the better that the verdicts showed but the search did not look for.
 *
 * A bisect follows the regressions; an improvement later in the range hides part of them from the
 * endpoints (good → bad shows the regressions less the improvement), which leaves a culprit larger than
 * the change the user saw, with nothing said about why. The verdicts show one wherever a commit the
 * search put on the bad side measured clearly worse than its bad reference (the improvement lies after
 * the commit, up to that reference), or a good-side commit clearly better than its good reference (after
 * the reference, up to the commit). "Clearly" is the verdict's own test of a real change: the interval
 * beyond half the threshold and the rank test at the verdict's level.
 */
export interface ImprovementSeen {
  /** The improvement lies after this commit … */
  after: string;
  /** … and at or before this one. */
  through: string;
  /** Commits in (after, through]. */
  commits: number;
  /** The commit whose verdict showed it and the reference it was measured against. */
  commit: string;
  ref: string;
  refSide: 'good' | 'bad';
  /** The commit against the reference, relative to the reference (+ = the commit is worse). */
  vs: Comparison;
}

/**
 * An inconclusive commit whose side was shown anyway: the interval against the other reference
 * excludes no change (the strict question), and only "like its own reference, within the minimum
 * further step" was left open. Following its lean is no guess about the culprit's side.
 */
export function leanShown(
  v: { lean?: 'good' | 'bad' | 'between'; vsGood?: { lo: number; hi: number }; vsBad?: { lo: number; hi: number } },
): boolean {
  if (v.lean === 'bad') return (v.vsGood?.lo ?? -Infinity) > 0;
  if (v.lean === 'good') return (v.vsBad?.hi ?? Infinity) < 0;
  return false;
}
