import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runCli } from './fixtures/cli.js';
import { serveFake } from './fixtures/github-api.js';
import { FakeCluster } from './fixtures/kubernetes.js';
import { linearRepo, listDirs, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import { jobManifest, validateJobManifest } from '../src/kubernetes/job-manifest.js';
import { validateFleetConfig } from '../src/harness/runners/config.js';
import type { RoundPlan } from '../src/harness/fleet/plan.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanups) await f();
});

const fleetYaml = (extra = '') => `kubernetes:
  image: ghcr.io/octo-org/service-bench:1
  perfbisect: node ${cliPath}
  resources:
    requests: { cpu: '1', memory: 1Gi }
    limits: { cpu: '1', memory: 1Gi }
${extra}`;

async function clusterRun(cluster: FakeCluster, dir: string, yaml = fleetYaml()) {
  const server = await serveFake(() => cluster.handlers());
  cleanups.push(server.close);
  const configFile = join(tempDir('pb-fleet-'), 'perfbisect.fleet.yml');
  writeFileSync(configFile, yaml);
  const out = tempDir('pb-out-');
  const cache = tempDir('pb-cache-');
  const r = await runCli(
    [
      '--good',
      'good',
      '--bad',
      'bad',
      '--runner',
      'kubernetes',
      '--runners',
      '3',
      // A job takes all its samples of a commit at once (--max-samples): the planted 3× step stands clear
      // of a busy machine's noise in ten as it does in twenty, in half the time a job takes.
      '--max-samples',
      '10',
      '--fleet-config',
      configFile,
      '--no-profile',
      '--json',
      join(out, 'r.json'),
      '--',
      'sh',
      'work.sh',
    ],
    { cwd: dir, cache, env: { KUBECONFIG: cluster.kubeconfig(server.url), PERFBISECT_FLEET_POLL_MS: '40' } },
  );
  await cluster.settled();
  const file = join(out, 'r.json');
  return { r, cache, result: existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResult) : undefined };
}

const plan = (k: number): RoundPlan => ({
  schema: 'perfbisect-round/1',
  runId: '20261201T101010-abc1234-def5678',
  round: 2,
  probe: { name: 'command', definition: { kind: 'command', run: 'sh work.sh' } },
  warmup: 1,
  useCache: true,
  jobs: Array.from({ length: k }, (_, index) => ({
    index,
    trial: index + 1,
    key: `k${index}`,
    target: 'a'.repeat(40),
    refs: ['b'.repeat(40), 'c'.repeat(40)],
    order: [0, 1, 2],
    rounds: 1,
    purpose: 'verdict' as const,
    ordinal: 0,
  })),
});

