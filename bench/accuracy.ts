/**
 * Simulated accuracy benchmark: the real engine (simulateBisect) against many seeded
 * synthetic histories, beside the hand-made baseline (simulateBaseline: 5 runs, midpoint threshold).
 *
 *   node_modules/.bin/jiti bench/accuracy.ts [--quick] [--runs K] [--cv 0.03] [--seed S] [--verbose] [--noise a,b]
 *                                            [--runners K [--machines one|fleet]]
 *
 * With --runners the engine bisects in rounds of K jobs (nextRound / recordRound), each job on a
 * machine of its own speed (--machines fleet, the default: ±10% between runners) or all on one.
 *
 * Every history is derived from a seed that depends only on its configuration and its index, so a
 * row replays exactly; `--verbose` prints the seed of every miss so it can be reproduced alone.
 */
import { pathToFileURL } from 'node:url';
import { seededRng } from '../src/stats/rng.js';
import {
  simulateBaseline, simulateBisect, simulateRounds, type History, type NoiseModel, type RoundSimOptions,
} from './simulate.js';

export const NOISES: NoiseModel[] = ['normal', 'lognormal', 'drift', 'spikes', 'bimodal', 'jump', 'wiggle', 'bursts', 'phases'];
export const SIZES = [32, 128, 2000];
export const DELTAS = [0.02, 0.05, 0.08, 0.25, 1.0];
/** The two-step case: a small step first, a big one later. */
export const TWO_STEPS = [0.08, 0.25];

export type Change = { kind: 'one'; delta: number } | { kind: 'none' } | { kind: 'two'; deltas: number[] };

export const CHANGES: Change[] = [
  ...DELTAS.map((delta) => ({ kind: 'one' as const, delta })),
  { kind: 'none' },
  { kind: 'two', deltas: TWO_STEPS },
];

export interface AccuracyOptions {
  /** Histories per target configuration (N = 128, δ = 8% / none / two steps). */
  targetRuns: number;
  /** Histories per other configuration with N ≤ 128. */
  gridRuns: number;
  /** Histories per configuration with N = 2000. */
  bigRuns: number;
  /** Relative noise of one sample. */
  cv: number;
  /** Base seed, mixed into every history's seed. */
  seed: number;
  /** Print the seed of each history the engine got wrong. */
  verbose: boolean;
  /** Bisect in rounds of this many jobs (the fleet), instead of one commit at a time. */
  rounds?: RoundSimOptions;
  /** Only these noise models (`--noise a,b`): all of them by default. */
  noises?: NoiseModel[];
  log: (line: string) => void;
}

export const defaultAccuracyOptions: AccuracyOptions = {
  targetRuns: 200,
  gridRuns: 30,
  bigRuns: 15,
  cv: 0.03,
  seed: 1,
  verbose: false,
  log: (line) => console.log(line),
};

/** `--runs K`: K histories per target config, 15% of K per other config, 7.5% of K for N = 2000 (at least 3). */
export function runsFromK(k: number): Pick<AccuracyOptions, 'targetRuns' | 'gridRuns' | 'bigRuns'> {
  return { targetRuns: k, gridRuns: Math.max(3, Math.round(k * 0.15)), bigRuns: Math.max(3, Math.round(k * 0.075)) };
}

