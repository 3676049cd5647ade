import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { CommitFailure, EnvironmentError, UsageError } from '../../errors.js';
import type { CommitMeta, RunEvent } from '../../events.js';
import { createProbe } from '../../probes/index.js';
import { environmentFingerprint } from '../store/fingerprint.js';
import { Repo } from '../git/git.js';
import { Measurer } from '../measure/measurer.js';
import { RunLog } from '../record/run-log.js';
import type { JobResult, MachineInfo, RoundPlan } from './plan.js';
import { ciBuildSource } from '../build/ci-artifacts.js';

export function machineInfo(env: NodeJS.ProcessEnv = process.env): MachineInfo {
  const fp = environmentFingerprint();
  const host = hostname();
  return {
    name: env.PERFBISECT_MACHINE || host,
    hostname: host,
    cpu: fp.cpu,
    cores: fp.cores,
    os: fp.os,
    node: fp.node,
    fingerprint: fp.hash,
  };
}

export interface JobOptions {
  /** The checkout of the repository the job runs in. */
  repoDir: string;
  cache: string;
  out: string;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * One job of a round, on the machine it runs on: check out and build its target and the round's
 * references (the harness's one measuring path), measure them interleaved in the plan's order, and
 * write result.json, the logs and the probe's artifacts into `out`. A commit that cannot be built
 * or measured is a result (its failure), not an error of the job.
 */
export async function runJob(plan: RoundPlan, index: number, options: JobOptions): Promise<JobResult> {
  const job = plan.jobs[index];
  if (!job)
    throw new UsageError(
      `the plan has ${plan.jobs.length} job(s): --index ${index} is not one of them (0 to ${plan.jobs.length - 1}).`,
    );
  const started = new Date().toISOString();
  const t0 = performance.now();
  const repo = await Repo.open(options.repoDir);
  const commits = [job.target, ...job.refs];
  const meta = new Map<string, CommitMeta & { tree: string }>();
  for (const sha of commits) {
    try {
      meta.set(sha, await repo.meta(sha));
    } catch {
      throw new EnvironmentError(
        `commit ${sha.slice(0, 12)} is not in the checkout at ${repo.root}: the job needs the repository's history ` +
          '(actions/checkout with fetch-depth: 0, or a full clone in the image).',
      );
    }
  }
  const { probe, config } = createProbe(plan.probe.name, plan.probe.definition);
  mkdirSync(join(options.out, 'logs'), { recursive: true });
  const log = new RunLog(join(options.out, 'events.jsonl'));
  const emit = (e: RunEvent) => {
    log.write(e);
    options.emit(e);
  };
  const fetchBuild = plan.artifacts ? ciBuildSource(plan.artifacts, options.env ?? process.env) : undefined;
  const measurer = await Measurer.create({
    cache: options.cache,
    repoRoot: repo.root,
    runId: `${plan.runId}-r${plan.round}-j${index}`,
    runDir: options.out,
    meta,
    probe,
    probeDefinition: config,
    build: plan.build,
    env: plan.env,
    warmup: plan.warmup,
    useCache: plan.useCache,
    buildTimeoutMs: plan.buildTimeoutMs,
    signal: options.signal,
    emit,
    fresh: plan.fresh,
    install: plan.install,
    jobs: 0,
    fetchBuild,
  });
  const result: JobResult = {
    schema: 'perfbisect-job/1',
    runId: plan.runId,
    round: plan.round,
    index,
    key: job.key,
    target: job.target,
    machine: machineInfo(options.env),
    cost: { seconds: 0, builds: 0, buildSeconds: 0, samples: 0, measureSeconds: 0, perCommit: {} },
    started,
    ended: started,
  };
  try {
    const order = job.order.map((k) => commits[k]);
    const samples = await measurer.measureBlock({
      target: job.target,
      refs: job.refs,
      order,
      rounds: job.rounds,
      purpose: job.purpose,
      ordinal: job.ordinal,
    });
    result.samples = samples;
    result.details = Object.fromEntries(commits.map((sha) => [sha, measurer.details.get(sha) ?? []]));
    if (Object.keys(measurer.lastCensored).length)
      Object.assign(result, { censored: measurer.lastCensored, censoredAt: measurer.censoredAt });
  } catch (e) {
    if (!(e instanceof CommitFailure)) throw e;
    result.failure = {
      sha: e.sha ?? job.target,
      stage: e.stage,
      kind: e.kind,
      message: e.message,
      tail: e.logTail,
      ...(e.logFile ? { log: relative(options.out, e.logFile) } : {}),
    };
  } finally {
    await measurer.close();
    await probe.dispose?.().catch(() => undefined);
    await measurer.worktrees.cleanup();
    log.close();
  }
  const c = measurer.cost;
  result.outputs = Object.fromEntries(measurer.preparer.outputHashes);
  result.cost = {
    seconds: (performance.now() - t0) / 1000,
    builds: c.builds,
    buildSeconds: c.buildSeconds,
    samples: c.samples,
    measureSeconds: c.measureSeconds,
    perCommit: Object.fromEntries(
      Object.entries(c.perCommit).map(([sha, pc]) => [sha, { build: pc.build, measure: pc.measure }]),
    ),
  };
  result.ended = new Date().toISOString();
  writeFileSync(join(options.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