describe('the Indexed Job of a round', () => {
  it('is valid against the Kubernetes schema: one pod per job, the completion index picks the plan entry, the node names the machine', async () => {
    const config = validateFleetConfig(
      {
        kubernetes: {
          image: 'ghcr.io/octo-org/bench:1',
          namespace: 'perf',
          resources: { limits: { cpu: '2', memory: '4Gi' } },
          'node-selector': { pool: 'bench' },
        },
      },
      'test',
    );
    const m = jobManifest(plan(3), config.kubernetes!, 'perfbisect-abc-r2-ffff', 'perf') as any;
    await validateJobManifest(m);
    expect(m.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const c = m.spec.template.spec.containers[0];
    expect(c.env).toContainEqual({
      name: 'PERFBISECT_MACHINE',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(c.command.join(' ')).toContain('job /tmp/perfbisect-plan.json --out "/tmp/perfbisect-out" --print-result');
    expect(m.spec.template.spec.nodeSelector).toEqual({ pool: 'bench' });
    const volume = validateFleetConfig(
      { kubernetes: { image: 'x', results: { claim: 'results', mount: '/results', local: '/mnt/r' } } },
      'test',
    );
    const v = jobManifest(plan(2), volume.kubernetes!, 'perfbisect-abc-r2-ffff', 'perf') as any;
    await validateJobManifest(v);
    expect(v.spec.template.spec.volumes).toEqual([
      { name: 'results', persistentVolumeClaim: { claimName: 'results' } },
    ]);
  });

  it('refuses a config that makes an invalid Job, naming the field', async () => {
    const config = validateFleetConfig(
      { kubernetes: { image: 'x', resources: { limits: { cpu: 'lots' } } } },
      'test',
    );
    await expect(
      validateJobManifest(jobManifest(plan(1), config.kubernetes!, 'perfbisect-x-r1-0000', 'perf')),
    ).rejects.toThrow(/not valid Kubernetes.*limits\/cpu/);
    expect(() => validateFleetConfig({ kubernetes: { image: 'x', imagePullPolicy: 'Always' } }, 'f.yml')).toThrow(
      /kubernetes.imagePullPolicy is not a field/,
    );
  });
});

describe('bisect in rounds on Kubernetes (an Indexed Job a round)', () => {
  let repo: ReturnType<typeof linearRepo>;
  beforeAll(() => {
    repo = linearRepo({ commits: 6, regressAt: [4] });
    cleanups.push(() => repo.repo.cleanup());
  });

  it("creates a Job a round, reads each pod's result from its log, deletes the Job, and names the culprit", async () => {
    const cluster = new FakeCluster(repo.repo.dir);
    const { r, result } = await clusterRun(cluster, repo.repo.dir);
    expect(r.exitCode, r.all).toBe(0);
    expect(result!.culprits.map((c) => c.sha)).toEqual([repo.shas[4]]);
    expect(cluster.jobs).toHaveLength(result!.cost.rounds!);
    expect(cluster.jobs.every((j) => j.namespace === 'perf' && j.manifest.spec.completionMode === 'Indexed')).toBe(
      true,
    );
    expect(Math.max(...cluster.jobs.map((j) => j.manifest.spec.completions))).toBe(3);
    expect(cluster.left()).toEqual([]);
    // Pods on one node are one machine: the machines are the cluster's nodes.
    expect(result!.fleet!.machines.map((m) => m.name).sort()).toEqual(
      ['bench-node-a', 'bench-node-b'].slice(0, result!.fleet!.machines.length),
    );
    expect(cluster.requests.some((q) => q.path.includes('watch=true'))).toBe(true);
  });

  it('sends a job whose pod failed again next round', async () => {
    const cluster = new FakeCluster(repo.repo.dir);
    cluster.fates.push('run', 'fail');
    const { r, result } = await clusterRun(cluster, repo.repo.dir);
    expect(r.exitCode, r.all).toBe(0);
    expect(result!.culprits.map((c) => c.sha)).toEqual([repo.shas[4]]);
    expect(r.stdout).toMatch(/no result: the pod failed \(OOMKilled with code 137\)/);
    expect(cluster.left()).toEqual([]);
  });

  it('stops with one line and exit 4 when the cluster refuses the Job, and leaves nothing behind', async () => {
    const cluster = new FakeCluster(repo.repo.dir);
    cluster.refuseCreate = {
      code: 403,
      reason: 'Forbidden',
      message:
        'jobs.batch is forbidden: User "system:serviceaccount:perf:bisect" cannot create resource "jobs" in API group "batch" in the namespace "perf"',
    };
    const { r, cache } = await clusterRun(cluster, repo.repo.dir);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('the cluster refused 403 Forbidden');
    expect(cluster.jobs).toEqual([]);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('checks the namespace and the config before measuring anything', async () => {
    const cluster = new FakeCluster(repo.repo.dir);
    const missing = await clusterRun(cluster, repo.repo.dir, fleetYaml('  namespace: nowhere\n'));
    expect(missing.r.exitCode).toBe(4);
    expect(missing.r.stderr).toContain('namespaces "nowhere" not found');
    expect(listDirs(join(missing.cache, 'runs'))).toEqual([]);
    const invalid = await clusterRun(
      cluster,
      repo.repo.dir,
      fleetYaml().replace("requests: { cpu: '1', memory: 1Gi }", "requests: { cpu: 'one' }"),
    );
    expect(invalid.r.exitCode).toBe(2);
    expect(invalid.r.stderr).toContain('not valid Kubernetes');
    expect(cluster.jobs).toEqual([]);
  });
});