export function parseAccuracyArgs(argv: readonly string[]): Partial<AccuracyOptions> {
  const o: Partial<AccuracyOptions> = {};
  const num = (flag: string, i: number) => {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v)) throw new Error(`${flag} needs a number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') Object.assign(o, { targetRuns: 30, gridRuns: 5, bigRuns: 3 });
    else if (a === '--runs') Object.assign(o, runsFromK(Math.max(1, Math.round(num(a, i++)))));
    else if (a === '--cv') {
      const v = num(a, i++);
      o.cv = v >= 1 ? v / 100 : v;
    } else if (a === '--seed') o.seed = num(a, i++);
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--noise') {
      const names = (argv[++i] ?? '').split(',');
      const unknown = names.filter((x) => !NOISES.includes(x as NoiseModel));
      if (unknown.length) throw new Error(`--noise takes some of ${NOISES.join(', ')}; not ${unknown.join(', ')}`);
      o.noises = names as NoiseModel[];
    }
    else if (a === '--runners') {
      o.rounds = { machines: 'fleet', ...o.rounds, runners: Math.max(1, Math.round(num(a, i++))) };
    }
    else if (a === '--machines') {
      const m = argv[++i];
      if (m !== 'one' && m !== 'fleet') throw new Error('--machines needs one or fleet');
      o.rounds = { runners: 1, ...o.rounds, machines: m };
    }
  }
  return o;
}

export interface Config {
  n: number;
  noise: NoiseModel;
  change: Change;
  cv: number;
}

export function isTarget(c: Config): boolean {
  return c.n === 128 && (c.change.kind !== 'one' || c.change.delta === 0.08);
}

export const changeLabel = (c: Change) =>
  c.kind === 'none' ? 'none' : c.kind === 'one' ? `${Math.round(c.delta * 100)}%` : c.deltas.map((d) => `${Math.round(d * 100)}%`).join('+');

/**
 * FNV-1a over the configuration and run index, then murmur3's finaliser: a stable, well-mixed 32-bit seed per history.
 */
export function historySeed(base: number, c: Config, run: number): number {
  const key = `${base}|${c.n}|${c.noise}|${changeLabel(c.change)}|${c.cv}|${run}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

/** The planted steps of one history, at seeded random positions in 1..n-1 (commit 0 is good). */
export function makeHistory(c: Config, seed: number): History {
  const rng = seededRng(seed ^ 0x2545f491);
  const pos = () => 1 + Math.floor(rng() * (c.n - 1));
  let steps: History['steps'] = [];
  if (c.change.kind === 'one') steps = [{ at: pos(), size: c.change.delta }];
  else if (c.change.kind === 'two') {
    const a = pos();
    let b = pos();
    while (b === a) b = pos();
    const [first, second] = a < b ? [a, b] : [b, a];
    steps = [{ at: first, size: c.change.deltas[0] }, { at: second, size: c.change.deltas[1] }];
  }
  return { n: c.n, steps, noise: c.noise, cv: c.cv };
}

/** Figures of one strategy over the histories of one configuration. */
export interface Figures {
  runs: number;
  /** One step: the culprits are exactly [the step]. Two steps: both steps are among the culprits. None: undefined. */
  hits: number;
  /** Histories where some commit that is not a planted step was blamed (on no-step histories: any culprit). */
  falses: number;
  /** Histories with no culprit at all although a step was planted. */
  misses: number;
  samples: number;
  built: number;
  maxBuilt: number;
  /**
   * Bisects that searched past a located step that vanished beside its parent (a verdict turned by the
   * noise), and the most commits one of them built; `maxBuiltClean`: the most any other one built.
   */
  searchedPast: number;
  maxBuiltPast: number;
  maxBuiltClean: number;
  /** Rounds of jobs (with --runners): summed, and the most one bisect took. */
  rounds: number;
  maxRounds: number;
}

export interface Row {
  config: Config;
  target: boolean;
  engine: Figures;
  baseline: Figures;
  /** Seeds of the histories the engine got wrong (missed, false or inexact). */
  wrongSeeds: number[];
  ms: number;
}

const emptyFigures = (): Figures => ({
  runs: 0, hits: 0, falses: 0, misses: 0, samples: 0, built: 0, maxBuilt: 0, rounds: 0, maxRounds: 0,
  searchedPast: 0, maxBuiltPast: 0, maxBuiltClean: 0,
});

function score(
  f: Figures, h: History, culprits: number[], samples: number, built: number, rounds = 0, searchedPast = false,
): boolean {
  const planted = h.steps.map((s) => s.at);
  f.runs++;
  f.rounds += rounds;
  f.maxRounds = Math.max(f.maxRounds, rounds);
  f.samples += samples;
  f.built += built;
  f.maxBuilt = Math.max(f.maxBuilt, built);
  if (searchedPast) {
    f.searchedPast++;
    f.maxBuiltPast = Math.max(f.maxBuiltPast, built);
  } else f.maxBuiltClean = Math.max(f.maxBuiltClean, built);
  const hit =
    planted.length === 1
      ? culprits.length === 1 && culprits[0] === planted[0]
      : planted.length > 1 && planted.every((p) => culprits.includes(p));
  const falsely = culprits.some((c) => !planted.includes(c));
  if (hit) f.hits++;
  if (falsely) f.falses++;
  if (planted.length && culprits.length === 0) f.misses++;
  return planted.length ? hit && !falsely : !falsely;
}

export function runConfig(c: Config, runs: number, baseSeed: number, rounds?: RoundSimOptions): Row {
  const t0 = performance.now();
  const engine = emptyFigures();
  const baseline = emptyFigures();
  const wrongSeeds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const seed = historySeed(baseSeed, c, run);
    const h = makeHistory(c, seed);
    const r = rounds ? simulateRounds(h, seed, rounds) : simulateBisect(h, seed);
    const past = !!r.outcome.vanished?.length;
    if (!score(engine, h, r.culpritIdx, r.samples, r.built, 'rounds' in r ? r.rounds : 0, past)) wrongSeeds.push(seed);
    const b = simulateBaseline(h, seed);
    score(baseline, h, b.culpritIdx, b.samples, b.built);
  }
  return { config: c, target: isTarget(c), engine, baseline, wrongSeeds, ms: performance.now() - t0 };
}

