/**
 * What a verdict costs on real processes, beside the hand-made loop people write, in one run:
 *
 *   node_modules/.bin/jiti bench/verdict-cost.ts [--quick] [--case large|eight|two|one-step|pinpoint] [--busy] [--keep]
 *
 * --busy measures only with a core kept busy; --keep keeps every perfbisect run folder (by default
 * only those of wrong results), to read where a run's probe runs went.
 *
 * - large: a ×2.4 step at the 3rd of 15 commits (a CPU-bound Node program, no build step), perfbisect
 *   against a `git bisect run` loop that times 5 runs a commit and blames by the midpoint of the good
 *   and bad medians; then the same while another process keeps one core busy.
 * - eight: one ~8% step (whole-process wall time) in 120 commits, idle and with a core kept busy; beside
 *   each, outside --quick, the same decided on CPU time (--metric cpu), as a figure.
 * - two: +8% then +26% in 100 commits, idle and with a core kept busy.
 * - one-step: a +25% step in 60 commits, perfbisect by default and with --one-step beside the hand
 *   loop, idle and with a core kept busy.
 * - pinpoint: simulated probe runs per verdict against Chromium Pinpoint's sample-size table for the
 *   same effect in IQR units (its rule: the sample size at which a rank test of that effect always decides).
 *
 * perfbisect runs with default settings, --no-profile (the hand loop explains nothing either) and
 * --no-cache. Times are wall clock; every figure is printed with the hand loop's beside it.
 */
import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FixtureRepo, tempDir } from '../test/fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import { simulateBisect } from './simulate.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const now = () => performance.now() / 1000;

/** A CPU-bound program whose loop takes `work` iterations: Node's start-up is a small part of a run. */
const program = (work: number) =>
  `let s = 0;\nfor (let i = 0; i < ${Math.round(work)}; i++) s += Math.sqrt(i) * Math.sin(i);\nconsole.log(s > 0 ? 'ok' : 'ok');\n`;

/** commits + 1 commits (0 is good, the last bad); each step multiplies the loop at its position. */
function history(
  commits: number,
  steps: { at: number; factor: number }[],
  work: number,
): { repo: FixtureRepo; culprits: string[] } {
  const repo = new FixtureRepo();
  const culprits: string[] = [];
  let level = work;
  repo.commit('initial', { 'work.js': program(level) });
  repo.tag('good');
  for (let i = 1; i <= commits; i++) {
    const step = steps.find((s) => s.at === i);
    if (step) level *= step.factor;
    const sha = repo.commit(`change ${i}`, step ? { 'work.js': program(level) } : { [`notes/${i}.txt`]: `${i}\n` });
    if (step) culprits.push(sha);
  }
  repo.tag('bad');
  return { repo, culprits };
}

/** The hand loop: good and bad medians of 5 runs, then `git bisect run` with 5 runs a commit against their midpoint. */
async function handLoop(repo: FixtureRepo): Promise<{ seconds: number; runs: number; culprit: string }> {
  const dir = tempDir('pb-hand-');
  await execa('git', ['clone', '-q', repo.dir, dir]);
  const median5 = `for i in 1 2 3 4 5; do s=$(date +%s%N); node work.js >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); done | sort -n | sed -n 3p`;
  const t0 = now();
  const at = async (ref: string) => Number((await execa('sh', ['-c', `git checkout -q ${ref} && ${median5}`], { cwd: dir })).stdout.trim());
  const mid = ((await at('good')) + (await at('bad'))) / 2;
  const judge = join(dir, '..', `${dir.split('/').pop()}-judge.sh`);
  writeFileSync(judge, `#!/bin/sh\nm=$(${median5})\n[ "$m" -lt ${Math.round(mid)} ]\n`);
  const log = (await execa('sh', ['-c', `git bisect start bad good >/dev/null && git bisect run sh ${judge} 2>&1`], { cwd: dir, reject: false })).stdout;
  const seconds = now() - t0;
  const culprit = /^([0-9a-f]{40}) is the first bad commit/m.exec(log)?.[1] ?? '';
  const steps = (log.match(/^running /gm) ?? []).length;
  rmSync(dir, { recursive: true, force: true });
  rmSync(judge, { force: true });
  return { seconds, runs: 10 + 5 * steps, culprit };
}

