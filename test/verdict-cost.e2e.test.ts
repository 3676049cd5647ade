import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, linearRepo, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import { cpuWouldHelp } from '../src/report/noise.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/** A work.sh that counts its runs across commits in $PB_COUNTER (as $n) before it does `then`. */
const countedRun = (then: string) => `n=$(( $(cat "$PB_COUNTER" 2>/dev/null || echo 0) + 1 )); echo $n > "$PB_COUNTER"\n${then}\n`;

/**
 * A program whose CPU work grows ×4 at one commit while its wall time is blurred by a random sleep
 * of up to 150 ms: wall time is noisy, CPU time is not. At `crashAt` it exits 1: it cannot be measured.
 */
function jitterRepo(
  commits: number,
  at: number,
  crashAt?: number,
): { repo: FixtureRepo; culprit: string; shas: string[] } {
  const repo = new FixtureRepo();
  const work = (n: number) =>
    `let s = 0;\nfor (let i = 0; i < ${n}; i++) s += Math.sqrt(i);\n` +
    `setTimeout(() => console.log(s > 0 ? 'ok' : 'ok'), Math.floor(Math.random() * 150));\n`;
  const shas = [repo.commit('initial', { 'work.js': work(1e7) })];
  repo.tag('good');
  let culprit = '';
  for (let i = 1; i <= commits; i++) {
    const files = i === at ? { 'work.js': work(4e7) } : i === crashAt ? { 'work.js': 'process.exit(1);\n' } : { [`notes/${i}`]: `${i}` };
    const sha = repo.commit(`change ${i}`, files);
    shas.push(sha);
    if (i === at) culprit = sha;
  }
  repo.tag('bad');
  cleanups.push(() => repo.cleanup());
  return { repo, culprit, shas };
}

