import { Bitset, graphOf, type CommitGraph, type RangeCommit } from './graph.js';
import { blockOrder, fewestDecisive, fewestRounds, looks } from './schedule.js';
import { ErrorBudget, plannedDecisions } from './error-budget.js';
import type { ForecastInput } from './forecast.js';
import { improvementsSeen } from './improvements.js';
import {
  byNearness, decide, factsOf, lean, openKind, positionOf, type Facts, type OpenQuestion, type Side, type VerdictLevels,
} from './verdict.js';
import { compare, Relative, type Better } from '../stats/compare.js';
import { Shift } from '../stats/shift.js';
import { median, quantileSorted, sorted, summarize } from '../stats/summary.js';
import { mannWhitney, zFor } from '../stats/mann-whitney.js';
import type { Rng } from '../stats/rng.js';
import {
  SIDE_BY_SIDE_ENOUGH,
  type CommitVerdict,
  type CulpritFinding,
  type ImprovementSeen,
  type Outcome,
  type Purpose,
  type SearchProgress,
  type Status,
} from './outcome.js';

export interface EngineOptions {
  better: Better;
  deterministic: boolean;
  /** Relative change that matters; undefined derives it from the endpoints. */
  threshold?: number;
  /** Target samples before the first decision; the engine takes more when fewer could not decide. */
  minSamples: number;
  maxSamples: number;
  /** Family-wise confidence that every verdict of the bisect is right. */
  confidence: number;
  /**
   * Chance of missing a further step of at least the minimum step at one commit (the lenient level of
   * "like the other reference"); default 0.05.
   */
  beta?: number;
  /** Look for one step only: no verdict asks whether a further step hides beside it (VerdictLevels.oneStep). */
  oneStep?: boolean;
  /**
   * Commits measured at once in a round (`nextRound`): the error budget plans for the decisions a
   * k-ary search makes, k per round over ⌈log_{k+1} N⌉ rounds. 1 for the sequential bisect.
   */
  width?: number;
}

export const defaultEngineOptions = { minSamples: 4, maxSamples: 60, confidence: 0.95 };
const DEFAULT_BETA = 0.05;
/**
 * Fresh samples of each reference at a verdict's first look. Its earlier samples carry the test; the
 * fresh ones are interleaved with the target's, so the verdict can be checked against them alone. One
 * of each is enough with the guard against a machine that changed speed since (a commit beyond both
 * references is decided on side-by-side samples: decideVerdict); two of each cost a large step 15–20%
 * more runs for the same accuracy in bench/accuracy.ts.
 */
const FRESH_AT_FIRST_LOOK = 1;
/**
 * Verdicts go side first (BisectEngine.sideFirst) where the good→bad change is at least this many
 * thresholds and this many times the noise a sample. In simulation that costs a 25% step 17–25%
 * fewer probe runs at 3% noise, a ×2 step at 9% 23–29% fewer, and two-step histories 2–10% more, with
 * as many found (bench/README.md). Steps of 8% (2 thresholds) stay as they were: there a verdict
 * taken on a few samples was misjudged often enough that searching again past it broke the bound on
 * commits built.
 */
const SIDE_FIRST_THRESHOLDS = 4;
const SIDE_FIRST_NOISES = 3;
/**
 * An end check asks at once what the lenient question asks at every commit of the search it covers,
 * so it asks at a fifth of that level: one question at β missed the +8% step of an 8% + 40% history
 * that the verdicts at three commits near it find, and two-step histories lost 0.5–2.5 points in
 * bench/accuracy.ts; at β/5 about half of that, for 1–4% more probe runs there.
 */
const END_CHECK_BETA_SHARE = 5;
/**
 * Jobs on a fleet are sized for one look at 1.5 times the endpoints' noise (MAD / median understates
 * the spread of skewed and bimodal noise): in simulation that keeps an 8% step at 3% noise to about
 * one round more than the k-ary search needs (bench/fleet.ts).
 */
const ONE_ROUND_NOISE = 1.5;
/** Samples a side of the endpoints on a fleet: their noise sizes every later job. */
const FLEET_ENDPOINT_SAMPLES = 16;

/** What src/bisect/rehearsal.ts replays the rest of a bisect from. */
export interface RehearsalInput {
  /** The range, as the engine was given it. */
  range: readonly RangeCommit[];
  ends: { good: string; bad: string };
  graphOpts?: { firstParent?: boolean };
  /** The endpoints' samples. */
  good: readonly number[];
  bad: readonly number[];
  /** The run's engine options, with the threshold it settled on. */
  options: EngineOptions;
}

/** What the harness should measure next: the commits of `order`, one run each, in that order. */
export interface MeasureStep {
  type: 'measure';
  target: string;
  refs: string[];
  /** Every run of the block in order: the target's and the references' samples interleaved and shuffled. */
  order: string[];
  /** Rounds the order spans (for display). */
  rounds: number;
  purpose: Purpose;
  /** The trial this block belongs to: a round's results are handed back with it (`recordRound`). */
  trial?: number;
  /** Which look of its decision this is (1 = the first): a later one means the earlier did not decide. */
  look?: number;
  /** Why the look before did not decide (from the second look of a verdict on). */
  open?: OpenQuestion;
  /** The first look of a commit measured again, afresh (its first trial leaned to a step on each side). */
  again?: true;
  /** A located step's end measured against its search's end on that side (EndCheck): is a further step beyond? */
  endCheck?: 'below' | 'above';
}

/**
 * Who took a block's samples. Verdicts compare only samples one machine took (runners differ in
 * speed); the sequential bisect runs on one machine, `LOCAL`.
 */
export const LOCAL = '';

/** What one job of a round brought back: its block's samples and the machine that took them. */
export type RoundResult =
  | { trial: number; machine: string; samples: Record<string, number[]> }
  /** The target could not be built or measured on the job's machine: skipped, as `skip` does. */
  | { trial: number; skipped: string };

export type RoundStep =
  | { type: 'round'; steps: (MeasureStep & { trial: number })[] }
  | { type: 'done'; outcome: Outcome };

export type Step = MeasureStep | { type: 'done'; outcome: Outcome };

interface Search {
  candidates: Bitset;
  bad: number;
  lo: string;
  hi: string;
  skipped: Set<number>;
  /**
   * The bad commit the search started from, and the commits it was to search: a search reopened after a
   * vanished step searches them again.
   */
  top: number;
  range: Bitset;
  /** Reopened once already (`searchPast`): it is not reopened again. */
  reopened?: boolean;
  /** An end check found a further step after its culprit, and searched the commits after it (`searchBeyond`). */
  searchedBeyond?: boolean;
  /** The good reference the search started from. */
  from: string;
  /** A verdict of this search left a further step open towards its good / bad reference. */
  openBelow?: boolean;
  openAbove?: boolean;
}

/**
 * A located step's end measured against its search's end on that side (the parent against the good end,
 * the culprit against the bad one): unlike it, a further step lies beyond, and is bisected.
 */
interface EndCheck {
  side: 'below' | 'above';
  culprit: number;
  search: Search;
}

interface Trial {
  target: string;
  refs: string[];
  purpose: Purpose;
  /** The decision this trial makes (1-based; the endpoints are 1). */
  decision: number;
  /** Target sample counts at which to look, and the next look's index. */
  looks: number[];
  look: number;
  /**
   * Fresh samples a reference gets by the first look (later looks: half the target's count; an end
   * check's search end as many as the target, its located step's other end one a look: next()).
   */
  freshAtFirst: number;
  samples: Map<string, number[]>;
  search?: Search;
  /** Counts trials from 0 (the endpoints), so a reference's samples from earlier trials can be told apart. */
  index: number;
  /** The machine of the latest block: `samples` are the ones it took for this trial. */
  machine: string;
  byMachine: Map<string, Map<string, number[]>>;
  /** Planned for a machine not known in advance (a round's job): every commit sampled afresh. */
  fresh?: boolean;
  /** Measured again because its last look leaned 'between': no earlier sample of a reference counts. */
  again?: boolean;
  /** Why its last look did not decide, for the next block's line. */
  open?: OpenQuestion;
  done?: boolean;
  /** The side a decided verdict trial puts its target on (the lean, for an inconclusive one). */
  effective?: Side;
  check?: EndCheck;
}

/**
 * The bisect as a pure state machine: it says what to measure, takes the samples, and decides.
 * No git, processes or clock: the harness drives it, the simulator in bench/ drives it too.
 */
export class BisectEngine {
  readonly graph: CommitGraph;
  /** The commits the engine was given, for a rehearsal of the rest of the bisect (rehearsalInput). */
  private readonly range: readonly RangeCommit[];
  private readonly good: string;
  private readonly bad: string;
  private readonly minSamples: number;
  private readonly maxSamples: number;
  private readonly beta: number;
  private readonly budget: ErrorBudget;
  private threshold: number | undefined;
  private thresholdSource = '';
  /** The good→bad change measured at the endpoints, and their noise a sample (MAD / median). */
  private delta = 0;
  /** Below this change bad counts as no regression (see deriveThreshold). */
  private noneBar = 0.05;
  private noise = 0;
  /** Every commit's samples, block by block, with the trial that took them. */
  private readonly taken = new Map<string, { trial: number; machine: string; values: number[] }[]>();
  private trials = 0;
  /** Trials measured again (measureAgain), by index: their samples of their target are not pooled later. */
  private replaced = new Map<number, string>();
  /** Each trial's target, and its references, by index. */
  private readonly trialTargets: string[] = [];
  private readonly trialRefs: string[][] = [];
  private decisions = 0;
  private readonly verdicts: CommitVerdict[] = [];
  private readonly searches: Search[] = [];
  private readonly checks: EndCheck[] = [];
  private endChecks = 0;
  /** Driven by rounds (nextRound), even of one job: verdicts are applied a round at a time there. */
  private inRounds = false;
  /** Located steps; `doubted`: its figures were not from samples taken side by side when it was measured again. */
  private readonly found: { sha: number; search: Search; confirmed?: boolean; doubted?: boolean }[] = [];
  /** Steps a search closed on that measured beside their parent showed no step of the threshold. */
  private readonly vanished: CulpritFinding[] = [];
  private readonly suspects: Set<number> = new Set();
  private trial: Trial | undefined;
  /** Rounds (`nextRound`): the trials measured now, and the undecided ones that carry on next round. */
  private inFlight: Trial[] = [];
  private pending: Trial[] = [];
  /** Round trials that ended without deciding (skipped, or their commit no longer in question). */
  private unmade = 0;
  /** Out of time (--budget): every trial ends at its current look. */
  private hurried = false;
  private confidence: number;
  private endpoints: Outcome['endpoints'] | undefined;
  private outcome: Outcome | undefined;

