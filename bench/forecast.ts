/**
 * The forecast after the endpoints against what the verdicts then took, on simulated histories: the
 * rehearsal (src/bisect/rehearsal.ts) beside the per-verdict formula it replaced (src/bisect/forecast.ts).
 *
 *   node_modules/.bin/jiti bench/forecast.ts [--quick]
 *
 * Target: the rehearsal's median ratio (actual / forecast) within 0.67–1.5 in every row.
 */
import { pathToFileURL } from 'node:url';
import { BisectEngine, defaultEngineOptions } from '../src/bisect/engine.js';
import { forecast } from '../src/bisect/forecast.js';
import { rehearse } from '../src/bisect/rehearsal.js';
import { seededRng } from '../src/stats/rng.js';
import { interleaved, linearCommits, sampler, shaOf, type History, type NoiseModel } from './simulate.js';

export interface Figures {
  rehearsed: number;
  formula: number;
  actual: number;
}

/** One simulated bisect: what the rehearsal and the formula forecast at its endpoints, and what the rest took. */
export function forecastAndCost(h: History, seed: number): Figures | undefined {
  const sample = sampler(h, seededRng(seed));
  const engine = new BisectEngine(
    linearCommits(h.n),
    { good: shaOf(0), bad: shaOf(h.n - 1) },
    { better: 'lower', deterministic: false, ...defaultEngineOptions },
    seededRng(seed ^ 0x9e3779b9),
  );
  let runs = 0;
  let at: { runs: number; rehearsed: number; formula: number } | undefined;
  for (;;) {
    if (!at && engine.endpointsDecision) {
      // A run that ends at its endpoints (no regression, undecided) has nothing to forecast.
      const input = engine.forecastInput(1, 0);
      const r = input && rehearse(engine.rehearsalInput()!);
      if (!input || !r) return undefined;
      const least = forecast(input);
      at = { runs, rehearsed: r.runs, formula: least.runsPerVerdict * least.verdicts };
    }
    const step = engine.next();
    if (step.type === 'done') return at && { rehearsed: at.rehearsed, formula: at.formula, actual: runs - at.runs };
    const got = interleaved(step, (sha) => sample(Number(sha.slice(1))));
    runs += step.order.length;
    engine.record(got);
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

export function forecastSection(argv: readonly string[]): boolean {
  const histories = argv.includes('--quick') ? 7 : 15;
  const cases: [number, number][] = [
    [15, 1.4],
    [60, 0.5],
    [120, 0.25],
    [120, 0.08],
  ];
  const noises: NoiseModel[] = ['normal', 'lognormal', 'bimodal'];
  let ok = true;
  console.log(`histories a row: ${histories}; ratio = probe runs the verdicts took / runs forecast (median)`);
  console.log('noise     | commits | step  | cv   | rehearsal | formula');
  for (const noise of noises)
    for (const [n, size] of cases)
      for (const cv of [0.03, 0.1]) {
        const rows = Array.from({ length: histories }, (_, s) =>
          forecastAndCost({ n, steps: [{ at: Math.round(n * 0.4), size }], noise, cv }, 500 + s),
        ).filter((x): x is Figures => !!x);
        if (rows.length < histories / 2) continue;
        const rehearsal = median(rows.map((r) => r.actual / r.rehearsed));
        const formula = median(rows.map((r) => r.actual / r.formula));
        const pass = rehearsal >= 0.67 && rehearsal <= 1.5;
        ok &&= pass;
        const cells = [noise.padEnd(9), String(n).padStart(7), `${Math.round(size * 100)}%`.padStart(5), cv.toFixed(2)];
        console.log(`${cells.join(' | ')} | ${rehearsal.toFixed(2).padStart(9)} | ${formula.toFixed(2).padStart(7)}${pass ? '' : '  MISS'}`);
      }
  console.log(ok ? 'forecast target: pass' : 'forecast target: FAIL');
  return ok;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(forecastSection(process.argv.slice(2)) ? 0 : 1);