/** perfbisect's run on `repo`; where it did not find `culprits` (when given), its run folder is kept, to see why. */
async function perfbisect(
  repo: FixtureRepo,
  extra: string[] = [],
  culprits?: string[],
): Promise<{ seconds: number; result?: RunResult }> {
  const cache = tempDir('pb-vc-cache-');
  const json = join(cache, 'r.json');
  const t0 = now();
  await execa('node', [cli, '--good', 'good', '--bad', 'bad', '--no-profile', '--no-cache', '--json', json, ...extra, '--', 'node', 'work.js'], {
    cwd: repo.dir, reject: false, env: { ...process.env, CI: 'true', PERFBISECT_CACHE_DIR: cache }, stdin: 'ignore',
  });
  const seconds = now() - t0;
  let result: RunResult | undefined;
  try {
    result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
  } catch {
    /* no result: reported as such */
  }
  const wrong = !!culprits && !!result && !found(result, culprits);
  if (result && (wrong || keepAll)) {
    const kept = join(tmpdir(), `pb-${wrong ? 'wrong' : 'kept'}-${basename(result.runDir)}`);
    cpSync(result.runDir, kept, { recursive: true });
    console.log(`(${wrong ? 'a wrong result' : '--keep'}: its run folder is kept in ${kept})`);
  }
  rmSync(cache, { recursive: true, force: true });
  return { seconds, result };
}

/** --keep: every run folder is kept, not only those of wrong results. */
let keepAll = false;
/** --busy: the cases measured with a core kept busy only. */
let busyOnly = false;
const loads = (quick: boolean) => (busyOnly ? [true] : quick ? [false] : [false, true]);

/** Another process keeping one core busy while `fn` runs. */
async function withBusyCore<T>(fn: () => Promise<T>): Promise<T> {
  const hog: ChildProcess = spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' });
  try {
    return await fn();
  } finally {
    hog.kill('SIGKILL');
  }
}

const inconclusive = (r?: RunResult) => r?.commits.filter((c) => c.verdict === 'inconclusive').length ?? NaN;
const found = (r: RunResult | undefined, culprits: string[]) =>
  !!r && culprits.every((c) => r.culprits.some((x) => x.sha === c)) && r.culprits.length === culprits.length;
const planted = (r: RunResult | undefined, culprits: string[]) =>
  r?.culprits.filter((x) => culprits.includes(x.sha)).length ?? 0;
const noise = (r?: RunResult) => (r?.noise ? `${(r.noise.cv * 100).toFixed(1)}%` : '–');

type Check = [string, boolean, string];

async function largeStep(quick: boolean): Promise<Check[]> {
  console.log('\n### ×2.4 step at the 3rd of 15 commits, no build step (perfbisect vs the hand loop, side by side)\n');
  const { repo, culprits } = history(15, [{ at: 3, factor: 2.4 }], 3_000_000);
  const checks: Check[] = [];
  try {
    for (const busy of loads(quick)) {
      const run = async () => {
        const hand = await handLoop(repo);
        const ours = await perfbisect(repo, [], culprits);
        return { hand, ours };
      };
      const { hand, ours } = busy ? await withBusyCore(run) : await run();
      const r = ours.result;
      const ratio = ours.seconds / hand.seconds;
      console.log(
        `${busy ? 'one core busy' : 'idle'}: hand loop ${hand.seconds.toFixed(1)} s, ${hand.runs} runs, ` +
          `${hand.culprit === culprits[0] ? 'right' : `WRONG (${hand.culprit.slice(0, 10) || 'none'})`}; ` +
          `perfbisect ${ours.seconds.toFixed(1)} s (${ratio.toFixed(2)}×), ${r?.cost.samples ?? '?'} runs, ${found(r, culprits) ? 'right' : 'WRONG'}, ` +
          `noise ${noise(r)}, ${inconclusive(r)} inconclusive`,
      );
      const target = busy ? 2 : 1.5;
      checks.push([`×2.4 step${busy ? ', one core busy' : ''}: ≤ ${target}× the hand loop, same culprit`, ratio <= target && found(r, culprits), `${ratio.toFixed(2)}×`]);
    }
  } finally {
    repo.cleanup();
  }
  return checks;
}

