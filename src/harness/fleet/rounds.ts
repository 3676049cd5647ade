import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BisectEngine, RoundResult } from '../../bisect/engine.js';
import { CommitFailure, EnvironmentError } from '../../errors.js';
import type { BlockRecord, CommitMeta, RunEvent } from '../../events.js';
import { hashOf } from '../store/fingerprint.js';
import { outsidePart } from '../store/outside-inputs.js';
import { Interrupted, type Measurer } from '../measure/measurer.js';
import { costOf } from '../build/prepare.js';
import type { Replay } from '../measure/replay.js';
import type { JobOutcome, Runner } from '../runners/types.js';
import { machineKey, type JobPlan, type JobResult, type RoundPlan } from './plan.js';
import { JobStore } from './store.js';

/** Attempts at one job whose runner brought nothing back (crashed, cancelled, timed out, no artifact). */
const ATTEMPTS = 3;

export interface RoundsOptions {
  engine: BisectEngine;
  runner: Runner;
  runners: number;
  measurer: Measurer;
  meta: Map<string, CommitMeta & { tree: string }>;
  cache: string;
  repoRoot: string;
  runId: string;
  runDir: string;
  plan: Omit<RoundPlan, 'schema' | 'runId' | 'round' | 'jobs'>;
  emit: (e: RunEvent) => void;
  signal: AbortSignal;
  /** --resume: the interrupted run's log, whose jobs' results are used instead of running them again. */
  replay?: Replay;
  /** A reference that failed on a job's machine: the bisect cannot go on (as in the sequential bisect). */
  referenceFailed: (sha: string, f: CommitFailure) => never;
  /** After each round: verdicts and the threshold to the views. */
  afterRound: () => void;
}

export interface RoundsSummary {
  rounds: number;
}

/**
 * The bisect in rounds: the engine names up to k commits, the runner runs one job per commit on a
 * machine of its own (each measuring its commit beside the round's references), the results come
 * back into the run log and the engine decides, until it is done. Jobs stored by an earlier run
 * (or before a crash) are replayed, not sent out again.
 */
