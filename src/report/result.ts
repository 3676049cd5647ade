import type { SpeedDrift } from './speed-drift.js';
import type { QuieterCpu } from './quieter-cpu.js';
import type { CommitVerdict, CulpritFinding, ImprovementSeen, Outcome } from '../bisect/outcome.js';
import type { CommitMeta, NoiseReport } from '../events.js';
import type { MetricInfo } from '../probes/types.js';
import type { Summary } from '../stats/summary.js';
import type { Evidence } from '../evidence/types.js';
import type { DependencyDescent, DependencyFinding } from '../deps/result.js';
import type { RunCost } from '../run-cost.js';

export type { CommitCost, RunCost } from '../run-cost.js';

/** The result JSON (`--json`, runs/<id>/result.json). Documented in docs/result-schema.md; keep it stable. */
export interface ResultSummary {
  median: number;
  n: number;
  spread: number;
}

export interface ResultChange {
  /** median(after) / median(before). */
  ratio: number;
  /**
   * Interval of the ratio at `confidence`: the Hodges-Lehmann shift's distribution-free (Moses) bounds over the median
   * before.
   */
  ci: [number, number];
  confidence: number;
  /** Mann-Whitney U two-sided p-value (0 or 1 for deterministic metrics). */
  p: number;
  /** Relative worsening (Hodges-Lehmann shift / median before), positive = worse in the metric's direction. */
  worse: number;
}

export interface ResultCulprit {
  sha: string;
  subject: string;
  author: string;
  date: string;
  parent: string;
  /** The commit the change is measured against (the parent when it was measured). */
  baseline: string;
  /** `before` and `after` come from blocks that measured both (else from all their samples, at different times). */
  sideBySide: boolean;
  files: { file: string; added: number; removed: number }[];
  before: ResultSummary;
  after: ResultSummary;
  change: ResultChange;
  details?: { before: Record<string, number>; after: Record<string, number> };
  /** Why this verdict is doubtful, e.g. the build outputs are byte-identical to the baseline's. */
  suspicious?: string;
  /** The package (version, commit) of a lockfile change that carries the regression (docs/dependencies.md). */
  dependency?: DependencyFinding;
  /** How far the descent into the culprit's lockfile change went, and why it stopped. */
  descent?: DependencyDescent;
}

/** An improvement as the outcome has it, its comparison cut to the fields every comparison in the JSON has. */
export type ResultImprovement = Omit<ImprovementSeen, 'vs'> & { vs: { worse: number; lo: number; hi: number; p: number } };

export interface ResultCommit {
  sha: string;
  subject: string;
  verdict: CommitVerdict['verdict'] | 'good-endpoint' | 'bad-endpoint';
  lean?: 'good' | 'bad' | 'between';
  summary: ResultSummary;
  vsGood?: { worse: number; lo: number; hi: number; p: number };
  vsBad?: { worse: number; lo: number; hi: number; p: number };
  reason?: string;
  /** A further step on the commit's side up to this size could not be ruled out at the run's noise. */
  unresolved?: number;
  /** Samples of this commit stopped at the probe's timeout (counted as `censoredAt`, a lower bound). */
  censored?: number;
  /** On a fleet: the machine whose samples decided the verdict. */
  machine?: string;
}

/** A machine of a fleet and the jobs it ran: which commits it measured beside which references. */
export interface FleetMachine {
  /** The engine's key for it (name/fingerprint): samples are compared only among one key's. */
  key: string;
  name: string;
  cpu: string;
  cores: number;
  os: string;
  jobs: { round: number; index: number; target: string; refs: string[]; purpose: string; where?: string }[];
}

