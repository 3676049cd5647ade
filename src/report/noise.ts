import type { Pace } from '../bisect/forecast.js';
import type { NoiseReport, SteadierMetric } from '../events.js';
import { fmtChange, fmtDuration, fmtPct } from './format.js';
import { median, summarize } from '../stats/summary.js';
import type { AlternativeMetric } from '../probes/types.js';
import { termText } from './escape.js';

/** A forecast this long (minutes) gets the hint that --budget exists. */
const LONG_MINUTES = 10;

/** Samples a commit needs; beyond what it may take, just that (a need of thousands says nothing more). */
const beyond = (n: number, max?: number) => !Number.isFinite(n) || (max !== undefined && n > max);
const count = (n: number, max?: number) => (beyond(n, max) ? `more than ${max ?? 'any budget of'}` : `about ${n}`);
const need5 = (n: number, max?: number) =>
  beyond(n, max) && max !== undefined
    ? `more samples than the ${max} a commit may take (--max-samples)`
    : `${count(n, max)} sample${n === 1 ? '' : 's'} a commit`;

/** The time the rest will take; for endpoints replayed from the cache, as the run that measured them timed it. */
const toCome = (n: NoiseReport) => {
  const time = n.minutes > 0 ? `about ${fmtDuration(n.minutes * 60)} for the ` : '';
  const whose = n.replayed
    ? " (the endpoints' samples are an earlier run's, from the cache, and so is the time a run takes)"
    : n.resumed
      ? ' (as the interrupted run forecast it, before the interruption)'
      : '';
  return `${time}${n.verdicts} verdicts to come${whose}`;
};

/**
 * The noise report in words, for the plain log, the live view and the writeup: what a sample's noise
 * costs, how busy the machine is, and what would make it cheaper.
 */
export function noiseLines(
  n: NoiseReport,
  metricName: string,
  better: 'lower' | 'higher' = 'lower',
  /** Said while the run goes on: advice on its time (a finished run's writeup has no use for it). */
  live = true,
): string[] {
  const out = [
    `noise ${fmtPct(n.cv)} a sample (${termText(metricName)}): a 5% step needs ${need5(n.samplesFor5pct, n.maxSamples)}, ` +
      (n.delta > 0
        ? `this ${fmtChange(n.delta, better)} step ${count(n.samplesForThisStep, n.maxSamples)}; `
        : 'no step between the endpoints yet; ') +
      toCome(n),
  ];
  if (n.minStep) out.push(minStepLine(n.minStep, n, better));
  out.push(...machineLines(n, metricName, 'verdicts take longer', better));
  const s = n.steadier;
  if (s) {
    out.push(
      `${termText(s.name)} varies ${fmtPct(s.cv)} a sample here and moved ${fmtChange(s.change, s.better)} ` +
        `(${termText(metricName)}: ${fmtPct(n.cv)}, ${fmtChange(n.delta, better)}): metric: '${s.metric}' in probes.config.ts ` +
        `would need about ${Math.min(1000, Math.round(s.factor))}× fewer samples for this step, if it is the change you are after`,
    );
  }
  if (live && n.oneStepMinutes !== undefined && !n.replayed) {
    const why = n.minStep?.sideFirst ? '' : ': most of this time goes to ruling out a further step beside each commit';
    out.push(
      `--one-step would take about ${fmtDuration(n.oneStepMinutes * 60)} instead${why}; with it one step is looked for, ` +
        'as git bisect does, and others in the range are not found',
    );
  }
  // A long forecast without a budget: say how to trade certainty for time, as the forecast is about to be waited out.
  if (live && !n.budget && !n.replayed && n.minutes >= LONG_MINUTES) {
    out.push(
      `about ${fmtDuration(n.minutes * 60)} to go: --budget <minutes> lowers the confidence to fit a time (stated in the ` +
        'writeup), or stop with Ctrl-C and go on later with --resume',
    );
  }
  if (n.budget && n.budget.confidence < n.budget.asked) {
    out.push(
      `--budget ${n.budget.minutes} min: confidence lowered from ${fmtPct(n.budget.asked)} to ${fmtPct(n.budget.confidence)} to fit`,
    );
  }
  return out;
}

/** Where the "minimum further step" of the verdict lines comes from. */
function minStepLine(m: NonNullable<NoiseReport['minStep']>, n: NoiseReport, better: 'lower' | 'higher'): string {
  const why = {
    threshold: 'the threshold',
    change: `an eighth of this ${fmtChange(n.delta, better)} step`,
    noise: `the smallest step about ten samples a commit resolve at ${fmtPct(n.cv)} noise a sample`,
  }[m.source];
  return m.sideFirst
    ? `further steps: one of ${fmtPct(m.value)} or more is looked for (${why}); this step is large against the noise, so a ` +
        'commit clearly on one side is placed in a few samples, and a further step is looked for at the located step\'s ends'
    : `further steps: one of ${fmtPct(m.value)} or more is looked for beside each commit (${why}); a smaller one is not bisected`;
}