  constructor(
    commits: readonly RangeCommit[],
    ends: { good: string; bad: string },
    private readonly opts: EngineOptions,
    private readonly rng: Rng,
    private readonly graphOpts: { firstParent?: boolean } = {},
  ) {
    this.range = commits;
    this.graph = graphOf(commits, graphOpts);
    this.good = ends.good;
    this.bad = ends.bad;
    if (!this.graph.index.has(this.bad)) throw new Error(`bad commit ${this.bad} is not in the range`);
    this.minSamples = opts.deterministic ? 1 : Math.max(2, opts.minSamples);
    this.maxSamples = opts.deterministic ? 1 : Math.max(this.minSamples, opts.maxSamples);
    this.beta = opts.beta ?? DEFAULT_BETA;
    this.confidence = opts.confidence;
    this.budget = new ErrorBudget(1 - opts.confidence, plannedDecisions(this.graph.size, opts.width ?? 1));
    this.threshold = opts.threshold;
    if (opts.threshold !== undefined) this.thresholdSource = 'set with --threshold';
    this.trial = this.newTrial(this.bad, [this.good], 'endpoints');
  }

  /**
   * The fewest samples a side with which the endpoints could be decided at all (a rank test of n
   * samples against n cannot reach p below 1 / C(2n, n)): a --max-samples below it can never find a
   * regression. 1 for deterministic metrics.
   */
  get samplesNeeded(): number {
    return this.opts.deterministic ? 1 : fewestDecisive(this.budget.decision(1), 2, 1000);
  }

  /**
   * The endpoints' figures once they are decided, for the forecast of what the noise will cost
   * (src/bisect/forecast.ts): noise a sample, the good→bad change, and the verdicts still to make.
   */
  forecastInput(secondsPerRun: number, secondsPerBuild: number): ForecastInput | undefined {
    // From the endpoints' first look on (their noise is what a user can act on early, as --metric cpu),
    // until the run is over: a run that ends at its endpoints has nothing to forecast.
    if (this.threshold === undefined || !this.taken.has(this.bad) || this.outcome || this.opts.deterministic)
      return undefined;
    const cv = this.noise;
    const planned = this.budget.planned;
    return {
      cv,
      delta: this.delta,
      threshold: this.threshold,
      alpha: this.budget.look(planned, 0, 2),
      minStep: this.minStep!,
      beta: this.beta,
      ...(this.opts.oneStep ? { oneStep: true } : {}),
      ...(this.sideFirst ? { sideFirst: true } : {}),
      verdicts: Math.max(1, planned - this.decisions),
      secondsPerRun,
      secondsPerBuild,
      minSamples: fewestDecisive(
        this.budget.look(planned, 0, 2),
        this.minSamples,
        this.maxSamples,
        2 * this.minSamples,
      ),
      maxSamples: this.maxSamples,
    };
  }

  /** What src/bisect/rehearsal.ts needs to replay the rest of this bisect on made-up samples. */
  rehearsalInput(): RehearsalInput | undefined {
    if (this.threshold === undefined || this.opts.deterministic) return undefined;
    const values = (sha: string) => (this.taken.get(sha) ?? []).flatMap((t) => t.values);
    return {
      range: this.range,
      ends: { good: this.good, bad: this.bad },
      graphOpts: this.graphOpts,
      good: values(this.good),
      bad: values(this.bad),
      options: { ...this.opts, confidence: this.confidence, threshold: this.threshold },
    };
  }

  get currentConfidence(): number {
    return this.confidence;
  }

  /** Trade certainty for time (--budget): the decisions from now on may spend up to 1 − confidence. */
  relax(confidence: number): void {
    if (confidence >= this.confidence) return;
    this.confidence = confidence;
    this.budget.raise(1 - confidence);
  }

  /** Out of time (--budget): every trial from now on ends at its next look, inconclusive if it must. */
  hurry(): void {
    this.hurried = true;
  }

  get verdictList(): readonly CommitVerdict[] {
    return this.verdicts;
  }

  progress(): SearchProgress {
    const base = { decisions: this.decisions - this.unmade, spent: this.budget.spent, budget: this.budget.total };
    if (this.outcome) return { endpoints: true, searches: [], remaining: 0, verdictsLeft: 0, ...base, done: true };
    const parts = (this.opts.width ?? 1) + 1;
    // Rounded first, as in plannedDecisions: log(n) / log(k+1) is not exact for powers of k+1.
    const verdictsFor = (n: number) => (n > 1 ? Math.ceil(Number((Math.log(n) / Math.log(parts)).toFixed(9))) : 0);
    if (!this.endpoints) {
      const all = this.graph.ancestors[this.graph.index.get(this.bad)!].count();
      return { endpoints: false, searches: [], remaining: all, verdictsLeft: verdictsFor(all), ...base, done: false };
    }
    const searches = this.searches.map((s) => ({ good: s.lo, bad: s.hi, candidates: s.candidates.count() }));
    // A located step's end still to be checked for a further step beyond it is one verdict more, on one commit.
    const wanted = this.checks.filter((c) => this.checkWanted(c)).length;
    const checks = wanted + (this.trial?.check && !this.trial.done ? 1 : 0);
    return {
      endpoints: true, searches, remaining: searches.reduce((n, s) => n + s.candidates, checks),
      verdictsLeft: searches.reduce((n, s) => n + verdictsFor(s.candidates), checks), ...base, done: false,
    };
  }

  /** The endpoints' decision (the first of the bisect), once it is made. */
  get endpointsDecision(): Outcome['endpoints'] | undefined {
    return this.endpoints;
  }

  get currentThreshold(): { value: number; source: string } | undefined {
    return this.threshold === undefined ? undefined : { value: this.threshold, source: this.thresholdSource };
  }

  /**
   * The smallest further step looked for between two references, once the endpoints are known. The
   * threshold; an eighth of the good→bad change, so a 10× regression is not sampled to a 5%
   * precision (a quarter hid an 8% step inside a 35% change: bench/accuracy.ts); and what the noise
   * lets a verdict resolve at the lenient level by its second look (about 10 target samples against
   * 20 of a reference), so that looking for a further step costs samples only where the data hint at one.
   */
  get minStep(): number | undefined {
    if (this.threshold === undefined) return undefined;
    const resolvable = this.opts.deterministic
      ? 0
      : zFor(2 * this.beta) * 1.02 * this.noise * Math.sqrt(1 / 10 + 1 / 20);
    return Math.max(this.threshold, this.delta / 8, resolvable);
  }

  /**
   * Which of minStep's bounds sets it, said with the noise so that a "minimum further step" is no
   * riddle; none with --one-step, which looks for no further step.
   */
  get minStepSource(): 'threshold' | 'change' | 'noise' | undefined {
    const step = this.minStep;
    if (step === undefined || this.opts.oneStep) return undefined;
    return step === this.threshold ? 'threshold' : step === this.delta / 8 ? 'change' : 'noise';
  }

  /**
   * The minimum step towards the bad reference, in the good one's units, where bad's median is
   * `scale` times good's and the references lie `span` apart. Like the threshold and the noise it
   * scales with the reference; but a commit is like bad only if it is nearer bad than good, so it is
   * at most half the way between them, or the minimum step from good if that is larger (an eighth of
   * a 200-fold change, taken relative to bad, would call a commit at good's level bad).
   */
  private minStepTowardsBad(scale: number, span: number): number {
    const step = this.minStep!;
    return Math.min(step * scale, Math.max(span / 2, step));
  }

  /** The error rate of a planned decision's last look: what the threshold's resolution is worked out at. */
  get perComparisonAlpha(): number {
    const k = this.budget.planned;
    const n = looks(this.minSamples, this.maxSamples).length;
    return this.budget.look(k, n - 1, n);
  }

  /**
   * The commits the search will measure next, whichever way the current trial goes (good or bad):
   * what a harness can build while the trial is measured.
   */
  nextTargets(): string[] {
    const t = this.trial;
    if (!t) return [];
    if (t.purpose === 'endpoints') {
      const bad = this.graph.index.get(this.bad)!;
      const next = this.graph.midpoint(this.graph.ancestors[bad], (i) => i === bad);
      return next === undefined ? [] : [this.graph.shas[next]];
    }
    const s = t.search;
    if (!s) return [];
    const x = this.graph.index.get(t.target)!;
    const ifGood = s.candidates.clone();
    ifGood.andNot(this.graph.ancestors[x]);
    const ifBad = s.candidates.clone();
    ifBad.and(this.graph.ancestors[x]);
    const out = [this.midpointOf(ifGood, s.bad, s.skipped), this.midpointOf(ifBad, x, s.skipped)];
    return out.filter((i): i is number => i !== undefined).map((i) => this.graph.shas[i]);
  }

  /** A commit's blocks that decisions may use (on `machine`): not those of a trial it replaced as the target. */
  private blocksOf(sha: string, machine: string) {
    return (this.taken.get(sha) ?? []).filter((b) => b.machine === machine && this.replaced.get(b.trial) !== sha);
  }

  /** Samples of every commit measured so far, in the order taken (only those `machine` took, when given). */
  samplesOf(sha: string, machine?: string): number[] {
    const blocks = (this.taken.get(sha) ?? []).filter((b) => machine === undefined || b.machine === machine);
    return blocks.flatMap((b) => b.values);
  }

  /** The machines that measured a commit, in the order they first did. */
  machinesOf(sha: string): string[] {
    return [...new Set((this.taken.get(sha) ?? []).map((b) => b.machine))];
  }

