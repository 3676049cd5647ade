import { createHash, randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { KubernetesConfig } from '../harness/runners/config.js';
import { encodePlan, type RoundPlan } from '../harness/fleet/plan.js';

export const managedBy = { 'app.kubernetes.io/managed-by': 'perfbisect' };

/** A Job's name for a round: DNS-1123, at most 63 characters, unique per dispatch. */
export function jobName(plan: RoundPlan): string {
  const run = createHash('sha256').update(plan.runId).digest('hex').slice(0, 10);
  return `perfbisect-${run}-r${plan.round}-${randomBytes(2).toString('hex')}`;
}

/**
 * The Indexed Job of a round: one pod per job of the plan, the completion index selects its entry
 * ($JOB_COMPLETION_INDEX, which `perfbisect job` reads). The plan travels in an environment
 * variable; the node's name becomes the machine's name, so two pods on one node count as one machine.
 */
export function jobManifest(
  plan: RoundPlan,
  c: KubernetesConfig,
  name: string,
  namespace: string,
): Record<string, unknown> {
  const k = plan.jobs.length;
  const out =
    typeof c.results === 'string'
      ? '/tmp/perfbisect-out'
      : `${c.results.mount}/${plan.runId}/r${plan.round}/job-$JOB_COMPLETION_INDEX`;
  const script = [
    'set -e',
    ...(c.clone ? ['git clone --quiet "$PERFBISECT_CLONE" /tmp/perfbisect-repo', 'cd /tmp/perfbisect-repo'] : []),
    'printf \'%s\' "$PERFBISECT_PLAN" > /tmp/perfbisect-plan.json',
    `exec ${c.perfbisect} job /tmp/perfbisect-plan.json --out "${out}"${c.results === 'logs' ? ' --print-result' : ''}`,
  ].join('\n');
  const labels = {
    ...managedBy,
    'perfbisect.dev/run':
      plan.runId
        .slice(0, 63)
        .replace(/[^\w.-]/g, '-')
        .replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '') || 'run',
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: k,
      parallelism: k,
      // A failed pod is not retried here: the bisect sends the job again next round, or says why it gave up.
      backoffLimitPerIndex: 0,
      maxFailedIndexes: k,
      activeDeadlineSeconds: Math.round(c['timeout-minutes'] * 60),
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          ...(c['service-account'] ? { serviceAccountName: c['service-account'] } : {}),
          ...(c['node-selector'] ? { nodeSelector: c['node-selector'] } : {}),
          containers: [
            {
              name: 'perfbisect',
              image: c.image,
              ...(c.workdir ? { workingDir: c.workdir } : {}),
              command: ['sh', '-c', script],
              env: [
                { name: 'PERFBISECT_PLAN', value: encodePlan(plan) },
                { name: 'PERFBISECT_MACHINE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                ...(c.clone ? [{ name: 'PERFBISECT_CLONE', value: c.clone }] : []),
              ],
              ...(c.resources ? { resources: c.resources } : {}),
              ...(typeof c.results === 'string'
                ? {}
                : { volumeMounts: [{ name: 'results', mountPath: c.results.mount }] }),
            },
          ],
          ...(typeof c.results === 'string'
            ? {}
            : { volumes: [{ name: 'results', persistentVolumeClaim: { claimName: c.results.claim } }] }),
        },
      },
    },
  };
}

/**
 * Check a manifest against the Kubernetes schema (batch/v1 Job, from the API's OpenAPI definition
 * as kubernetes-models ships it) before it is sent: a bad quantity in the config is the user's to
 * fix (exit 2), found before anything runs.
 */
export async function validateJobManifest(manifest: Record<string, unknown>): Promise<void> {
  const { Job } = await import('kubernetes-models/batch/v1/Job');
  try {
    new Job(manifest as ConstructorParameters<typeof Job>[0]).validate();
  } catch (e) {
    const why = (e as Error).message
      .replace(/\bdata\//g, '')
      .split(', ')
      .slice(0, 3)
      .join('; ');
    throw new UsageError(
      '--runner kubernetes: the Job perfbisect would create is not valid Kubernetes ' +
        `(check perfbisect.fleet.yml): ${why}.`,
    );
  }
}
