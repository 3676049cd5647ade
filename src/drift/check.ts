import { BisectEngine } from '../bisect/engine.js';
import type { CommitVerdict, CulpritFinding, Outcome, Purpose } from '../bisect/outcome.js';
import type { RangeCommit } from '../bisect/graph.js';
import { blockOrder, looks } from '../bisect/schedule.js';
import { compare, type Better } from '../stats/compare.js';
import { seededRng, type Rng } from '../stats/rng.js';
import { median } from '../stats/summary.js';
import { defaultSplitP, findCandidates, pointsToAdd, spanCandidates, worseBy, type Candidate } from './candidates.js';
import type { SeriesPoint } from './changepoints.js';
import { confirmCreep, confirmStep, type Decided } from './confirm.js';
import { creepContributors } from './drift.js';
import { spreadPoints } from './window.js';

export interface DriftCheckOptions {
  /** Smallest relative change that counts (the probe's threshold). */
  threshold: number;
  better: Better;
  deterministic: boolean;
  /** Samples of each point, and of each first look of a confirmation or a bisect. */
  minSamples: number;
  maxSamples: number;
  /** Confidence of each bisect (the engine's), which sets the level a candidate is confirmed at. */
  confidence: number;
  /** About how many commits of the window to measure first, both ends included. */
  points: number;
  /** Points the check may add inside intervals that moved, before it looks for steps. */
  extraPoints: number;
}

/** What the harness measures next: the runs of `order`, one each, as a bisect block. */
export interface DriftMeasure {
  type: 'measure';
  /** Points against the start; a candidate's two points; a bisect inside a confirmed step; the window's ends. */
  stage: 'series' | 'confirm' | 'bisect' | 'creep';
  target: string;
  refs: string[];
  /** Every run of the block in order, the target's and the reference's interleaved and shuffled in each round. */
  order: string[];
  rounds: number;
  purpose: Purpose;
}

/** One measured point: its samples scaled to the start's median of the whole run. */
export interface SeriesEntry extends SeriesPoint {
  /** Position in the window (0 = its start). */
  position: number;
  value: number;
  /** Measured because the interval it splits moved, not in the first spread. */
  added: boolean;
}

/** A step located by the bisect inside a confirmed candidate. */
export interface LocatedStep {
  culprit: string;
  /** The commit it was measured beside (its parent when measured). */
  parent: string;
  kind: 'regression' | 'improvement';
  /** Culprit against parent, + = worse in the metric's own direction, with its interval and p. */
  change: number;
  lo: number;
  hi: number;
  p: number;
  before: number;
  after: number;
}

export interface CandidateResult extends Candidate {
  /** The measured points either side. */
  from: string;
  to: string;
  /** The interleaved re-measurement of `from` and `to` (absent when one of them could not be measured again). */
  confirmation?: Decided;
  status: 'step' | 'rejected';
  /** What rejected it: the confirmation, the bisect (no single commit carries the change), a failed measurement. */
  rejectedBy?: 'confirmation' | 'bisect' | 'measurement';
  /** Figures of the bisect when it ran: its status and the largest commit-to-commit change it saw, + = worse. */
  bisect?: { status: Outcome['status']; largest?: LocatedStep; commits: number };
  steps: LocatedStep[];
  /** Why a measurement failed. */
  failure?: string;
}

export interface CreepResult {
  /** Window start to end, re-measured side by side, + = worse. */
  total: number;
  /** What the located steps do not account for. */
  unexplained: number;
  confirmation: Decided;
  found: boolean;
  /** The largest intervals outside the located steps, worst first (positions in the series). */
  contributors: { from: number; to: number; worse: number }[];
  /** The largest measured interval outside the located steps. */
  largestInterval: number;
}

export interface DriftOutcome {
  series: SeriesEntry[];
  candidates: CandidateResult[];
  /** The creep check, when the series left more change unexplained than half the threshold. */
  creep?: CreepResult;
  skipped: { sha: string; reason: string }[];
}

