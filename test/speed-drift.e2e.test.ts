/**
 * A machine that slows down while the bisect runs: the verdicts stand (each is checked against samples taken
 * beside it), and the plain view, the result and the writeup say that medians taken at different times
 * are not comparable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { DriftBlocks, speedDrift } from '../src/report/speed-drift.js';
import type { RunEvent } from '../src/events.js';
import { gaussian, seededRng } from '../src/stats/rng.js';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, tempDir } from './fixtures/repo.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('whether the machine\'s speed moved, from commits measured again later', () => {
  // Blocks as a bisect measures them: the endpoints side by side, then each target's 5 samples beside one
  // fresh sample of its two references: bad throughout, good until the fifth target, that target after.
  const bisectBlocks = (sample: (sha: string, block: number) => number) =>
    Array.from({ length: 10 }, (_, k) => {
      const runs = (sha: string, n: number) => Array.from({ length: n }, () => sample(sha, k));
      if (k === 0) return { c0: runs('c0', 5), c99: runs('c99', 5) };
      const lo = k <= 5 ? 'c0' : 'c5';
      return { [`c${k}`]: runs(`c${k}`, 5), [lo]: runs(lo, 1), c99: runs('c99', 1) };
    });
  const level = (sha: string) => 100 + 10 * Number(sha.slice(1));

  it('says the same commits moved between blocks when a slow spell moves them all, not when single samples do', () => {
    // From the fifth block on, everything runs 50% slower: said in most histories (with one fresh
    // sample of each reference a block, a step moves few samples), and as slower later.
    const said = Array.from({ length: 40 }, (_, seed) => {
      const rng = seededRng(seed + 1);
      return speedDrift(bisectBlocks((sha, k) => level(sha) * (k >= 4 ? 1.5 : 1) * (1 + 0.02 * gaussian(rng))));
    }).filter((d) => d !== undefined);
    expect(said.length).toBeGreaterThanOrEqual(30);
    expect(said.every((d) => d.change > 0)).toBe(true);
    // A probe with two speed modes (a third of its runs 50% slower), on a machine that held its speed: the
    // one-sample blocks land in either mode, which chance explains. At most a few of 60 runs say otherwise.
    const alarms = Array.from({ length: 60 }, (_, seed) => {
      const r = seededRng(seed + 1);
      return speedDrift(bisectBlocks((sha) => level(sha) * (r() < 0.33 ? 1.5 : 1) * (1 + 0.03 * gaussian(r))));
    }).filter(Boolean).length;
    expect(alarms).toBeLessThanOrEqual(3);
    // Too few blocks, or blocks that share no commit, say nothing.
    expect(speedDrift(bisectBlocks((sha, k) => level(sha) * (k >= 2 ? 2 : 1)).slice(0, 3))).toBeUndefined();
    expect(speedDrift([{ a: [1, 2] }, { b: [1, 2] }, { c: [1] }, { d: [3] }])).toBeUndefined();
  });

  it('takes only the blocks this run measured for its search', () => {
    const start = (extra: object) => ({ type: 'run-start', ...extra }) as unknown as RunEvent;
    const measure = (cached: boolean) => ({ type: 'measure-start', target: 'a', refs: [], rounds: 1, purpose: 'verdict', cached }) as RunEvent;
    const block = (samples: Record<string, number[]>, failure?: object) =>
      ({ type: 'block', target: 'a', refs: [], order: [], purpose: 'verdict', samples, ...(failure ? { failure } : {}) }) as RunEvent;
    const seen = (events: RunEvent[]) => {
      const d = new DriftBlocks();
      for (const e of events) d.see(e);
      return d.blocks;
    };
    const measured = [measure(false), block({ a: [1] })];
    // Measured, kept; from the cache or replayed (another time), failed, or after the search (the
    // dependency descent's), left out.
    expect(seen([start({}), ...measured, measure(true), block({ a: [2] }), measure(false), block({}, { stage: 'build' }),
      { type: 'search-end', culprits: [] } as unknown as RunEvent, ...measured])).toEqual([{ a: [1] }]);
    // A fleet's machines differ, and a deterministic probe's values do not move: nothing.
    expect(seen([start({ fleet: { runner: 'local', runners: 2 } }), ...measured])).toEqual([]);
    expect(seen([start({ deterministic: true }), ...measured])).toEqual([]);
  });

  it('end to end: a machine 3% slower every run, and a 3× step at the 5th of 8 commits', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    const state = tempDir('pb-drift-');
    // Every run 3% slower than the one before (a machine heating up, another job growing): the run count
    // kept in a file, the wait stretched by it.
    const runs = join(state, 'runs');
    const work = (ms: number) =>
      `n=0; [ -f ${runs} ] && read n < ${runs}\n` +
      `echo $((n + 1)) > ${runs}\n` +
      `us=$((${ms} * (1000 + 30 * n)))\n` +
      'sleep $((us / 1000000)).$(printf %06d $((us % 1000000)))\n';
    // 90 ms and 270 ms of waiting in a shell script: sh and sleep start in a few ms idle, so the samples show
    // the slowdown of the wait (node's start-up, 100–400 ms of CPU on a loaded machine, would drown it); but
    // a loaded CI host takes some 40 ms to start them, which hides the slowdown of a 30 ms wait.
    repo.commit('initial', { 'work.sh': work(90) });
    repo.tag('good');
    for (let i = 1; i <= 8; i++) repo.commit(`change ${i}`, i === 5 ? { 'work.sh': work(270) } : { [`n${i}.txt`]: `${i}\n` });
    repo.tag('bad');
    const culprit = repo.git('rev-parse', 'HEAD~3');
    const cache = tempDir('pb-cache-');
    const json = join(cache, 'r.json');
    // One step in the range: --one-step asks each verdict only which side of it a commit is on; its fewer
    // blocks still measure the same commits at times far enough apart.
    const args = ['--good', 'good', '--bad', 'bad', '--one-step', '--no-profile', '--json', json, '--', 'sh', 'work.sh'];
    const r = await runCli(args, { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(culprit);
    expect(result.speedDrift?.change ?? 0, r.all).toBeGreaterThan(0.05);
    expect(r.all).toMatch(/^note: the same commits measured ±\d+% apart from one block to another over \d+ blocks/m);
    expect(readFileSync(join(result.runDir, 'writeup.md'), 'utf8')).toMatch(/the same commits measured ±\d+% apart from one block to another/);
  });
});