export interface RunResult {
  schemaVersion: 1;
  status: Outcome['status'];
  culprit: ResultCulprit | null;
  culprits: ResultCulprit[];
  suspects: string[];
  /** True when the change is real but could not be pinned to one commit (see `suspects`). */
  unresolved: boolean;
  commits: ResultCommit[];
  probe: { name: string; kind: string; metric: MetricInfo; deterministic: boolean };
  good: { ref: string; sha: string };
  bad: { ref: string; sha: string };
  endpoints: { good: ResultSummary; bad: ResultSummary; change: ResultChange; inconclusive: boolean };
  threshold: { value: number; source: string };
  /**
   * The change below which "no regression" is claimed: status no-regression below it, undecided when not shown either
   * way.
   */
  noRegressionBelow: number;
  /** Family-wise confidence the verdicts were held to (lowered by --budget when it had to be). */
  confidence: number;
  alphaPerComparison: number;
  /**
   * The decisions the search made (the endpoints are one) and the error rate their tests spent: the
   * verdicts are all right with probability at least 1 − alphaSpent. A further step smaller than
   * minStep between two measured commits is not looked for; one of at least minStep is missed at a
   * commit with probability at most beta. With oneStep (--one-step) no further step was looked for.
   * With sideFirst a verdict could place a commit on a side without ruling out a further step beside
   * it; such steps were looked for at the located steps' ends instead (Outcome.sideFirst).
   */
  decisions: {
    count: number; alphaSpent: number; minStep: number; beta: number; oneStep?: true; sideFirst?: Outcome['sideFirst'];
  };
  /** What the endpoints' noise implied, and how busy the machine was (see the noise event). */
  noise?: NoiseReport;
  /**
   * The machine's speed moved during the run: the same commits sat further apart from one block to
   * another than the same samples dealt to the blocks at random (src/report/speed-drift.ts). Medians
   * taken at different times are then not comparable. Not on a fleet, not for deterministic probes.
   */
  speedDrift?: SpeedDrift;
  /**
   * CPU time would have been much the quieter metric over the run, measured in wall time, where its
   * verdicts paid for the noise (src/report/quieter-cpu.ts).
   */
  quieterCpu?: QuieterCpu;
  minorSteps: { sha: string; change: ResultChange }[];
  /**
   * Steps a search first closed on that, measured beside their parent (`before`), were clearly smaller than the
   * threshold: the verdicts that led there were turned, most likely by the machine, and the commits after each were
   * searched again. Absent where there was none.
   */
  vanished?: { sha: string; before: string; change: ResultChange }[];
  /**
   * Changes for the better the verdicts showed between `after` and `through`, not looked for: `commit` measured
   * against its `ref` (`vs.worse` > 0: the commit is worse than a bad reference; < 0: better than a good one).
   */
  improvements: ResultImprovement[];
  rangeSize: number;
  runId: string;
  runDir: string;
  reproduce: string;
  cost: RunCost;
  /** Per culprit: the profile diff at the culprit against its parent (docs/evidence.md). */
  evidence?: Evidence[];
  /**
   * The value given to probe runs stopped at the probe's timeout (the timeout): such a sample means
   * "at least this". Present when any sample of the run was censored; see each commit's `censored`.
   */
  censoredAt?: number;
  /** A bisect in rounds on a fleet (--runner): the runner, jobs a round, rounds, and which machine measured what. */
  fleet?: { runner: string; runners: number; rounds: number; machines: FleetMachine[] };
}

export const brief = (s: Summary): ResultSummary => ({ median: s.median, n: s.n, spread: s.spread });

/** Whether the run skipped the commit (it could not be built or measured) at any of its verdicts. */
export const wasSkipped = (r: RunResult, sha: string): boolean =>
  r.commits.some((c) => c.sha === sha && c.verdict === 'skipped');

const located = (f: CulpritFinding, confidence: number) => ({ sha: f.sha, change: change(f, confidence) });

function change(
  f: { ratio: number; ratioCi: [number, number]; change: { p: number; worse: number } },
  confidence: number,
): ResultChange {
  return { ratio: f.ratio, ci: f.ratioCi, confidence, p: f.change.p, worse: f.change.worse };
}

export interface ResultInput {
  outcome: Outcome;
  meta: Map<string, CommitMeta>;
  files: Map<string, { file: string; added: number; removed: number }[]>;
  samples: (sha: string) => number[];
  summary: (sha: string) => Summary;
  details: (sha: string) => Record<string, number> | undefined;
  /** Censored samples per commit, and the value they were given (the probe's timeout). */
  censored?: { count: (sha: string) => number; at?: number };
  probe: RunResult['probe'];
  good: RunResult['good'];
  bad: RunResult['bad'];
  rangeSize: number;
  runId: string;
  runDir: string;
  reproduce: string;
  cost: RunCost;
  noise?: NoiseReport;
}

