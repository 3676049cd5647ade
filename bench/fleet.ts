/**
 * Bisect on a fleet (docs/fleet.md): rounds and wall time of the k-ary bisect in rounds of k jobs,
 * beside the sequential bisect, for a range of N commits, k runners, build and measure times.
 *
 *   node_modules/.bin/jiti bench/fleet.ts [--quick] [--n 1000] [--runs 20]
 *
 * Simulated: the real engine (nextRound / recordRound; simulateBisect for the sequential bisect) on
 * seeded histories with one step and 3% noise, every job on a runner of its own speed (±10%). Wall
 * time is modelled: the sequential bisect builds each commit it measures one after another, then
 * measures; a round takes a runner's start (checkout, setup: 1 minute), one build (a job builds its
 * commit and its references side by side; with CI's artifacts, a 1-minute download instead) and its
 * longest job's probe runs.
 *
 * Real: one case on this machine, the sequential bisect beside `--runner local --runners 3` (the
 * same jobs a fleet runs, here one after another), with what the rounds would take on three runners.
 */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simulateBisect, simulateRounds, type History } from './simulate.js';
import { linearRepo, tempDir } from '../test/fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;

interface Model {
  buildMinutes: number;
  runSeconds: number;
  /** A runner's start per round: queueing, checkout, setup. */
  startMinutes: number;
  /** Builds downloaded from CI (--artifacts). */
  artifacts: boolean;
}

const hours = (minutes: number) => `${(minutes / 60).toFixed(1)} h`;

/** One configuration over `runs` histories: rounds and modelled wall minutes, mean and max. */
function simulate(n: number, k: number, size: number, runs: number, m: Model) {
  let rounds = 0;
  let maxRounds = 0;
  let minutes = 0;
  let hits = 0;
  for (let seed = 1; seed <= runs; seed++) {
    const at = 1 + ((seed * 7919) % (n - 1));
    const h: History = { n, steps: [{ at, size }], noise: 'normal', cv: 0.03 };
    const build = m.artifacts ? 1 : m.buildMinutes;
    if (k === 1) {
      const r = simulateBisect(h, seed);
      if (r.culpritIdx[0] === at) hits++;
      // One machine: every commit measured is built (or downloaded) once, then its blocks run.
      minutes += r.built * build + (r.samples * m.runSeconds) / 60;
      rounds += r.outcome.decisions;
      maxRounds = Math.max(maxRounds, r.outcome.decisions);
    } else {
      const r = simulateRounds(h, seed, { runners: k, machines: 'fleet' });
      if (r.culpritIdx[0] === at) hits++;
      minutes += r.perRound.reduce(
        (t, jobs) => t + m.startMinutes + build + (Math.max(...jobs) * m.runSeconds) / 60,
        0,
      );
      rounds += r.rounds;
      maxRounds = Math.max(maxRounds, r.rounds);
    }
  }
  return { rounds: rounds / runs, maxRounds, minutes: minutes / runs, hits };
}

export function simulatedSection(argv: readonly string[]): void {
  const quick = argv.includes('--quick');
  const n = argv.includes('--n') ? Number(argv[argv.indexOf('--n') + 1]) : 1000;
  const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : quick ? 6 : 20;
  console.log(
    `Simulated: N = ${n} commits, one step at 3% noise, ${runs} histories a row; ` +
      "sequential = today's bisect on one machine (k = 1: steps are decisions).",
  );
  console.log(
    'Wall time modelled: a runner start of 1 min a round, one build a job (side by side), ' +
      'its probe runs at 1 s each; --artifacts: a 1-min download.',
  );
  console.log('');
  console.log(
    [
      'step'.padEnd(5),
      'build'.padEnd(9),
      'k'.padStart(2),
      'rounds'.padStart(7),
      'max'.padStart(4),
      'wall'.padStart(7),
      'hit'.padStart(6),
    ].join(' '),
  );
  for (const size of quick ? [0.25] : [0.08, 0.25]) {
    for (const [label, m] of [
      ['2 min', { buildMinutes: 2, runSeconds: 1, startMinutes: 1, artifacts: false }],
      ['20 min', { buildMinutes: 20, runSeconds: 1, startMinutes: 1, artifacts: false }],
      ['CI-built', { buildMinutes: 20, runSeconds: 1, startMinutes: 1, artifacts: true }],
    ] as const) {
      for (const k of quick ? [1, 8] : [1, 2, 4, 8]) {
        const r = simulate(n, k, size, runs, m);
        const cells = [
          `${Math.round(size * 100)}%`.padEnd(5),
          label.padEnd(9),
          String(k).padStart(2),
          r.rounds.toFixed(1).padStart(7),
        ];
        cells.push(String(r.maxRounds).padStart(4), hours(r.minutes).padStart(7), `${r.hits}/${runs}`.padStart(6));
        console.log(cells.join(' '));
      }
    }
  }
}