describe('verdicts at the cost the evidence needs', () => {
  it('says what the noise costs after the endpoints, and finds a CPU regression with --metric cpu', async () => {
    const out = tempDir('pb-out-');
    // Two commits are enough for the noise line after the endpoints. The one between them crashes, so
    // the run ends there: what comes after the endpoints is not what this run checks.
    const short = jitterRepo(2, 2, 1);
    const wallArgs = ['--no-profile', '--min-samples', '10', '--max-samples', '12', '--json', join(out, 'wall.json')];
    const wall = await runCli(['--good', 'good', '--bad', 'bad', ...wallArgs, '--', 'node', 'work.js'], { cwd: short.repo.dir });
    const w = JSON.parse(readFileSync(join(out, 'wall.json'), 'utf8')) as RunResult;
    expect(wall.stdout).toMatch(/^noise \d+\.\d% a sample \(wall time\): a 5% step needs/m);
    // The hint follows the figures the run measured (a shared host can make CPU time noisy too).
    const n = w.noise!;
    expect(n.cpuCv, JSON.stringify(n)).toBeGreaterThan(0);
    // The time is rehearsed: the probe runs it stands for are recorded beside it.
    expect(n.runs, JSON.stringify(n)).toBeGreaterThan(0);
    const hinted = cpuWouldHelp(n);
    expect(/CPU time varies .* --metric cpu/.test(wall.stdout), JSON.stringify(n)).toBe(hinted);

    const { repo, culprit, shas } = jitterRepo(8, 5);
    // One step in the range: --one-step spares the verdicts ruling out a further one beside it.
    const cpuArgs = ['--no-profile', '--metric', 'cpu', '--one-step', '--max-samples', '20', '--json', join(out, 'cpu.json')];
    const cpu = await runCli(['--good', 'good', '--bad', 'bad', ...cpuArgs, '--', 'node', 'work.js'], { cwd: repo.dir });
    expect(cpu.exitCode, cpu.all).toBe(0);
    const c = JSON.parse(readFileSync(join(out, 'cpu.json'), 'utf8')) as RunResult;
    expect(c.probe.metric.name).toBe('CPU time');
    expect(c.culprits.map((x) => x.sha)).toEqual([culprit]);
    // At 20 samples a loaded host can leave a commit inconclusive; it must still lean to its own side.
    const side = (sha: string) => (shas.indexOf(sha) < 5 ? 'good' : 'bad');
    for (const v of c.commits.filter((x) => x.verdict === 'inconclusive')) expect(v.lean, JSON.stringify(v)).toBe(side(v.sha));
    expect(c.decisions.count).toBeGreaterThanOrEqual(4);
    expect(c.decisions.alphaSpent).toBeLessThanOrEqual(0.05);
    const md = readFileSync(join(c.runDir, 'writeup.md'), 'utf8');
    expect(md).toMatch(/decisions of this bisect .* are all right with probability at least/);
  });

  it('keeps a warm-up run as a sample unless it stands out, as a cold first run does', async () => {
    // The first run in a fresh checkout is 0.6 s slower (a cold cache); every later run sleeps 20 or 60 ms.
    const { repo, shas } = linearRepo({ commits: 6, regressAt: [4], extra: () => ({ 'cold.sh': '[ -f .warm ] || { sleep 0.6; touch .warm; }\nexec sh work.sh\n' }) });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    // One step in the range: --one-step spares the verdicts ruling out a further one beside it.
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--one-step', '--json', join(out, 'r.json'), '--', 'sh', 'cold.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(res.culprits.map((c) => c.sha)).toEqual([shas[4]]);
    const events = readFileSync(join(res.runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; value?: number });
    const samples = events.filter((e) => e.type === 'sample').map((e) => e.value!);
    // No cold run among the samples, though every commit had one.
    expect(Math.max(...samples)).toBeLessThan(400);
    expect(res.cost.samples).toBeGreaterThan(samples.length);

    // A command whose first run is like the rest: its warm-up is kept, in place of one of the runs asked.
    const plain = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--one-step', '--json', join(out, 'p.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir });
    const p = JSON.parse(readFileSync(join(out, 'p.json'), 'utf8')) as RunResult;
    const kept = readFileSync(join(p.runDir, 'events.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"type":"sample"')).length;
    expect(plain.exitCode, plain.all).toBe(0);
    // Every measured commit is cold once at least: discarding warm-ups would lose that many runs.
    expect(kept).toBeGreaterThan(p.cost.samples - p.commits.length);
  });

  it('fits a --budget by lowering the confidence, says so, and still names an obvious culprit', async () => {
    // ×4 from a 40 ms sleep: each verdict gets one look of a few samples, which on a loaded host (25% a
    // sample) must not overlap; a ×3 step from 20 ms can leave the endpoints undecided there.
    const { repo, shas } = linearRepo({ commits: 10, regressAt: [6], baseMs: 40, factor: 4 });
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    // 0.01 minutes: used up before the endpoints are decided.
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--budget', '0.01', '--json', join(out, 'r.json'), '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(res.confidence).toBe(0.5);
    expect(res.noise?.budget).toMatchObject({ minutes: 0.01, asked: 0.95, confidence: 0.5 });
    expect(r.stdout).toContain('--budget 0.01 min: confidence lowered from 95.0% to 50.0% to fit');
    expect(r.stdout).toMatch(/--budget 0\.01 min used up/);
    expect(res.culprits.map((c) => c.sha)).toEqual([shas[6]]);
    expect(readFileSync(join(res.runDir, 'writeup.md'), 'utf8')).toContain('(95.0% was required');
  });

  it('says the noise again when the endpoints are decided if further looks changed it, as the threshold uses', async () => {
    // Every run counts itself: the first 14 (the first look and its warm-ups) take 200 and 100 ms by turns,
    // each commit from its own count, so good and bad show the same runs and the first look cannot decide
    // (random ones now and then fell apart far enough for it to rule a regression out); later runs are
    // steady, bad's sleep twice good's: a step the later looks decide in few samples.
    const counter = join(tempDir('pb-count-'), 'n');
    const own = (later: number) => `"$PB_COUNTER-${later}"`;
    const work = (later: number) =>
      countedRun(
        `m=$(( $(cat ${own(later)} 2>/dev/null || echo 0) + 1 )); echo $m > ${own(later)}\n` +
          `if [ $n -le 14 ]; then sleep 0.$(( m % 2 + 1 )); else sleep ${later}; fi`,
      );
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    repo.commit('initial', { 'work.sh': work(0.1) });
    repo.tag('good');
    repo.commit('change 1: slower', { 'work.sh': work(0.2) });
    repo.commit('change 2', { 'n/2': '2' });
    repo.tag('bad');
    const out = tempDir('pb-out-');
    // One step: --one-step spares the verdict ruling out a further one beside it.
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--one-step', '--json', join(out, 'r.json'), '--', 'bash', 'work.sh'], {
      cwd: repo.dir,
      env: { PB_COUNTER: counter },
    });
    expect(r.exitCode, r.all).toBe(0);
    const said = r.stdout.split('\n').filter((l) => l.startsWith('noise '));
    expect(said.length, r.stdout).toBe(2);
    // The endpoints' second block says why it is there.
    expect(r.stdout).toMatch(/^measure \S+ against \S+: \d+ round\(s\), look 2: the samples so far did not decide \[endpoints\]$/m);
    const res = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    // The last word is the endpoints' noise over all their samples, the one the threshold was worked out from.
    const cv = (x: { median: number; spread: number }) => x.spread / x.median;
    const ends = (cv(res.endpoints.good) + cv(res.endpoints.bad)) / 2;
    expect(res.noise!.cv).toBeCloseTo(ends, 6);
    expect(said[1]).toContain(`noise ${(ends * 100).toFixed(1)}% a sample`);
  });
});
