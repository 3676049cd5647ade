import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Purpose } from '../../bisect/outcome.js';
import type { Stage } from '../../errors.js';
import { UsageError } from '../../errors.js';

/**
 * The job contract's data: a round's plan goes out to the runners (`perfbisect job <plan.json>`),
 * each job's result comes back. Plain JSON, so any runner can carry it: a file here, a
 * workflow_dispatch input, a ConfigMap or an environment variable in a pod.
 */
export interface RoundPlan {
  schema: 'perfbisect-round/1';
  runId: string;
  /** 1-based; the endpoints are round 1. */
  round: number;
  probe: { name: string; definition: unknown };
  build?: string;
  install?: string;
  env?: Record<string, string>;
  /** Warm-up runs before a block, or 'auto': one, kept as a sample unless it stands out (the measurer's rule). */
  warmup: number | 'auto';
  buildTimeoutMs?: number;
  fresh?: boolean;
  /** Replay blocks a job's cache holds (false: --no-cache). */
  useCache: boolean;
  /** `github-actions:<workflow>/<artifact>`: download a commit's build from CI instead of building it. */
  artifacts?: string;
  jobs: JobPlan[];
}

export interface JobPlan {
  /** Position in the round: the matrix entry or the completion index that selects this job. */
  index: number;
  /** The engine's trial this job measures for. */
  trial: number;
  /** What determines the job's samples (trees, probe, build, order): its result is stored under it. */
  key: string;
  target: string;
  refs: string[];
  /** Every run of the block in order, as positions in [target, ...refs]. */
  order: number[];
  rounds: number;
  purpose: Purpose;
  /** How many blocks of this target and these references the run asked for before (a cache key part). */
  ordinal: number;
}

/** Who measured: a runner's own name for itself and what makes numbers from two machines incomparable. */
export interface MachineInfo {
  /** PERFBISECT_MACHINE (a Kubernetes node, a runner's name), else the host name. */
  name: string;
  hostname: string;
  cpu: string;
  cores: number;
  os: string;
  node: string;
  /** Hash of cpu, cores, os and Node.js (src/harness/store/fingerprint.ts). */
  fingerprint: string;
}

export interface JobFailure {
  sha: string;
  stage: Stage;
  kind: 'crashed' | 'too slow' | 'failed';
  message: string;
  /** The log file, relative to the job's output folder. */
  log?: string;
  tail: string[];
}

export interface JobResult {
  schema: 'perfbisect-job/1';
  runId: string;
  round: number;
  index: number;
  key: string;
  target: string;
  machine: MachineInfo;
  /** Samples by commit, in the order taken; absent when the job failed. */
  samples?: Record<string, number[]>;
  details?: Record<string, Record<string, number>[]>;
  /** By commit: positions of samples stopped at the probe's timeout. */
  censored?: Record<string, number[]>;
  censoredAt?: number;
  failure?: JobFailure;
  /** Hash of each built commit's outputs (a culprit whose build equals its parent's changed nothing that runs). */
  outputs?: Record<string, string>;
  /** Seconds: per commit, and the whole job. */
  cost: {
    seconds: number;
    builds: number;
    buildSeconds: number;
    samples: number;
    measureSeconds: number;
    perCommit: Record<string, { build: number; measure: number }>;
  };
  started: string;
  ended: string;
}

/** The engine's machine key for a job: its name and fingerprint, so two machines that share a name stay apart. */
export function machineKey(m: MachineInfo): string {
  return `${m.name}/${m.fingerprint.slice(0, 8)}`;
}

export function readRoundPlan(file: string): RoundPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${file}: no such plan file.`);
  }
  return parseRoundPlan(text, file);
}

/**
 * A plan as text for a runner's input: JSON, or gzip + base64 when that is shorter than the JSON by
 * much (a workflow_dispatch input holds at most 65,535 characters).
 */
export function encodePlan(plan: RoundPlan): string {
  const json = JSON.stringify(plan);
  return json.length < 4000 ? json : gzipSync(json).toString('base64');
}

/**
 * A plan from JSON (or its gzip + base64 form), checked field by field: a runner that mangled it is
 * caught before anything is built.
 */
export function parseRoundPlan(text: string, where: string): RoundPlan {
  let p: RoundPlan;
  try {
    const trimmed = text.trim();
    p = JSON.parse(
      trimmed.startsWith('H4sI') ? gunzipSync(Buffer.from(trimmed, 'base64')).toString('utf8') : trimmed,
    ) as RoundPlan;
  } catch (e) {
    throw new UsageError(`${where} is not a round plan: ${(e as Error).message}.`);
  }
  const bad = (what: string): never => {
    throw new UsageError(`${where} is not a round plan written by this perfbisect: ${what}.`);
  };
  if (!p || typeof p !== 'object' || p.schema !== 'perfbisect-round/1') bad(`schema is not "perfbisect-round/1"`);
  if (typeof p.runId !== 'string' || !/^[\w.-]+$/.test(p.runId)) bad('runId');
  if (!Number.isInteger(p.round) || p.round < 1) bad('round');
  if (!p.probe || typeof p.probe.name !== 'string') bad('probe');
  if (p.warmup !== 'auto' && (!Number.isInteger(p.warmup) || p.warmup < 0)) bad('warmup');
  if (!Array.isArray(p.jobs) || !p.jobs.length) bad('jobs');
  p.jobs.forEach((j, i) => {
    const sha = (s: unknown) => typeof s === 'string' && /^[0-9a-f]{40}$/.test(s);
    if (j.index !== i || !sha(j.target) || !Array.isArray(j.refs) || !j.refs.every(sha)) bad(`jobs[${i}]`);
    if (!Array.isArray(j.order) || !j.order.every((k) => Number.isInteger(k) && k >= 0 && k <= j.refs.length))
      bad(`jobs[${i}].order`);
    if (!['endpoints', 'verdict', 'confirm'].includes(j.purpose) || typeof j.key !== 'string') bad(`jobs[${i}]`);
  });
  return p;
}

/** A job's result.json, checked enough that a truncated or foreign file is never taken for samples. */
export function parseJobResult(text: string, where: string): JobResult {
  const r = JSON.parse(text) as JobResult;
  if (r?.schema !== 'perfbisect-job/1' || typeof r.key !== 'string' || !r.machine?.fingerprint) {
    throw new Error(`${where} is not a perfbisect job result`);
  }
  if (!r.failure && (!r.samples || typeof r.samples !== 'object'))
    throw new Error(`${where} has neither samples nor a failure`);
  return r;
}
