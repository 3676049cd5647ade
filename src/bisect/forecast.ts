import { zFor } from '../stats/mann-whitney.js';

/**
 * What the measured noise will cost, worked out from the endpoints before the search starts: how
 * many samples a commit needs for a step of a given size, and roughly how long the range will take.
 * The figures follow the verdict rule (src/bisect/verdict.ts): a commit on one side of a step of size
 * s must be worse (or better) than the other side's reference, with the strict error rate, and like
 * its own side's reference within the minimum further step, at the lenient level; the references
 * bring about twice the target's samples. They are the least a verdict takes at this noise: a commit
 * whose estimate lands off its reference's level by chance takes more, so the time is priced by a
 * rehearsal of the rule itself where one is given.
 */
export interface ForecastInput {
  /** Relative noise of one sample (MAD / median). */
  cv: number;
  /** The good→bad change. */
  delta: number;
  threshold: number;
  /** One-sided error rate of a typical verdict's look. */
  alpha: number;
  /** The minimum further step looked for, and the lenient level "like the reference" is shown at. */
  minStep: number;
  beta: number;
  /** --one-step: no verdict asks whether a further step hides beside it. */
  oneStep?: boolean;
  /** Verdicts go side first (BisectEngine.sideFirst): a commit clearly on one side is not asked either. */
  sideFirst?: boolean;
  /** Verdicts still to make. */
  verdicts: number;
  secondsPerRun: number;
  secondsPerBuild: number;
  /** Samples a verdict takes at least (its first look) and at most. */
  minSamples: number;
  maxSamples: number;
  /** The rest of the bisect replayed on made-up samples (src/bisect/rehearsal.ts): prices it when given. */
  rehearsed?: Rehearsal;
}

/** What src/bisect/rehearsal.ts found the rest of the bisect to cost. */
export interface Rehearsal {
  /** Probe runs after the endpoints (median over the rehearsed histories). */
  runs: number;
  /** Commits measured after the endpoints, each a build and at least one verdict. */
  commits: number;
}

export interface Forecast {
  /** Target samples a commit needs to place it beside a 5% step, and beside this run's step. */
  samplesFor5pct: number;
  samplesForThisStep: number;
  /**
   * Probe runs a verdict costs at this step: the target's and the references' fresh samples (a warm-up
   * that stands out, and one of a cold reference, cost a run more).
   */
  runsPerVerdict: number;
  /** Commits still to decide. */
  verdicts: number;
  minutes: number;
}

/** Target samples for a commit a step of `step` away from a reference, under noise `cv`. */
export function samplesFor(step: number, i: Pick<ForecastInput, 'cv' | 'alpha'>): number {
  if (step <= 0) return Infinity;
  // Hodges-Lehmann's one-sided bound, n target against 2n reference samples (efficiency ~0.95 vs the mean).
  const z = zFor(2 * i.alpha);
  return Math.ceil(1.5 * ((z * 1.02 * i.cv) / step) ** 2);
}

/** Target samples to show a commit at a reference's level like it within the minimum further step. */
export function samplesForLike(i: Pick<ForecastInput, 'cv' | 'minStep' | 'beta'>): number {
  if (i.minStep <= 0) return Infinity;
  return Math.ceil(1.5 * ((zFor(2 * i.beta) * 1.02 * i.cv) / i.minStep) ** 2);
}

export function forecast(i: ForecastInput): Forecast {
  const clamp = (n: number) => Math.min(i.maxSamples, Math.max(i.minSamples, n));
  const like = i.oneStep || i.sideFirst ? 0 : samplesForLike(i);
  const samplesFor5pct = samplesFor(0.05, i);
  const samplesForThisStep = Math.max(samplesFor(i.delta, i), like);
  const n = clamp(samplesForThisStep);
  // At the first look the references take one fresh sample each; past it, half the target's count each.
  // The target's warm-up run is one of its samples unless it stands out.
  const refs = n <= i.minSamples ? 2 : n;
  const least = { runsPerVerdict: n + refs, verdicts: i.verdicts };
  // The formula is the least a verdict takes; the rehearsal also pays for what chance adds.
  const r = i.rehearsed;
  const { runsPerVerdict, verdicts } = r?.commits ? { runsPerVerdict: r.runs / r.commits, verdicts: r.commits } : least;
  const minutes = (verdicts * (runsPerVerdict * i.secondsPerRun + i.secondsPerBuild)) / 60;
  return { samplesFor5pct, samplesForThisStep, runsPerVerdict, verdicts, minutes };
}

/**
 * The highest confidence, from the one asked for down to 0.5, whose forecast fits in `minutes`: what
 * --budget trades for time. Undefined when even 0.5 does not fit.
 */
export function confidenceWithin(
  minutes: number,
  asked: number,
  at: (confidence: number) => Forecast,
): number | undefined {
  const levels = [asked, 0.9, 0.8, 0.7, 0.6, 0.5].filter((c) => c <= asked);
  return levels.find((c) => at(c).minutes <= minutes);
}

/** The verdicts' own pace, said where it puts the rest of the run far beyond the forecast. */
export interface Pace {
  /** Verdicts made since the endpoints, and the seconds they took (builds included). */
  verdicts: number;
  seconds: number;
  /** Verdicts still to come (about), and the seconds they take at this pace. */
  verdictsLeft: number;
  secondsLeft: number;
  /** What the forecast after the endpoints gave the verdicts it counted, in all. */
  forecastSeconds: number;
  forecastVerdicts: number;
}

/** Below this the forecast is not said again: a minute or less off is not worth a line. */
const PACE_SLACK_SECONDS = 60;

/**
 * The rest of the run at the pace the verdicts have kept, where that is at least twice the forecast:
 * the forecast prices the noise the endpoints showed, and a machine that got busier since, or commits
 * noisier than the endpoints, make every verdict take more looks. Said again only when the estimate
 * grew half as much again as last said (`said`: the total last said), so a long run says it a few
 * times at most. Two verdicts at least: one slow build is not a pace.
 */
export function paceBeyondForecast(i: {
  verdicts: number;
  seconds: number;
  verdictsLeft: number;
  forecastSeconds: number;
  forecastVerdicts: number;
  said?: number;
}): Pace | undefined {
  if (i.verdicts < 2 || i.verdictsLeft < 1 || !(i.forecastSeconds > 0)) return undefined;
  const secondsLeft = (i.seconds / i.verdicts) * i.verdictsLeft;
  const total = i.seconds + secondsLeft;
  if (total < 2 * i.forecastSeconds || total - i.forecastSeconds < PACE_SLACK_SECONDS) return undefined;
  if (i.said !== undefined && total < 1.5 * i.said) return undefined;
  const { verdicts, seconds, verdictsLeft, forecastSeconds, forecastVerdicts } = i;
  return { verdicts, seconds, verdictsLeft, secondsLeft, forecastSeconds, forecastVerdicts };
}
