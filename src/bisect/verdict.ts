import type { Relative } from '../stats/compare.js';

/**
 * The verdict rule: which side of the step is this commit on?
 *
 * A commit is compared with its two references, the nearest good commit (`lo`) and the nearest bad
 * one (`hi`). Two kinds of question are asked, at two levels:
 *
 * - "Is it unlike this reference?" at the strict level (the bisect's error budget): a verdict rests
 *   on it, and a wrong one blames the wrong commit. The commit must be worse than good (or better than
 *   bad), with probability 1 − alpha. Which side of the step a commit is on is a question of direction
 *   only: a margin as well (half the threshold) costs an 8% step 15–24% more probe runs for the same
 *   accuracy; it only places steps near the threshold on more evidence (bench/README.md).
 * - "Is it like the other reference, within the minimum further step?" at the lenient level beta:
 *   this only decides whether to look for a second step between the two references. Getting it wrong
 *   misses a further step of at least `minStep` with probability at most beta at this commit; it
 *   never blames a wrong commit. A strict equivalence proof here is what made small margins cost
 *   hundreds of samples: the lenient one costs samples only where the data hint at a further step.
 *
 * good    = better than hi (strict) and like lo (lenient)
 * bad     = worse than lo (strict) and like hi (lenient)
 * between = worse than lo and better than hi, each by more than half the threshold (both strict), and
 *           like neither: a step on each side, each at least about `minStep`, so both sides are
 *           bisected. The margin is what keeps a chance or sub-threshold difference from splitting the
 *           search: without it, the worst of 200 bisects of an 8% step built 11–15 commits, not 9.
 *
 * From the third look on, a commit whose estimate sits within half the minimum step of a reference
 * counts as like it even where the noise keeps the lenient bound wide: the data do not hint at a
 * further step there, and on a busy machine proving its absence could take every sample allowed.
 * The verdict then records the largest further step it could not rule out (`unresolved`).
 */
export interface VerdictLevels {
  /** Strict one-sided error rate of this look. */
  alpha: number;
  /** Lenient one-sided level of "like the other reference". */
  beta: number;
  /** Smallest relative change that matters. */
  threshold: number;
  /** Smallest further step between the references that is looked for, from the good one. */
  minStep: number;
  /** The same towards the bad reference, in the good one's units (default: minStep). */
  minStepHi?: number;
  /** The third look or later: an estimate with no hint of a further step is enough (see above). */
  settled?: boolean;
  /**
   * The first of several looks. A second step is the claim a burst of load fakes most easily (a few
   * target samples that ran during it, against references mostly measured before), so 'between' must
   * hold again at a later look, on samples taken at another time; a real second step does.
   */
  firstOfSeveral?: boolean;
  /**
   * Look for one step only (`--one-step`): a verdict asks which side of the step the commit is on and
   * nothing more, as `git bisect` does. "Like the other reference" is taken as given, so no samples go
   * to ruling out a further step beside it, and a commit unlike both follows the side it is nearer to:
   * the search ends at one step, and others in the range are not looked for. At noise that is small
   * against the step, the lenient question is most of a verdict's cost (bench/README.md).
   */
  oneStep?: boolean;
  /**
   * Side first: a commit within a quarter of the way from a reference (point estimates), and not shown
   * farther from it than half the threshold, counts as like it without the lenient proof. Used where the
   * change is large against the noise, so that a commit's side shows in a few samples; what such a
   * verdict leaves open (`openLo`/`openHi`) is asked once of the located step's ends instead
   * (EndCheck in src/bisect/engine.ts), not at every commit.
   */
  sideFirst?: boolean;
}

/** How near a reference a commit must sit to be like it side first (VerdictLevels.sideFirst). */
const SIDE_FIRST_NEAR = 0.25;

/** What a look shows of the commit against its references. */
export interface Facts {
  /** Worse than lo / better than hi, by any amount, at the strict level. */
  worseThanLo: boolean;
  betterThanHi: boolean;
  /** The same by more than half the threshold: what a step on each side ('between') needs. */
  farAboveLo: boolean;
  farBelowHi: boolean;
  likeLo: boolean;
  likeHi: boolean;
  /**
   * Worse than lo / better than hi by any amount at the strict level, or at the lenient level where the
   * estimate reaches the minimum step: what a last look without a verdict leans on. Leaning to one side
   * would lose a step on the other for good; splitting costs a sub-search.
   */
  aboveLo: boolean;
  belowHi: boolean;
  /** Where the commit sits between the references: 0 at lo, 1 at hi (point estimates). */
  position: number;
  /** The references lie less than the two minimum steps (from each) apart (point estimates). */
  close: boolean;
  /**
   * Where "like" rests on the estimate alone: the largest further step towards each reference that the
   * lenient bound could not rule out (0 where it could).
   */
  openLo: number;
  openHi: number;
  /** 'Between' waits for a later look (VerdictLevels.firstOfSeveral). */
  betweenWaits: boolean;
}

export type Side = 'good' | 'bad' | 'between';

/**
 * Why a look did not decide, for the views (the next look's block says it): the question still open,
 * with the estimates so far (+ is worse), `vsBad` and a step towards bad in bad's own units.
 * - side: neither "worse than good" nor "better than bad" is shown yet;
 * - further-step: one side is shown, but a further step of at least `minStep` towards the other
 *   reference is not ruled out (the lenient question: it decides whether to look between);
 * - between: unlike both, which must hold again on samples taken later;
 * - unlike-both: worse than good and better than bad, but not yet by half the threshold on each side,
 *   which a step on each side needs;
 * - fresh: the references' earlier samples put it on a side, this trial's own samples alone do not;
 * - beyond-both: worse (or better) than both references, so only the samples taken beside it count,
 *   in case the machine changed speed since their earlier ones.
 */
