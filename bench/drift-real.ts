/**
 * Drift checks on real processes on this machine: repositories with two steps, an improvement and
 * creep, whose CPU-bound program does 13–20% more work twice, 10% less between, and creeps +1.5% a
 * commit at the end, each checked by the built CLI with its defaults (16 points, 5% threshold),
 * once on the machine as it is and once with one core kept busy by a spinning process; then the
 * same window is checked again (a re-run: it must measure nothing new and alert nothing). Flat
 * repositories count false alarms.
 * The probe's metric is its CPU time (`metric: 'cpu'`, what a shared runner calls for) and its wall
 * time (the default): the targets are checked on CPU time, wall time is reported beside it with the
 * machine's load, since other jobs on a shared machine make wall time as noisy as they are.
 *
 *   node_modules/.bin/jiti bench/drift-real.ts [--quick] [--metric cpu|wall] [--shapes N] [--seed S] [--keep <dir>]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriftResult } from '../src/report/drift.js';
import { seededRng, type Rng } from '../src/stats/rng.js';
import { FixtureRepo, tempDir } from '../test/fixtures/repo.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/**
 * The program: a CPU-bound loop in the shell (dash runs `[` and arithmetic as builtins, no forks),
 * so its time is all CPU work and grows with the iteration count exactly; a Node program's start-up
 * would dwarf a step of a few milliseconds on a loaded machine.
 */
const program = (n: number) => `i=0\nwhile [ $i -lt ${n} ]; do i=$((i + 1)); done\necho ok\n`;
const COMMITS = 32;
/** Iterations of the fastest commit: about 70 ms on this machine when it is quiet (the calibration says). */
const BASE_ITERATIONS = 100_000;

/** What one iteration costs here (the fastest of five runs): for the record, the plan is in iterations. */
function calibrate(): { msPerIteration: number } {
  const dir = tempDir('pb-calibrate-');
  writeFileSync(join(dir, 'work.sh'), program(BASE_ITERATIONS));
  const once = () => {
    const t0 = performance.now();
    execFileSync('sh', ['work.sh'], { cwd: dir });
    return performance.now() - t0;
  };
  const ms = Math.min(...Array.from({ length: 5 }, once));
  rmSync(dir, { recursive: true, force: true });
  return { msPerIteration: ms / BASE_ITERATIONS };
}

interface Plan {
  /** Work of each commit relative to the window's start (index 0). */
  work: number[];
  regressions: number[];
  improvement?: number;
  creep: boolean;
}

function issuePlan(rng: Rng): Plan {
  const pick = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const a = pick(4, 8), b = pick(11, 15), c = pick(18, 22), creepFrom = pick(24, 26);
  const sizeA = 0.13 + 0.07 * rng(), sizeC = 0.13 + 0.07 * rng();
  const work = Array.from({ length: COMMITS + 1 }, (_, i) => {
    let w = 1;
    if (i >= a) w *= 1 + sizeA;
    if (i >= b) w *= 0.9;
    if (i >= c) w *= 1 + sizeC;
    if (i >= creepFrom) w *= 1.015 ** (i - creepFrom + 1);
    return w;
  });
  return { work, regressions: [a, c], improvement: b, creep: true };
}

const flatPlan = (): Plan => ({ work: Array(COMMITS + 1).fill(1), regressions: [], creep: false });

type Metric = 'cpu' | 'wall';

function makeRepo(plan: Plan, metric: Metric) {
  const r = new FixtureRepo();
  const iterations = (w: number) => Math.round(BASE_ITERATIONS * w);
  const probe = `{ work: { kind: 'command', run: 'sh work.sh', metric: '${metric}' } }`;
  const config = { 'probes.config.ts': `export default { probes: ${probe} };\n` };
  const shas = [r.commit('start', { ...config, 'work.sh': program(iterations(plan.work[0])) })];
  for (let i = 1; i <= COMMITS; i++) {
    const changed = plan.work[i] !== plan.work[i - 1];
    const files = changed ? { 'work.sh': program(iterations(plan.work[i])) } : { [`notes/${i}.txt`]: `${i}\n` };
    shas.push(r.commit(`change ${i}`, files));
  }
  return { repo: r, shas };
}

interface Outcome {
  line: string;
  stepsExact: boolean;
  improvementExact: boolean;
  creep: boolean;
  falseSteps: number;
  alerted: boolean;
  rerunQuiet: boolean;
}

