import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EnvironmentError } from '../../errors.js';
import { KubeClient, KubeError, kubeAccess, type KubeAccess } from '../../kubernetes/client.js';
import { jobManifest, jobName, validateJobManifest } from '../../kubernetes/job-manifest.js';
import { unbundleFolder } from '../fleet/bundle.js';
import type { RoundPlan } from '../fleet/plan.js';
import { Interrupted } from '../measure/measurer.js';
import type { KubernetesConfig } from './config.js';
import { abortableSleep } from './github-actions.js';
import { readJobFolder } from './job-folder.js';
import type { JobOutcome, RoundContext, Runner } from './types.js';

/** The line `perfbisect job --print-result` ends its output with (src/commands/job.ts). */
const marker = 'perfbisect-result:';
const indexAnnotation = 'batch.kubernetes.io/job-completion-index';

interface JobObject {
  metadata: { name: string; resourceVersion?: string };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    completedIndexes?: string;
    failedIndexes?: string;
  };
}

interface PodObject {
  metadata: { name: string; annotations?: Record<string, string>; creationTimestamp?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: { state?: { terminated?: { exitCode?: number; reason?: string } } }[];
  };
}

export interface KubernetesOptions {
  config: KubernetesConfig;
  env?: NodeJS.ProcessEnv;
  /** Overrides the kubeconfig (tests). */
  access?: KubeAccess;
  pollMs?: number;
}

/**
 * A round as one Indexed Job: one pod per job of the plan, its completion index selecting the
 * plan's entry. Image, namespace and resources come from perfbisect.fleet.yml; the manifest is
 * checked against the Kubernetes schema before it is sent. The Job is watched until it completes
 * or fails, each pod's result is read from its log (or from a volume both sides mount), and the Job
 * is deleted with its pods afterwards, whatever happened.
 */
export class KubernetesRunner implements Runner {
  readonly name = 'kubernetes';
  private client?: KubeClient;
  private namespace = 'default';
  private readonly pollMs: number;

  constructor(private readonly options: KubernetesOptions) {
    this.pollMs = options.pollMs ?? 5000;
  }

  private api(): KubeClient {
    if (!this.client) {
      const access = this.options.access ?? kubeAccess(this.options.env);
      this.client = new KubeClient(access);
      this.namespace = this.options.config.namespace ?? access.namespace ?? 'default';
    }
    return this.client;
  }

  private jobsPath(name = ''): string {
    return `/apis/batch/v1/namespaces/${encodeURIComponent(this.namespace)}/jobs${name ? `/${name}` : ''}`;
  }

  /** The config makes a valid Job, and the cluster lets us list Jobs in the namespace: before anything is measured. */
  async check(): Promise<void> {
    const api = this.api();
    const sample: RoundPlan = {
      schema: 'perfbisect-round/1',
      runId: 'check',
      round: 1,
      probe: { name: 'check', definition: {} },
      warmup: 0,
      useCache: true,
      jobs: [
        {
          index: 0,
          trial: 0,
          key: '',
          target: '0'.repeat(40),
          refs: [],
          order: [0],
          rounds: 1,
          purpose: 'endpoints',
          ordinal: 0,
        },
      ],
    };
    await validateJobManifest(jobManifest(sample, this.options.config, 'perfbisect-check', this.namespace));
    await this.call(() => api.get(`${this.jobsPath()}?limit=1`), 'list Jobs');
  }

  async runRound(plan: RoundPlan, ctx: RoundContext): Promise<JobOutcome[]> {
    const api = this.api();
    const name = jobName(plan);
    const manifest = jobManifest(plan, this.options.config, name, this.namespace);
    await validateJobManifest(manifest);
    await this.call(() => api.post(this.jobsPath(), manifest), `create the Job ${name}`, true);
    try {
      const job = await this.waitFor(name, ctx.signal);
      return await this.collect(plan, job, ctx);
    } finally {
      // Background propagation deletes the pods too: nothing of the round is left running.
      await api
        .delete(`${this.jobsPath(name)}?propagationPolicy=Background`, {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: 'Background',
        })
        .catch(() => undefined);
    }
  }

