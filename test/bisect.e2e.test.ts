import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, linearRepo, listDirs, repoState, sleeper, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('perfbisect end to end (command probe)', () => {
  it('finds the planted culprit in a linear history and leaves the repository untouched', async () => {
    const { repo, shas } = linearRepo({ commits: 12, regressAt: [7] });
    cleanups.push(() => repo.cleanup());
    // The user has work in progress: a dirty file, a stash, a branch checked out.
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'wip.txt': 'uncommitted\n' });
    const before = repoState(repo.dir);
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--json', join(out, 'r.json'), '--report', join(out, 'w.md'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('found');
    expect(result.culprit?.sha).toBe(shas[7]);
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[7]]);
    expect(result.culprit?.parent).toBe(shas[6]);
    expect(result.culprit?.subject).toBe('change 7: make it slower');
    // 40 ms → 120 ms of sleep inside a shell's start-up: well over 1.2× even when process starts are slow.
    expect(result.culprit?.change.ratio).toBeGreaterThan(1.2);
    expect(result.culprit?.files.map((f) => f.file)).toContain('work.sh');
    expect(result.commits.length).toBeGreaterThanOrEqual(4);
    expect(result.cost.builds).toBe(0);
    expect(result.cost.samples).toBeGreaterThan(0);
    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain('### Root cause');
    expect(md).toContain(shas[7].slice(0, 10));
    expect(md).toContain('### Reproduce');
    expect(md).toContain('perfbisect --good good --bad bad -- sh work.sh');
    expect(r.stdout).toContain(`culprit ${shas[7]}`);
    expect(repoState(repo.dir)).toEqual(before);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('says where a later improvement hid part of the regression from the endpoints', async () => {
    // 30 ms → 240 ms at 3, then 60 ms at 8: good → bad shows 2×, the culprit 8×. The improvement is 4×,
    // so a loaded machine's slow runs of the faster side (a shell start-up taking 100 ms) do not hide it.
    const { repo, shas } = linearRepo({
      commits: 12, regressAt: [3], baseMs: 30, factor: 8, extra: (i) => (i === 8 ? sleeper(60) : {}),
    });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--no-profile', '--json', join(out, 'r.json'), '--report', join(out, 'w.md'), '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[3]]);
    expect(result.improvements.length, r.all).toBeGreaterThanOrEqual(1);
    for (const m of result.improvements) {
      expect(shas.indexOf(m.after)).toBeGreaterThanOrEqual(3);
      expect(shas.indexOf(m.after)).toBeLessThan(8);
      expect(shas.indexOf(m.through)).toBeGreaterThanOrEqual(8);
      expect(m.commits).toBe(shas.indexOf(m.through) - shas.indexOf(m.after));
    }
    const m = result.improvements[0];
    expect(r.stdout).toContain(`improvement: ${m.commit.slice(0, 10)}, on the bad side, measured +`);
    expect(r.stdout).toContain(`a change for the better lies after ${m.after.slice(0, 10)}, up to ${m.through.slice(0, 10)}`);
    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain('**Not the whole change:**');
    expect(md).toContain(`up to \`${m.through.slice(0, 10)}\``);
  });

  it('runs builds, skips unbuildable commits, and reports the skipped ones', async () => {
    // Commits 3 and 4 do not build; the regression is at 9.
    const { repo, shas } = linearRepo({
      commits: 12, regressAt: [9],
      extra: (i) => ({ 'build.sh': i === 3 || i === 4 ? '#!/bin/sh\necho "syntax error" >&2\nexit 1\n' : '#!/bin/sh\necho built > built.txt\n' }),
    });
    cleanups.push(() => repo.cleanup());
    const r = await runCli(['--good', 'good', '--build', 'sh build.sh', '--no-profile', '--json', 'out.json', '--', 'sh', '-c', 'test -f built.txt && sh work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(repo.dir, 'out.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[9]);
    expect(result.cost.builds).toBeGreaterThan(0);
  });

  /** Ten commits whose 5th and 6th do not build, slower at each of `regressAt`: bisected, exit 3 expected. */
  async function unbuildableStretch(regressAt: number[]) {
    const { repo, shas } = linearRepo({
      commits: 10, regressAt,
      extra: (i) => ({ 'build.sh': i >= 5 && i <= 6 ? '#!/bin/sh\nexit 1\n' : '#!/bin/sh\ntrue\n' }),
    });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--build', 'sh build.sh', '--no-profile', '--json', join(out, 'r.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(3);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('ambiguous');
    return { r, result, shas };
  }

  it('is ambiguous when the boundary falls in an unbuildable stretch, and names exactly the suspects', async () => {
    const { result, shas } = await unbuildableStretch([6]);
    expect(result.suspects).toEqual([shas[5], shas[6], shas[7]]);
    expect(result.culprit).toBeNull();
  });

  it('names the culprit it found, and the suspects of a further step it could not pin to one commit', async () => {
    const { r, result, shas } = await unbuildableStretch([2, 6]);
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[2]]);
    expect(result.suspects).toEqual([shas[5], shas[6], shas[7]]);
    const [a, b, c] = result.suspects.map((s) => s.slice(0, 10));
    expect(r.stdout).toContain(`result: ambiguous; besides the culprit above, a further step is in one of: ${a} (skipped), ${b} (skipped), ${c}\n`);
    const writeup = readFileSync(join(result.runDir, 'writeup.md'), 'utf8');
    expect(writeup).toMatch(/^## Performance regression: change 2: make it slower, and a further step among 3 commits \(2 could not be measured\)$/m);
    expect(writeup).toContain('Besides the root cause above, a further step is in one of these commits');
  });

  it('looks for one step with --one-step, says so, and names one of two', async () => {
    const { repo, shas } = linearRepo({ commits: 8, regressAt: [2, 6] });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--one-step', '--no-profile', '--json', join(out, 'r.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprits).toHaveLength(1);
    expect([shas[2], shas[6]]).toContain(result.culprits[0].sha);
    expect(result.decisions.oneStep).toBe(true);
    expect(result.commits.some((c) => c.verdict === 'between')).toBe(false);
    expect(r.stdout).toMatch(/^one step looked for \(--one-step\): .*other steps in the range are not looked for$/m);
    const writeup = readFileSync(join(result.runDir, 'writeup.md'), 'utf8');
    expect(writeup).toContain('One step was looked for (--one-step)');
    // The step found is one of two ×3 steps: about half of good→bad on a log scale; the rest is said to lie elsewhere.
    expect(r.stdout).toMatch(/^note: the step found \(\+\d+%\) is about \d+% of the good→bad change \(\+\d+%\): the other \+\d+% may lie in steps that --one-step does not look for/m);
    expect(writeup).toContain('may lie in steps that --one-step does not look for; run without it to find them');
  });

  it('exits 1 with the numbers when nothing regressed', async () => {
    // 60 ms runs and a 20% threshold: on a loaded host a 20 ms run varies by 10-20% (process start-up is
    // most of it), which can leave even a 10% bound unproven at 20 samples (undecided, its own test).
    // Up to 40 samples: a quiet host stops at the first looks, a busy one (load 4 on 2 cores) needs more.
    const { repo } = linearRepo({ commits: 6, regressAt: [], baseMs: 60 });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const args = ['--good', 'good', '--bad', 'bad', '--json', join(out, 'r.json'), '--max-samples', '40', '--threshold', '20'];
    const r = await runCli([...args, '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(1);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('no-regression');
    expect(result.culprits).toEqual([]);
    expect(result.endpoints.good.n).toBeGreaterThan(0);
    expect(r.stdout).toContain('no regression');
  });

  it('exits 6, undecided, when the noise neither shows nor rules out a change worth bisecting', async () => {
    // Good alternates 100 ms and 400 ms runs; the later commits sleep a steady 270 ms, 8% over good's mean.
    // A fixed pattern, not random sleeps: random ones now and then fall apart far enough for six samples to
    // show a step. Whichever run pairs with whichever, half of good lies on each side of bad.
    const counters = tempDir('pb-nap-');
    const alternating = `f=${counters}/n; n=$(cat "$f" 2>/dev/null || echo 0); echo $((n + 1)) > "$f"\n`
      + 'if [ $((n % 2)) = 0 ]; then sleep 0.1; else sleep 0.4; fi\n';
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    repo.commit('initial', { 'work.sh': alternating });
    repo.tag('good');
    repo.commit('change 1', { 'work.sh': 'sleep 0.27\n' });
    repo.commit('change 2', { 'notes.txt': '2' });
    repo.tag('bad');
    const out = tempDir('pb-out-');
    const before = repoState(repo.dir);
    // At a 5% threshold: six samples of this noise can neither show a 5% regression nor rule one out.
    const args = ['--good', 'good', '--bad', 'bad', '--json', join(out, 'r.json'), '--max-samples', '6', '--threshold', '5'];
    const r = await runCli([...args, '--', 'bash', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(6);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('undecided');
    expect(result.culprits).toEqual([]);
    expect(result.noRegressionBelow).toBe(0.05);
    expect(r.stdout).toMatch(/undecided: the noise hides whether bad is slower than good by .* --metric cpu/);
    expect(readFileSync(join(result.runDir, 'writeup.md'), 'utf8')).toMatch(/undecided/i);
    expect(repoState(repo.dir)).toEqual(before);
  });

  it('follows a regression into a merged side branch', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    repo.commit('initial', sleeper(20));
    repo.tag('good');
    repo.commit('main 1', { 'a.txt': '1' });
    repo.git('checkout', '-q', '-b', 'side');
    repo.commit('side 1', { 's.txt': '1' });
    const culprit = repo.commit('side 2: slow path', sleeper(60));
    repo.commit('side 3', { 's.txt': '3' });
    repo.git('checkout', '-q', 'main');
    repo.commit('main 2', { 'a.txt': '2' });
    repo.commit('main 3', { 'a.txt': '3' });
    repo.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    repo.commit('main 4', { 'a.txt': '4' });
    const out = tempDir('pb-out-');
    // One cache: the first-parent bisect below replays the samples of the commits both measure.
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'main', '--no-profile', '--json', join(out, 'r.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(culprit);
    // --first-parent blames the merge that brought it in.
    const fp = await runCli(['--good', 'good', '--bad', 'main', '--first-parent', '--no-profile', '--json', join(out, 'fp.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    expect(fp.exitCode, fp.all).toBe(0);
    const fpResult = JSON.parse(readFileSync(join(out, 'fp.json'), 'utf8')) as RunResult;
    expect(fpResult.culprit?.subject).toBe('merge side');
  });

  it('reads probes from probes.config.ts, with defineConfig imported from perfbisect', async () => {
    const { repo, shas } = linearRepo({ commits: 8, regressAt: [3] });
    cleanups.push(() => repo.cleanup());
    repo.write({
      'probes.config.ts': `import { defineConfig } from 'perfbisect';
export default defineConfig({
  probes: {
    ops: { kind: 'command', run: 'sh work.sh', metric: { name: 'ops/s', better: 'higher', pattern: 'ops/s: ([0-9.]+)' } },
  },
});
`,
    });
    // The user is in the middle of their own git bisect: it must survive ours untouched.
    repo.git('bisect', 'start', 'bad', 'good');
    const before = repoState(repo.dir);
    const bisectLog = repo.git('bisect', 'log');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'ops', '--no-profile', '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    expect(repoState(repo.dir)).toEqual(before);
    expect(repo.git('bisect', 'log')).toBe(bisectLog);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[3]);
    expect(result.probe.metric).toEqual({ name: 'ops/s', unit: '', better: 'higher' });
    expect(result.culprit!.change.ratio).toBeLessThan(1);
  });

  it('stops cleanly on SIGINT: no worktree, no process, the repository untouched', async () => {
    const { repo } = linearRepo({ commits: 30, regressAt: [20], baseMs: 60 });
    cleanups.push(() => repo.cleanup());
    const before = repoState(repo.dir);
    const cache = tempDir('pb-cache-');
    const p = runCli(['--good', 'good', '--bad', 'bad', '--', 'sh', 'work.sh'], { cwd: repo.dir, cache });
    await new Promise<void>((res) => {
      p.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('measure ')) res();
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    p.kill('SIGINT');
    const r = await p;
    expect(r.exitCode, r.all).toBe(130);
    expect(r.all).toContain('--resume');
    expect(repoState(repo.dir)).toEqual(before);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    const { execSync } = await import('node:child_process');
    expect(execSync('ps -eo args').toString()).not.toContain(join(cache, 'worktrees'));
    expect(existsSync(join(cache, 'runs'))).toBe(true);
  });
});