/** Run the CLI; its result and its wall seconds. */
async function bisect(dir: string, extra: string[]): Promise<{ seconds: number; result: RunResult }> {
  const out = join(tempDir('pb-fleet-bench-'), 'r.json');
  const t0 = performance.now();
  const r = await execa(
    'node',
    [
      cli,
      '--good',
      'good',
      '--bad',
      'bad',
      '--build',
      'sh build.sh',
      '--no-profile',
      '--no-tui',
      '--json',
      out,
      ...extra,
      '--',
      'sh',
      '-c',
      'test -f built.txt && sh work.sh',
    ],
    {
      cwd: dir,
      reject: false,
      env: { PERFBISECT_CACHE_DIR: tempDir('pb-fleet-cache-') },
    },
  );
  if (r.exitCode !== 0) throw new Error(`perfbisect exited ${r.exitCode}: ${r.stderr}`);
  return { seconds: (performance.now() - t0) / 1000, result: JSON.parse(readFileSync(out, 'utf8')) as RunResult };
}

export async function realSection(argv: readonly string[]): Promise<boolean> {
  const commits = argv.includes('--quick') ? 30 : 60;
  const { repo, shas } = linearRepo({
    commits,
    regressAt: [Math.round(commits * 0.7)],
    baseMs: 30,
    extra: () => ({ 'build.sh': '#!/bin/sh\nsleep 1\necho built > built.txt\n' }),
  });
  const culprit = shas[Math.round(commits * 0.7)];
  try {
    const cores = (await import('node:os')).cpus().length;
    console.log(
      `Real: ${commits} commits, a 1-second build, a ×3 step in a 30 ms program, on this machine (${cores} cores).`,
    );
    const seq = await bisect(repo.dir, []);
    const fleet = await bisect(repo.dir, ['--runner', 'local', '--runners', '3']);
    const events = readFileSync(join(fleet.result.runDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; round?: number; seconds?: number });
    const longest = new Map<number, number>();
    for (const e of events)
      if (e.type === 'job-end' && e.seconds !== undefined)
        longest.set(e.round!, Math.max(longest.get(e.round!) ?? 0, e.seconds));
    const parallel = [...longest.values()].reduce((a, b) => a + b, 0);
    const row = (name: string, r: { seconds: number; result: RunResult }, steps: string) =>
      console.log(
        `  ${name.padEnd(34)} ${r.seconds.toFixed(1).padStart(6)} s  ${steps.padEnd(22)} ` +
          `builds ${String(r.result.cost.builds).padStart(3)}  probe runs ${String(r.result.cost.samples).padStart(4)}  ` +
          (r.result.culprit?.sha === culprit ? 'culprit' : 'WRONG'),
      );
    row('sequential bisect', seq, `${seq.result.decisions.count} decisions`);
    row('--runner local --runners 3', fleet, `${fleet.result.cost.rounds} rounds`);
    console.log(
      `  ${'the same rounds on 3 runners'.padEnd(34)} ${parallel.toFixed(1).padStart(6)} s  ` +
        '(each round as long as its longest job; runner start-up not counted)',
    );
    return seq.result.culprit?.sha === culprit && fleet.result.culprit?.sha === culprit;
  } finally {
    repo.cleanup();
  }
}

export async function fleetSection(argv: readonly string[]): Promise<boolean> {
  simulatedSection(argv);
  console.log('');
  return realSection(argv);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  if (!(await fleetSection(process.argv.slice(2)))) process.exitCode = 1;
}
