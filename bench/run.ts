/**
 * `npm run bench`: every benchmark section in turn. A section is one function from its own bench
 * file; it takes the command-line flags and returns false when its targets fail (the exit code is then 1).
 * To add a benchmark, import its section function and append it to `sections`.
 *
 * The sections that run the CLI use dist/: the npm script builds it first.
 *
 *   npm run bench -- --quick
 *   npm run bench -- --only speed     (the sections whose name contains the word)
 */
import { accuracySection } from './accuracy.js';
import { runRealAccuracy } from './real-accuracy.js';
import { speedSection } from './speed.js';
import { verdictCostSection } from './verdict-cost.js';
import { forecastSection } from './forecast.js';
import { driftSection } from './drift.js';
import { driftRealSection } from './drift-real.js';
import { evidenceSection } from './evidence.js';
import { fleetSection } from './fleet.js';

type Section = { name: string; run: (argv: readonly string[]) => boolean | void | Promise<boolean | void> };

const sections: Section[] = [
  { name: 'accuracy (simulated histories)', run: accuracySection },
  { name: 'accuracy (real processes on this machine)', run: runRealAccuracy },
  { name: 'verdict cost on real processes (perfbisect vs a git bisect run loop, idle and busy)', run: verdictCostSection },
  { name: 'forecast of the time after the endpoints (simulated histories)', run: forecastSection },
  { name: 'speed (perfbisect vs a git bisect run loop)', run: speedSection },
  { name: 'drift checks (simulated histories)', run: driftSection },
  { name: 'drift checks (processes on this machine, idle and with one core busy)', run: driftRealSection },
  { name: 'evidence: is the top entry the planted function?', run: evidenceSection },
  { name: 'fleet: rounds of k jobs beside the sequential bisect', run: fleetSection },
];

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] ?? '' : '';
const chosen = sections.filter((x) => x.name.includes(only));
if (!chosen.length) {
  console.error(`no bench section matches --only ${only}; sections: ${sections.map((x) => x.name).join('; ')}`);
  process.exit(2);
}
let ok = true;
for (const s of chosen) {
  console.log(`\n=== ${s.name} ===\n`);
  if ((await s.run(argv)) === false) ok = false;
}
if (!ok) process.exitCode = 1;