/** What happened since the last look, for the harness to show. */
export type DriftProgress =
  | { type: 'points-added'; shas: string[] }
  | { type: 'series'; series: SeriesEntry[]; candidates: number; spans: number }
  | { type: 'confirming'; candidate: Candidate; from: string; to: string }
  | { type: 'candidate'; result: CandidateResult }
  | { type: 'verdict'; verdict: CommitVerdict }
  | { type: 'creep'; creep: CreepResult };

interface Pending {
  candidate: Candidate;
  fromPos: number;
  toPos: number;
  before: number[];
  after: number[];
  look: number;
  engine: BisectEngine;
  /** The commit the engine's current block measures (a failure there is the engine's to skip). */
  target?: string;
  confirmation?: Decided;
  seenVerdicts: number;
}

/**
 * A drift check as a pure state machine, like the bisect engine: it says which block to measure
 * next, takes the samples, and decides. First a spread of the window against its start, then more
 * points inside the intervals that moved; then lenient candidates (any interval above the
 * threshold, any split at p ≤ 0.05), each confirmed by re-measuring its two neighbours side by
 * side at the bisect's level and only then bisected; last, the creep the located steps leave
 * unexplained, confirmed the same way on the window's ends.
 */
export class DriftCheck {
  private readonly looks: number[];
  private readonly queue: number[];
  private readonly blocks = new Map<number, { samples: number[]; base: number[] }>();
  private readonly failed = new Set<number>();
  private readonly added = new Set<number>();
  private extraLeft: number;
  private stage: DriftMeasure['stage'] | 'done' = 'series';
  private series: SeriesEntry[] = [];
  private candidates: Candidate[] = [];
  /** Spans over one point, confirmed only where the candidates before them located nothing. */
  private spans: Candidate[] = [];
  private next_ = 0;
  private pending: Pending | undefined;
  private readonly results: CandidateResult[] = [];
  /** The creep block's samples by commit: the window's ends and each located step's two commits. */
  private creepSamples = { of: new Map<string, number[]>(), look: 0 };
  /** Step commits that failed in the creep block: their steps are weighed by their bisects' figures. */
  private creepFailed = new Set<string>();
  private creep: CreepResult | undefined;
  private readonly skipped: { sha: string; reason: string }[] = [];
  private readonly progress: DriftProgress[] = [];
  private outcome: DriftOutcome | undefined;

  constructor(
    private readonly commits: readonly RangeCommit[],
    private readonly options: DriftCheckOptions,
    private readonly rng: Rng,
  ) {
    if (commits.length < 2) throw new Error('a drift window needs its start and at least one commit');
    const min = options.deterministic ? 1 : Math.max(2, options.minSamples);
    this.looks = options.deterministic ? [1] : looks(min, Math.max(min, options.maxSamples));
    this.queue = spreadPoints(commits.length, options.points).slice(1);
    this.extraLeft = options.extraPoints;
  }

  /** Progress since the last call. */
  drain(): DriftProgress[] {
    return this.progress.splice(0);
  }

  /** Commits the check will measure after the current block: what a harness can build meanwhile. */
  nextTargets(): string[] {
    if (this.stage === 'series') return this.queue.slice(1, 3).map((p) => this.commits[p].sha);
    if (this.stage === 'bisect') return this.pending!.engine.nextTargets();
    return [];
  }

  next(): DriftMeasure | { type: 'done'; outcome: DriftOutcome } {
    for (;;) {
      if (this.outcome) return { type: 'done', outcome: this.outcome };
      const step = this.stepOfStage();
      if (step) return step;
    }
  }