/**
 * The forecast said again at the verdicts' own pace (src/bisect/forecast.ts paceBeyondForecast), with
 * the way out where what is left is long (a run with --budget is not paced: the budget ends it).
 */
export function paceLine(p: Pace): string {
  const left = p.secondsLeft;
  return (
    `pace: ${p.verdicts} verdicts took ${fmtDuration(p.seconds)}, where the forecast gave all ${p.forecastVerdicts} ` +
    `about ${fmtDuration(p.forecastSeconds)}: about ${fmtDuration(left)} more for ~${p.verdictsLeft} to come at this pace` +
    (left >= LONG_MINUTES * 60
      ? ' (--budget <minutes> lowers the confidence to fit a time; Ctrl-C and --resume go on later)'
      : '')
  );
}

/**
 * The figure among a probe's alternatives that resolves the endpoints' step with the fewest samples:
 * samples a commit go as (noise / step)², so a steadier figure that shows the step too is cheaper by
 * the square of the ratio. Named only where it shows a step of 5% or more the same way, and saves
 * half the samples or more: a p99 at 25% noise beside a mean latency at 5% that moved as much.
 */
export function steadierMetric(
  current: { cv: number; delta: number },
  alternatives: readonly AlternativeMetric[],
  figures: (field: string) => { good: number[]; bad: number[] },
): SteadierMetric | undefined {
  if (!(current.cv > 0.02) || !(current.delta > 0)) return undefined;
  const cost = (cv: number, step: number) => (cv / step) ** 2;
  let best: SteadierMetric | undefined;
  for (const alt of alternatives) {
    const { good, bad } = figures(alt.field);
    if (good.length < 3 || bad.length < 3) continue;
    const [g, b] = [median(good), median(bad)];
    if (!g) continue;
    const change = ((alt.info.better === 'lower' ? 1 : -1) * (b - g)) / Math.abs(g);
    const cv = (summarize(good).cv + summarize(bad).cv) / 2;
    if (change < 0.05 || !(cv > 0)) continue;
    const factor = cost(current.cv, current.delta) / cost(cv, change);
    if (factor < 2 || (best && factor <= best.factor)) continue;
    best = { metric: alt.field, name: alt.info.name, better: alt.info.better, cv, change, factor };
  }
  return best;
}

/**
 * The command's CPU time was measured and is most of its work: a sleeping or waiting command's CPU time
 * says little of it.
 */
function mostlyCpuWork<T extends Pick<NoiseReport, 'cpuCv' | 'cpuShare'>>(n: T): n is T & { cpuCv: number } {
  return n.cpuCv !== undefined && (n.cpuShare ?? 0) >= 0.2;
}

/** Whether `--metric cpu` is worth suggesting: mostly CPU work, where CPU time needs about 2× fewer samples or more. */
export function cpuWouldHelp<T extends Pick<NoiseReport, 'cv' | 'cpuCv' | 'cpuShare'>>(n: T): n is T & { cpuCv: number } {
  return mostlyCpuWork(n) && n.cpuCv > 0 && n.cv > 0.02 && n.cpuCv < n.cv / 1.4;
}

type MachineNoise = Pick<NoiseReport, 'cv' | 'cpuCv' | 'cpuShare' | 'cores' | 'load' | 'busy' | 'others' | 'loaded' | 'resumed'> &
  Partial<Pick<NoiseReport, 'replayed'>> &
  Partial<Pick<NoiseReport, 'samplesFor5pct' | 'samplesForThisStep' | 'delta' | 'maxSamples'>>;

/** Noise a sample that a quiet machine should not show: worth a word on where it comes from. */
const QUIET_BUT_NOISY = 0.1;
/** Samples a commit needs that a verdict decides in anyway: a step this easy gains nothing from a steadier figure. */
const FEW_SAMPLES = 8;
/** How busy the machine is, as /proc or the load average tell. */
type Busy = Pick<NoiseReport, 'cores' | 'load' | 'busy' | 'others'>;