  next(): Step {
    if (this.outcome) return { type: 'done', outcome: this.outcome };
    if (!this.trial) this.startNextTrial();
    if (this.outcome) return { type: 'done', outcome: this.outcome };
    const t = this.trial!;
    const want = t.looks[t.look];
    const count = (sha: string) => t.samples.get(sha)?.length ?? 0;
    if (this.opts.deterministic) {
      // A deterministic metric does not drift: a reference measured once is not measured again.
      const refs = t.refs.filter((r) => !this.taken.has(r));
      return { type: 'measure', target: t.target, refs, order: [...refs, t.target], rounds: 1, purpose: t.purpose };
    }
    // The endpoints take as many of each; a verdict's references take a few fresh samples at the first
    // look (their earlier samples count too) and half the target's count after. An end check compares
    // its commit with one reference only: that one takes as many, the other one a sample a look, for
    // the guards against a machine that changed speed (in simulation, a ×2.4 step at 10% lognormal noise
    // took 12% fewer probe runs than with half the target's count each).
    const refWant = (r: string) => {
      if (t.check) return r === givenEnd(t.check, t.refs) ? t.look + 1 : want;
      return t.purpose !== 'verdict' ? want : t.look === 0 && !t.again ? t.freshAtFirst : Math.ceil(want / 2);
    };
    const counts: [string, number][] = [
      ...t.refs.map((r) => [r, Math.max(0, refWant(r) - count(r))] as [string, number]),
      [t.target, Math.max(1, want - count(t.target))],
    ];
    const order = blockOrder(counts.filter(([, c]) => c > 0), this.rng);
    return {
      type: 'measure',
      target: t.target,
      refs: t.refs,
      order,
      rounds: Math.max(...counts.map(([, c]) => c)),
      purpose: t.purpose,
      look: t.look + 1,
      ...(t.open ? { open: t.open } : {}),
      ...(t.again && t.look === 0 ? { again: true as const } : {}),
      ...(t.check ? { endCheck: t.check.side } : {}),
    };
  }

  /** Samples of one measured block, keyed by commit, and the machine that took them. */
  record(samples: Record<string, number[]>, machine = LOCAL): void {
    const t = this.trial;
    if (!t) throw new Error('no measurement was asked for');
    this.take(t, samples, machine);
  }

  /** A block's samples into its trial (as the samples of `machine`), then the trial's look, if one is due. */
  private take(t: Trial, samples: Record<string, number[]>, machine: string): void {
    if (machine !== t.machine) {
      t.machine = machine;
      t.samples = t.byMachine.get(machine) ?? new Map();
      t.byMachine.set(machine, t.samples);
    }
    for (const [sha, values] of Object.entries(samples)) {
      if (!values.length) continue;
      t.samples.set(sha, [...(t.samples.get(sha) ?? []), ...values]);
      this.taken.set(sha, [...(this.taken.get(sha) ?? []), { trial: t.index, machine, values }]);
    }
    const have = t.samples.get(t.target)?.length ?? 0;
    // Looks the samples have reached; the last one reached is the one evaluated.
    let look = t.look;
    while (look < t.looks.length - 1 && t.looks[look + 1] <= have) look++;
    t.look = look;
    if (have < t.looks[look] && !this.opts.deterministic) return;
    if (t.purpose === 'endpoints') this.decideEndpoints(t);
    else if (t.purpose === 'confirm') this.decideConfirm(t);
    else this.decideVerdict(t, !t.fresh);
    if (!t.done) t.look = Math.min(t.look + 1, t.looks.length - 1);
  }

  /** The target could not be built or measured: skip it, as `git bisect skip` does. */
  skip(reason: string): void {
    const t = this.trial;
    if (t?.check) {
      // A located step's end that measured before and cannot now: the check is not made, and the result says so.
      this.decisions--;
      this.endChecks--;
      const what = t.check.side === 'below' ? 'the culprit\'s parent against the good end' : 'the culprit against the bad end';
      this.verdicts.push({ sha: t.target, verdict: 'skipped', refs: t.refs, samples: 0, reason: `${reason}; ${what} of its search was not checked` });
      this.trial = undefined;
      return;
    }
    if (!t || t.purpose !== 'verdict' || !t.search) throw new Error('only a commit inside the range can be skipped');
    t.search.skipped.add(this.graph.index.get(t.target)!);
    this.verdicts.push({ sha: t.target, verdict: 'skipped', refs: t.refs, samples: 0, reason });
    // A skipped commit decided nothing: its decision number goes to the next trial.
    this.decisions--;
    this.trial = undefined;
  }

  /**
   * The next round for k machines at once: up to k blocks, each measuring its target beside its
   * search's references on one machine (a job). The targets split the commits in question into
   * k+1 parts of about equal size, so a bisect takes about ⌈log_{k+1} N⌉ rounds after the endpoints.
   * Trials a round left undecided are measured again (afresh, on whichever machine takes them),
   * beside new targets. Hand every job's samples back with `recordRound`.
   */
  nextRound(k: number): RoundStep {
    if (!Number.isInteger(k) || k < 1) throw new Error(`a round needs at least one machine, got ${k}`);
    if (this.inFlight.length) throw new Error('the last round was not recorded');
    this.inRounds = true;
    const trials = this.outcome ? [] : this.planRound(k);
    if (this.outcome) return { type: 'done', outcome: this.outcome };
    this.inFlight = trials;
    return { type: 'round', steps: trials.map((t) => this.freshStep(t)) };
  }

  /**
   * The jobs' results, one per job that ran (a job left out is measured again next round). Each
   * trial looks at the samples its own machine took; the round's verdicts are then applied
   * together: good ones first (the newest first), then the ones between two steps, then bad ones
   * (the oldest first). A verdict whose commit an earlier one already ruled out changes nothing.
   */
  recordRound(results: readonly RoundResult[]): void {
    const trials = this.inFlight;
    if (!trials.length) throw new Error('no round was asked for');
    for (const r of results) {
      const t = trials.find((x) => x.index === r.trial);
      if (!t) throw new Error(`trial ${r.trial} is not in this round`);
      if ('skipped' in r) this.skipTrial(t, r.skipped);
      else this.take(t, r.samples, r.machine);
    }
    this.inFlight = [];
    if (this.outcome) return;
    const at = (t: Trial) => this.graph.index.get(t.target)!;
    const decided = trials.filter((t) => t.purpose === 'verdict' && t.done && t.effective);
    const side = (v: Side, newestFirst: boolean) =>
      decided.filter((t) => t.effective === v).sort((a, b) => (newestFirst ? at(b) - at(a) : at(a) - at(b)));
    for (const t of [...side('good', true), ...side('between', false), ...side('bad', false)]) {
      const s = this.searchHolding(at(t));
      if (s) this.applyVerdict(s, t.target, t.effective!);
    }
    for (const t of trials) {
      if (t.done || t.purpose === 'endpoints') continue;
      if (t.purpose === 'confirm' || this.searchHolding(at(t))) this.pending.push(t);
      else {
        t.done = true;
        this.unmade++;
      }
    }
  }

  /** A round's target that could not be built or measured, skipped as `git bisect skip` does. */
  private skipTrial(t: Trial, reason: string): void {
    if (t.purpose !== 'verdict') throw new Error('only a commit inside the range can be skipped');
    this.searchHolding(this.graph.index.get(t.target)!)?.skipped.add(this.graph.index.get(t.target)!);
    this.verdicts.push({ sha: t.target, verdict: 'skipped', refs: t.refs, samples: 0, reason });
    t.done = true;
    this.unmade++;
  }

  /** The search whose commits in question include commit x. */
  private searchHolding(x: number): Search | undefined {
    return this.searches.find((s) => s.candidates.has(x) && s.bad !== x);
  }

  private planRound(k: number): Trial[] {
    if (this.trial) {
      const t = this.trial;
      if (!t.fresh && !t.samples.size && !this.opts.deterministic && t.purpose === 'endpoints') {
        // The endpoints' samples set the noise every later job is sized by: more of them at once on a fleet.
        t.looks = looks(Math.max(t.looks[0], FLEET_ENDPOINT_SAMPLES), this.maxSamples);
      }
      t.fresh = true;
      return [t];
    }
    // A search with nothing left to measure ends here, as in startNextTrial.
    for (const s of [...this.searches]) {
      if (this.midpointOf(s.candidates, s.bad, s.skipped) !== undefined) continue;
      this.searches.splice(this.searches.indexOf(s), 1);
      const left = s.candidates.toArray();
      if (left.length === 1) this.found.push({ sha: s.bad, search: s });
      else for (const i of left) this.suspects.add(i);
    }
    const trials = this.pending.splice(0);
    for (const { s, x } of this.splits(k - trials.length, trials)) {
      trials.push(this.newTrial(this.graph.shas[x], [s.lo, s.hi], 'verdict', s, true));
    }
    if (trials.length) return trials;
    if (this.reopenMisled()) return this.planRound(k);
    // Every search has ended: the located steps whose size is unclear are measured beside their
    // parents (several at once), as the sequential bisect does one by one.
    for (const f of this.found) {
      if (trials.length >= k || this.opts.deterministic) break;
      if (f.confirmed || !this.unsettled(this.finding(f.sha, f.search))) continue;
      f.confirmed = true;
      const finding = this.finding(f.sha, f.search);
      f.doubted = !finding.sideBySide;
      this.decisions--; // a step's size is reported, not decided: it spends nothing of the error budget
      trials.push(this.newTrial(finding.sha, [finding.before], 'confirm', undefined, true));
    }
    if (!trials.length) this.finish(this.suspects.size ? 'ambiguous' : 'found');
    return trials;
  }