  /** Samples of the block just measured, keyed by commit. */
  record(samples: Record<string, number[]>): void {
    switch (this.stage) {
      case 'series': {
        const pos = this.queue.shift()!;
        this.blocks.set(pos, { samples: samples[this.commits[pos].sha] ?? [], base: samples[this.start] ?? [] });
        return;
      }
      case 'confirm': {
        const p = this.pending!;
        p.before.push(...(samples[this.commits[p.fromPos].sha] ?? []));
        p.after.push(...(samples[this.commits[p.toPos].sha] ?? []));
        this.decideConfirmation(p);
        return;
      }
      case 'bisect': {
        const p = this.pending!;
        p.engine.record(samples);
        this.drainVerdicts(p);
        return;
      }
      case 'creep': {
        const c = this.creepSamples;
        for (const [sha, values] of Object.entries(samples)) c.of.set(sha, [...(c.of.get(sha) ?? []), ...values]);
        this.decideCreep();
        return;
      }
      default:
        throw new Error('no measurement was asked for');
    }
  }

  /** The block's commit could not be built or measured. */
  skip(sha: string, reason: string): void {
    this.skipped.push({ sha, reason });
    switch (this.stage) {
      case 'series':
        this.failed.add(this.queue.shift()!);
        return;
      case 'confirm':
      case 'bisect': {
        const p = this.pending!;
        if (this.stage === 'bisect' && sha === p.target && sha !== this.commits[p.toPos].sha) {
          p.engine.skip(reason);
          return;
        }
        this.finishCandidate(p, { status: 'rejected', rejectedBy: 'measurement', steps: [], failure: reason });
        return;
      }
      case 'creep':
        // A step's commit that measured before and fails now (a flaky probe) costs only its pair: the
        // block runs again without it. Without the window's end there is no creep to measure.
        if (sha !== this.end && this.locatedSteps().some((st) => st.parent === sha || st.culprit === sha)) {
          this.creepFailed.add(sha);
          this.creepSamples = { of: new Map(), look: 0 };
          return;
        }
        this.creep = undefined;
        this.finish();
        return;
      default:
        throw new Error('no measurement was asked for');
    }
  }

  private get start(): string {
    return this.commits[0].sha;
  }

  private stepOfStage(): DriftMeasure | undefined {
    switch (this.stage) {
      case 'series':
        if (this.queue.length) {
          const sha = this.commits[this.queue[0]].sha;
          return this.block('series', sha, [this.start], this.looks[0], 'verdict');
        }
        this.endSeriesRound();
        return undefined;
      case 'confirm': {
        const p = this.pending!;
        const rounds = Math.max(1, this.looks[p.look] - p.after.length);
        return this.block('confirm', this.commits[p.toPos].sha, [this.commits[p.fromPos].sha], rounds, 'endpoints');
      }
      case 'bisect': {
        const p = this.pending!;
        const step = p.engine.next();
        if (step.type === 'done') {
          this.endBisect(p, step.outcome);
          return undefined;
        }
        p.target = step.target;
        return { ...step, stage: 'bisect' };
      }
      case 'creep': {
        const c = this.creepSamples;
        const end = this.end;
        const rounds = Math.max(1, this.looks[c.look] - (c.of.get(end)?.length ?? 0));
        const pairs = this.locatedSteps()
          .filter((st) => !this.creepFailed.has(st.parent) && !this.creepFailed.has(st.culprit))
          .flatMap((st) => [st.parent, st.culprit]);
        const refs = [...new Set([this.start, ...pairs])].filter((x) => x !== end);
        return this.block('creep', end, refs, rounds, 'endpoints');
      }
      default:
        return undefined;
    }
  }

  private block(stage: Stage, target: string, refs: string[], rounds: number, purpose: Purpose): DriftMeasure {
    const order = blockOrder([...refs.map((r) => [r, rounds] as const), [target, rounds]], this.rng);
    return { type: 'measure', stage, target, refs, order, rounds, purpose };
  }

