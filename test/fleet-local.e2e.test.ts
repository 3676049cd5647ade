import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { linearRepo, listDirs, repoState, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import type { RunEvent } from '../src/events.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/**
 * Samples a job takes of each commit: a job of a round takes all of them at once (--max-samples), and the
 * planted 3× step stands clear of a busy machine's noise in ten as it does in twenty.
 */
const SAMPLES = '10';
/** Each fixture has one step: --one-step spares the samples that rule out a further one beside it. */
const ONE_STEP = '--one-step';

const events = (runDir: string) =>
  readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunEvent);

describe('bisect in rounds through the job contract (--runner local --runners k)', () => {
  it('names the culprit of 40 commits in at most ⌈log4 40⌉ + 2 rounds of 3 jobs, and says which machine measured what', async () => {
    const { repo, shas } = linearRepo({ commits: 40, regressAt: [26] });
    cleanups.push(() => repo.cleanup());
    const before = repoState(repo.dir);
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const args = [
      '--good',
      'good',
      '--bad',
      'bad',
      '--runner',
      'local',
      '--runners',
      '3',
      '--max-samples',
      SAMPLES,
      ONE_STEP,
      '--no-profile',
      '--json',
      join(out, 'r.json'),
      '--report',
      join(out, 'w.md'),
      '--',
      'sh',
      'work.sh',
    ];
    const r = await runCli(args, { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[26]]);
    expect(result.cost.rounds).toBeLessThanOrEqual(Math.ceil(Math.log(40) / Math.log(4)) + 2);
    expect(result.fleet).toMatchObject({ runner: 'local', runners: 3, rounds: result.cost.rounds });
    // Every job ran here, through `perfbisect job`: one machine, every verdict decided on its samples.
    expect(result.fleet!.machines).toHaveLength(1);
    const jobs = result.fleet!.machines[0].jobs;
    expect(jobs.length).toBeGreaterThan(result.cost.rounds!);
    expect(Math.max(...jobs.map((j) => j.index))).toBe(2);
    expect(
      result.commits
        .filter((c) => c.verdict === 'good' || c.verdict === 'bad')
        .every((c) => c.machine === result.fleet!.machines[0].key),
    ).toBe(true);
    const log = events(result.runDir);
    expect(log.filter((e) => e.type === 'round')).toHaveLength(result.cost.rounds!);
    expect(log.some((e) => e.type === 'sample' && e.machine === result.fleet!.machines[0].key)).toBe(true);
    expect(log.filter((e) => e.type === 'job-end' && !e.lost)).toHaveLength(jobs.length);
    // The log is the record of a fleet run too: the result (machines, jobs, rounds) rebuilt from it alone.
    const rebuilt = await runCli(['report', result.runId, '--json', join(out, 'again.json')], { cwd: repo.dir, cache });
    expect(rebuilt.exitCode, rebuilt.all).toBe(0);
    expect(readFileSync(join(out, 'again.json'), 'utf8')).toBe(readFileSync(join(out, 'r.json'), 'utf8'));
    expect(rebuilt.stdout + '\n').toBe(readFileSync(join(result.runDir, 'writeup.md'), 'utf8'));
    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain('#### Where it was measured');
    expect(md).toContain(shas[26].slice(0, 10));
    expect(r.stdout).toMatch(/round 2 on local: 3 job\(s\)/);
    expect(repoState(repo.dir)).toEqual(before);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);

    // The same bisect again: every job is replayed from the store, none runs, the verdicts are the same.
    const again = await runCli(args, { cwd: repo.dir, cache });
    expect(again.exitCode, again.all).toBe(0);
    const second = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(second.culprits.map((c) => c.sha)).toEqual([shas[26]]);
    expect(second.cost.fleetJobsCached).toBe(second.cost.fleetJobs);
    expect(second.cost.samples).toBe(0);
  });

  it('resumes from the run log: its rounds are not sent out again, with the job store and samples gone', async () => {
    // Three rounds: the endpoints, then 2, 4 and 6 of the 8 commits, then the step's own commit (5),
    // which no round before can have measured. A 5× step: on a loaded host (a busy core, another install
    // beside the suite) a 3× step can measure +66% at 31% noise, which the endpoints' one job of ten
    // samples a side cannot decide.
    const { repo, shas } = linearRepo({ commits: 8, regressAt: [5], factor: 5 });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const args = ['--good', 'good', '--bad', 'bad', '--runners', '3', '--max-samples', SAMPLES, ONE_STEP];
    args.push('--no-profile', '--no-cache');
    const r = await runCli([...args, '--json', join(out, 'r.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const { runId, runDir, cost } = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(cost.rounds).toBeGreaterThanOrEqual(3);
    // The log as a run interrupted in its third round leaves it: two rounds' jobs in it, then the stop.
    const lines = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trimEnd().split('\n');
    const third = lines.findIndex((l) => l.includes('"type":"round"') && l.includes('"round":3,'));
    const kept = lines.slice(0, third);
    const stop = { t: Date.now(), type: 'run-error', message: 'interrupted', exitCode: 130 };
    writeFileSync(join(runDir, 'events.jsonl'), [...kept, JSON.stringify(stop)].join('\n') + '\n');
    const logged = kept.filter((l) => l.includes('"type":"job-end"') && !l.includes('"lost"')).length;
    rmSync(join(cache, 'fleet'), { recursive: true, force: true });
    rmSync(join(cache, 'samples'), { recursive: true, force: true });

    const resumed = await runCli(['--resume', runId, '--json', join(out, 'resumed.json')], { cwd: repo.dir, cache });
    expect(resumed.exitCode, resumed.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'resumed.json'), 'utf8')) as RunResult;
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[5]]);
    expect(result.cost.fleetJobsCached).toBe(logged);
    const rounds = events(runDir).flatMap((e) => (e.type === 'round' ? [e] : []));
    expect(rounds.slice(0, 2).every((e) => e.jobs.every((j) => j.cached))).toBe(true);
    expect(rounds.slice(2).some((e) => e.jobs.some((j) => !j.cached))).toBe(true);
    expect(result.fleet!.machines.flatMap((m) => m.jobs)).toHaveLength(result.cost.fleetJobs!);
    const rebuilt = await runCli(['report', runId, '--json', join(out, 'again.json')], { cwd: repo.dir, cache });
    expect(rebuilt.exitCode, rebuilt.all).toBe(0);
    expect(readFileSync(join(out, 'again.json'), 'utf8')).toBe(readFileSync(join(out, 'resumed.json'), 'utf8'));
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('skips the commits a job could not build, as the sequential bisect does', async () => {
    const { repo, shas } = linearRepo({
      commits: 16,
      regressAt: [11],
      extra: (i) => ({
        'build.sh':
          i === 4 || i === 8 ? '#!/bin/sh\necho "syntax error" >&2\nexit 1\n' : '#!/bin/sh\necho built > built.txt\n',
      }),
    });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const r = await runCli(
      [
        '--good',
        'good',
        '--bad',
        'bad',
        '--runners',
        '3',
        '--max-samples',
        SAMPLES,
        ONE_STEP,
        '--build',
        'sh build.sh',
        '--no-profile',
        '--json',
        join(out, 'r.json'),
        '--',
        'sh',
        '-c',
        'test -f built.txt && sh work.sh',
      ],
      { cwd: repo.dir },
    );
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[11]]);
    expect(result.cost.builds).toBeGreaterThan(0);
    const skipped = result.commits.filter((c) => c.verdict === 'skipped').map((c) => c.sha);
    expect(skipped.every((s) => s === shas[4] || s === shas[8])).toBe(true);
  });

  it('refuses an unknown runner and a remote runner without its settings, in one line, before measuring anything', async () => {
    const { repo } = linearRepo({ commits: 3, regressAt: [2] });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const base = ['--good', 'good', '--bad', 'bad', '--', 'sh', 'work.sh'];
    const unknown = await runCli(['--runner', 'slurm', ...base], { cwd: repo.dir, cache });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('--runner slurm: not a runner. Runners: local, github-actions, kubernetes.');
    const noToken = await runCli(['--runner', 'github-actions', ...base], {
      cwd: repo.dir,
      cache,
      env: { GITHUB_TOKEN: '', GITHUB_REPOSITORY: 'octo-org/service' },
    });
    expect(noToken.exitCode).toBe(2);
    expect(noToken.stderr.trim().split('\n')).toHaveLength(1);
    expect(noToken.stderr).toContain('needs a token in GITHUB_TOKEN');
    const noImage = await runCli(['--runner', 'kubernetes', ...base], { cwd: repo.dir, cache });
    expect(noImage.exitCode).toBe(2);
    expect(noImage.stderr).toContain('needs a kubernetes section in perfbisect.fleet.yml');
    const badRunners = await runCli(['--runners', '0', ...base], { cwd: repo.dir, cache });
    expect(badRunners.exitCode).toBe(2);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    expect(listDirs(join(cache, 'runs'))).toEqual([]);
  });

  it('runs one job of a plan by hand, and says what is wrong with a plan it cannot use', async () => {
    const { repo, shas } = linearRepo({ commits: 2, regressAt: [2], baseMs: 50, factor: 4 });
    cleanups.push(() => repo.cleanup());
    const dir = tempDir('pb-job-');
    const plan = {
      schema: 'perfbisect-round/1',
      runId: 'by-hand',
      round: 1,
      probe: { name: 'command', definition: { kind: 'command', run: 'sh work.sh' } },
      warmup: 1,
      useCache: true,
      // 50 ms against 200 ms of sleep: the medians of five are ordered on a loaded machine too.
      jobs: [
        {
          index: 0,
          trial: 0,
          key: 'k',
          target: shas[2],
          refs: [shas[0]],
          order: [0, 1, 0, 1, 1, 0, 0, 1, 1, 0],
          rounds: 5,
          purpose: 'endpoints',
          ordinal: 0,
        },
      ],
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    const r = await runCli(['job', join(dir, 'plan.json'), '--out', join(dir, 'out')], {
      cwd: repo.dir,
      env: { PERFBISECT_MACHINE: 'bench-7' },
    });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8'));
    expect(result.machine.name).toBe('bench-7');
    expect(result.samples[shas[2]]).toHaveLength(5);
    expect(result.samples[shas[0]]).toHaveLength(5);
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[2];
    expect(median(result.samples[shas[2]])).toBeGreaterThan(median(result.samples[shas[0]]));
    const wrongIndex = await runCli(['job', join(dir, 'plan.json'), '--out', join(dir, 'o2'), '--index', '3'], {
      cwd: repo.dir,
    });
    expect(wrongIndex.exitCode).toBe(2);
    expect(wrongIndex.stderr).toContain('--index 3 is not one of them');
    writeFileSync(join(dir, 'bad.json'), '{"schema":"something-else"}');
    const notAPlan = await runCli(['job', join(dir, 'bad.json'), '--out', join(dir, 'o3')], { cwd: repo.dir });
    expect(notAPlan.exitCode).toBe(2);
    expect(notAPlan.stderr.trim().split('\n')).toHaveLength(1);
  });
});