export async function runRounds(options: RoundsOptions): Promise<RoundsSummary> {
  const { engine, measurer, emit } = options;
  const store = new JobStore(join(options.cache, 'fleet', `${hashOf([options.repoRoot, options.runner.name])}.jsonl`));
  const ordinals = new Map<string, number>();
  const attempts = new Map<number, number>();
  const cost = measurer.cost;
  cost.rounds = 0;
  cost.fleetJobs = 0;
  cost.fleetJobsCached = 0;
  for (let round = 1; ; round++) {
    if (options.signal.aborted) throw new Interrupted();
    const step = engine.nextRound(options.runners);
    if (step.type === 'done') break;
    cost.rounds = round;
    const jobs: JobPlan[] = step.steps.map((s, index) => {
      const commits = [s.target, ...s.refs];
      const sig = commits.join('|');
      const ordinal = ordinals.get(sig) ?? 0;
      ordinals.set(sig, ordinal + 1);
      const order = s.order.map((sha) => commits.indexOf(sha));
      const tree = (sha: string) => options.meta.get(sha)!.tree;
      const key = hashOf({
        v: 1,
        probe: options.plan.probe.definition,
        build: measurer.buildCommand ?? null,
        install: options.plan.install ?? null,
        env: options.plan.env ?? null,
        ...outsidePart(measurer.outside),
        artifacts: options.plan.artifacts ?? null,
        warmup: options.plan.warmup,
        target: tree(s.target),
        refs: s.refs.map(tree),
        order,
        ordinal,
      });
      return {
        index,
        trial: s.trial,
        key,
        target: s.target,
        refs: s.refs,
        order,
        rounds: s.rounds,
        purpose: s.purpose,
        ordinal,
      };
    });
    // A resumed run takes its jobs' results from its log; --no-cache still replays this very run's jobs.
    const stored = new Map(
      jobs.flatMap((j) => {
        const logged = options.replay?.takeJob(j.key);
        if (logged) return [[j.index, jobFromLog(j, logged.block, logged.end)] as const];
        const hit = store.get(j.key);
        return hit && (options.plan.useCache || hit.storedBy === options.runId) ? [[j.index, hit] as const] : [];
      }),
    );
    if (stored.size < jobs.length) options.replay?.missedJobs();
    emit({
      type: 'round',
      round,
      runner: options.runner.name,
      jobs: jobs.map((j) => ({
        index: j.index,
        target: j.target,
        refs: j.refs,
        purpose: j.purpose,
        cached: stored.has(j.index),
      })),
    });
    const toRun = jobs.filter((j) => !stored.has(j.index));
    const outcomes = new Map<number, JobOutcome>();
    if (toRun.length) {
      // The plan's indexes are the runner's (a matrix entry, a completion index): 0..m-1 for the jobs sent out.
      const plan: RoundPlan = {
        schema: 'perfbisect-round/1',
        runId: options.runId,
        round,
        ...options.plan,
        jobs: toRun.map((j, index) => ({ ...j, index })),
      };
      const back = await options.runner.runRound(plan, {
        dir: join(options.runDir, 'rounds', `r${round}`),
        signal: options.signal,
        emit,
      });
      if (options.signal.aborted) throw new Interrupted();
      for (const b of back) outcomes.set(toRun[b.index].index, b);
    }
    const results: RoundResult[] = [];
    for (const job of jobs) {
      const hit = stored.get(job.index);
      const got = outcomes.get(job.index);
      const result = hit ?? got?.result;
      if (!result) {
        const n = (attempts.get(job.trial) ?? 0) + 1;
        attempts.set(job.trial, n);
        const why = got?.lost ?? 'the runner did not run it';
        emit({
          type: 'job-end',
          round,
          index: job.index,
          target: job.target,
          lost: why,
          cached: false,
          ...(got?.where ? { where: got.where } : {}),
        });
        if (n >= ATTEMPTS) {
          throw new EnvironmentError(
            `${options.runner.name}: the job measuring ${job.target.slice(0, 12)} brought no result back ${n} times: ${why}` +
              `${got?.where ? ` (${got.where})` : ''}${got?.dir ? ` (its files: ${got.dir})` : ''}`,
          );
        }
        emit({
          type: 'warning',
          message:
            `round ${round}, job ${job.index}: ${why}; ` +
            `it runs again next round (attempt ${n + 1} of ${ATTEMPTS})`,
        });
        continue;
      }
      if (!hit) store.put(result, options.runId);
      cost.fleetJobs! += 1;
      if (hit) cost.fleetJobsCached! += 1;
      if (got?.dir && existsSync(join(got.dir, 'artifacts')))
        cpSync(join(got.dir, 'artifacts'), join(options.runDir, 'artifacts'), { recursive: true });
      const machine = machineKey(result.machine);
      addCost(measurer, result, !!hit);
      emit({
        type: 'measure-start',
        target: job.target,
        refs: job.refs,
        rounds: job.rounds,
        purpose: job.purpose,
        cached: !!hit,
      });
      for (const [sha, values] of Object.entries(result.samples ?? {})) {
        const cut = new Set(result.censored?.[sha] ?? []);
        values.forEach((value, k) => {
          const details = result.details?.[sha]?.[k];
          emit({
            type: 'sample',
            sha,
            value,
            machine,
            ...(cut.has(k) ? { censored: true as const } : {}),
            ...(details ? { details } : {}),
          });
        });
        measurer.details.set(sha, [...(measurer.details.get(sha) ?? []), ...(result.details?.[sha] ?? [])]);
        if (cut.size) measurer.censored.set(sha, (measurer.censored.get(sha) ?? 0) + cut.size);
      }
      if (result.censoredAt !== undefined) measurer.censoredAt = result.censoredAt;
      for (const [sha, hash] of Object.entries(result.outputs ?? {})) measurer.preparer.outputHashes.set(sha, hash);
      const f = result.failure;
      const block: BlockRecord = {
        type: 'block',
        target: job.target,
        refs: job.refs,
        order: job.order.map((k) => [job.target, ...job.refs][k]),
        purpose: job.purpose,
        samples: f ? {} : result.samples!,
        ...(result.details && !f ? { details: result.details } : {}),
        ...(result.censored && !f ? { censored: result.censored } : {}),
        seconds: result.cost.seconds,
        machine,
        job: { round, index: job.index, key: job.key },
        ...(f ? { failure: { ...f, ...(f.log && got?.dir ? { log: join(got.dir, f.log) } : {}) } } : {}),
      };
      emit(block);
      const { name, cpu, cores, os } = result.machine;
      emit({
        type: 'job-end',
        round,
        index: job.index,
        target: job.target,
        machine,
        seconds: result.cost.seconds,
        cached: !!hit,
        ...(got?.where ? { where: got.where } : {}),
        ...(got?.dir ? { dir: got.dir } : {}),
        ...(f ? { failed: `${f.sha.slice(0, 12)}: ${f.message}` } : {}),
        host: { name, cpu, cores, os },
        ...(result.outputs ? { outputs: result.outputs } : {}),
      });
      if (f) {
        const log = f.log && got?.dir ? join(got.dir, f.log) : undefined;
        const failure = Object.assign(new CommitFailure(f.stage, f.message, log, f.tail, f.kind), { sha: f.sha });
        if (job.purpose !== 'verdict' || f.sha !== job.target) options.referenceFailed(f.sha, failure);
        const reason = failure.summary(` on ${result.machine.name}`);
        emit({ type: 'skip', sha: job.target, reason, ...(log ? { log } : {}) });
        results.push({ trial: job.trial, skipped: reason });
        continue;
      }
      results.push({ trial: job.trial, machine, samples: result.samples! });
    }
    engine.recordRound(results);
    options.afterRound();
  }
  return { rounds: cost.rounds };
}

