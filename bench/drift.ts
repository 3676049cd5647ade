/**
 * Drift checks on simulated histories: the whole pure check (spread, added points, lenient
 * candidates, confirmation, a bisect inside each confirmed step, creep) through the harness's
 * interleaved blocks and a replaying block store (bench/drift-sim.ts).
 *
 * Histories of the shape drift checks used to miss: a 13–20% regression, an 8–15% improvement, a
 * second 13–20% regression, then +10–20% of creep to the end, at random places in windows of 40 to
 * 120 commits, measured at 16 points first (so a segment holds 2 to 6 of them). Flat windows of the
 * same lengths count false alarms (a located regression or confirmed creep: what exits 5). Each
 * history is checked a second time against the blocks of the first: a re-run must measure nothing
 * and decide the same. Also the power on one step of 3–10% at a 5% threshold.
 *
 *   node_modules/.bin/jiti bench/drift.ts [--quick] [--runs K]
 */
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { DriftCheckOptions } from '../src/drift/check.js';
import { changePoints, defaultChangePointOptions } from '../src/drift/changepoints.js';
import { findCandidates, spanCandidates } from '../src/drift/candidates.js';
import { gaussian, seededRng } from '../src/stats/rng.js';
import { flatShape, referenceShape, score, simulateDrift, type BlockStore, type DriftHistory } from './drift-sim.js';
import type { NoiseModel } from './simulate.js';

const THRESHOLD = 0.05;
const LENGTHS = [40, 56, 80, 120];
export const driftOptions: DriftCheckOptions = {
  threshold: THRESHOLD, better: 'lower', deterministic: false, minSamples: 10, maxSamples: 60, confidence: 0.95,
  points: 16, extraPoints: 16,
};

const ROWS: { noise: NoiseModel; cv: number; label: string }[] = [
  { noise: 'normal', cv: 0.02, label: '2% noise' },
  { noise: 'normal', cv: 0.05, label: '5% noise' },
  { noise: 'wiggle', cv: 0.05, label: '5%, machine speed wandering ±3% a block' },
  { noise: 'jump', cv: 0.05, label: '5%, machine 20% slower from a random moment' },
  { noise: 'lognormal', cv: 0.05, label: '5%, heavy tail' },
];

const pctOf = (k: number, n: number) => `${((k / n) * 100).toFixed(1)}%`;

/** Wilson 95% interval of k successes in n, as "lo–hi%". */
function wilson(k: number, n: number): string {
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return `${(Math.max(0, c - h) * 100).toFixed(1)}–${(Math.min(1, c + h) * 100).toFixed(1)}%`;
}

