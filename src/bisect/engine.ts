import { Bitset, CommitGraph, type RangeCommit } from './graph.js';
import { expectedDecisions, looks } from './schedule.js';
import { compare, type Better, type Comparison } from '../stats/compare.js';
import { bootstrapRatioCi } from '../stats/shift.js';
import { summarize, type Summary } from '../stats/summary.js';
import { zFor } from '../stats/mann-whitney.js';
import type { Rng } from '../stats/rng.js';

export interface EngineOptions {
  better: Better;
  deterministic: boolean;
  /** Relative change that matters; undefined derives it from the endpoints. */
  threshold?: number;
  minSamples: number;
  maxSamples: number;
  /** Family-wise confidence that every verdict of the bisect is right. */
  confidence: number;
}

export const defaultEngineOptions = { minSamples: 10, maxSamples: 60, confidence: 0.95 };

/** What the harness should measure next: `rounds` of [ref1, target, ref2, target, ...], interleaved. */
export interface MeasureStep {
  type: 'measure';
  target: string;
  refs: string[];
  rounds: number;
  purpose: 'endpoints' | 'verdict';
}

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
}

export interface CulpritFinding {
  sha: string;
  /** The commit the change is measured against: the culprit's parent when measured, else the search's good reference. */
  before: string;
  beforeSummary: Summary;
  afterSummary: Summary;
  /** Ratio of medians after/before with a bootstrap interval at the run's confidence. */
  ratio: number;
  ratioCi: [number, number];
  /** Decision statistics: relative worsening (Hodges-Lehmann), its interval and the rank test's p. */
  change: Comparison;
}

export type Status = 'found' | 'no-regression' | 'ambiguous';

export interface Outcome {
  status: Status;
  culprits: CulpritFinding[];
  /** Located steps smaller than the threshold (for example slow creep split into small steps). */
  minorSteps: CulpritFinding[];
  suspects: string[];
  /** The change is real but no single commit could be shown to carry it (inconclusive verdicts or gradual creep). */
  unresolved: boolean;
  endpoints: { comparison: Comparison; ratio: number; ratioCi: [number, number]; good: Summary; bad: Summary; inconclusive: boolean };
  verdicts: CommitVerdict[];
  threshold: number;
  thresholdSource: string;
  alpha: number;
  confidence: number;
}

export type Step = MeasureStep | { type: 'done'; outcome: Outcome };

interface Search {
  candidates: Bitset;
  bad: number;
  lo: string;
  hi: string;
  skipped: Set<number>;
}

interface Trial {
  target: string;
  refs: string[];
  purpose: 'endpoints' | 'verdict';
  look: number;
  samples: Map<string, number[]>;
  search?: Search;
  /** Counts trials from 0 (the endpoints), so a reference's samples from the trial before can be found. */
  index: number;
}

/**
 * The bisect as a pure state machine: it says what to measure, takes the samples, and decides.
 * No git, processes or clock: the harness drives it, the simulator in bench/ drives it too.
 */
export class BisectEngine {
  readonly graph: CommitGraph;
  private readonly good: string;
  private readonly bad: string;
  private readonly looks: number[];
  private readonly alpha: number;
  private threshold: number | undefined;
  private thresholdSource = '';
  /** The good→bad change measured at the first look of the endpoints. */
  private delta = 0;
  /** Every commit's samples, block by block, with the trial that took them. */
  private readonly taken = new Map<string, { trial: number; values: number[] }[]>();
  private trials = 0;
  private readonly verdicts: CommitVerdict[] = [];
  private readonly searches: Search[] = [];
  private readonly found: { sha: number; search: Search }[] = [];
  private readonly suspects: Set<number> = new Set();
  private trial: Trial | undefined;
  private endpoints: Outcome['endpoints'] | undefined;
  private outcome: Outcome | undefined;