export const builtBound = (n: number) => Math.ceil(Math.log2(n)) + 3;
/**
 * A bisect that searched past a located step that vanished beside its parent (`vanished` in its
 * outcome) searches that range a second time: it may build a second bisect's worth more. Searching
 * past is what turns a search a wrong verdict misled into the culprit, where it would end with none.
 */
export const builtBoundPast = (n: number) => builtBound(n) + Math.ceil(Math.log2(n));
/** Rounds of k jobs for one step: the k-ary search's ⌈log_{k+1} N⌉, the endpoints, and one more. */
export const roundsBound = (n: number, k: number) => Math.ceil(Math.log(n) / Math.log(k + 1) - 1e-9) + 2;

/** Wilson 95% interval of a proportion, to read how much a rate could move with more histories. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [NaN, NaN];
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const mid = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, mid - half), Math.min(1, mid + half)];
}

const pct = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)}%` : '—');
const pctCi = (k: number, n: number) => {
  const [lo, hi] = wilson(k, n);
  return `${pct(k, n)} [${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)}]`;
};

const COLS: [string, number][] = [
  ['N', 5], ['noise', 10], ['change', 8], ['runs', 5],
  ['hit', 7], ['base', 7], ['false', 7], ['base', 7], ['miss', 7], ['base', 7],
  ['samples', 8], ['base', 6], ['built', 6], ['max', 4], ['base', 5], ['bound', 5],
];

function line(cells: string[]): string {
  return cells.map((c, i) => (i < 3 ? c.padEnd(COLS[i][1]) : c.padStart(COLS[i][1]))).join(' ');
}

function formatRow(r: Row): string {
  const { config: c, engine: e, baseline: b } = r;
  const hasStep = c.change.kind !== 'none';
  return line([
    String(c.n) + (r.target ? '*' : ''), c.noise, changeLabel(c.change), String(e.runs),
    hasStep ? pct(e.hits, e.runs) : '—', hasStep ? pct(b.hits, b.runs) : '—',
    pct(e.falses, e.runs), pct(b.falses, b.runs),
    hasStep ? pct(e.misses, e.runs) : '—', hasStep ? pct(b.misses, b.runs) : '—',
    (e.samples / e.runs).toFixed(0), (b.samples / b.runs).toFixed(0),
    (e.built / e.runs).toFixed(1), String(e.maxBuilt), (b.built / b.runs).toFixed(1), String(builtBound(c.n)),
  ]);
}

export interface TargetCheck {
  noise: NoiseModel;
  name: string;
  figure: string;
  pass: boolean;
}

export interface AccuracyResult {
  rows: Row[];
  targets: TargetCheck[];
  pass: boolean;
  elapsedMs: number;
}

export function checkTargets(rows: Row[], runners?: number): TargetCheck[] {
  const out: TargetCheck[] = [];
  const find = (noise: NoiseModel, label: string) =>
    rows.find((r) => r.target && r.config.noise === noise && changeLabel(r.config.change) === label);
  for (const noise of NOISES) {
    const one = find(noise, '8%');
    const none = find(noise, 'none');
    const two = find(noise, TWO_STEPS.map((d) => `${Math.round(d * 100)}%`).join('+'));
    if (one) {
      const e = one.engine;
      out.push({ noise, name: 'exact culprit, one 8% step   ≥ 95%', figure: pctCi(e.hits, e.runs), pass: e.hits / e.runs >= 0.95 });
      const bound = builtBound(one.config.n);
      if (runners) {
        // Jobs build their references too: the bound on a fleet is on rounds, not on commits built. A
        // verdict a job could not decide costs a round more; the bound holds for the mean.
        const r = roundsBound(one.config.n, runners);
        out.push({
          noise, name: `rounds, one step (mean)       ≤ ${r}`,
          figure: `mean ${(e.rounds / e.runs).toFixed(1)}, max ${e.maxRounds}`, pass: e.rounds / e.runs <= r,
        });
      } else {
        const past = builtBoundPast(one.config.n);
        const pastFigure = e.searchedPast ? `; ${e.searchedPast} searched past a vanished step: max ${e.maxBuiltPast} (≤ ${past})` : '';
        out.push({
          noise, name: `commits built, one step       ≤ ${bound}`,
          figure: `max ${e.maxBuiltClean}, mean ${(e.built / e.runs).toFixed(1)}${pastFigure}`,
          pass: e.maxBuiltClean <= bound && e.maxBuiltPast <= past,
        });
      }
    }
    if (none) {
      const e = none.engine;
      out.push({ noise, name: 'culprit blamed, no step      ≤ 2%', figure: pctCi(e.falses, e.runs), pass: e.falses / e.runs <= 0.02 });
    }
    if (two) {
      const e = two.engine;
      out.push({ noise, name: 'both found, 8% then 25%      ≥ 90%', figure: pctCi(e.hits, e.runs), pass: e.hits / e.runs >= 0.9 });
    }
  }
  return out;
}

export function runAccuracy(partial: Partial<AccuracyOptions> = {}): AccuracyResult {
  const o: AccuracyOptions = { ...defaultAccuracyOptions, ...partial };
  const log = o.log;
  const t0 = performance.now();
  log(`Simulated accuracy: engine vs baseline (5 runs per commit, midpoint threshold), noise cv ${(o.cv * 100).toFixed(1)}%, seed ${o.seed}`);
  if (o.rounds) {
    const where = o.rounds.machines === 'one' ? 'all on one machine' : 'each job on its own machine, ±10% apart';
    log(`In rounds of ${o.rounds.runners} jobs (${where}); "built" counts every commit a job built (references too).`);
  }
  log(`Histories per config: ${o.targetRuns} for targets (*), ${o.gridRuns} for N ≤ 128, ${o.bigRuns} for N = 2000.`);
  log('hit = exact culprit (one step) or both steps found (two steps); false = a commit that is no planted step was blamed;');
  log('miss = no culprit although a step was planted; samples and built are means per bisect; "base" = the baseline.');
  log('');
  const header = line(COLS.map(([h]) => h));
  log(header);
  log('-'.repeat(header.length));
  const rows: Row[] = [];
  for (const n of SIZES) {
    for (const noise of o.noises ?? NOISES) {
      for (const change of CHANGES) {
        const config: Config = { n, noise, change, cv: o.cv };
        const runs = isTarget(config) ? o.targetRuns : n >= 2000 ? o.bigRuns : o.gridRuns;
        const row = runConfig(config, runs, o.seed, o.rounds);
        rows.push(row);
        log(formatRow(row));
        if (o.verbose && row.wrongSeeds.length) log(`      engine wrong on seeds: ${row.wrongSeeds.join(', ')}`);
      }
    }
    log('');
  }

  const targets = checkTargets(rows, o.rounds?.runners);
  log(`Targets (N = 128, noise cv ${(o.cv * 100).toFixed(1)}%${o.cv === 0.03 ? '' : ' — the targets are set at 3%'}), per noise model; [95% Wilson interval]:`);
  for (const t of targets) log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.noise.padEnd(10)} ${t.name}   ${t.figure}`);
  const pass = targets.every((t) => t.pass);

  // Not a target: the built-commit bound checked on every one-step row of the grid, for information.
  const overBy = (r: Row) =>
    r.engine.maxBuiltClean > builtBound(r.config.n)
      ? `max ${r.engine.maxBuiltClean} > ${builtBound(r.config.n)}`
      : r.engine.maxBuiltPast > builtBoundPast(r.config.n)
        ? `searched past a vanished step: max ${r.engine.maxBuiltPast} > ${builtBoundPast(r.config.n)}`
        : undefined;
  const over = rows.filter((r) => r.config.change.kind === 'one' && overBy(r));
  if (over.length && !o.rounds) {
    log(`  info: one-step rows of the grid over the built bound: ${over
      .map((r) => `N=${r.config.n} ${r.config.noise} ${changeLabel(r.config.change)} (${overBy(r)})`)
      .join('; ')}`);
  }
  const elapsedMs = performance.now() - t0;
  const bisects = rows.reduce((s, r) => s + r.engine.runs, 0);
  log(`${pass ? 'All targets pass' : `${targets.filter((t) => !t.pass).length} of ${targets.length} target checks FAIL`}. ${bisects} engine bisects, elapsed ${(elapsedMs / 1000).toFixed(1)} s.`);
  return { rows, targets, pass, elapsedMs };
}

/** Entry for bench/run.ts: runs the benchmark with command-line flags, returns whether the targets pass. */
export function accuracySection(argv: readonly string[]): boolean {
  return runAccuracy(parseAccuracyArgs(argv)).pass;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  if (!accuracySection(process.argv.slice(2))) process.exitCode = 1;
}
