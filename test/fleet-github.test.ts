import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FakeActions } from './fixtures/github-actions.js';
import { serveFake, rateLimited } from './fixtures/github-api.js';
import { linearRepo, listDirs, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import { fleetWorkflowYaml } from '../src/commands/init.js';
import { artifactName } from '../src/harness/runners/github-actions.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanups) await f();
});

/** A bisect with --runner github-actions against the stand-in API, every job a real `perfbisect job`. */
async function fleetRun(fake: FakeActions, dir: string, extra: string[] = [], env: Record<string, string> = {}) {
  const server = await serveFake(() => fake.handlers());
  cleanups.push(server.close);
  const out = tempDir('pb-out-');
  const cache = tempDir('pb-cache-');
  const r = await runCli(
    [
      '--good',
      'good',
      '--bad',
      'bad',
      '--runner',
      'github-actions',
      '--runners',
      '3',
      // A job takes all its samples of a commit at once (--max-samples): the planted 3× step stands clear
      // of a busy machine's noise in ten as it does in twenty, in half the time a job takes.
      '--max-samples',
      '10',
      '--no-profile',
      '--json',
      join(out, 'r.json'),
      ...extra,
      '--',
      'sh',
      'work.sh',
    ],
    {
      cwd: dir,
      cache,
      env: {
        GITHUB_TOKEN: fake.token,
        GITHUB_REPOSITORY: fake.fullName,
        GITHUB_API_URL: server.url,
        PERFBISECT_FLEET_POLL_MS: '40',
        PERFBISECT_GITHUB_BACKOFF_MS: '10',
        ...env,
      },
    },
  );
  await fake.settled();
  const file = join(out, 'r.json');
  return { r, cache, result: existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResult) : undefined };
}