  constructor(
    commits: readonly RangeCommit[],
    ends: { good: string; bad: string },
    private readonly opts: EngineOptions,
    private readonly rng: Rng,
    graphOpts: { firstParent?: boolean } = {},
  ) {
    this.graph = new CommitGraph(commits, graphOpts);
    this.good = ends.good;
    this.bad = ends.bad;
    if (!this.graph.index.has(this.bad)) throw new Error(`bad commit ${this.bad} is not in the range`);
    const min = opts.deterministic ? 1 : Math.max(2, opts.minSamples);
    const max = opts.deterministic ? 1 : Math.max(min, opts.maxSamples);
    this.looks = looks(min, max);
    // Bonferroni: over the expected decisions, the looks of each, and the two comparisons of a verdict.
    this.alpha = (1 - opts.confidence) / (expectedDecisions(this.graph.size) * this.looks.length * 2);
    this.threshold = opts.threshold;
    if (opts.threshold !== undefined) this.thresholdSource = 'set with --threshold';
    this.trial = { target: this.bad, refs: [this.good], purpose: 'endpoints', look: 0, samples: new Map(), index: this.trials++ };
  }

  get verdictList(): readonly CommitVerdict[] {
    return this.verdicts;
  }

  get currentThreshold(): { value: number; source: string } | undefined {
    return this.threshold === undefined ? undefined : { value: this.threshold, source: this.thresholdSource };
  }

  get perComparisonAlpha(): number {
    return this.alpha;
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
    const s = t.search!;
    const x = this.graph.index.get(t.target)!;
    const ifGood = s.candidates.clone();
    ifGood.andNot(this.graph.ancestors[x]);
    const ifBad = s.candidates.clone();
    ifBad.and(this.graph.ancestors[x]);
    const out = [this.midpointOf(ifGood, s.bad, s.skipped), this.midpointOf(ifBad, x, s.skipped)];
    return out.filter((i): i is number => i !== undefined).map((i) => this.graph.shas[i]);
  }

  /** Samples of every commit measured so far, in the order taken. */
  samplesOf(sha: string): number[] {
    return (this.taken.get(sha) ?? []).flatMap((b) => b.values);
  }

  next(): Step {
    if (this.outcome) return { type: 'done', outcome: this.outcome };
    if (!this.trial) this.startNextTrial();
    if (this.outcome) return { type: 'done', outcome: this.outcome };
    const t = this.trial!;
    const want = this.looks[t.look];
    const have = t.samples.get(t.target)?.length ?? 0;
    // Each round takes one sample of every reference and one of the target per reference.
    const perRound = Math.max(1, t.refs.length);
    const rounds = Math.max(1, Math.ceil((want - have) / perRound));
    // A deterministic metric does not drift: a reference measured once is not measured again.
    const refs = this.opts.deterministic ? t.refs.filter((r) => !this.taken.has(r)) : t.refs;
    return { type: 'measure', target: t.target, refs, rounds: this.opts.deterministic ? 1 : rounds, purpose: t.purpose };
  }

  /** Samples of one measured block, keyed by commit. */
  record(samples: Record<string, number[]>): void {
    const t = this.trial;
    if (!t) throw new Error('no measurement was asked for');
    for (const [sha, values] of Object.entries(samples)) {
      t.samples.set(sha, [...(t.samples.get(sha) ?? []), ...values]);
      this.taken.set(sha, [...(this.taken.get(sha) ?? []), { trial: t.index, values }]);
    }
    const have = t.samples.get(t.target)?.length ?? 0;
    while (t.look < this.looks.length - 1 && this.looks[t.look] <= have) t.look++;
    if (t.purpose === 'endpoints') this.decideEndpoints(t, have);
    else this.decideVerdict(t, have);
  }

  /** The target could not be built or measured: skip it, as `git bisect skip` does. */
  skip(reason: string): void {
    const t = this.trial;
    if (!t || t.purpose !== 'verdict' || !t.search) throw new Error('only a commit inside the range can be skipped');
    t.search.skipped.add(this.graph.index.get(t.target)!);
    this.verdicts.push({ sha: t.target, verdict: 'skipped', refs: t.refs, samples: 0, reason });
    this.trial = undefined;
  }

  private isFinalLook(have: number): boolean {
    return have >= this.looks[this.looks.length - 1];
  }