  /** Watch the Job until its Complete or Failed condition (the watch is opened again when the server ends it). */
  private async waitFor(name: string, signal: AbortSignal): Promise<JobObject> {
    const api = this.api();
    const done = (j: JobObject) =>
      (j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    for (let wait = this.pollMs; ; wait = Math.min(wait * 2, 12 * this.pollMs)) {
      if (signal.aborted) throw new Interrupted();
      const job = await this.call(() => api.get<JobObject>(this.jobsPath(name)), `read the Job ${name}`);
      if (done(job)) return job;
      let last = job;
      const q =
        `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}&watch=true` +
        `&timeoutSeconds=${Math.max(1, Math.round(wait / 1000))}` +
        (job.metadata.resourceVersion ? `&resourceVersion=${job.metadata.resourceVersion}` : '');
      const finished = await api
        .watch<JobObject>(`${this.jobsPath()}?${q}`, (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') last = e.object;
          return done(last);
        })
        .catch((e: unknown) => {
          // 410 Gone (the resource version is too old) or a dropped stream: read the Job again.
          if (e instanceof KubeError && (e.status === 410 || e.status === 0)) return false;
          throw e;
        });
      if (finished) return last;
      if (signal.aborted) throw new Interrupted();
      await abortableSleep(Math.min(wait, 1000), signal);
    }
  }

  /** Each index's result: from its pod's log (or the results volume); an index whose pod failed, and why. */
  private async collect(plan: RoundPlan, job: JobObject, ctx: RoundContext): Promise<JobOutcome[]> {
    const api = this.api();
    const selector = encodeURIComponent(`batch.kubernetes.io/job-name=${job.metadata.name}`);
    const pods = (
      await this.call(
        () =>
          api.get<{ items: PodObject[] }>(
            `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods?labelSelector=${selector}`,
          ),
        "list the Job's pods",
      )
    ).items;
    const failedCondition = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    const out: JobOutcome[] = [];
    for (const j of plan.jobs) {
      const mine = pods
        .filter((p) => p.metadata.annotations?.[indexAnnotation] === String(j.index))
        .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
      const pod = mine.find((p) => p.status?.phase === 'Succeeded') ?? mine.at(-1);
      const where = pod
        ? `pod ${pod.metadata.name}${pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : ''}`
        : `Job ${job.metadata.name}`;
      const dir = join(ctx.dir, `job-${j.index}`);
      mkdirSync(dir, { recursive: true });
      if (!pod || pod.status?.phase !== 'Succeeded') {
        const t = pod?.status?.containerStatuses?.[0]?.state?.terminated;
        const why = t
          ? `${t.reason ?? 'exited'} with code ${t.exitCode}`
          : (pod?.status?.reason ?? failedCondition?.reason ?? 'no pod ran');
        out.push({ index: j.index, lost: `the pod failed (${why})`, where, dir });
        continue;
      }
      const results = this.options.config.results;
      if (typeof results !== 'string') {
        const from = join(results.local, plan.runId, `r${plan.round}`, `job-${j.index}`);
        out.push(
          existsSync(join(from, 'result.json'))
            ? readJobFolder(j.index, from, undefined, where)
            : {
                index: j.index,
                lost: `no result in ${from} (is ${results.claim} mounted at ${results.local} here?)`,
                where,
              },
        );
        continue;
      }
      const log = await this.call(
        () =>
          api.text(
            `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${pod.metadata.name}` +
              '/log?container=perfbisect',
          ),
        "read a pod's log",
      );
      const line = log
        .split('\n')
        .reverse()
        .find((l) => l.startsWith(marker));
      if (!line) {
        out.push({ index: j.index, lost: 'its log holds no result line (was it cut short?)', where, dir });
        continue;
      }
      try {
        unbundleFolder(
          JSON.parse(gunzipSync(Buffer.from(line.slice(marker.length).trim(), 'base64')).toString('utf8')) as Record<
            string,
            string
          >,
          dir,
        );
      } catch (e) {
        out.push({ index: j.index, lost: `its result line could not be read: ${(e as Error).message}`, where, dir });
        continue;
      }
      out.push(readJobFolder(j.index, dir, undefined, where));
    }
    return out;
  }

  /** An API call that failed: what was being done and the cluster's own words, one line (exit 4). */
  private async call<T>(fn: () => Promise<T>, what: string, refusing = false): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      const where = `namespace ${this.namespace} at ${this.client?.access.server}`;
      if (e.status === 0) throw new EnvironmentError(`kubernetes: could not ${what}: ${e.message}.`);
      const verb = refusing ? 'the cluster refused' : 'the cluster answered';
      const hint =
        e.status === 401
          ? " Check the kubeconfig's credentials."
          : e.status === 403
            ? ' The account needs create, get, list, watch and delete on jobs, ' +
              'and get and list on pods and pods/log, in the namespace.'
            : e.status === 404 && /namespace/i.test(e.message)
              ? ' Set kubernetes.namespace in perfbisect.fleet.yml.'
              : '';
      throw new EnvironmentError(
        `kubernetes: could not ${what} in ${where}: ${verb} ${e.status} ${e.reason}: ${e.message}.${hint}`,
      );
    }
  }
}
