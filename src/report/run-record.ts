import type { Outcome } from '../bisect/outcome.js';
import type { BlockRecord, CommitMeta, RunEvent } from '../events.js';
import type { Evidence } from '../evidence/types.js';
import type { NoiseReport } from '../events.js';
import type { RunCost } from '../run-cost.js';
import { median, summarize } from '../stats/summary.js';
import { buildResult, type FleetMachine, type RunResult } from './result.js';
import { DriftBlocks, speedDrift } from './speed-drift.js';
import { quieterCpu, RunTimes } from './quieter-cpu.js';

type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

/** What a bisect's run log folds to: the result, and what the writeup draws beside it. */
export interface RunRecord {
  result: RunResult;
  meta: Map<string, CommitMeta>;
  /** A commit's samples as the result counts them (on a fleet: those of the machine that decided it). */
  samples: (sha: string) => number[];
  /** When the run ended (ISO 8601): the writeup's date. */
  ended?: string;
}

/** The log cannot be folded into a result: it has not ended, or an event the result needs is missing. */
export class RecordError extends Error {}

/**
 * A bisect's result as a fold over its run log (runs/<id>/events.jsonl). The run writes its
 * result.json and writeup through this very fold, and `perfbisect report` rebuilds them from the
 * log alone, so the two are the same by construction.
 */
export function foldRun(events: readonly RunEvent[]): RunRecord {
  let start: Of<'run-start'> | undefined;
  let end: Of<'run-end'> | undefined;
  let searchEnd: Of<'search-end'> | undefined;
  let noise: NoiseReport | undefined;
  let cost: RunCost | undefined;
  const meta = new Map<string, CommitMeta>();
  const blocks: BlockRecord[] = [];
  const rounds: Of<'round'>[] = [];
  const jobs: Of<'job-end'>[] = [];
  const descents = new Map<string, Of<'dep-result'>>();
  const evidence: Evidence[] = [];
  const drift = new DriftBlocks();
  const times = new RunTimes();
  for (const e of events) {
    drift.see(e);
    times.see(e);
    switch (e.type) {
      case 'run-start':
        start = e;
        break;
      case 'range':
        if (e.good) meta.set(e.good.sha, e.good);
        for (const c of e.commits) meta.set(c.sha, c);
        break;
      case 'block':
        // The descent into a dependency measures after the search, with engines of its own.
        if (!searchEnd) blocks.push(e);
        break;
      case 'noise':
        noise = e.noise;
        break;
      case 'round':
        rounds.push(e);
        break;
      case 'job-end':
        if (!e.lost) jobs.push(e);
        break;
      case 'search-end':
        searchEnd = e;
        break;
      case 'dep-result':
        descents.set(e.culprit, e);
        break;
      case 'evidence':
        if (e.evidence) evidence.push(e.evidence);
        break;
      case 'cost':
        cost = e.cost;
        break;
      case 'run-end':
        end = e;
        break;
    }
  }
  if (!start) throw new RecordError('it does not start with a run-start event');
  if (!end) throw new RecordError('the run has no end yet');
  if (!searchEnd || !cost) throw new RecordError(`it has a run-end but no ${searchEnd ? 'cost' : 'search-end'} event`);
  const outcome = end.outcome;
  const taken = samplesOf(blocks);
  const deciding = start.fleet ? (sha: string) => decidingMachine(outcome, taken, sha) : () => undefined;
  const samples = (sha: string) => {
    const machine = deciding(sha);
    const blocks = taken.samples.get(sha) ?? [];
    return blocks.filter((b) => machine === undefined || b.machine === machine).flatMap((b) => b.values);
  };
  const result = buildResult({
    outcome,
    meta,
    files: new Map(searchEnd.culprits.map((c) => [c.sha, c.files])),
    samples,
    summary: (sha) => summarize(samples(sha)),
    details: (sha) => medianDetails(taken.details.get(sha)),
    censored: { count: (sha) => taken.censored.get(sha) ?? 0, at: taken.censoredAt },
    probe: { name: start.probe.name, kind: start.probe.kind, metric: start.metric, deterministic: start.deterministic },
    good: start.good,
    bad: start.bad,
    rangeSize: start.rangeSize,
    runId: start.runId,
    runDir: start.runDir,
    reproduce: start.reproduce,
    cost,
    noise,
  });
  const doubtful = new Map(searchEnd.culprits.map((c) => [c.sha, c.suspicious]));
  for (const c of result.culprits) {
    const suspicious = doubtful.get(c.sha);
    if (suspicious) c.suspicious = suspicious;
    const d = descents.get(c.sha);
    if (d?.descent) Object.assign(c, { descent: d.descent }, d.dependency ? { dependency: d.dependency } : {});
  }
  if (start.fleet) {
    const { runner, runners } = start.fleet;
    result.fleet = { runner, runners, rounds: rounds.length, machines: fleetMachines(rounds, jobs) };
  }
  if (evidence.length) result.evidence = evidence;
  const moved = speedDrift(drift.blocks);
  if (moved) result.speedDrift = moved;
  const quieter = quieterCpu(times);
  if (quieter) result.quieterCpu = quieter;
  return { result, meta, samples, ended: end.time };
}