async function checkOnce(plan: Plan, o: { busy: boolean; metric: Metric }, label: string, keep?: string) {
  const { busy } = o;
  const { repo, shas } = makeRepo(plan, o.metric);
  const cache = tempDir('pb-bench-cache-');
  const store = join(cache, 'store');
  const run = (json: string) => {
    try {
      const name = `${label.replace(/\W+/g, '-')}-${basename(json, '.json')}.md`;
      const report = keep ? ['--report', join(keep, name)] : [];
      const args = ['drift', '--probe', 'work', '--since', shas[0], '--store', store, '--json', json, ...report];
      execFileSync('node', [cli, ...args], {
        cwd: repo.dir, env: { ...process.env, CI: 'true', PERFBISECT_CACHE_DIR: cache }, stdio: 'ignore',
      });
    } catch {
      /* exit 5 is an outcome, read from the JSON */
    }
    return JSON.parse(readFileSync(json, 'utf8')) as DriftResult;
  };
  // One core kept busy for the whole check, as another job on the machine would.
  const spinner: ChildProcess | undefined = busy ? spawn('node', ['-e', 'for(;;);'], { stdio: 'ignore' }) : undefined;
  const t0 = Date.now();
  let r: DriftResult;
  let again: DriftResult;
  try {
    r = run(join(cache, 'r.json'));
    again = run(join(cache, 'again.json'));
  } finally {
    if (spinner?.pid) process.kill(spinner.pid);
  }
  const seconds = (Date.now() - t0) / 1000;
  const at = (sha: string | null) => (sha ? shas.indexOf(sha) : -1);
  const located = r.changes.map((c) => ({ at: at(c.culprit), kind: c.kind }));
  const stepsExact = plan.regressions.every((i) => located.some((s) => s.at === i && s.kind === 'regression'));
  const improved = located.some((s) => s.at === plan.improvement && s.kind === 'improvement');
  const improvementExact = plan.improvement === undefined || improved;
  const planted = new Set([...plan.regressions, ...(plan.improvement !== undefined ? [plan.improvement] : [])]);
  const falseSteps = located.filter((s) => !planted.has(s.at)).length;
  const rerunQuiet = again.cost.samples === 0 && again.alerts.length === 0 && again.exitCode === 0;
  const what = plan.regressions.length ? `${plan.regressions.join(', ')} (+), ${plan.improvement} (−), creep` : '–';
  const found = located.map((s) => `${s.at}${s.kind === 'regression' ? '+' : '−'}`).join(' ') || 'nothing';
  const creepText = r.drift ? `${(r.drift.unexplained * 100).toFixed(1)}%` : 'none';
  const line =
    `${label}: planted ${what}; located ${found}; creep ${creepText}; exit ${r.exitCode}; ` +
    `${r.series.length} points, ${r.candidates.length} candidates, ${r.cost.samples} runs; ` +
    `re-run: exit ${again.exitCode}, ${again.cost.samples} new runs, ${again.alerts.length} alerts; ` +
    `${seconds.toFixed(0)} s, load ${loadavg()[1].toFixed(1)}`;
  // A planted change that was not located: what the candidates that held it said.
  const missed = [...plan.regressions, ...(plan.improvement !== undefined ? [plan.improvement] : [])]
    .filter((i) => !located.some((s) => s.at === i))
    .flatMap((i) => r.candidates.filter((c) => at(c.from) < i && at(c.to) >= i).map((c) => `\n  ${i}: ${c.reason}`));
  repo.cleanup();
  rmSync(cache, { recursive: true, force: true });
  const outcome: Outcome = {
    line: line + missed.join(''), stepsExact, improvementExact, creep: !!r.drift, falseSteps,
    alerted: r.exitCode === 5, rerunQuiet,
  };
  return outcome;
}

export async function driftRealSection(argv: readonly string[]): Promise<boolean> {
  const quick = argv.includes('--quick');
  const only = argv.includes('--metric') ? (argv[argv.indexOf('--metric') + 1] as Metric) : undefined;
  const shapesArg = argv.includes('--shapes') ? Number(argv[argv.indexOf('--shapes') + 1]) : 2;
  // --keep <dir>: each check's writeup stays there, to read why a step was missed.
  const keep = argv.includes('--keep') ? argv[argv.indexOf('--keep') + 1] : undefined;
  if (keep) mkdirSync(keep, { recursive: true });
  const cal = calibrate();
  const best = (cal.msPerIteration * BASE_ITERATIONS).toFixed(0);
  console.log(`${COMMITS} commits a window; the start runs ${BASE_ITERATIONS} loop iterations, ${best} ms at best\n`);
  const rng = seededRng(argv.includes('--seed') ? Number(argv[argv.indexOf('--seed') + 1]) : 2026);
  const results: { metric: Metric; flat: boolean; o: Outcome }[] = [];
  for (const metric of (['cpu', 'wall'] as const).filter((m) => !only || m === only)) {
    // Wall time on a shared machine is reported, not targeted: one history a row is enough to show it.
    const shapes = quick || metric === 'wall' ? 1 : shapesArg;
    for (const busy of [false, true]) {
      const row = `${metric} time, ${busy ? 'one core busy' : 'as it is'}`;
      for (let k = 0; k < shapes; k++) {
        const o = await checkOnce(issuePlan(rng), { busy, metric }, `${row} #${k + 1}`, keep);
        console.log(o.line);
        results.push({ metric, flat: false, o });
      }
      if (quick && metric === 'wall') continue;
      const o = await checkOnce(flatPlan(), { busy, metric }, `${row}, flat`, keep);
      console.log(o.line);
      results.push({ metric, flat: true, o });
    }
  }
  const count = (xs: typeof results, f: (o: Outcome) => boolean) => `${xs.filter((x) => f(x.o)).length}/${xs.length}`;
  let ok = results.every((x) => x.o.rerunQuiet);
  for (const metric of ['cpu', 'wall'] as const) {
    const shaped = results.filter((x) => x.metric === metric && !x.flat);
    const flat = results.filter((x) => x.metric === metric && x.flat);
    if (!shaped.length) continue;
    const falseSteps = shaped.reduce((n, x) => n + x.o.falseSteps, 0);
    console.log(
      `\n${metric} time: both steps exact ${count(shaped, (o) => o.stepsExact)}, ` +
        `improvement exact ${count(shaped, (o) => o.improvementExact)}, creep ${count(shaped, (o) => o.creep)}, ` +
        `false steps ${falseSteps}; flat: false alarms ${count(flat, (o) => o.alerted)}`,
    );
    if (metric === 'cpu') ok &&= shaped.every((x) => x.o.stepsExact) && flat.every((x) => !x.o.alerted);
  }
  console.log(`re-runs quiet ${count(results, (o) => o.rerunQuiet)}`);
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  driftRealSection(process.argv.slice(2)).then((ok) => process.exit(ok ? 0 : 1));
}