/** How busy the machine is, and whether CPU time would be the quieter metric. */
function machineLines(n: MachineNoise, metricName: string, costs: string, better: 'lower' | 'higher' = 'lower'): string[] {
  const out: string[] = [];
  if (n.loaded) {
    const when = n.resumed ? ' when the interrupted run measured the endpoints' : '';
    out.push(`machine busy${when}: ${busyText(n)}: ${termText(metricName)} is noisier and ${costs}`);
  }
  // Wall time that swings where no other process is busy and CPU time is steady: the runs wait on
  // something, which a user otherwise takes for a broken measurement. (Replayed samples were taken
  // under a load this machine's did not see; the figures follow on the CPU-time line.)
  if (!n.loaded && !n.replayed && n.cv >= QUIET_BUT_NOISY && mostlyCpuWork(n) && n.cpuCv < n.cv / 3) {
    out.push(
      `${termText(metricName)} swings with no other process busy here while CPU time stays steady: the runs wait on ` +
        'something CPU time does not count (the disk, memory, or other guests of a virtual machine)',
    );
  }
  if (cpuWouldHelp(n)) {
    const factor = Math.min(1000, Math.round((n.cv / n.cpuCv) ** 2));
    // The factor is the samples' variance ratio: it is what a verdict near the threshold saves, and nothing
    // where the step is decided in a handful of samples either way.
    const at5 = n.samplesFor5pct;
    const cpuAt5 = Math.max(1, Math.ceil((at5 ?? 0) / factor));
    const example = at5 !== undefined && !beyond(at5, n.maxSamples) && at5 > FEW_SAMPLES
      ? ` (a 5% step: about ${cpuAt5} sample${cpuAt5 === 1 ? '' : 's'} a commit instead of ${at5})`
      : '';
    const easy = n.samplesForThisStep !== undefined && n.delta !== undefined && n.samplesForThisStep <= FEW_SAMPLES
      ? `; this ${fmtChange(n.delta, better)} step needs few samples either way`
      : '';
    out.push(
      `CPU time varies ${fmtPct(n.cpuCv)} a sample here against ${fmtPct(n.cv)} for wall time: --metric cpu (or metric: 'cpu' in probes.config.ts) ` +
        `would need about ${factor}× fewer samples near the threshold${example}, if the regression is in CPU work${easy}`,
    );
  }
  return out;
}

/**
 * A drift check's noise, said once its first points are measured: a noisy series costs samples at every
 * candidate step, and the check then runs long with nothing else to say why.
 */
export function driftNoiseLines(n: MachineNoise & { points: number; threshold: number }, metricName: string): string[] {
  const costly = n.cv > n.threshold / 2;
  return [
    `noise ${fmtPct(n.cv)} a sample (${termText(metricName)}) at the window's ${n.points} points` +
      (costly ? `: above half the ${fmtPct(n.threshold)} threshold, so each candidate step takes many samples to confirm or reject` : ''),
    ...machineLines(n, metricName, 'the check takes longer'),
  ];
}

/** What an undecided run means and what to try, in one line (plain log, live view, writeup). */
export function undecidedText(bar: number): string {
  return (
    `undecided: the noise hides whether bad is slower than good by ${fmtPct(bar)} or more (not shown, not ruled out); ` +
    'try --metric cpu for a command, more samples (--max-samples), a quieter machine, or --threshold for a larger change'
  );
}

/**
 * Said once for each earlier run whose stored blocks are replayed: a rerun meant to measure the machine
 * as it is now would otherwise replay old samples silently, and ones taken on a busy machine say so.
 */
export function cachedFromText(from?: { run: string; busy?: Busy }): string {
  const who = from ? `run ${termText(from.run)}` : 'an earlier run';
  const busy = from?.busy ? `, while the machine was busy (${busyText(from.busy)})` : '';
  return `measured blocks come from the cache: ${who} measured these commits with this probe${busy} (--no-cache measures afresh)`;
}

/** How busy, and the busiest other processes by name. */
function busyText(n: Busy): string {
  const who = n.busy.map((b) => `${termText(b.name)} (pid ${b.pid}, ${Math.round(b.cpu * 100)}% of a core)`).join(', ');
  return `${howBusy(n)}${who ? `; ${who}` : ''}`;
}

/**
 * Said when the verdicts fall behind their forecast on a machine that was quiet at the endpoints and is
 * busy now: the likeliest reason for the pace, which the endpoints' line could not name.
 */
export function busyNowText(n: Busy, metricName: string, cpu?: Pick<NoiseReport, 'cv' | 'cpuCv' | 'cpuShare'>): string {
  // Another process takes turns on the cores, which wall time counts and the probe's own CPU time
  // hardly does: worth saying where the probe is mostly CPU work and CPU time is not what decides already.
  const cpuHint =
    cpu && mostlyCpuWork(cpu) && cpu.cpuCv < cpu.cv
      ? `; CPU time (--metric cpu) is far less disturbed by other work, if the regression is in CPU work`
      : '';
  return (
    `the machine has become busy since the endpoints: ${busyText(n)}: ${termText(metricName)} is noisier, ` +
    `so verdicts take more samples${cpuHint}`
  );
}

/** What other work took, where /proc tells; else the load average (which counts perfbisect's own builds too). */
function howBusy(n: { others?: number; load: number; cores: number }): string {
  return n.others !== undefined
    ? `other work used ${n.others.toFixed(1)} of ${n.cores} cores`
    : `load average ${n.load.toFixed(1)} on ${n.cores} cores`;
}