  /**
   * Where a round's new targets go: each to the part of a search (between two commits being
   * measured, or the search's ends) that is largest for the targets it already has, and inside a
   * part at even spacing by the count of commits in question below each commit (git bisect's
   * measure, so merges are handled as it handles them).
   */
  private splits(slots: number, busy: readonly Trial[]): { s: Search; x: number }[] {
    const busyAt = new Set(busy.map((t) => this.graph.index.get(t.target)!));
    const gaps: { s: Search; lo: number; hi: number; free: { x: number; below: number }[]; n: number }[] = [];
    for (const s of this.searches) {
      const below = (x: number) => this.graph.ancestors[x].countAnd(s.candidates);
      const inside = [...busyAt].filter((x) => s.candidates.has(x)).map(below);
      const points = [0, s.candidates.count(), ...inside].sort((a, b) => a - b);
      const free = s.candidates.toArray()
        .filter((x) => x !== s.bad && !s.skipped.has(x) && !busyAt.has(x))
        .map((x) => ({ x, below: below(x) }));
      for (let j = 0; j + 1 < points.length; j++) {
        const [lo, hi] = [points[j], points[j + 1]];
        gaps.push({ s, lo, hi, free: free.filter((c) => c.below > lo && c.below <= hi), n: 0 });
      }
    }
    for (let slot = 0; slot < slots; slot++) {
      const open = gaps.filter((g) => g.free.length > g.n);
      if (!open.length) break;
      open.reduce((a, b) => ((b.hi - b.lo) / (b.n + 1) > (a.hi - a.lo) / (a.n + 1) ? b : a)).n++;
    }
    const out: { s: Search; x: number }[] = [];
    for (const g of gaps) {
      const left = [...g.free];
      for (let j = 1; j <= g.n; j++) {
        const want = g.lo + ((g.hi - g.lo) * j) / (g.n + 1);
        const best = left.reduce((a, b) => (Math.abs(b.below - want) < Math.abs(a.below - want) ? b : a));
        left.splice(left.indexOf(best), 1);
        out.push({ s: g.s, x: best.x });
      }
    }
    return out;
  }

  /** A round's block for a machine not known in advance: the target and each reference afresh, as many of each. */
  private freshStep(t: Trial): MeasureStep & { trial: number } {
    const base = { type: 'measure' as const, target: t.target, refs: t.refs, purpose: t.purpose, trial: t.index };
    if (this.opts.deterministic) return { ...base, order: [...t.refs, t.target], rounds: 1 };
    const want = t.looks[t.look];
    const order = blockOrder([...t.refs, t.target].map((sha) => [sha, want] as [string, number]), this.rng);
    return { ...base, order, rounds: want };
  }

  private isFinalLook(t: Trial): boolean {
    return this.hurried || t.look >= t.looks.length - 1;
  }

  /**
   * A new trial and its looks. The first look is the fewest target samples that could decide at that
   * look's error rate against what the references have (a rank test of 3 samples against 5 cannot reach
   * p = 0.001 whatever they show), and never fewer than --min-samples.
   */
  private newTrial(
    target: string,
    refs: string[],
    purpose: Trial['purpose'],
    search?: Search,
    fresh = false,
    again = false,
  ): Trial {
    const decision = ++this.decisions;
    const index = this.trials++;
    this.trialTargets[index] = target;
    this.trialRefs[index] = refs;
    const samples = new Map<string, number[]>();
    const trial: Trial = {
      target, refs, purpose, decision, looks: [1], look: 0, freshAtFirst: 0, samples, search, index,
      machine: LOCAL, byMachine: new Map([[LOCAL, samples]]), fresh, again,
    };
    if (this.opts.deterministic) return trial;
    const planned = looks(this.minSamples, this.maxSamples).length;
    const alpha = this.budget.look(decision, 0, planned);
    let first: number;
    if (purpose === 'endpoints') {
      first = fewestDecisive(alpha, this.minSamples, this.maxSamples);
    } else if (purpose === 'confirm') {
      first = Math.min(this.maxSamples, Math.max(this.minSamples, 2 * SIDE_BY_SIDE_ENOUGH));
    } else if (fresh) {
      // A job on a machine not known in advance: no earlier samples to lean on, as many of each;
      // and enough that the verdict is likely decided in this one round (a further look costs a round).
      const decisive = fewestDecisive(alpha, this.minSamples, this.maxSamples);
      first = Math.min(this.maxSamples, Math.max(decisive, this.oneRoundSamples(alpha)));
    } else if (again) {
      // No earlier samples of the references count, and they take half the target's count (next(); an
      // end check's as there).
      first = fewestDecisive(alpha, this.minSamples, this.maxSamples, (n) => Math.ceil(n / 2));
    } else {
      trial.freshAtFirst = FRESH_AT_FIRST_LOOK;
      const known = Math.min(...refs.map((r) => this.samplesOf(r).length)) + trial.freshAtFirst;
      first = fewestDecisive(alpha, this.minSamples, this.maxSamples, known);
    }
    trial.looks = looks(first, this.maxSamples);
    return trial;
  }

  /**
   * Samples a side with which a commit at either level is likely (90%) decided at the first look,
   * under the noise the endpoints showed: strictly unlike the other level, and like its own level
   * within the minimum step at the lenient level. On a fleet a
   * look that cannot decide costs a whole round (builds included), samples cost seconds.
   */
  private oneRoundSamples(alpha: number): number {
    const tau = this.threshold ?? 0;
    const minStep = this.minStep ?? tau;
    const noise = Math.max(this.noise, 0.001) * 1.02 * ONE_ROUND_NOISE;
    const power = zFor(2 * 0.1);
    const margin = this.delta;
    const strict = margin > 0 ? 2 * (((zFor(2 * alpha) + power) * noise) / margin) ** 2 : 0;
    const asksLike = minStep > 0 && !this.opts.oneStep;
    const lenient = asksLike ? 2 * (((zFor(2 * this.beta) + power) * noise) / minStep) ** 2 : 0;
    return Math.ceil(Math.max(strict, lenient));
  }

  /**
   * A reference's samples for a verdict: all it has, earlier trials' too, so a clear change is decided
   * in a handful of the target's samples. Earlier samples are left out when this trial's fresh ones
   * say the machine changed speed since (see `moved`: from the second look, when there are enough of
   * them; at the first look the beyond-both rule in decideVerdict stands in); a verdict on pooled
   * samples must also be borne out by the fresh samples alone (decideVerdict).
   */
  private refSamples(ref: string, t: Trial): { values: number[]; pooled: boolean } {
    if (this.opts.deterministic) return { values: this.samplesOf(ref, t.machine), pooled: false };
    const fresh = t.samples.get(ref) ?? [];
    if (t.again) return { values: fresh, pooled: false };
    const earlier = this.blocksOf(ref, t.machine)
      .filter((b) => b.trial !== t.index)
      .flatMap((b) => b.values);
    if (!earlier.length || moved(earlier, fresh)) return { values: fresh, pooled: false };
    return { values: [...earlier, ...fresh], pooled: true };
  }

  /** The estimates against each reference (each in its own units) where the commit lies beyond both. */
  private beyondBoth(
    lo: readonly number[],
    hi: readonly number[],
    target: readonly number[],
  ): { vsGood: number; vsBad: number } | undefined {
    const [vsLo, vsHi] = [this.rel(lo, target), this.rel(hi, target)];
    const half = this.threshold! / 2;
    const worse = Math.min(vsLo.worseAtLeast(this.beta), vsHi.worseAtLeast(this.beta)) > half;
    const better = Math.max(vsLo.worseAtMost(this.beta), vsHi.worseAtMost(this.beta)) < -half;
    return worse || better ? { vsGood: vsLo.worse, vsBad: vsHi.worse } : undefined;
  }

  /** `cand` against `ref`, as fractions of `unit` (by default ref's median). */
  private rel(ref: readonly number[], cand: readonly number[], unit?: number): Relative {
    return new Relative(ref, cand, this.opts.better, this.opts.deterministic, unit);
  }

  private lookAlpha(t: Trial): number {
    return this.opts.deterministic ? 0 : this.budget.look(t.decision, t.look, t.looks.length);
  }

  private decideEndpoints(t: Trial): void {
    // Re-derived at each look of the endpoints, so the final default rests on all their samples.
    this.deriveThreshold(t);
    const alpha = this.lookAlpha(t);
    this.budget.spend(alpha);
    const good = t.samples.get(this.good)!;
    const bad = t.samples.get(this.bad)!;
    const r = this.rel(good, bad);
    const tau = this.threshold!;
    // Two disjoint questions share the look's error rate: is bad worse than good (regression), or
    // not worse by the threshold (none)? At most one of them can be wrongly answered.
    const regression = this.opts.deterministic
      ? r.worse >= tau && r.worse > 0
      : r.worseAtLeast(alpha) > 0 && r.worse >= tau;
    const none = this.opts.deterministic ? !regression : r.worseAtMost(alpha) < this.noneBar;
    if (!regression && !none && !this.isFinalLook(t)) return;
    // With no step to bisect, the change that matters is the one the result speaks for (no regression
    // of it, or none shown either way): half a shift of nothing, at the 1% floor, would contradict it.
    const derived = this.opts.threshold === undefined && !this.opts.deterministic;
    if (!regression && derived && this.noneBar !== this.threshold) {
      this.threshold = this.noneBar;
      this.thresholdSource = this.noneBar > 0.05
        ? `the ${pct(this.noneBar)} the measured noise (${pct(this.noise)} a sample) can resolve, the smallest change this run could speak for`
        : 'default: 5%, the smallest change worth bisecting';
    }
    const ratio = this.ratioOf(good, bad);
    this.endpoints = {
      comparison: r.summary(2 * alpha, this.threshold!),
      ratio: ratio.ratio,
      ratioCi: [ratio.lo, ratio.hi],
      good: summarize(good),
      bad: summarize(bad),
      inconclusive: !regression && !none,
    };
    this.trial = undefined;
    t.done = true;
    if (!regression) {
      this.finish(none ? 'no-regression' : 'undecided');
      return;
    }
    const badIndex = this.graph.index.get(this.bad)!;
    const candidates = Bitset.full(this.graph.size).clone();
    // The range may include commits not reachable from bad (never, from git rev-list): keep ancestors of bad only.
    candidates.and(this.graph.ancestors[badIndex]);
    const range = candidates.clone();
    const [lo, hi, top] = [this.good, this.bad, badIndex];
    this.searches.push({ candidates, bad: badIndex, lo, hi, skipped: new Set(), top, range, from: lo });
  }