/** A job's builds, probe runs and seconds into the run's cost, as if measured here (replayed jobs as saved time). */
function addCost(measurer: Measurer, r: JobResult, replayed: boolean): void {
  const cost = measurer.cost;
  if (replayed) {
    cost.cachedBlocks++;
    costOf(cost, r.target).saved += r.cost.seconds;
    return;
  }
  cost.builds += r.cost.builds;
  cost.buildSeconds += r.cost.buildSeconds;
  cost.samples += r.cost.samples;
  cost.measureSeconds += r.cost.measureSeconds;
  for (const [sha, c] of Object.entries(r.cost.perCommit)) {
    const mine = costOf(cost, sha);
    mine.build += c.build;
    mine.measure += c.measure;
  }
}

/**
 * A job of the interrupted run, as its log holds it, in the shape a job comes back in. A job that
 * failed there fails here too, from the log: it is skipped, or ends the run, as it did.
 */
function jobFromLog(
  job: JobPlan,
  block: BlockRecord,
  end: Extract<RunEvent, { type: 'job-end' }> | undefined,
): JobResult & { storedBy: string } {
  const host = end?.host ?? { name: block.machine ?? '', cpu: '', cores: 0, os: '' };
  const key = block.machine ?? '/';
  const [name, fingerprint] = [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
  const f = block.failure;
  const censored = block.censored ?? {};
  const cut = Object.entries(censored).find(([, at]) => at.length);
  return {
    schema: 'perfbisect-job/1', runId: '', round: block.job!.round, index: job.index, key: job.key, target: job.target,
    // The machine key (name/fingerprint) is what the engine compares by: the log's, as it was.
    machine: { ...host, name, hostname: host.name, node: '', fingerprint },
    ...(f ? { failure: { sha: f.sha, stage: f.stage, kind: f.kind, message: f.message, tail: f.tail } } : {}),
    ...(f ? {} : { samples: block.samples, details: block.details, censored: block.censored }),
    ...(cut ? { censoredAt: block.samples[cut[0]][cut[1][cut[1].length - 1]] } : {}),
    ...(end?.outputs ? { outputs: end.outputs } : {}),
    cost: { seconds: block.seconds ?? 0, builds: 0, buildSeconds: 0, samples: 0, measureSeconds: 0, perCommit: {} },
    started: '', ended: '', storedBy: '',
  };
}