  /** The series so far, every point scaled by the start's median in its own block. */
  private buildSeries(): SeriesEntry[] {
    const measured = [...this.blocks.keys()].filter((p) => !this.failed.has(p)).sort((a, b) => a - b);
    const baseAll = measured.flatMap((p) => this.blocks.get(p)!.base);
    const baseMedian = median(baseAll);
    const out: SeriesEntry[] = [{ position: 0, sha: this.start, samples: baseAll, value: baseMedian, added: false }];
    for (const pos of measured) {
      const b = this.blocks.get(pos)!;
      // The machine getting slower during the run must not read as a trend: each point against its own block's start.
      const scale = baseMedian / (median(b.base) || baseMedian || 1);
      const samples = b.samples.map((x) => x * scale);
      const sha = this.commits[pos].sha;
      out.push({ position: pos, sha, samples, value: median(samples), added: this.added.has(pos) });
    }
    return out;
  }

  private candidateOptions() {
    return { threshold: this.options.threshold, better: this.options.better, splitP: defaultSplitP };
  }

  /** After a round of points: add points where the series moved, or go on to the candidates. */
  private endSeriesRound(): void {
    const series = this.buildSeries();
    if (series.length < 2) {
      this.series = series;
      this.finish();
      return;
    }
    const candidates = findCandidates(series, this.candidateOptions());
    const more =
      this.extraLeft > 0
        ? pointsToAdd(
            series,
            series.map((p) => p.position),
            candidates,
            {
              threshold: this.options.threshold,
              better: this.options.better,
              deterministic: this.options.deterministic,
              alpha: defaultSplitP,
            },
          )
            .filter((pos) => !this.blocks.has(pos) && !this.failed.has(pos))
            .slice(0, this.extraLeft)
        : [];
    if (more.length) {
      this.extraLeft -= more.length;
      for (const pos of more) this.added.add(pos);
      this.queue.push(...more.sort((a, b) => a - b));
      this.progress.push({ type: 'points-added', shas: more.map((p) => this.commits[p].sha) });
      return;
    }
    this.series = series;
    this.candidates = candidates;
    this.spans = spanCandidates(series, this.options);
    this.progress.push({ type: 'series', series, candidates: candidates.length, spans: this.spans.length });
    this.stage = 'confirm';
    this.startCandidate();
  }

  /** The next candidate to confirm: the candidates in order, then the spans that hold no change confirmed already. */
  private nextCandidate(): Candidate | undefined {
    if (this.next_ < this.candidates.length) return this.candidates[this.next_++];
    while (this.spans.length) {
      const span = this.spans.shift()!;
      const lo = this.series[span.before].position;
      const hi = this.series[span.at].position;
      const covered = this.results.some((r) => {
        const a = this.series[r.before].position;
        const b = this.series[r.at].position;
        return r.confirmation?.verdict === 'confirmed' && a < hi && b > lo;
      });
      if (!covered) return span;
    }
    return undefined;
  }

  private startCandidate(): void {
    const candidate = this.nextCandidate();
    if (!candidate) {
      this.startCreep();
      return;
    }
    const fromPos = this.series[candidate.before].position;
    const toPos = this.series[candidate.at].position;
    const engine = this.engineFor(candidate, fromPos, toPos);
    this.pending = { candidate, fromPos, toPos, before: [], after: [], look: 0, engine, seenVerdicts: 0 };
    this.progress.push({ type: 'confirming', candidate, from: this.commits[fromPos].sha, to: this.commits[toPos].sha });
  }

  /** The bisect of a candidate's range, in its direction (an improvement is bisected with the metric flipped). */
  private engineFor(candidate: Candidate, fromPos: number, toPos: number): BisectEngine {
    return new BisectEngine(
      this.commits.slice(fromPos + 1, toPos + 1), { good: this.commits[fromPos].sha, bad: this.commits[toPos].sha },
      {
        threshold: this.options.threshold, better: this.direction(candidate), deterministic: this.options.deterministic,
        minSamples: this.options.minSamples, maxSamples: this.options.maxSamples, confidence: this.options.confidence,
      },
      seededRng(Math.floor(this.rng() * 2 ** 32)), { firstParent: true },
    );
  }