  /**
   * Half the good→bad change, so a commit between two steps can be told from both ends; but never
   * below what the measured noise lets a verdict resolve at the maximum samples, and never above 5%
   * unless the noise forces it.
   */
  private deriveThreshold(t: Trial): void {
    const good = t.samples.get(this.good) ?? [];
    const bad = t.samples.get(this.bad) ?? [];
    const delta = Math.max(0, this.rel(good, bad).worse);
    this.delta = delta;
    const cv = (summarize(good).cv + summarize(bad).cv) / 2;
    this.noise = cv;
    const n = this.maxSamples;
    // Hodges-Lehmann's one-sided bound for n target and n/2 reference samples (efficiency ~0.95 vs the mean).
    const resolvable = zFor(2 * this.perComparisonAlpha) * 1.02 * cv * Math.sqrt(1 / n + 2 / n);
    // "No regression" is claimed only below a change worth bisecting: the threshold when given, else 5%
    // or what the noise can resolve. Short of that and not a significant regression: undecided.
    this.noneBar = this.opts.threshold ?? (this.opts.deterministic ? 0 : Math.max(0.05, resolvable));
    if (this.opts.threshold !== undefined) return;
    if (this.opts.deterministic) {
      this.threshold = delta > 0 ? Math.min(0.05, delta / 2) : 0.01;
      this.thresholdSource =
        delta > 0 ? `default: half the good→bad change (${pct(delta)}), at most 5%` : 'default: 1% (good→bad did not worsen)';
      return;
    }
    const threshold = Math.max(0.01, Math.min(delta / 2, Math.max(0.05, resolvable)));
    this.threshold = threshold;
    // Raised only as far as it shows: 5.04% reads 5.0%, and nothing was raised to a reader.
    const raised = threshold > 0.05 && pct(threshold) !== pct(0.05);
    const noise = `the measured noise (${pct(cv)} a sample)`;
    // Said in the order a reader needs it: what the figure is, then the rule it departs from.
    const shift = `the good→bad shift (${pct(delta)}, Hodges-Lehmann)`;
    this.thresholdSource = !raised
      ? `default: half ${shift}, within 1–5%`
      : threshold === resolvable
        ? `default: 5%, raised to the ${pct(resolvable)} ${noise} can resolve; at most half ${shift}`
        : `default: 5%, raised to half ${shift}, short of the ${pct(resolvable)} ${noise} can resolve`;
  }

  /**
   * A verdict trial's look. With `apply` (the sequential bisect) the verdict narrows the search at
   * once; a round's verdicts are applied together, in an order that keeps them consistent (applyRound).
   */
  private decideVerdict(t: Trial, apply: boolean): void {
    const [loRef, hiRef] = t.refs;
    const own = t.check ? this.refSamples(t.target, t) : { values: t.samples.get(t.target) ?? [], pooled: false };
    const target = own.values;
    let lo = this.refSamples(loRef, t);
    let hi = this.refSamples(hiRef, t);
    let beyond: { vsGood: number; vsBad: number } | undefined;
    // Beyond both references on one side by more than half the threshold (at the lenient level: this
    // only costs samples): where a history only steps one way, the likelier cause is a machine that
    // changed speed since the references' earlier samples, which their few fresh ones need not show.
    // Then the side-by-side samples alone decide, at a later look; at the last one there are no more
    // samples to take, and the pooled verdict stands if its fresh samples bear it out (below).
    if ((lo.pooled || hi.pooled) && !this.isFinalLook(t)) beyond = this.beyondBoth(lo.values, hi.values, target);
    if (beyond) {
      lo = { values: t.samples.get(loRef) ?? [], pooled: false };
      hi = { values: t.samples.get(hiRef) ?? [], pooled: false };
    }
    // Both comparisons in units of the good reference, as the threshold and the minimum step are:
    // a commit's place between references a hundredfold apart is then where its value lies.
    const unit = median(lo.values);
    const vsLo = this.rel(lo.values, target);
    const vsHi = this.rel(hi.values, target, unit);
    // Relative falls back to a unit of 1 where good's median is 0; so do the scale and the span here.
    const hiMedian = median(hi.values);
    const loScale = Math.abs(unit) || 1;
    const hiScale = Math.abs(hiMedian) / loScale || 1;
    const span = Math.abs(hiMedian - unit) / loScale;
    const alpha = this.lookAlpha(t);
    this.budget.spend(alpha);
    const levels: VerdictLevels = {
      alpha,
      beta: t.check ? this.beta / END_CHECK_BETA_SHARE : this.beta,
      threshold: this.threshold!,
      minStep: this.minStep!,
      minStepHi: this.minStepTowardsBad(hiScale, span),
      // A check's "like" is shown at its own level, never taken from the estimate alone.
      settled: t.look >= 2 && !t.check,
      oneStep: !!this.opts.oneStep,
      ...(this.sideFirst && !t.check ? { sideFirst: true } : {}),
      firstOfSeveral: t.look === 0 && !this.isFinalLook(t),
    };
    const seen = factsOf(vsLo, vsHi, levels);
    const facts = t.check ? locatedStepGiven(seen, t.check) : seen;
    const supported = decide(facts);
    let verdict: Side | undefined = supported;
    // A verdict resting on the references' earlier samples stands only if this trial's fresh samples
    // alone put the commit on the same side of the midpoint: if the machine changed speed since, they
    // would not. A step on each side splits the search (for an end check: opens a search of its own), and
    // the estimates of a fresh sample or two cannot tell a machine that changed speed from a step: there
    // the fresh samples must show the commit unlike each reference the question is about, by half the
    // threshold and at the lenient level (β, not a check's β/5, which makes "like" harder to show, not
    // "unlike"). An end check asks about one side only; the other is given (locatedStepGiven).
    if (verdict && (lo.pooled || hi.pooled || own.pooled)) {
      const freshLo = t.samples.get(loRef) ?? [];
      const freshTarget = t.samples.get(t.target) ?? [];
      const vsFreshLo = this.rel(freshLo, freshTarget);
      const vsFreshHi = this.rel(t.samples.get(hiRef) ?? [], freshTarget, median(freshLo));
      const [g, b] = [vsFreshLo.worse, vsFreshHi.worse];
      const asked = (side: EndCheck['side']) => !t.check || t.check.side === side;
      const ok =
        verdict === 'between'
          ? (!asked('below') || (g > levels.threshold / 2 && vsFreshLo.worseAtLeast(this.beta) > 0)) &&
            (!asked('above') || (b < -levels.threshold / 2 && vsFreshHi.worseAtMost(this.beta) < 0))
          : verdict === 'bad'
            ? positionOf(g, b) > 0.5
            : positionOf(g, b) < 0.5;
      if (!ok) verdict = undefined;
    }
    let leaning: Side | undefined;
    if (!verdict) {
      if (!this.isFinalLook(t)) {
        // Beyond both is what the pooled samples show; the fresh ones alone need not show it yet.
        const estimates = beyond ?? { vsGood: vsLo.worse, vsBad: vsHi.worse / hiScale };
        // A verdict the facts supported but the fresh samples alone did not bear out.
        const kind = beyond ? 'beyond-both' : supported === 'between' ? 'between' : supported ? 'fresh' : undefined;
        t.open = openQuestion(facts, levels, estimates, hiScale, kind);
        return;
      }
      leaning = lean(facts);
      if (leaning === 'between' && apply && !t.again && !this.hurried) {
        this.measureAgain(t);
        return;
      }
    }
    // A bad verdict's figures are stated relative to bad, the reference it found the commit like.
    const ownUnit = verdict === 'bad' ? hiScale : 1;
    const unresolved = open(verdict, facts) / ownUnit;
    this.verdicts.push({
      sha: t.target,
      verdict: verdict ?? 'inconclusive',
      lean: leaning,
      refs: t.refs,
      vsGood: vsLo.summary(2 * alpha, levels.threshold),
      vsBad: this.rel(hi.values, target).summary(2 * alpha, levels.threshold),
      samples: target.length,
      decision: t.decision,
      alpha,
      look: t.look + 1,
      pooled: lo.pooled || hi.pooled,
      ...(own.pooled ? { targetPooled: true as const } : {}),
      // With one step looked for no further step was, of any size.
      ...(levels.oneStep ? {} : { minStep: verdict === 'bad' ? levels.minStepHi! / ownUnit : levels.minStep }),
      ...(unresolved ? { unresolved } : {}),
      ...(t.check
        ? { reason: endCheckReason(t.check, verdict ?? leaning!, this.graph.shas[t.check.culprit], !verdict) }
        : t.again
        ? { reason: 'measured again, afresh: its first trial left it unlike both references' }
        : verdict && verdict !== 'between' && byNearness(facts)
          ? { reason: nearnessReason(verdict, !!levels.oneStep) }
          : {}),
      ...(t.machine !== LOCAL ? { machine: t.machine } : {}),
      spent: this.budget.spent,
    });
    if (this.trial === t) this.trial = undefined;
    t.done = true;
    t.effective = verdict ?? leaning!;
    if (apply) {
      if (t.check) {
        const left = findsFurther(t.check, t.effective) ? this.searchBeyond(t.check, t.target) : 0;
        const v = lastVerdictOf(this.verdicts, t.target);
        if (v) v.left = left;
      } else {
        if (unresolved && this.sideFirst) t.search![verdict === 'good' ? 'openBelow' : 'openAbove'] = true;
        this.applyVerdict(t.search!, t.target, t.effective);
      }
    }
  }

  /**
   * Verdicts place a commit clearly on one side without proving it like that side's reference
   * (VerdictLevels.sideFirst) where the good→bad change is large against both the threshold and the
   * noise: a commit's side then shows in a few samples, and a side misjudged shows at the located
   * step's ends (EndCheck). Not on a fleet, where a further search costs rounds of builds.
   */
  get sideFirst(): boolean {
    const { oneStep, deterministic, width = 1 } = this.opts;
    if (oneStep || deterministic || width > 1 || this.inRounds || this.threshold === undefined) return false;
    return this.delta >= Math.max(SIDE_FIRST_THRESHOLDS * this.threshold, SIDE_FIRST_NOISES * this.noise);
  }