export function driftSection(argv: readonly string[]): boolean {
  const runsArg = argv.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : argv.includes('--quick') ? 60 : 300;
  const flatRuns = runs * 2;
  let ok = true;
  const o = driftOptions;
  console.log(
    `${runs} histories and ${flatRuns} flat windows per row; threshold ${THRESHOLD * 100}%, ${o.points} points first ` +
      `(up to ${o.extraPoints} added), samples ${o.minSamples}–${o.maxSamples}, confidence ${o.confidence}\n`,
  );
  const header = [
    'both steps exact', 'improvement', 'creep', 'false steps/100', 'flat: false alarms/100', 're-run new samples',
    'samples (flat)',
  ];
  const widths = [24, 12, 7, 16, 23, 19, 15];
  console.log(['noise'.padEnd(45), ...header.map((h, i) => h.padStart(widths[i]))].join(' '));
  for (const row of ROWS) {
    let both = 0, improvement = 0, creep = 0, falseSteps = 0, samples = 0, rerunSamples = 0, rerunSame = 0;
    for (let k = 0; k < runs; k++) {
      const h = referenceShape(seededRng(k * 7919 + 17), LENGTHS[k % LENGTHS.length], row.noise, row.cv);
      const store: BlockStore = new Map();
      const first = simulateDrift(h, k + 1000, driftOptions, store);
      const s = score(h, first.outcome);
      if (s.regressions === 2) both++;
      if (s.improvements === 1) improvement++;
      if (s.creep) creep++;
      falseSteps += s.falseSteps;
      samples += first.samples;
      const again = simulateDrift(h, k + 1000, driftOptions, store);
      rerunSamples += again.samples;
      if (isDeepStrictEqual(again.outcome, first.outcome)) rerunSame++;
    }
    let alarms = 0, flatSamples = 0;
    for (let k = 0; k < flatRuns; k++) {
      const f: DriftHistory = flatShape(LENGTHS[k % LENGTHS.length], row.noise, row.cv);
      const r = simulateDrift(f, k + 90_000, driftOptions);
      if (score(f, r.outcome).alerts) alarms++;
      flatSamples += r.samples;
    }
    const cells = [
      `${pctOf(both, runs)} (${wilson(both, runs)})`,
      pctOf(improvement, runs),
      pctOf(creep, runs),
      ((falseSteps / runs) * 100).toFixed(1),
      `${((alarms / flatRuns) * 100).toFixed(1)} (${wilson(alarms, flatRuns)})`,
      String(rerunSamples),
      `${Math.round(samples / runs)} (${Math.round(flatSamples / flatRuns)})`,
    ];
    console.log([row.label.padEnd(45), ...cells.map((c, i) => c.padStart(widths[i]))].join(' '));
    if (row.cv <= 0.05 && (row.noise === 'normal' || row.noise === 'wiggle' || row.noise === 'jump')) {
      if (both / runs < 0.95 || alarms / flatRuns > 0.01 || rerunSamples > 0 || rerunSame < runs) ok = false;
    }
  }
  console.log('\none step at 5% noise (threshold 5%), 40–120 commits: located at its exact culprit');
  for (const size of [0.03, 0.05, 0.08, 0.1]) {
    let exact = 0;
    const n = Math.max(40, Math.round(runs / 2));
    for (let k = 0; k < n; k++) {
      const len = LENGTHS[k % LENGTHS.length];
      const at = 1 + Math.floor(seededRng(k + 5)() * (len - 2));
      const truth = { regressions: [at], improvements: [], creep: false };
      const h: DriftHistory = { n: len, steps: [{ at, size }], noise: 'normal', cv: 0.05, truth };
      if (score(h, simulateDrift(h, k + 3000, driftOptions).outcome).regressions === 1) exact++;
    }
    console.log(`  +${(size * 100).toFixed(0)}%: ${pctOf(exact, n)} of ${n}`);
  }
  issueSeries();
  console.log(
    '\ntargets (2% and 5% noise, wandering and jumping machine: both steps exact ≥ 95%, ≤ 1 false alarm per 100 ' +
      `flat windows, a re-run measures nothing and decides the same): ${ok ? 'met' : 'MISSED'}`,
  );
  return ok;
}

/**
 * The series of the report that started this (16 points: +15%, −10%, +18%, then creep; 3–4 points a
 * segment; 3% scatter between points, 2% within): how often the strict detector the check used to rely
 * on (E-Divisive at p ≤ 0.001, 2 points a side) finds both regressions, against the lenient candidates.
 */
function issueSeries(): void {
  const levels = [100, 100, 100, 100, 115, 115, 115, 115, 103.5, 103.5, 103.5, 122, 124, 126.5, 129, 131.5];
  const n = 1000;
  let strict = 0, none = 0, lenient = 0;
  for (let seed = 1; seed <= n; seed++) {
    const rng = seededRng(seed);
    const series = levels.map((level, i) => {
      const point = level * (1 + 0.03 * gaussian(rng));
      return { sha: `c${i}`, samples: Array.from({ length: 10 }, () => point * (1 + 0.02 * gaussian(rng))) };
    });
    const both = (found: { at: number; kind: string }[]) =>
      [4, 11].every((i) => found.some((c) => c.at === i && c.kind === 'regression'));
    const cps = changePoints(series, { ...defaultChangePointOptions, better: 'lower', minMagnitude: THRESHOLD });
    if (both(cps.map((c) => ({ at: c.index, kind: c.kind })))) strict++;
    if (!cps.length) none++;
    const o = { threshold: THRESHOLD, better: 'lower' as const };
    if (both([...findCandidates(series, { ...o, splitP: 0.05 }), ...spanCandidates(series, o)])) lenient++;
  }
  console.log(
    `\nthe 16-point reference series, ${n} draws: the strict detector finds both regressions ${pctOf(strict, n)} ` +
      `(nothing at all ${pctOf(none, n)}); the lenient candidates hold both ${pctOf(lenient, n)}`,
  );
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) process.exitCode = driftSection(process.argv.slice(2)) ? 0 : 1;
