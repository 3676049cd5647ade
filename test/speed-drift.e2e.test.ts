/**
 * A machine that slows down while the bisect runs: the verdicts stand (each compares samples taken side
 * by side), and the plain view, the result and the writeup say that medians taken at different times
 * are not comparable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { speedDrift } from '../src/report/speed-drift.js';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, tempDir } from './fixtures/repo.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('whether the machine\'s speed moved, from commits measured again later', () => {
  it('needs three commits or more measured at several times, differing far beyond the noise', () => {
    const at = (level: number, n: number) => Array.from({ length: n }, (_, i) => level * (1 + 0.01 * (i % 3)));
    // Four commits, each measured first at its level and later 30% slower.
    const slower = [100, 120, 240, 250].map((level) => [at(level, 5), at(level * 1.3, 2)]);
    expect(speedDrift(slower, 0.03)).toMatchObject({ commits: 4 });
    expect(speedDrift(slower, 0.03)!.change).toBeCloseTo(0.3, 1);
    // Up and down between blocks, no way in particular: the spread says it.
    const bursts = [[1, 1.4, 1.35], [1, 1.3, 1.5, 1.3, 1], [1.3, 1, 1.05], [1.1, 0.9, 1.3, 1]].map((fs, k) =>
      fs.map((f) => at((100 + 50 * k) * f, 1 + (k % 2))));
    const moved = speedDrift(bursts, 0.03)!;
    expect(moved.spread).toBeGreaterThan(0.1);
    expect(Math.abs(moved.change)).toBeLessThan(moved.spread);
    // Two commits are not enough; what three times the noise explains is chance; one block says nothing.
    expect(speedDrift(slower.slice(0, 2), 0.03)).toBeUndefined();
    expect(speedDrift(slower, 0.13)).toBeUndefined();
    const steady = [100, 120, 240, 250].map((l, k) => [at(l, 5), at(l * (k % 2 ? 1.03 : 0.97), 1), at(l, 3)]);
    expect(speedDrift(steady, 0.03)).toBeUndefined();
    expect(speedDrift([[at(100, 5)], [at(100, 5)], [at(100, 5)]], 0.03)).toBeUndefined();
  });

  it('end to end: a probe that runs slower every run, and a 3× step at the 5th of 8 commits', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    const state = tempDir('pb-drift-');
    // Each run 3% slower than the one before (as a machine warming up, or another job growing).
    const work = (ms: number) =>
      "const fs = require('fs');\n" +
      `const f = ${JSON.stringify(join(state, 'runs'))};\n` +
      "let n = 0; try { n = Number(fs.readFileSync(f, 'utf8')) || 0; } catch {}\n" +
      'fs.writeFileSync(f, String(n + 1));\n' +
      `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms} * (1 + 0.03 * n));\n`;
    repo.commit('initial', { 'work.js': work(40) });
    repo.tag('good');
    for (let i = 1; i <= 8; i++) repo.commit(`change ${i}`, i === 5 ? { 'work.js': work(120) } : { [`n${i}.txt`]: `${i}\n` });
    repo.tag('bad');
    const culprit = repo.git('rev-parse', 'HEAD~3');
    const cache = tempDir('pb-cache-');
    const json = join(cache, 'r.json');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--json', json, '--', 'node', 'work.js'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(culprit);
    expect(result.speedDrift!.change).toBeGreaterThan(0.1);
    expect(r.all).toMatch(/^note: the machine's speed moved during the run: the \d+ commits measured at several times differed by ±\d+% between them, \d+% slower later/m);
    expect(readFileSync(join(result.runDir, 'writeup.md'), 'utf8')).toMatch(/\*\*The machine's speed moved during the run\*\*: .*commits measured at several times differed by ±\d+%/);
  });
});