export function buildResult(i: ResultInput): RunResult {
  const outcome = i.outcome;
  const culprit = (f: CulpritFinding): ResultCulprit => {
    const m = i.meta.get(f.sha);
    const before = i.details(f.before);
    const after = i.details(f.sha);
    return {
      sha: f.sha,
      subject: m?.subject ?? '',
      author: m?.author ?? '',
      date: m?.date ?? '',
      parent: m?.parents[0] ?? f.before,
      baseline: f.before,
      sideBySide: f.sideBySide,
      files: i.files.get(f.sha) ?? [],
      before: brief(f.beforeSummary),
      after: brief(f.afterSummary),
      change: change(f, outcome.confidence),
      ...(before && after ? { details: { before, after } } : {}),
    };
  };
  const culprits = outcome.culprits.map(culprit);
  const largest = culprits.reduce<ResultCulprit | null>(
    (a, b) => (!a || b.change.worse > a.change.worse ? b : a),
    null,
  );
  const cmp = (c?: { worse: number; lo: number; hi: number; p: number }) =>
    c && { worse: c.worse, lo: c.lo, hi: c.hi, p: c.p };
  const cut = (sha: string) => {
    const n = i.censored?.count(sha) ?? 0;
    return n ? { censored: n } : {};
  };
  const commits: ResultCommit[] = [
    {
      sha: i.good.sha,
      subject: i.meta.get(i.good.sha)?.subject ?? '',
      verdict: 'good-endpoint',
      summary: brief(i.summary(i.good.sha)),
      ...cut(i.good.sha),
    },
    ...outcome.verdicts.map((v) => ({
      sha: v.sha,
      subject: i.meta.get(v.sha)?.subject ?? '',
      verdict: v.verdict,
      ...(v.lean ? { lean: v.lean } : {}),
      summary: brief(i.summary(v.sha)),
      vsGood: cmp(v.vsGood),
      vsBad: cmp(v.vsBad),
      ...(v.reason ? { reason: v.reason } : {}),
      ...(v.unresolved ? { unresolved: v.unresolved } : {}),
      ...(v.machine ? { machine: v.machine } : {}),
      ...cut(v.sha),
    })),
    {
      sha: i.bad.sha,
      subject: i.meta.get(i.bad.sha)?.subject ?? '',
      verdict: 'bad-endpoint',
      summary: brief(i.summary(i.bad.sha)),
      ...cut(i.bad.sha),
    },
  ];
  const e = outcome.endpoints;
  return {
    schemaVersion: 1,
    status: outcome.status,
    culprit: largest,
    culprits,
    suspects: outcome.suspects,
    unresolved: outcome.unresolved,
    commits,
    probe: i.probe,
    good: i.good,
    bad: i.bad,
    endpoints: {
      good: brief(e.good),
      bad: brief(e.bad),
      change: {
        ratio: e.ratio,
        ci: e.ratioCi,
        confidence: outcome.confidence,
        p: e.comparison.p,
        worse: e.comparison.worse,
      },
      inconclusive: e.inconclusive,
    },
    threshold: { value: outcome.threshold, source: outcome.thresholdSource },
    noRegressionBelow: outcome.noRegressionBelow,
    confidence: outcome.confidence,
    alphaPerComparison: outcome.alpha,
    decisions: {
      count: outcome.decisions,
      alphaSpent: outcome.alphaSpent,
      minStep: outcome.minStep,
      beta: outcome.beta,
      ...(outcome.oneStep ? { oneStep: true as const } : {}),
      ...(outcome.sideFirst ? { sideFirst: outcome.sideFirst } : {}),
    },
    ...(i.noise ? { noise: i.noise } : {}),
    minorSteps: outcome.minorSteps.map((f) => located(f, outcome.confidence)),
    ...(outcome.vanished?.length
      ? { vanished: outcome.vanished.map((f) => ({ ...located(f, outcome.confidence), before: f.before })) }
      : {}),
    improvements: (outcome.improvements ?? []).map((m) => ({ ...m, vs: cmp(m.vs)! })),
    rangeSize: i.rangeSize,
    runId: i.runId,
    runDir: i.runDir,
    reproduce: i.reproduce,
    cost: i.cost,
    ...(i.censored?.at !== undefined ? { censoredAt: i.censored.at } : {}),
  };
}