/** perfbisect alone on one history, idle and with a core kept busy: one line and one check each. */
async function alone(
  title: string,
  built: { repo: FixtureRepo; culprits: string[] },
  quick: boolean,
  check: (r: RunResult | undefined) => [string, boolean, string],
  /** Also decide on CPU time under the same load (a figure beside the check, not a check). */
  alsoCpu = false,
): Promise<Check[]> {
  console.log(`\n### ${title}\n`);
  const { repo, culprits } = built;
  const checks: Check[] = [];
  try {
    for (const busy of loads(quick)) {
      const measure = () => perfbisect(repo, [], culprits);
      const ours = busy ? await withBusyCore(measure) : await measure();
      const r = ours.result;
      console.log(
        `${busy ? 'one core busy' : 'idle'}: ${r?.status ?? 'no result'}, ${found(r, culprits) ? 'exact' : `WRONG (${r?.culprits.length ?? 0} culprits, ${planted(r, culprits)} of them planted)`}, ` +
          `endpoints ${r ? ((r.endpoints.change.ratio - 1) * 100).toFixed(1) : '?'}%, ${r?.cost.samples ?? '?'} probe runs, ${ours.seconds.toFixed(0)} s, ` +
          `noise ${noise(r)}, ${inconclusive(r)} inconclusive`,
      );
      const [name, ok, detail] = check(r);
      checks.push([`${name}${busy ? ', one core busy' : ''}`, ok && found(r, culprits), detail]);
      if (alsoCpu && !quick) {
        const cpu = () => perfbisect(repo, ['--metric', 'cpu'], culprits);
        const c = busy ? await withBusyCore(cpu) : await cpu();
        console.log(
          `  the same with --metric cpu: ${found(c.result, culprits) ? 'exact' : 'WRONG'}, ${c.result?.cost.samples ?? '?'} probe runs, ` +
            `${c.seconds.toFixed(0)} s, noise ${noise(c.result)}`,
        );
      }
    }
  } finally {
    repo.cleanup();
  }
  return checks;
}

const eightPercent = (quick: boolean) =>
  alone('one ~8% step in whole-process wall time, 120 commits', history(quick ? 60 : 120, [{ at: quick ? 41 : 83, factor: 1.09 }], 3_000_000), quick, (r) => [
    '8% step: exact, ≤ 200 probe runs', (r?.cost.samples ?? Infinity) <= 200, `${r?.cost.samples} runs`,
  ], true);

const twoSteps = (quick: boolean) =>
  alone(
    '+8% then +26%, 100 commits',
    history(
      quick ? 50 : 100,
      [
        { at: quick ? 14 : 31, factor: 1.09 },
        { at: quick ? 37 : 72, factor: 1.27 },
      ],
      3_000_000,
    ),
    quick,
    (r) => [
      '+8% then +26%: both found, no inconclusive verdict, ≤ 400 probe runs',
      inconclusive(r) === 0 && (r?.cost.samples ?? Infinity) <= 400,
      `${r?.cost.samples} runs, ${inconclusive(r)} inconclusive`,
    ],
  );

/** The default rule and --one-step on one history, beside the hand loop, idle and busy. */
async function oneStepCase(quick: boolean): Promise<Check[]> {
  console.log('\n### +25% step at the 23rd of 60 commits: default, --one-step and the hand loop, side by side\n');
  const { repo, culprits } = history(60, [{ at: 23, factor: 1.25 }], 1_500_000);
  const checks: Check[] = [];
  try {
    for (const busy of loads(quick)) {
      // Two bisects each, alternating: where the step is large against the noise the default goes side
      // first and costs what --one-step does, and one look more that a slow phase of the machine forces
      // on either decides a comparison of single runs.
      const run = async () => ({
        hand: await handLoop(repo),
        all: [await perfbisect(repo, [], culprits)],
        one: [await perfbisect(repo, ['--one-step'], culprits)],
      });
      const twice = async () => {
        const first = await run();
        first.all.push(await perfbisect(repo, [], culprits));
        first.one.push(await perfbisect(repo, ['--one-step'], culprits));
        return first;
      };
      const { hand, all, one } = busy ? await withBusyCore(twice) : await twice();
      const line = (name: string, o: { seconds: number; result?: RunResult }) =>
        `${name} ${o.seconds.toFixed(0)} s (${(o.seconds / hand.seconds).toFixed(2)}×), ${o.result?.cost.samples ?? '?'} runs, ` +
        `${found(o.result, culprits) ? 'right' : `WRONG (${o.result?.status ?? 'no result'}, ${planted(o.result, culprits)} of ${o.result?.culprits.length ?? 0} culprits planted)`}, noise ${noise(o.result)}`;
      console.log(
        `${busy ? 'one core busy' : 'idle'}: hand loop ${hand.seconds.toFixed(0)} s, ${hand.runs} runs, ` +
          `${hand.culprit === culprits[0] ? 'right' : 'WRONG'}; ${all.map((o) => line('default', o)).join('; ')}; ` +
          one.map((o) => line('--one-step', o)).join('; '),
      );
      const runs = (list: { result?: RunResult }[]) =>
        list.reduce((n, o) => n + (o.result?.cost.samples ?? Infinity), 0);
      checks.push([
        `+25% step${busy ? ', one core busy' : ''}: --one-step right, in no more runs than the default (two bisects each)`,
        [...one, ...all].every((o) => found(o.result, culprits)) && runs(one) <= runs(all),
        `${runs(one)} vs ${runs(all)} runs`,
      ]);
    }
  } finally {
    repo.cleanup();
  }
  return checks;
}