  /**
   * An end check is made unless the end is its search's own (a step right after its good end, or at its
   * bad end), or the time is out (--budget): then no further search starts, so no check is made.
   */
  private checkWanted(c: EndCheck): boolean {
    if (this.hurried) return false;
    return c.side === 'below'
      ? this.finding(c.culprit, c.search).before !== c.search.from
      : c.culprit !== c.search.top;
  }

  /** The trial of an end check, if it is wanted (checkWanted). */
  private checkTrial(c: EndCheck): Trial | undefined {
    if (!this.checkWanted(c)) return undefined;
    const f = this.finding(c.culprit, c.search);
    const culprit = this.graph.shas[c.culprit];
    const top = this.graph.shas[c.search.top];
    const [target, refs] = c.side === 'below' ? [f.before, [c.search.from, culprit]] : [culprit, [f.before, top]];
    const t = this.newTrial(target, refs, 'verdict');
    t.check = c;
    this.endChecks++;
    // Every sample the commit has counts, as a reference's do: a located step's ends were measured already.
    const earlier = this.samplesOf(target, LOCAL).length;
    t.looks = looks(Math.max(1, t.looks[0] - earlier), this.maxSamples);
    return t;
  }

  /**
   * The further step an end check found beyond `end` (the culprit's parent, or the culprit), bisected as
   * a search of its own; the commits it leaves in question.
   */
  private searchBeyond(c: EndCheck, end: string): number {
    // Out of time (--budget): no further search starts.
    if (this.hurried) return 0;
    const s = c.search;
    const g = this.graph;
    if (c.side === 'below') {
      const p = g.index.get(end);
      // The culprit's parent is the good endpoint: nothing lies before it in the range.
      if (p === undefined) return 0;
      const candidates = s.range.clone();
      candidates.and(g.ancestors[p]);
      const from = g.index.get(s.from);
      if (from !== undefined) candidates.andNot(g.ancestors[from]);
      this.searches.push({
        candidates, bad: p, lo: s.from, hi: g.shas[p], skipped: new Set(s.skipped), top: p,
        range: candidates.clone(), from: s.from,
      });
      return candidates.count();
    } else {
      // Commits shown good stay good, as when a search is searched past.
      const candidates = this.commitsAfter(s, c.culprit, false);
      if (!candidates) return 0;
      const lo = this.goodRefAfter(candidates, c.culprit, s.from);
      // The commits after the culprit are searched again here: searching past it later would repeat it.
      s.reopened = true;
      s.searchedBeyond = true;
      this.searches.push({
        candidates, bad: s.top, lo, hi: g.shas[s.top], skipped: new Set(s.skipped), top: s.top,
        range: candidates.clone(), from: lo,
      });
      return candidates.count();
    }
  }

  /**
   * A lean to 'between' splits the search in two, and a sub-search for a step that is not there costs
   * several builds. It is also the lean a chance run of samples, or references measured while the
   * machine ran at another speed, fakes most easily. So before splitting, the commit is measured again
   * beside both references as a new decision, afresh (none of their earlier samples count: with them,
   * two-step histories lost their smaller step a little more often in bench/accuracy.ts); the search
   * splits only if it leans 'between' again. This happens only where the most samples a verdict takes
   * left a commit unlike both references yet decided neither way, which is rare: its cost is in probe
   * runs, not builds. The first trial's samples of the commit are not pooled later either (replaced).
   */
  private measureAgain(t: Trial): void {
    this.replaced.set(t.index, t.target);
    t.done = true;
    this.trial = this.newTrial(t.target, t.refs, 'verdict', t.search, false, true);
    this.trial.check = t.check;
  }

  /** What a verdict says about the search: the culprit is after a good commit, at or before a bad one. */
  private applyVerdict(s: Search, target: string, effective: Side): void {
    const x = this.graph.index.get(target)!;
    let older: Search | undefined;
    if (effective === 'good') {
      s.candidates.andNot(this.graph.ancestors[x]);
      // The nearest good commit is the good reference from now on, as the nearest bad one is the bad:
      // the last trials then measure neighbours side by side, and the culprit beside its parent. Only
      // if every commit left descends from it: across a merge, a good commit on the other branch may
      // carry an improvement the remaining commits never had.
      if (s.candidates.toArray().every((c) => this.graph.ancestors[c].has(x))) s.lo = target;
    } else if (effective === 'bad') {
      s.candidates.and(this.graph.ancestors[x]);
      s.bad = x;
      s.hi = target;
    } else {
      // Between two steps: bisect both sides, each against its own references.
      older = {
        candidates: s.candidates.clone(), bad: x, lo: s.lo, hi: target, skipped: new Set(s.skipped), top: x,
        range: s.range.clone(), reopened: s.reopened, from: s.from, openBelow: s.openBelow,
      };
      older.candidates.and(this.graph.ancestors[x]);
      older.range.and(this.graph.ancestors[x]);
      s.candidates.andNot(this.graph.ancestors[x]);
      s.range.andNot(this.graph.ancestors[x]);
      s.lo = target;
      // What a verdict left open towards the good end is now the older part's question.
      s.from = target;
      s.openBelow = false;
      this.searches.push(older);
    }
    const verdict = lastVerdictOf(this.verdicts, target);
    if (verdict) verdict.left = s.candidates.count() + (older?.candidates.count() ?? 0);
  }

  /**
   * A located step whose interval (at the run's confidence) holds the threshold: whether it is a
   * culprit or a minor step rests on noise, so it is measured beside its parent until that is clear.
   */
  private straddles(f: CulpritFinding): boolean {
    return f.change.lo < this.threshold! && f.change.hi >= this.threshold!;
  }

  /**
   * A located step is measured beside its parent before it is reported where its size is unclear
   * (`straddles`), or where its figures come from samples not taken side by side that do not show it
   * on their own. The second guards the blame against a burst of load: a verdict rests on the
   * references' earlier samples and one fresh sample of each, so a burst that slows only a target's
   * block can fake a step there, and the verdicts after it then close on a commit with no step at
   * all. A real step shows side by side in a sample or two more of each; a faked one does not, and is
   * measured until its side-by-side size is clear: a minor step, or none, and then the search goes on
   * past it (`searchPast`) rather than blame it.
   */
  private unsettled(f: CulpritFinding): boolean {
    if (this.straddles(f)) return true;
    return !f.sideBySide && !this.shownBeside(f.before, f.sha);
  }

  /**
   * The samples of `b` taken beside `a` (on any one machine) are worse than those of `a` by at least
   * half the threshold, at the lenient level (the Moses bound of the rank test): a check that a step
   * seen in all samples is there side by side, not a verdict (its error rate is not spent: a chance
   * miss only costs more samples). Worse by any amount would not do: two commits alike differ by a
   * little, and a burst that turned a verdict leaves the search closed on such a pair.
   */
  private shownBeside(a: string, b: string): boolean {
    const onB = new Set(this.machinesOf(b));
    return this.machinesOf(a).some((m) => {
      if (!onB.has(m)) return false;
      const [sa, sb] = this.fromSharedTrials(a, b, m);
      if (!sa.length || !sb.length) return false;
      return this.rel(sa, sb).worseAtLeast(this.beta) >= this.threshold! / 2;
    });
  }

  private decideConfirm(t: Trial): void {
    const f = this.found.find((x) => this.graph.shas[x.sha] === t.target);
    const finding = f && this.finding(f.sha, f.search);
    if (!this.isFinalLook(t) && finding && this.unsettled(finding)) return;
    t.done = true;
    if (this.trial === t) this.trial = undefined;
    // Clearly smaller than the threshold side by side (one it cannot place was measured as long as a
    // step's size is, `straddles`, and is left as it is).
    if (f?.doubted && finding!.change.hi < this.threshold!) {
      if (!this.searchPast(f, finding!, { keep: t.index, slowed: true })) this.vanishIfSearchedBeyond(f, finding!);
    }
  }

  /**
   * Search past a step the search closed on that is not there: one found on figures not taken side by
   * side, which measured beside its parent is clearly smaller than the threshold (decideConfirm), or one
   * a turned verdict led to (reopenMisled). The verdicts that led there were most likely turned by the
   * machine (a burst of load makes commits look slower, never faster), so the commit is taken as its
   * parent's side, and the commits after it, up to the search's first bad commit, are searched again,
   * their earlier verdicts aside; `slowed`: the commit's own blocks are set aside (all but `keep`'s).
   * Once a search: where a range's change is spread thin, every step found is small, and the result says
   * so. A step first found side by side is not searched past unless a turned verdict shows: in
   * simulation that cost commits built beyond the bound of a clean bisect (bench/README.md).
   */
  private searchPast(
    f: { sha: number; search: Search },
    finding: CulpritFinding,
    { keep, slowed }: { keep?: number; slowed: boolean },
  ): boolean {
    const s = f.search;
    // Out of time (--budget), or never measured side by side enough to say the step is not there.
    if (s.reopened || this.hurried || !finding.sideBySide) return false;
    // A burst makes commits look slower, never faster: good verdicts (and leans) stand.
    const candidates = this.commitsAfter(s, f.sha, true);
    if (!candidates) return false;
    this.markVanished(f, finding);
    // The commit's own verdicts rested on samples the machine may have slowed: only its other samples count on.
    if (slowed) this.setAsideOwnBlocks(finding.sha, keep);
    const [lo, hi] = [this.goodRefAfter(candidates, f.sha, s.lo), this.graph.shas[s.top]];
    const skipped = new Set(s.skipped);
    this.searches.push({
      candidates, bad: s.top, lo, hi, skipped, top: s.top, range: s.range.clone(), reopened: true, from: lo,
    });
    return true;
  }