describe('bisect in rounds on GitHub Actions (workflow_dispatch, a matrix of jobs, artifacts)', () => {
  let repo: ReturnType<typeof linearRepo>;
  beforeAll(() => {
    repo = linearRepo({ commits: 6, regressAt: [4] });
    cleanups.push(() => repo.repo.cleanup());
  });

  it("dispatches a run a round, waits for it through a rate limit, downloads each job's artifact, and names the culprit", async () => {
    const fake = new FakeActions(repo.repo.dir);
    fake.workflow('perfbisect-fleet.yml');
    fake.failNext('GET', /\/actions\/runs\/\d+$/, () => rateLimited(0), 2);
    const { r, result } = await fleetRun(fake, repo.repo.dir);
    expect(r.exitCode, r.all).toBe(0);
    expect(result!.culprits.map((c) => c.sha)).toEqual([repo.shas[4]]);
    const dispatches = fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/dispatches'));
    expect(dispatches).toHaveLength(result!.cost.rounds!);
    type Dispatch = { ref: string; inputs: Record<string, string>; return_run_details: boolean };
    const bodies = dispatches.map((d) => d.body as Dispatch);
    expect(bodies.every((b) => b.ref === 'main' && b.return_run_details === true)).toBe(true);
    expect(JSON.parse(bodies[0].inputs.jobs)).toEqual([0]); // the endpoints: one job
    expect(bodies.some((b) => JSON.parse(b.inputs.jobs).length === 3)).toBe(true);
    // Every job ran on a runner of its own: verdicts rest on one runner's samples each.
    const machines = result!.fleet!.machines;
    expect(machines.length).toBeGreaterThanOrEqual(3);
    expect(machines.every((m) => m.jobs.length === 1 && m.name.startsWith('GitHub Actions'))).toBe(true);
    expect(machines.flatMap((m) => m.jobs.map((j) => j.where ?? '')).every((w) => w.includes('/actions/runs/'))).toBe(
      true,
    );
    expect(fake.cancelled).toEqual([]);
    // Both rate-limited answers were met, and waited out.
    expect(fake.failuresLeft).toBe(0);
  });

  it('finds its run by title where GitHub returns no run id, and sends a job that brought nothing back again', async () => {
    const fake = new FakeActions(repo.repo.dir);
    fake.workflow('perfbisect-fleet.yml');
    fake.noRunDetails = true;
    fake.fates.push('success', 'no-artifact', 'cancelled');
    const { r, result } = await fleetRun(fake, repo.repo.dir);
    expect(r.exitCode, r.all).toBe(0);
    expect(result!.culprits.map((c) => c.sha)).toEqual([repo.shas[4]]);
    expect(fake.requests.some((q) => q.path.includes('/runs?event=workflow_dispatch'))).toBe(true);
    expect(r.stdout).toMatch(/no result: the job ended success and uploaded no artifact/);
    expect(r.stdout).toMatch(/no result: the job ended cancelled/);
  });

  it('gives up on a job that fails three times with one line and exit 4, leaving no run going', async () => {
    const fake = new FakeActions(repo.repo.dir);
    fake.workflow('perfbisect-fleet.yml');
    fake.fates.push('failure', 'failure', 'failure');
    const { r, cache } = await fleetRun(fake, repo.repo.dir, ['--runners', '1']);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('brought no result back 3 times: the job ended failure');
    expect(fake.runs.every((run) => run.status === 'completed')).toBe(true);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('refuses a workflow that does not exist, or a token GitHub rejects, in one line before measuring', async () => {
    const fake = new FakeActions(repo.repo.dir);
    const missing = await fleetRun(fake, repo.repo.dir);
    expect(missing.r.exitCode).toBe(2);
    expect(missing.r.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.r.stderr).toContain(
      'has no workflow perfbisect-fleet.yml: write it with perfbisect init fleet --runner github-actions',
    );
    expect(fake.runs).toEqual([]);
    expect(listDirs(join(missing.cache, 'runs'))).toEqual([]);
    fake.workflow('perfbisect-fleet.yml');
    const badToken = await fleetRun(fake, repo.repo.dir, [], { GITHUB_TOKEN: 'ghp_revoked' });
    expect(badToken.r.exitCode).toBe(2);
    expect(badToken.r.stderr).toContain('401');
    expect(fake.runs).toEqual([]);
  });

  it('writes a workflow whose inputs, matrix and artifact names are the ones the runner uses', async () => {
    const wf = parse(
      fleetWorkflowYaml({
        runsOn: ['self-hosted', 'linux', 'bench'],
        node: '20',
        setup: 'npm ci',
        perfbisect: 'npx perfbisect',
        timeout: 120,
      }),
    );
    expect(Object.keys(wf.on.workflow_dispatch.inputs).sort()).toEqual(['id', 'jobs', 'plan']);
    expect(wf['run-name']).toContain('${{ inputs.id }}');
    const job = wf.jobs.job;
    expect(job['runs-on']).toEqual(['self-hosted', 'linux', 'bench']);
    expect(job.strategy.matrix.index).toBe('${{ fromJSON(inputs.jobs) }}');
    expect(job.name).toBe('perfbisect job ${{ matrix.index }}');
    const upload = job.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload.with.name.replace('${{ inputs.id }}', 'R').replace('${{ matrix.index }}', '2')).toBe(
      artifactName('R', 2),
    );
    expect(job.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/checkout')).with['fetch-depth']).toBe(
      0,
    );
    const dir = tempDir('pb-init-');
    const { FixtureRepo } = await import('./fixtures/repo.js');
    const r0 = new FixtureRepo(dir);
    r0.commit('initial');
    const r = await runCli(['init', 'fleet', '--runner', 'github-actions', '--runs-on', 'self-hosted,bench'], {
      cwd: dir,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(
      parse(readFileSync(join(dir, '.github/workflows/perfbisect-fleet.yml'), 'utf8')).jobs.job['runs-on'],
    ).toEqual(['self-hosted', 'bench']);
    const k8s = await runCli(
      [
        'init',
        'fleet',
        '--runner',
        'kubernetes',
        '--image',
        'ghcr.io/octo-org/service-bench:1',
        '--cpu',
        '2',
        '--memory',
        '4Gi',
      ],
      { cwd: dir },
    );
    expect(k8s.exitCode, k8s.all).toBe(0);
    expect(parse(readFileSync(join(dir, 'perfbisect.fleet.yml'), 'utf8')).kubernetes.resources.limits).toEqual({
      cpu: '2',
      memory: '4Gi',
    });
  });
});

describe("--artifacts: CI's build of a commit instead of building it", () => {
  it('downloads the build where the CI workflow has one for the commit and builds the others', async () => {
    // The build writes built.txt; the probe needs it. CI built every other commit (its artifact holds built.txt).
    const { repo, shas } = linearRepo({
      commits: 8,
      regressAt: [5],
      extra: () => ({ 'build.sh': '#!/bin/sh\necho local > built.txt\n' }),
    });
    cleanups.push(() => repo.cleanup());
    const fake = new FakeActions(repo.dir);
    fake.workflow('ci.yml');
    shas.forEach((sha, i) => {
      if (i % 2 === 0) fake.ciRun('ci.yml', sha, { dist: { 'built.txt': 'from ci\n' } });
    });
    const server = await serveFake(() => fake.handlers());
    cleanups.push(server.close);
    const out = tempDir('pb-out-');
    const r = await runCli(
      [
        '--good',
        'good',
        '--bad',
        'bad',
        '--build',
        'sh build.sh',
        '--artifacts',
        'github-actions:ci.yml/dist',
        '--no-profile',
        '--json',
        join(out, 'r.json'),
        '--',
        'sh',
        '-c',
        'test -f built.txt && sh work.sh',
      ],
      {
        cwd: repo.dir,
        env: { GITHUB_TOKEN: fake.token, GITHUB_REPOSITORY: fake.fullName, GITHUB_API_URL: server.url },
      },
    );
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[5]]);
    expect(result.cost.buildsFetched).toBeGreaterThan(0);
    const fetched = Object.entries(result.cost.perCommit)
      .filter(([, c]) => c.buildFetched)
      .map(([sha]) => shas.indexOf(sha));
    expect(fetched.every((i) => i % 2 === 0)).toBe(true);
    // The commits CI has no artifact for were built here.
    expect(result.cost.builds).toBeGreaterThan(0);
    const bad = await runCli(['--good', 'good', '--artifacts', 'ci.yml/dist', '--', 'sh', 'work.sh'], {
      cwd: repo.dir,
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('give github-actions:<workflow>/<artifact>');
  });
});