  private direction(candidate: Candidate): Better {
    return candidate.kind === 'improvement' ? flip(this.options.better) : this.options.better;
  }

  private decideConfirmation(p: Pending): void {
    const have = p.after.length;
    while (p.look < this.looks.length - 1 && this.looks[p.look] <= have) p.look++;
    const c = confirmStep(p.before, p.after, {
      threshold: this.options.threshold, alpha: p.engine.perComparisonAlpha, better: this.direction(p.candidate),
      deterministic: this.options.deterministic,
      first: have < (this.looks[1] ?? Infinity), final: have >= this.looks[this.looks.length - 1],
    });
    if (c.verdict === 'more') return;
    p.confirmation = { ...c, verdict: c.verdict };
    if (c.verdict !== 'confirmed') {
      this.finishCandidate(p, { status: 'rejected', rejectedBy: 'confirmation', steps: [] });
      return;
    }
    if (c.opposite) {
      // The re-measurement says the step goes the other way than the series did: bisect it that way.
      p.candidate = { ...p.candidate, kind: p.candidate.kind === 'improvement' ? 'regression' : 'improvement' };
      p.confirmation = { ...p.confirmation, worse: -c.worse, lo: -c.hi, hi: -c.lo };
      p.engine = this.engineFor(p.candidate, p.fromPos, p.toPos);
    }
    // The confirming block is the bisect's first: the engine starts from its samples.
    const first = p.engine.next();
    if (first.type === 'measure') {
      p.engine.record({ [this.commits[p.fromPos].sha]: p.before, [this.commits[p.toPos].sha]: p.after });
    }
    this.stage = 'bisect';
  }

  private drainVerdicts(p: Pending): void {
    const vs = p.engine.verdictList;
    for (; p.seenVerdicts < vs.length; p.seenVerdicts++) {
      const verdict = vs[p.seenVerdicts];
      if (verdict.verdict !== 'skipped') this.progress.push({ type: 'verdict', verdict });
    }
  }

  /**
   * A confirmed change is a step when the bisect pins it on a commit whose own change (beside its
   * parent) is significant and reaches the threshold, as a bisect's culprit must; a change spread
   * over several commits, none of which carries the threshold alone, is creep, left to the creep check.
   */
  private endBisect(p: Pending, out: Outcome): void {
    this.drainVerdicts(p);
    const sign = p.candidate.kind === 'improvement' ? -1 : 1;
    const located = out.culprits.concat(out.minorSteps).map((c) => this.locatedStep(c, p.candidate.kind, sign));
    const largest = located.reduce<LocatedStep | undefined>(
      (a, b) => (!a || Math.abs(b.change) > Math.abs(a.change) ? b : a),
      undefined,
    );
    const carries = (s: LocatedStep) => s.p < 0.05 && sign * s.change >= this.options.threshold;
    const culprits = out.status === 'no-regression' || out.unresolved ? [] : out.culprits;
    const steps = culprits.map((c) => this.locatedStep(c, p.candidate.kind, sign)).filter(carries);
    const bisect = { status: out.status, largest, commits: p.toPos - p.fromPos };
    if (steps.length) this.finishCandidate(p, { status: 'step', steps, bisect });
    else this.finishCandidate(p, { status: 'rejected', rejectedBy: 'bisect', steps: [], bisect });
  }

  private locatedStep(c: CulpritFinding, kind: 'regression' | 'improvement', sign: number): LocatedStep {
    // The engine measured an improvement with the direction flipped: turn it back into the metric's own.
    const [lo, hi] = sign > 0 ? [c.change.lo, c.change.hi] : [-c.change.hi, -c.change.lo];
    return {
      culprit: c.sha, parent: c.before, kind, change: sign * c.change.worse, lo, hi, p: c.change.p,
      before: c.beforeSummary.median, after: c.afterSummary.median,
    };
  }