  /**
   * What search `s` was to search after commit `after`, less what a good verdict (or, with `leans`, a
   * lean to good) put before a step; undefined where the search's bad commit is not left among them.
   */
  private commitsAfter(s: Search, after: number, leans: boolean): Bitset | undefined {
    const candidates = s.range.clone();
    candidates.andNot(this.graph.ancestors[after]);
    for (const v of this.verdicts) {
      // The good endpoint (a check's target) is no commit of the range.
      const x = this.graph.index.get(v.sha);
      if (x === undefined || !s.range.has(x)) continue;
      if (v.verdict === 'good' || (leans && v.lean === 'good')) candidates.andNot(this.graph.ancestors[x]);
    }
    return candidates.has(s.top) ? candidates : undefined;
  }

  /**
   * The good reference of a search of `candidates` after commit `after`: that commit where every one
   * descends from it; across a merge a good commit on the other branch may carry an improvement the
   * others never had, so `otherwise`.
   */
  private goodRefAfter(candidates: Bitset, after: number, otherwise: string): string {
    const descends = candidates.toArray().every((c) => this.graph.ancestors[c].has(after));
    return descends ? this.graph.shas[after] : otherwise;
  }

  /**
   * A step that is not there, in a search whose commits after its culprit an end check searched already:
   * it goes to `vanished`, with nothing left to search.
   */
  private vanishIfSearchedBeyond(f: { sha: number; search: Search }, finding: CulpritFinding): boolean {
    if (!f.search.searchedBeyond) return false;
    this.markVanished(f, finding);
    return true;
  }

  /** A located step that is not there: no longer found, and reported as vanished. */
  private markVanished(f: { sha: number; search: Search }, finding: CulpritFinding): void {
    this.found.splice(this.found.indexOf(f as (typeof this.found)[number]), 1);
    this.vanished.push(finding);
  }

  /** A commit's samples from the trials that had it as their target (but `keep`) are not pooled from now on. */
  private setAsideOwnBlocks(sha: string, keep?: number): void {
    for (const b of this.taken.get(sha) ?? []) {
      if (this.trialTargets[b.trial] === sha && b.trial !== keep && !this.replaced.has(b.trial)) {
        this.replaced.set(b.trial, sha);
      }
    }
  }

  /**
   * A search that closed on a step its side-by-side samples show clearly under the threshold, although
   * a bad verdict after it was turned: that commit, measured afterwards as a reference, ran clearly
   * faster than in its own verdict's block, by more than the machine itself sped up meanwhile (a burst
   * of load that slowed that block alone). The search is then searched past the step as a vanished one
   * is (searchPast), with the turned blocks set aside. A step found side by side is never doubted, nor
   * measured again beside its parent unless its size straddles the threshold, so without this the run
   * would end with no culprit for the whole change (or, where an end check found the step beyond, with
   * the commit it closed on as a minor step).
   * Only where a turned verdict shows: searching past every small step found side by side cost commits
   * built beyond the bound of a clean bisect in simulation. A commit's own block and its later samples
   * must come from one machine: on a fleet of fresh machines a job never measures a commit twice, and
   * this never applies.
   */
  private reopenMisled(): boolean {
    if (this.hurried || this.opts.deterministic) return false;
    for (const f of [...this.found]) {
      const finding = this.finding(f.sha, f.search);
      // Clearly under the threshold side by side: no answer to the change the search spans.
      if (!finding.sideBySide || finding.change.hi >= this.threshold!) continue;
      const turned = this.turnedVerdicts(f.search, f.sha);
      if (!turned.length) continue;
      // Only the turned verdict blocks are set aside: nothing says the located commit's own were slowed.
      const searchedPast = this.searchPast(f, finding, { slowed: false });
      if (!searchedPast && !this.vanishIfSearchedBeyond(f, finding)) continue;
      for (const t of turned) if (!this.replaced.has(t.trial)) this.replaced.set(t.trial, t.sha);
      if (searchedPast) return true;
    }
    return false;
  }

  /**
   * Commits of bad verdicts at or after commit `at` in the search's range whose own verdict block their
   * later samples (on the same machine) clearly contradict, net of the machine's own change of speed.
   */
  private turnedVerdicts(s: Search, at: number): { sha: string; trial: number }[] {
    const bad = this.verdicts.filter((v) => {
      const x = this.graph.index.get(v.sha);
      return x !== undefined && (v.verdict === 'bad' || v.lean === 'bad') && s.range.has(x) && this.graph.ancestors[x].has(at);
    });
    return [...new Set(bad.map((v) => v.sha))].flatMap((sha) => {
      const first = this.firstOwnTrial(sha);
      const turned = first !== undefined && this.machinesOf(sha).some((m) => {
        const blocks = this.blocksOf(sha, m);
        // Its verdict's blocks against every later one (as a reference, or beside its parent).
        const [before, after] = [blocks.filter((b) => b.trial === first), blocks.filter((b) => b.trial > first)]
          .map((list) => list.flatMap((b) => b.values));
        if (!moved(before, after)) return false;
        // How much faster the machine ran later, read from the verdict block's references; the least of them.
        const speedUps = this.trialRefs[first].flatMap((r) => {
          const rb = this.blocksOf(r, m);
          const [then, later] = [rb.filter((b) => b.trial <= first), rb.filter((b) => b.trial > first)]
            .map((list) => list.flatMap((b) => b.values));
          return then.length >= 2 && later.length >= 2 ? [Math.max(0, -this.rel(then, later).worse)] : [];
        });
        const machine = speedUps.length ? Math.min(...speedUps) : 0;
        return this.rel(before, after).worse + machine < -this.threshold! / 2;
      });
      return turned ? [{ sha, trial: first }] : [];
    });
  }

  /** The first trial that measured `sha` as its target and still counts (its verdict), if any. */
  private firstOwnTrial(sha: string): number | undefined {
    const own = (this.taken.get(sha) ?? []).filter(
      (b) => this.trialTargets[b.trial] === sha && this.replaced.get(b.trial) !== sha,
    );
    return own.length ? Math.min(...own.map((b) => b.trial)) : undefined;
  }

  /** The search's next commit among `candidates`: never its bad commit, nor one that was skipped. */
  private midpointOf(candidates: Bitset, bad: number, skipped: ReadonlySet<number>): number | undefined {
    return this.graph.midpoint(candidates, (i) => i === bad || skipped.has(i));
  }

  private startNextTrial(): void {
    for (;;) {
      const c = this.checks.shift();
      if (c) {
        this.trial = this.checkTrial(c);
        if (this.trial) return;
        continue;
      }
      if (!this.searches.length && !this.reopenMisled()) break;
      const s = this.searches[this.searches.length - 1];
      const next = this.midpointOf(s.candidates, s.bad, s.skipped);
      if (next !== undefined) {
        this.trial = this.newTrial(this.graph.shas[next], [s.lo, s.hi], 'verdict', s);
        return;
      }
      this.searches.pop();
      const left = s.candidates.toArray();
      if (left.length === 1) {
        this.found.push({ sha: s.bad, search: s });
        // Only a side a verdict left open is checked: elsewhere its verdicts ruled a further step out.
        if (s.openBelow) this.checks.push({ side: 'below', culprit: s.bad, search: s });
        if (s.openAbove) this.checks.push({ side: 'above', culprit: s.bad, search: s });
      } else for (const i of left) this.suspects.add(i);
    }
    const unsure = this.opts.deterministic
      ? undefined
      : this.found.find((f) => !f.confirmed && this.unsettled(this.finding(f.sha, f.search)));
    if (unsure) {
      unsure.confirmed = true;
      const f = this.finding(unsure.sha, unsure.search);
      unsure.doubted = !f.sideBySide;
      this.decisions--; // a step's size is reported, not decided: it spends nothing of the error budget
      this.trial = this.newTrial(f.sha, [f.before], 'confirm');
      // Only to see the step side by side: a large one shows in a sample or two of each beside those the
      // two have side by side already, and no fewer than their rank bound could show it with (shownBeside).
      if (!this.straddles(f)) {
        const [before, after] = this.fromSharedTrials(f.before, f.sha, LOCAL);
        const first = fewestRounds(this.beta, before.length, after.length, this.maxSamples);
        this.trial.looks = looks(first, this.maxSamples);
      }
      return;
    }
    this.finish(this.suspects.size ? 'ambiguous' : 'found');
  }

  private finding(i: number, s: Search): CulpritFinding {
    const sha = this.graph.shas[i];
    const parent = this.graph.parents[i][0];
    // A culprit whose parents are all outside the range sits right after the good endpoint.
    const measuredParent =
      parent !== undefined && this.taken.has(this.graph.shas[parent]) ? this.graph.shas[parent] : s.lo;
    const preferred = parent === undefined ? this.good : measuredParent;
    // Before and after must come from one machine: on a fleet the parent may have been measured on
    // another runner than the culprit, then the nearest good commit measured beside it stands in.
    const parentSha = [preferred, s.lo, ...this.goodAncestors(i)].find((g) => this.sideBySide(g, sha)) ?? preferred;
    const [before, after, sideBySide] = this.sideBySide(parentSha, sha) ?? [
      this.samplesOf(parentSha), this.samplesOf(sha), false,
    ];
    const change = compare(before, after, {
      threshold: this.threshold!,
      alpha: 1 - this.confidence,
      better: this.opts.better,
      deterministic: this.opts.deterministic,
    });
    const r = this.ratioOf(before, after);
    return {
      sha, before: parentSha, beforeSummary: summarize(before), afterSummary: summarize(after),
      ratio: r.ratio, ratioCi: [r.lo, r.hi], change, sideBySide,
    };
  }

  /**
   * after / before as people read it, with its interval at the run's confidence: the Hodges-Lehmann
   * shift and its distribution-free (Moses) bounds over before's median, the same rank statistics as
   * the p-value beside it (a bootstrap of the medians could put zero in the interval next to p = 0.001).
   */
  private ratioOf(before: readonly number[], after: readonly number[]): { ratio: number; lo: number; hi: number } {
    const m = median(before);
    if (this.opts.deterministic || before.length < 2 || after.length < 2 || m === 0) {
      return { ratio: m === 0 ? NaN : median(after) / m, lo: NaN, hi: NaN };
    }
    const s = new Shift(before, after);
    const tail = (1 - this.confidence) / 2;
    return { ratio: 1 + s.estimate / m, lo: 1 + s.lower(tail) / m, hi: 1 + s.upper(tail) / m };
  }