/**
 * Pinpoint's rule for its table (dashboard/pinpoint/models/compare/thresholds.py): the sample size a
 * side at which a Mann-Whitney test of normal samples shifted by `iqr` IQRs is below p = 0.01 in 99% of
 * trials, so a comparison always decides. Re-derived here by simulation with our own rank test.
 */
function pinpointSamples(iqr: number): number {
  const sigma = 1 / 1.349; // the IQR of N(0, sigma) is 1
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
  for (let n = 2; n <= 60; n++) {
    const ps: number[] = [];
    for (let t = 0; t < 400; t++) {
      const a = Array.from({ length: n }, () => sigma * gauss());
      const b = Array.from({ length: n }, () => iqr + sigma * gauss());
      let u = 0;
      for (const x of a) for (const y of b) u += y > x ? 1 : 0;
      const z = (u - (n * n) / 2) / Math.sqrt((n * n * (2 * n + 1)) / 12);
      ps.push(2 * (1 - normalCdf(Math.abs(z))));
    }
    ps.sort((x, y) => x - y);
    if (ps[Math.floor(0.99 * ps.length)] < 0.01) return n;
  }
  return 60;
}

function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * z);
  const d = 0.3989423 * Math.exp((-z * z) / 2);
  return 1 - d * t * (0.3193815 + t * (-0.3565638 + t * (1.781478 + t * (-1.821256 + t * 1.330274))));
}

function pinpointTable(): Check[] {
  console.log('\n### probe runs per verdict against Pinpoint\'s sample-size table (simulated, 3% normal noise, N = 128)\n');
  console.log('effect | in IQR | perfbisect: target samples a verdict (median) | runs a verdict, references included | Pinpoint: samples a side (×2 for both)');
  const cv = 0.03;
  for (const step of [0.05, 0.08, 0.15, 0.25, 1.0]) {
    const iqr = step / (1.349 * cv);
    const targets: number[] = [];
    let runs = 0;
    let verdicts = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = simulateBisect({ n: 128, steps: [{ at: 20 + seed * 3, size: step }], noise: 'normal', cv }, seed);
      for (const v of r.outcome.verdicts) targets.push(v.samples);
      runs += r.samples;
      verdicts += r.outcome.verdicts.length + 1;
    }
    targets.sort((a, b) => a - b);
    const pin = pinpointSamples(Math.min(iqr, 4));
    console.log(`${(step * 100).toFixed(0)}% | ${iqr.toFixed(1)} | ${targets[targets.length >> 1]} | ${(runs / verdicts).toFixed(1)} | ${pin} (${2 * pin})`);
  }
  return [];
}

export async function verdictCostSection(argv: readonly string[]): Promise<boolean> {
  const quick = argv.includes('--quick');
  keepAll = argv.includes('--keep');
  busyOnly = argv.includes('--busy');
  const only = argv.includes('--case') ? argv[argv.indexOf('--case') + 1] : undefined;
  const parts: [string, () => Check[] | Promise<Check[]>][] = [
    ['large', () => largeStep(quick)],
    ['eight', () => eightPercent(quick)],
    ['two', () => twoSteps(quick)],
    ['one-step', () => oneStepCase(quick)],
    ['pinpoint', () => pinpointTable()],
  ];
  const checks: Check[] = [];
  for (const [name, run] of parts) if (!only || only === name) checks.push(...(await run()));
  console.log('');
  for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  return checks.every(([, ok]) => ok);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  verdictCostSection(process.argv.slice(2)).then((ok) => (process.exitCode = ok ? 0 : 1));
}