  /**
   * A reference's samples for a verdict: this trial's fresh, interleaved ones; at the first look also
   * those the trial just before took of it. The commit measured last is nearly always a reference of
   * the next, and five fresh samples a side cannot reach the bisect-wide alpha: with them a clear
   * change is decided at the first look instead of the second. Only at the first look, because those
   * samples helped decide the last verdict (they lean its way) and a change that needs more looks is
   * small enough for that lean to matter; never older ones (slow drift). decideVerdict checks that
   * the fresh samples alone point the same way (the machine may have changed speed in between).
   */
  private refSamples(ref: string, t: Trial): number[] {
    if (this.opts.deterministic) return this.samplesOf(ref);
    const fresh = t.samples.get(ref) ?? [];
    if (t.look > 1) return fresh;
    const recent = (this.taken.get(ref) ?? []).filter((b) => b.trial === t.index - 1).flatMap((b) => b.values);
    return [...recent, ...fresh];
  }

  private cmp(ref: string, t: Trial): Comparison {
    const refSamples = this.refSamples(ref, t);
    return compare(refSamples, t.samples.get(t.target) ?? [], {
      threshold: this.threshold ?? 0,
      alpha: this.alpha,
      better: this.opts.better,
      deterministic: this.opts.deterministic,
    });
  }

  private decideEndpoints(t: Trial, have: number): void {
    // Re-derived at each look of the endpoints, so the final default rests on all their samples.
    this.deriveThreshold();
    const c = this.cmp(this.good, t);
    const tau = this.threshold!;
    const regression = this.opts.deterministic ? c.worse >= tau && c.worse > 0 : c.lo > 0 && c.worse >= tau;
    const none = this.opts.deterministic ? !regression : c.hi < tau;
    const final = this.isFinalLook(have);
    if (!regression && !none && !final) return;
    const good = t.samples.get(this.good)!;
    const bad = t.samples.get(this.bad)!;
    const r = bootstrapRatioCi(good, bad, this.rng, this.opts.confidence);
    this.endpoints = {
      comparison: c, ratio: r.ratio, ratioCi: [r.lo, r.hi], good: summarize(good), bad: summarize(bad),
      inconclusive: !regression && !none,
    };
    this.trial = undefined;
    if (!regression) {
      this.finish('no-regression');
      return;
    }
    this.searches.push({
      candidates: Bitset.full(this.graph.size).clone(),
      bad: this.graph.index.get(this.bad)!,
      lo: this.good,
      hi: this.bad,
      skipped: new Set(),
    });
    // The range may include commits not reachable from bad (never, from git rev-list) — keep ancestors of bad only.
    this.searches[0].candidates.and(this.graph.ancestors[this.searches[0].bad]);
  }

  /**
   * Half the good→bad change, so a commit between two steps can be told from both ends; but never
   * below what the measured noise lets a verdict resolve at the maximum samples, and never above 5%
   * unless the noise forces it.
   */
  private deriveThreshold(): void {
    const good = this.samplesOf(this.good);
    const bad = this.samplesOf(this.bad);
    const probe = compare(good, bad, { threshold: 0, alpha: this.alpha, better: this.opts.better, deterministic: this.opts.deterministic });
    const delta = Math.max(0, probe.worse);
    this.delta = delta;
    if (this.opts.threshold !== undefined) return;
    if (this.opts.deterministic) {
      this.threshold = delta > 0 ? Math.min(0.05, delta / 2) : 0.01;
      this.thresholdSource = `default: half the good→bad change of ${pct(delta)}, at most 5%`;
      return;
    }
    const cv = (summarize(good).cv + summarize(bad).cv) / 2;
    const n = this.looks[this.looks.length - 1];
    // Hodges-Lehmann's interval half-width for n target and n/2 reference samples (efficiency ~0.95 vs the mean).
    const resolvable = zFor(this.alpha) * 1.02 * cv * Math.sqrt(1 / n + 2 / n);
    this.threshold = Math.max(0.01, Math.min(delta / 2, Math.max(0.05, resolvable)));
    this.thresholdSource =
      `default: half the good→bad change of ${pct(delta)}, within 1% and ` +
      (resolvable > 0.05 ? `the ${pct(resolvable)} the measured noise (${pct(cv)} a sample) can resolve` : '5%');
  }