  /**
   * Two commits' samples from the trials that measured both, interleaved, so a machine that changed
   * speed between trials cannot make a step look larger or smaller. When those trials hold only a
   * few samples of either (a verdict decided at its first look, on the references' earlier samples
   * too), all their samples: the ones the verdict rested on.
   */
  private sideBySide(a: string, b: string): [number[], number[], boolean] | undefined {
    // Only samples one machine took of both; of several such machines, the one that measured them most side by side.
    let best: { pair: [number[], number[]]; n: number; paired: boolean } | undefined;
    const onB = new Set(this.machinesOf(b));
    for (const m of this.machinesOf(a).filter((x) => onB.has(x))) {
      const [ta, tb] = [this.blocksOf(a, m), this.blocksOf(b, m)];
      let pair: [number[], number[]] = [ta.flatMap((x) => x.values), tb.flatMap((x) => x.values)];
      let paired = false;
      if (!this.opts.deterministic) {
        const [sa, sb] = this.fromSharedTrials(a, b, m);
        paired = Math.min(sa.length, sb.length) >= SIDE_BY_SIDE_ENOUGH;
        if (paired) pair = [sa, sb];
      }
      const n = Math.min(pair[0].length, pair[1].length);
      if (!best || (paired && !best.paired) || (paired === best.paired && n > best.n)) best = { pair, n, paired };
    }
    // An exact metric does not drift: all its samples are as good as side by side.
    return best && [...best.pair, best.paired || !!this.opts.deterministic];
  }

  /** Two commits' samples from the trials (blocks) that measured both on `machine`, however few. */
  private fromSharedTrials(a: string, b: string, machine: string): [number[], number[]] {
    const [ta, tb] = [this.blocksOf(a, machine), this.blocksOf(b, machine)];
    const shared = new Set(ta.map((x) => x.trial).filter((i) => tb.some((y) => y.trial === i)));
    const pick = (blocks: typeof ta) => blocks.filter((x) => shared.has(x.trial)).flatMap((x) => x.values);
    return [pick(ta), pick(tb)];
  }

  /**
   * An improvement a verdict showed stands only if the trials that measured the commit beside that
   * reference show it too, by the same test: the reference's earlier samples, pooled into the verdict,
   * may come from a machine that ran at another speed then.
   */
  private shownSideBySide(m: ImprovementSeen): boolean {
    // One exact value a commit, measured once: no machine speed to have moved, and no shared trial.
    if (this.opts.deterministic) return true;
    for (const machine of this.machinesOf(m.commit)) {
      const [commit, ref] = this.fromSharedTrials(m.commit, m.ref, machine);
      if (!commit.length || !ref.length) continue;
      const vs = this.rel(ref, commit).summary(2 * this.perComparisonAlpha, this.threshold!);
      return vs.different && Math.sign(vs.worse) === Math.sign(m.vs.worse);
    }
    return false;
  }

  /** Measured commits before commit i at the good side of a step (the good endpoint last), nearest first. */
  private goodAncestors(i: number): string[] {
    const goodSide = (v: CommitVerdict) =>
      v.verdict === 'good' || v.verdict === 'between' || v.lean === 'good' || v.lean === 'between';
    const good = new Set(this.verdicts.filter(goodSide).map((v) => v.sha));
    const near = this.graph.ancestors[i].toArray().reverse().map((k) => this.graph.shas[k]);
    return [...near.filter((sha) => good.has(sha)), this.good];
  }

  private finish(status: Status): void {
    const all = this.found
      .map((f) => this.finding(f.sha, f.search))
      .sort((a, b) => this.graph.index.get(a.sha)! - this.graph.index.get(b.sha)!);
    let culprits = all.filter((f) => f.change.worse >= this.threshold!);
    let unresolved = false;
    let vanished = this.vanished;
    if (culprits.length === 0 && all.length + vanished.length) {
      // No located step reaches the threshold: name the largest (a vanished one too: the search after
      // it found no larger) only if its own before/after difference is real and at least half the
      // threshold; otherwise the change could not be pinned to a commit. A +1% "culprit" of a +140%
      // change (a search a burst of load misled, out of time to go on) is no answer.
      const largest = [...all, ...vanished].reduce((a, b) => (b.change.worse > a.change.worse ? b : a));
      if (largest.change.lo > 0 && largest.change.worse >= this.threshold! / 2) culprits = [largest];
      else unresolved = true;
      vanished = vanished.filter((f) => !culprits.includes(f));
    }
    // A located pair that beside each other is not worse is no step of this regression, however small.
    const minorSteps = all.filter((f) => !culprits.includes(f) && f.change.worse > 0);
    if (unresolved) for (const f of all) this.suspects.add(this.graph.index.get(f.sha)!);
    const suspects = [...this.suspects].sort((a, b) => a - b).map((i) => this.graph.shas[i]);
    this.outcome = {
      status: status === 'found' && (culprits.length === 0 || unresolved) ? 'ambiguous' : status,
      culprits: status === 'no-regression' || status === 'undecided' ? [] : culprits,
      minorSteps: unresolved ? [] : minorSteps,
      vanished,
      improvements: status === 'found' || status === 'ambiguous' ? improvementsSeen(this.verdicts, this.graph).filter((m) => this.shownSideBySide(m)) : [],
      unresolved,
      suspects,
      endpoints: this.endpoints!,
      verdicts: this.verdicts,
      threshold: this.threshold!,
      thresholdSource: this.thresholdSource,
      noRegressionBelow: this.noneBar,
      minStep: this.minStep ?? this.threshold!,
      beta: this.beta,
      oneStep: !!this.opts.oneStep,
      ...(this.sideFirst ? { sideFirst: { checks: this.endChecks, beta: this.beta / END_CHECK_BETA_SHARE } } : {}),
      alpha: this.perComparisonAlpha,
      confidence: this.confidence,
      decisions: this.decisions - this.unmade,
      alphaSpent: this.budget.spent,
    };
  }
}

/** What kept a look from a verdict, for the next block's line; a step towards bad in bad's units. */
function openQuestion(
  f: Facts,
  l: VerdictLevels,
  est: { vsGood: number; vsBad: number },
  hiScale: number,
  fresh?: 'beyond-both' | 'fresh' | 'between',
): OpenQuestion {
  if (fresh) return { kind: fresh, ...est };
  const kind = openKind(f);
  if (kind === 'towards-good') return { kind: 'further-step', towards: 'good', minStep: l.minStep, ...est };
  if (kind === 'towards-bad') return { kind: 'further-step', towards: 'bad', minStep: l.minStepHi! / hiScale, ...est };
  return { kind, ...est };
}

/**
 * An end check's facts with what the search already showed of the located step taken as given: its
 * parent better than the culprit, and by more than half the threshold (a step the side-by-side check
 * then finds smaller is not searched past: searchPast). Left to ask is only the question of the
 * further step: is this end like its search's end, or unlike it by more than half the threshold?
 */
function locatedStepGiven(f: Facts, c: EndCheck): Facts {
  return c.side === 'below'
    ? { ...f, betterThanHi: true, farBelowHi: true, belowHi: true, likeHi: false, close: false }
    : { ...f, worseThanLo: true, farAboveLo: true, aboveLo: true, likeLo: false, close: false };
}

/** The reference of an end check on the located step's other side: its side is given (locatedStepGiven). */
function givenEnd(c: EndCheck, refs: readonly string[]): string {
  return c.side === 'below' ? refs[1] : refs[0];
}

/**
 * Whether an end check's side says a further step lies beyond the end: unlike its search's end there
 * ('between'), or like the located step's other end (the located step was then reached through a verdict
 * that misjudged a side, and the step lies beyond).
 */
function findsFurther(c: EndCheck, side: Side): boolean {
  return side === 'between' || side === (c.side === 'below' ? 'bad' : 'good');
}

/** What an end check's verdict says of the located step at `culprit`. */
function endCheckReason(c: EndCheck, side: Side, culprit: string, leaned: boolean): string {
  const end = c.side === 'below' ? `the parent of ${culprit.slice(0, 10)}, against the good end of its search` : `${culprit.slice(0, 10)} against the bad end of its search`;
  const said = findsFurther(c, side) ? 'a further step lies beyond it, and is bisected' : 'no further step beyond it';
  return `checked as ${end}: ${leaned ? `undecided at the most samples, it leans to: ${said}` : said}`;
}

/** Why a verdict chosen by nearness stands (decide in src/bisect/verdict.ts). */
function nearnessReason(verdict: 'good' | 'bad', oneStep: boolean): string {
  return oneStep
    ? `nearer ${verdict}: unlike both references, and with one step looked for (--one-step) a commit follows the side it is nearer to`
    : `nearer ${verdict}: like both references within the minimum further step, so either side keeps every step worth finding`;
}

function lastVerdictOf(verdicts: CommitVerdict[], sha: string): CommitVerdict | undefined {
  for (let i = verdicts.length - 1; i >= 0; i--) if (verdicts[i].sha === sha) return verdicts[i];
  return undefined;
}

/** The further step a good or bad verdict left open on its own side, if any. */
function open(verdict: Side | undefined, f: Facts): number {
  return verdict === 'good' ? f.openLo : verdict === 'bad' ? f.openHi : 0;
}

/**
 * The machine changed speed since a reference's earlier samples: at least two fresh samples, all
 * beyond the earlier ones' far-out fences (3 IQR past the quartiles) on one side, or, with enough
 * fresh samples to tell, a rank test that says the two differ (p < 0.01). One sample out there is an
 * outlier, not a new speed. Mixing them would bias the comparison.
 */
function moved(earlier: readonly number[], fresh: readonly number[]): boolean {
  if (fresh.length < 2 || earlier.length < 4) return false;
  const s = sorted(earlier);
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  const [above, below] = [q3 + 3 * (q3 - q1), q1 - 3 * (q3 - q1)];
  if (fresh.every((v) => v > above) || fresh.every((v) => v < below)) return true;
  return fresh.length >= 4 && mannWhitney(earlier, fresh).p < 0.01;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