  private finishCandidate(p: Pending, r: Decision): void {
    const result: CandidateResult = {
      ...p.candidate, from: this.commits[p.fromPos].sha, to: this.commits[p.toPos].sha,
      ...(p.confirmation ? { confirmation: p.confirmation } : {}), ...r,
    };
    this.results.push(result);
    this.progress.push({ type: 'candidate', result });
    this.pending = undefined;
    this.stage = 'confirm';
    this.startCandidate();
  }

  private locatedSteps(): LocatedStep[] {
    return this.results.flatMap((r) => r.steps);
  }

  private get end(): string {
    return this.series[this.series.length - 1].sha;
  }

  /**
   * What the located steps explain, from their two commits measured in the creep block beside the
   * window's ends. Not from the bisects' figures: those blocks ran under other load, and a loaded
   * machine adds about the same time to every run of a block, which shrinks or stretches a large
   * step's ratio by more than the threshold: the rest would read as creep. A step whose commits
   * failed in the creep block is weighed by its bisect's figure, the best there is.
   */
  private explainedBeside(alpha: number): number {
    const of = (sha: string) => this.creepSamples.of.get(sha) ?? [];
    const { threshold, better, deterministic } = this.options;
    return this.locatedSteps().reduce((f, st) => {
      const before = of(st.parent), after = of(st.culprit);
      if (!before.length || !after.length) return f * (1 + st.change);
      return f * (1 + compare(before, after, { threshold, better, deterministic, alpha }).worse);
    }, 1);
  }

  /**
   * Creep is worth re-measuring whenever a step was located (the series and the bisects measured the
   * step in blocks under other load, and a large step's share can be off by more than the threshold
   * either way), and otherwise when the series moved by more than half the threshold.
   */
  private startCreep(): void {
    const values = this.series.map((p) => p.value);
    const total = worseBy(values[0], values[values.length - 1], this.options.better);
    if (!this.locatedSteps().length && total <= this.options.threshold / 2) {
      this.finish();
      return;
    }
    this.stage = 'creep';
  }

  private decideCreep(): void {
    const c = this.creepSamples;
    const have = c.of.get(this.end)?.length ?? 0;
    while (c.look < this.looks.length - 1 && this.looks[c.look] <= have) c.look++;
    const explained = this.explainedBeside(this.creepAlpha());
    const confirmation = confirmCreep(c.of.get(this.start) ?? [], c.of.get(this.end) ?? [], explained, {
      threshold: this.options.threshold, better: this.options.better, deterministic: this.options.deterministic,
      alpha: this.creepAlpha(),
      first: have < (this.looks[1] ?? Infinity),
      final: have >= this.looks[this.looks.length - 1],
    });
    if (confirmation.verdict === 'more') return;
    const decided: Decided = { ...confirmation, verdict: confirmation.verdict };
    const stepAts = new Set(this.results.filter((r) => r.status === 'step').flatMap((r) => [r.at, r.before + 1]));
    const contributors = creepContributors(this.series.map((p) => p.value), stepAts, this.options.better);
    this.creep = {
      total: (1 + decided.worse) * explained - 1, unexplained: decided.worse, confirmation: decided,
      found: decided.verdict === 'confirmed',
      contributors: contributors.slice(0, 3),
      largestInterval: contributors[0]?.worse ?? 0,
    };
    this.progress.push({ type: 'creep', creep: this.creep });
    this.finish();
  }

  /** The creep check's error rate: one decision, split over its looks and sides as the engine splits a bisect's. */
  private creepAlpha(): number {
    return (1 - this.options.confidence) / (this.looks.length * 2);
  }

  private finish(): void {
    this.stage = 'done';
    const creep = this.creep ? { creep: this.creep } : {};
    this.outcome = { series: this.series, candidates: this.results, ...creep, skipped: this.skipped };
  }
}

const flip = (b: Better): Better => (b === 'lower' ? 'higher' : 'lower');
type Stage = DriftMeasure['stage'];
/** What deciding a candidate adds to it. */
type Decision = Omit<CandidateResult, keyof Candidate | 'from' | 'to' | 'confirmation'>;