export type OpenQuestion = { vsGood: number; vsBad: number } & (
  | { kind: 'side' | 'between' | 'unlike-both' | 'fresh' | 'beyond-both' }
  | { kind: 'further-step'; towards: 'good' | 'bad'; minStep: number }
);

/** Which question kept a look's facts from a verdict (the minimum step is filled in by the caller). */
export function openKind(f: Facts): 'side' | 'between' | 'unlike-both' | 'towards-good' | 'towards-bad' {
  if (f.betweenWaits && holds('between', f)) return 'between';
  if (f.worseThanLo && f.betterThanHi) return 'unlike-both';
  if (f.worseThanLo && !f.betterThanHi && !f.likeHi) return 'towards-bad';
  if (f.betterThanHi && !f.worseThanLo && !f.likeLo) return 'towards-good';
  return 'side';
}

/**
 * The facts of one look. Both comparisons must be in one unit (the good reference's median), or the
 * commit's place between references far apart is wrong: +170% of good is -99% of a bad 270× slower.
 */
export function factsOf(vsLo: Relative, vsHi: Relative, l: VerdictLevels): Facts {
  const stepHi = l.minStepHi ?? l.minStep;
  const upLo = vsLo.worseAtMost(l.beta);
  const downHi = -vsHi.worseAtLeast(l.beta);
  const farAboveLo = vsLo.worseAtLeast(l.alpha) > l.threshold / 2;
  const farBelowHi = vsHi.worseAtMost(l.alpha) < -l.threshold / 2;
  const position = positionOf(vsLo.worse, vsHi.worse);
  const provenLo = !!l.oneStep || upLo < l.minStep;
  const provenHi = !!l.oneStep || downHi < stepHi;
  const nearLo = !!l.sideFirst && !farAboveLo && position <= SIDE_FIRST_NEAR;
  const nearHi = !!l.sideFirst && !farBelowHi && position >= 1 - SIDE_FIRST_NEAR;
  const quietLo = !!l.settled && vsLo.worse < l.minStep / 2;
  const quietHi = !!l.settled && -vsHi.worse < stepHi / 2;
  const aboveLo = vsLo.worseAtLeast(l.alpha) > 0 || (vsLo.worseAtLeast(l.beta) > 0 && vsLo.worse >= l.minStep);
  const belowHi = vsHi.worseAtMost(l.alpha) < 0 || (vsHi.worseAtMost(l.beta) < 0 && -vsHi.worse >= stepHi);
  return {
    worseThanLo: vsLo.worseAtLeast(l.alpha) > 0,
    betterThanHi: vsHi.worseAtMost(l.alpha) < 0,
    farAboveLo,
    farBelowHi,
    likeLo: provenLo || quietLo || nearLo,
    likeHi: provenHi || quietHi || nearHi,
    openLo: provenLo ? 0 : upLo,
    openHi: provenHi ? 0 : downHi,
    // With one step looked for, a last look leans by nearness alone: it never splits the search.
    aboveLo: !l.oneStep && aboveLo,
    belowHi: !l.oneStep && belowHi,
    position,
    // With one step looked for, "like" is given, so nearness alone would decide every look unmeasured.
    close: !l.oneStep && Math.abs(vsLo.worse - vsHi.worse) < l.minStep + stepHi,
    betweenWaits: !!l.firstOfSeveral,
  };
}

/** 0 at the good reference, 1 at the bad one, from the two estimates. */
export function positionOf(worseThanLo: number, worseThanHi: number): number {
  const span = worseThanLo - worseThanHi;
  return span > 0 ? worseThanLo / span : worseThanLo > 0 ? 1 : 0;
}

export function holds(v: Side, f: Facts): boolean {
  if (v === 'between') return f.farAboveLo && f.farBelowHi && !f.likeLo && !f.likeHi;
  return v === 'good' ? f.betterThanHi && f.likeLo : f.worseThanLo && f.likeHi;
}

/**
 * The verdict the facts support, if any. When both sides qualify, or the commit is like both
 * references (they are closer together than the two minimum steps: an earlier verdict was a chance one,
 * or the step between them is too small to look for), the nearer side wins: no step of `minStep`
 * lies on either side of it, so either answer keeps every step worth finding in the search, and
 * sampling on would only prove what the references already show.
 */
export function decide(f: Facts): Side | undefined {
  if (holds('between', f)) return f.betweenWaits ? undefined : 'between';
  if (byNearness(f)) return f.position < 0.5 ? 'good' : 'bad';
  return holds('good', f) ? 'good' : holds('bad', f) ? 'bad' : undefined;
}

/**
 * Whether `decide` chose by nearness alone (both sides qualify, or the references are too close to
 * tell apart): then the commit's figures against each reference need not be significant, and the
 * verdict line says why it stands.
 */
export function byNearness(f: Facts): boolean {
  if (holds('between', f)) return false;
  return (holds('good', f) && holds('bad', f)) || (f.likeLo && f.likeHi && f.close);
}

/**
 * After the final look without a verdict: the side the estimates lean to, which the search follows.
 * Significantly unlike both ends still means a step on each side: splitting costs a sub-search,
 * leaning would lose a step for good.
 */
export function lean(f: Facts): Side {
  if (f.aboveLo && f.belowHi) return 'between';
  return f.position >= 0.5 ? 'bad' : 'good';
}