  private decideVerdict(t: Trial, have: number): void {
    const s = t.search!;
    const x = this.graph.index.get(t.target)!;
    const vsGood = this.cmp(s.lo, t);
    const vsBad = this.cmp(s.hi, t);
    // One-sided questions: being faster than good is no reason to doubt "good", being slower than
    // bad no reason to doubt "bad". Only a commit clearly unlike both sits between two steps.
    const tau = this.threshold!;
    // How close to a reference counts as "like it": the threshold, or an eighth of the good→bad
    // change when that is larger, so a 10× regression is not sampled to a 5% precision. (A quarter
    // hid an 8% step inside a 35% change: bench/accuracy.ts.)
    const margin = Math.max(tau, this.delta / 8);
    const sig = (c: Comparison) => this.opts.deterministic || c.p < this.alpha;
    // Unlike both references takes precedence: that commit sits between two steps.
    let verdict: Verdict | undefined = decided({
      worseThanGood: vsGood.lo > tau / 2 && sig(vsGood), betterThanBad: vsBad.hi < -tau / 2 && sig(vsBad),
      likeGood: vsGood.hi < margin, likeBad: vsBad.lo > -margin,
    });
    // A verdict resting on the trial before's samples stands only if this trial's own fresh samples
    // point the same way (the same rule on their estimates): if the machine changed speed between
    // the trials, they would not.
    if (verdict && !this.opts.deterministic && t.look <= 1) {
      const fresh = (ref: string) => compare(t.samples.get(ref) ?? [], t.samples.get(t.target) ?? [], { threshold: tau, alpha: this.alpha, better: this.opts.better }).worse;
      const g = fresh(s.lo);
      const b = fresh(s.hi);
      if (!holds(verdict, { worseThanGood: g > tau / 2, betterThanBad: b < -tau / 2, likeGood: g < margin, likeBad: b > -margin })) verdict = undefined;
    }
    let lean: 'good' | 'bad' | 'between' | undefined;
    if (!verdict) {
      if (!this.isFinalLook(have)) return;
      // Significantly unlike both ends (if not by the margin) still means a step on each side:
      // splitting costs a sub-search, leaning would lose a step for good.
      const span = vsGood.worse - vsBad.worse;
      if (vsGood.lo > 0 && vsBad.hi < 0 && sig(vsGood) && sig(vsBad)) lean = 'between';
      else lean = span > 0 && vsGood.worse / span >= 0.5 ? 'bad' : 'good';
      verdict = 'inconclusive';
    }
    this.verdicts.push({ sha: t.target, verdict, lean, refs: t.refs, vsGood, vsBad, samples: have });
    this.trial = undefined;
    const effective = verdict === 'inconclusive' ? lean! : verdict;
    if (effective === 'good') {
      s.candidates.andNot(this.graph.ancestors[x]);
      // The nearest good commit is the good reference from now on, as the nearest bad one is the bad:
      // the last trials then measure neighbours side by side, and the culprit beside its parent. Only
      // if every commit left descends from it: across a merge, a good commit on the other branch may
      // carry an improvement the remaining commits never had.
      if (s.candidates.toArray().every((c) => this.graph.ancestors[c].has(x))) s.lo = t.target;
    }
    else if (effective === 'bad') {
      s.candidates.and(this.graph.ancestors[x]);
      s.bad = x;
      s.hi = t.target;
    } else {
      // Between two steps: bisect both sides, each against its own references.
      const older: Search = { candidates: s.candidates.clone(), bad: x, lo: s.lo, hi: t.target, skipped: new Set(s.skipped) };
      older.candidates.and(this.graph.ancestors[x]);
      s.candidates.andNot(this.graph.ancestors[x]);
      s.lo = t.target;
      this.searches.push(older);
    }
  }

  /** The search's next commit among `candidates`: never its bad commit, nor one that was skipped. */
  private midpointOf(candidates: Bitset, bad: number, skipped: ReadonlySet<number>): number | undefined {
    return this.graph.midpoint(candidates, (i) => i === bad || skipped.has(i));
  }

  private startNextTrial(): void {
    while (this.searches.length) {
      const s = this.searches[this.searches.length - 1];
      const next = this.midpointOf(s.candidates, s.bad, s.skipped);
      if (next !== undefined) {
        this.trial = { target: this.graph.shas[next], refs: [s.lo, s.hi], purpose: 'verdict', look: 0, samples: new Map(), search: s, index: this.trials++ };
        return;
      }
      this.searches.pop();
      const left = s.candidates.toArray();
      if (left.length === 1) this.found.push({ sha: s.bad, search: s });
      else for (const i of left) this.suspects.add(i);
    }
    this.finish(this.suspects.size ? 'ambiguous' : 'found');
  }