interface Taken {
  samples: Map<string, { machine: string; values: number[] }[]>;
  details: Map<string, Record<string, number>[]>;
  censored: Map<string, number>;
  censoredAt?: number;
}

/** Every commit's samples block by block (with the machine that took them), details and censored counts. */
function samplesOf(blocks: readonly BlockRecord[]): Taken {
  const out: Taken = { samples: new Map(), details: new Map(), censored: new Map() };
  for (const b of blocks) {
    if (b.failure) continue;
    for (const [sha, values] of Object.entries(b.samples)) {
      if (values.length) out.samples.set(sha, [...(out.samples.get(sha) ?? []), { machine: b.machine ?? '', values }]);
      const cut = b.censored?.[sha] ?? [];
      if (!cut.length) continue;
      out.censored.set(sha, (out.censored.get(sha) ?? 0) + cut.length);
      out.censoredAt = values[cut[cut.length - 1]];
    }
    for (const [sha, list] of Object.entries(b.details ?? {})) {
      out.details.set(sha, [...(out.details.get(sha) ?? []), ...list]);
    }
  }
  return out;
}

/** On a fleet, the machine whose samples decided a commit's verdict (the endpoints': the first that measured them). */
function decidingMachine(outcome: Outcome, taken: Taken, sha: string): string | undefined {
  return outcome.verdicts.find((v) => v.sha === sha && v.machine)?.machine ?? taken.samples.get(sha)?.[0]?.machine;
}

/** The machines of a fleet and the jobs each ran, in the order the jobs came back. */
function fleetMachines(rounds: readonly Of<'round'>[], ends: readonly Of<'job-end'>[]): FleetMachine[] {
  const machines = new Map<string, FleetMachine>();
  for (const e of ends) {
    if (!e.machine) continue;
    const plan = rounds.find((r) => r.round === e.round)?.jobs.find((j) => j.index === e.index);
    const host = e.host ?? { name: e.machine, cpu: '', cores: 0, os: '' };
    const m = machines.get(e.machine) ?? {
      key: e.machine, name: host.name, cpu: host.cpu, cores: host.cores, os: host.os, jobs: [],
    };
    machines.set(e.machine, m);
    m.jobs.push({
      round: e.round, index: e.index, target: e.target, refs: plan?.refs ?? [], purpose: plan?.purpose ?? 'verdict',
      ...(e.where ? { where: e.where } : {}),
    });
  }
  return [...machines.values()];
}

/** Per-field medians of a commit's sample details (p50, p99, rps …) for the before/after table. */
export function medianDetails(list?: Record<string, number>[]): Record<string, number> | undefined {
  const given = (list ?? []).filter((d) => Object.keys(d).length > 0);
  if (!given.length) return undefined;
  const out: Record<string, number> = {};
  for (const k of Object.keys(given[0])) {
    const v = given.map((d) => d[k]).filter((x) => typeof x === 'number');
    if (v.length) out[k] = median(v);
  }
  return out;
}
