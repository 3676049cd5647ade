import { BisectEngine, type RehearsalInput } from './engine.js';
import { graphOf } from './graph.js';
import { forecast, type ForecastInput, type Rehearsal } from './forecast.js';
import { gaussian, seededRng, type Rng } from '../stats/rng.js';
import { median } from '../stats/summary.js';

/**
 * The rest of a bisect rehearsed on made-up samples before it is measured, for the forecast of what
 * it will cost (src/bisect/forecast.ts). The engine itself runs over the same range (its merges
 * included) with one step of the measured size at a random commit; each sample is its side's level times a residual
 * drawn from the endpoints' own samples (sample / its side's median, smoothed so that equal draws do
 * not tie and widened a little: residuals from a side's own median understate the noise). A formula
 * holds the cost of one verdict at its expected estimate; the rule also pays for looks that double,
 * for commits whose estimates land off their level by chance, for the lenient bound near a further
 * step and for re-measuring. Replaying the rule pays for all of them, in the noise's own shape. Pure
 * and seeded: the same endpoints give the same forecast.
 */

/** Enough histories for a median that moves little, few enough to cost well under a second. */
const HISTORIES = 9;
/**
 * Smoothing of the drawn residuals, in units of their own spread (their spread grows by about 12%).
 * In simulation, 0.2 forecast an 8–25% step at 5–15% noise 1.2–1.8× low; 0.5 brings it to 0.9–1.5×.
 */
const SMOOTH = 0.5;

export function rehearse(input: RehearsalInput, histories = HISTORIES): Rehearsal | undefined {
  const g = median([...input.good]);
  const b = median([...input.bad]);
  const graph = graphOf(input.range, input.graphOpts);
  const badAt = graph.index.get(input.ends.bad);
  if (!(g > 0) || !(b > 0) || badAt === undefined || graph.size < 2) return undefined;
  // The step can be any commit bad descends from; a commit is slow when it descends from the step.
  const places = graph.ancestors[badAt].toArray();
  const residuals = [...input.good.map((x) => x / g), ...input.bad.map((x) => x / b)];
  const spread = median(residuals.map((r) => Math.abs(r - 1))) * 1.4826;
  const runs: number[] = [];
  const commits: number[] = [];
  for (let h = 0; h < histories; h++) {
    const rng = seededRng(0x5eed + h * 7919);
    const step = places[Math.floor(rng() * places.length)];
    const level = (sha: string) => {
      const i = graph.index.get(sha);
      return i !== undefined && (i === step || graph.ancestors[i].has(step)) ? b : g;
    };
    const draw = () => residuals[Math.floor(rng() * residuals.length)] * (1 + SMOOTH * spread * gaussian(rng));
    const r = rehearseOne(input, (sha) => level(sha) * draw(), rng);
    if (!r) continue;
    runs.push(r.runs);
    commits.push(r.commits);
  }
  if (!runs.length) return undefined;
  return { runs: median(runs), commits: Math.round(median(commits)) };
}

/** Safety net for a rule that never ends on some draw: a bisect takes far fewer blocks than this. */
const MAX_BLOCKS = 2_000;

function rehearseOne(input: RehearsalInput, sample: (sha: string) => number, rng: Rng): Rehearsal | undefined {
  const engine = new BisectEngine(input.range, input.ends, input.options, rng, input.graphOpts);
  const measured = new Set<string>();
  let runs = 0;
  for (let block = 0; block < MAX_BLOCKS; block++) {
    const step = engine.next();
    // A draw whose endpoints showed no regression rehearses nothing of what is to come.
    if (step.type === 'done') {
      const ended = step.outcome.status === 'no-regression' || step.outcome.status === 'undecided';
      return ended ? undefined : { runs, commits: measured.size };
    }
    const got: Record<string, number[]> = {};
    for (const sha of step.order) (got[sha] ??= []).push(sample(sha));
    if (step.purpose !== 'endpoints') {
      runs += step.order.length;
      measured.add(step.target);
    }
    engine.record(got);
  }
  return undefined;
}

/** A forecast at least a minute long that --one-step would cut to this share or less is worth a hint. */
const ONE_STEP_HINT_SHARE = 0.6;

/** The rest of the bisect rehearsed with --one-step, where that takes far less than `minutes`. */
export function oneStepForecast(
  rehearsal: RehearsalInput | undefined,
  input: ForecastInput,
  minutes: number,
): number | undefined {
  if (!rehearsal || rehearsal.options.oneStep || minutes < 1) return undefined;
  const rehearsed = rehearse({ ...rehearsal, options: { ...rehearsal.options, oneStep: true } });
  if (!rehearsed) return undefined;
  const one = forecast({ ...input, oneStep: true, rehearsed }).minutes;
  return one <= minutes * ONE_STEP_HINT_SHARE ? one : undefined;
}