  private finding(i: number, s: Search): CulpritFinding {
    const sha = this.graph.shas[i];
    const parent = this.graph.parents[i][0];
    // A culprit whose parents are all outside the range sits right after the good endpoint.
    const parentSha = parent === undefined ? this.good : this.taken.has(this.graph.shas[parent]) ? this.graph.shas[parent] : s.lo;
    const [before, after] = this.sideBySide(parentSha, sha);
    const change = compare(before, after, {
      threshold: this.threshold!, alpha: 1 - this.opts.confidence, better: this.opts.better, deterministic: this.opts.deterministic,
    });
    const r = bootstrapRatioCi(before, after, this.rng, this.opts.confidence);
    return {
      sha, before: parentSha, beforeSummary: summarize(before), afterSummary: summarize(after),
      ratio: r.ratio, ratioCi: [r.lo, r.hi], change,
    };
  }

  /**
   * Two commits' samples from the trials that measured both, interleaved, so a machine that changed
   * speed between trials cannot make a step look larger or smaller; all their samples if none did.
   */
  private sideBySide(a: string, b: string): [number[], number[]] {
    const all: [number[], number[]] = [this.samplesOf(a), this.samplesOf(b)];
    if (this.opts.deterministic) return all;
    const ta = this.taken.get(a) ?? [];
    const tb = this.taken.get(b) ?? [];
    const shared = new Set(ta.map((x) => x.trial).filter((i) => tb.some((y) => y.trial === i)));
    if (!shared.size) return all;
    const pick = (blocks: typeof ta) => blocks.filter((x) => shared.has(x.trial)).flatMap((x) => x.values);
    return [pick(ta), pick(tb)];
  }

  private finish(status: Status): void {
    const all = this.found.map((f) => this.finding(f.sha, f.search)).sort((a, b) => this.graph.index.get(a.sha)! - this.graph.index.get(b.sha)!);
    let culprits = all.filter((f) => f.change.worse >= this.threshold!);
    let unresolved = false;
    if (culprits.length === 0 && all.length) {
      // No located step reaches the threshold: name the largest only if its own before/after
      // difference is real; otherwise the change could not be pinned to a commit.
      const largest = all.reduce((a, b) => (b.change.worse > a.change.worse ? b : a));
      if (largest.change.lo > 0) culprits = [largest];
      else unresolved = true;
    }
    const minorSteps = all.filter((f) => !culprits.includes(f));
    if (unresolved) for (const f of all) this.suspects.add(this.graph.index.get(f.sha)!);
    const suspects = [...this.suspects].sort((a, b) => a - b).map((i) => this.graph.shas[i]);
    this.outcome = {
      status: status === 'found' && (culprits.length === 0 || unresolved) ? 'ambiguous' : status,
      culprits: status === 'no-regression' ? [] : culprits,
      minorSteps: unresolved ? [] : minorSteps,
      unresolved,
      suspects,
      endpoints: this.endpoints!,
      verdicts: this.verdicts,
      threshold: this.threshold!,
      thresholdSource: this.thresholdSource,
      alpha: this.alpha,
      confidence: this.opts.confidence,
    };
  }
}

/** What a trial shows of its commit against its good and bad references. */
interface Facts {
  worseThanGood: boolean;
  betterThanBad: boolean;
  /** Not worse than good by more than the margin. */
  likeGood: boolean;
  /** Not better than bad by more than the margin. */
  likeBad: boolean;
}

/** What each verdict needs. */
function holds(v: 'between' | 'good' | 'bad', f: Facts): boolean {
  return v === 'between' ? f.worseThanGood && f.betterThanBad : v === 'good' ? f.betterThanBad && f.likeGood : f.worseThanGood && f.likeBad;
}

/** The first verdict that holds, in order of precedence. */
function decided(f: Facts): 'between' | 'good' | 'bad' | undefined {
  return (['between', 'good', 'bad'] as const).find((v) => holds(v, f));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
