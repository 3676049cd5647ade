/**
 * A probe run that exceeds its timeout is a measurement (slower than the timeout), not a failure:
 * for a wall-time metric it is a censored sample; elsewhere it is reported as "too slow", and a
 * crash is reported as a crash, in every message.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommitFailure, ProbeTooSlow } from '../src/errors.js';
import type { RunEvent } from '../src/events.js';
import { probeContext } from '../src/harness/measure/probe-context.js';
import { createProbe } from '../src/probes/index.js';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, listDirs, sleeper, tempDir } from './fixtures/repo.js';
import { hangingRepo } from './fixtures/reuse.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;

function context() {
  const dir = tempDir('pb-probe-');
  mkdirSync(join(dir, 'logs'));
  const events: RunEvent[] = [];
  const ctx = probeContext({ cwd: dir, sha: 'a'.repeat(40), env: process.env as Record<string, string>, signal: new AbortController().signal, logFile: join(dir, 'logs', 'probe.log'), artifactsDir: join(dir, 'artifacts'), emit: (e) => events.push(e) });
  return { ctx, events };
}

describe('the command probe and a run past its timeout', () => {
  it('wall time: a censored sample at the timeout; a printed metric: too slow; a non-zero exit: crashed', async () => {
    const { ctx } = context();
    const wall = createProbe('w', { kind: 'command', run: 'sleep 30', timeout: 0.2 }).probe;
    expect(await wall.sample(ctx)).toEqual({ value: 200, censored: true });

    const metric = { name: 'ops/s', better: 'higher', pattern: 'ops/s: ([0-9.]+)' };
    const printed = createProbe('p', { kind: 'command', run: 'sleep 30; echo "ops/s: 5"', timeout: 0.2, metric }).probe;
    const slow = await printed.sample(ctx).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(ProbeTooSlow);
    expect((slow as CommitFailure).headline).toBe('the probe was too slow');
    expect((slow as CommitFailure).message).toBe('`sleep 30; echo "ops/s: 5"` ran past its 0.2 s timeout and was stopped');

    const crash = createProbe('c', { kind: 'command', run: 'exit 3', timeout: 5 }).probe;
    const crashed = await crash.sample(ctx).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(CommitFailure);
    expect(crashed).not.toBeInstanceOf(ProbeTooSlow);
    expect((crashed as CommitFailure).headline).toBe('the probe crashed');
  });
});

describe('a job that starts hanging at one commit', () => {
  it('is bisected: the hanging runs are censored samples at the timeout, said as "too slow", never as a crash', async () => {
    const { repo, shas } = hangingRepo({ commits: 6, hangsAt: 4 });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--timeout', '0.5', '--min-samples', '5', '--max-samples', '12', '--json', join(out, 'r.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = readJson(join(out, 'r.json'));
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[4]]);
    expect(result.censoredAt).toBe(500);
    const bad = result.commits.find((c) => c.verdict === 'bad-endpoint')!;
    expect(bad.censored).toBe(bad.summary.n);
    expect(result.commits.find((c) => c.verdict === 'good-endpoint')!.censored).toBeUndefined();
    // The output says what happened: too slow, counted; no exit code, no crash, no skip.
    expect(r.stdout).toMatch(/warning: [0-9a-f]{10}: a probe run ran past the probe's timeout and was stopped: the probe was too slow \(it did not crash\)/);
    expect(r.all).not.toMatch(/exited with code|crashed:|^skip /m);
    const writeup = readFileSync(join(result.runDir, 'writeup.md'), 'utf8');
    expect(writeup).toMatch(/- Timeouts: \d+ probe run\(s\) ran past the probe's timeout and were stopped\. The probe was too slow there, it did not crash/);
    expect(writeup).toMatch(/went from [\d.]+ ms at good to ≥ 500 ms at bad: at least \+\d+%/);
    // The run log marks each censored sample; a replay of the stored blocks keeps the marks.
    const sampleEvents = readFileSync(join(result.runDir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent).filter((e) => e.type === 'sample');
    expect(sampleEvents.filter((e) => e.type === 'sample' && e.censored && e.value === 500).length).toBeGreaterThan(0);
    const again = await runCli(['--good', 'good', '--bad', 'bad', '--timeout', '0.5', '--min-samples', '5', '--max-samples', '12', '--json', join(out, 'again.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(again.exitCode, again.all).toBe(0);
    const replayed = readJson(join(out, 'again.json'));
    expect(replayed.cost.samples).toBe(0);
    expect(replayed.commits.map((c) => c.censored)).toEqual(result.commits.map((c) => c.censored));
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('keeps "the probe crashed" apart from "the probe was too slow" when a metric cannot be bounded', async () => {
    // Commit 2 crashes, commit 3 hangs, commit 4 is the regression: both are skipped, each for its own reason.
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    const shas = [repo.commit('initial', sleeper(30))];
    repo.tag('good');
    shas.push(repo.commit('change 1', { 'n/1': '1' }));
    shas.push(repo.commit('change 2: crash', { 'work.sh': '#!/bin/sh\necho "boom" >&2\nexit 3\n' }));
    shas.push(repo.commit('change 3: hang', sleeper(60_000)));
    shas.push(repo.commit('change 4: slower', sleeper(120)));
    shas.push(repo.commit('change 5', { 'n/5': '5' }));
    repo.tag('bad');
    repo.write({ 'probes.config.ts': `export default { probes: { ops: { kind: 'command', run: 'sh work.sh', timeout: 0.5, metric: { name: 'ops/s', better: 'higher', pattern: 'ops/s: ([0-9.]+)' } } } };\n` });
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'ops', '--min-samples', '5', '--max-samples', '12', '--no-profile', '--json', join(out, 'r.json')], { cwd: repo.dir, cache });
    const result = readJson(join(out, 'r.json'));
    const reason = (sha: string) => result.commits.find((c) => c.sha === sha)?.reason;
    expect(r.exitCode, r.all).toBe(3);
    expect(result.suspects).toContain(shas[4]);
    expect(reason(shas[2])).toMatch(/^the probe crashed: `sh work.sh` exited with code 3 \(if a non-zero exit is normal.*; output: "boom"$/);
    expect(reason(shas[3])).toBe('the probe was too slow: `sh work.sh` ran past its 0.5 s timeout and was stopped');
    expect(r.stdout).toContain(`skip ${shas[3].slice(0, 10)}: the probe was too slow:`);
    expect(r.stdout).toContain(`skip ${shas[2].slice(0, 10)}: the probe crashed:`);
  });
});
