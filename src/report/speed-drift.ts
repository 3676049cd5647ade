import { median } from '../stats/summary.js';

/** How the machine's speed moved during the run, seen in commits measured in several blocks. */
export interface SpeedDrift {
  /** Typical deviation of a block's median from its commit's level at another time (robust, relative). */
  spread: number;
  /** Median over those commits of their last block's median over their first's, minus 1 (+ = slower later). */
  change: number;
  /** Commits measured in two blocks or more. */
  commits: number;
}

/**
 * Whether the machine's speed moved during the run: the same commit measured in several blocks (a
 * target measured later as a reference, a reference of several verdicts) differs between them far
 * more than its samples within a block do, or runs slower (faster) later for most commits. Each verdict
 * compares samples taken side by side, so it stands; but medians taken at different times (the
 * endpoints' and a culprit's, the writeup's medians over the whole run) are then not comparable.
 * `blocksOf` lists each commit's samples block by block, in the order they were taken; `cv` is the
 * noise a sample within a block.
 */
export function speedDrift(blocksOf: Iterable<readonly (readonly number[])[]>, cv: number): SpeedDrift | undefined {
  const steps: number[] = [];
  const ratios: number[] = [];
  for (const blocks of blocksOf) {
    const medians = blocks.filter((b) => b.length > 0).map((b) => median(b)).filter((v) => v > 0);
    if (medians.length < 2) continue;
    for (let k = 1; k < medians.length; k++) steps.push(Math.abs(Math.log(medians[k] / medians[k - 1])));
    ratios.push(medians[medians.length - 1] / medians[0]);
  }
  if (ratios.length < 3) return undefined;
  // From one block to the commit's next: the difference of two, so √2 times one block's deviation (the
  // median of |X − Y| for normal X, Y is 0.6745 √2 σ).
  const spread = (1.4826 * median(steps)) / Math.SQRT2;
  const change = median(ratios) - 1;
  const oneWay = ratios.filter((r) => Math.sign(r - 1) === Math.sign(change)).length / ratios.length;
  // A block of one sample is off by about the noise a sample, and most references' blocks are that
  // small: three times the noise (at least 10%) between blocks, or most commits that much slower (or
  // faster) later, is what a machine that held its speed rarely shows.
  const bar = Math.max(0.1, 3 * cv);
  const moved = spread > bar || (Math.abs(change) > bar && oneWay >= 0.75);
  return moved ? { spread, change, commits: ratios.length } : undefined;
}

/** The drift in words, for the writeup and the plain view alike. */
export function driftText(d: SpeedDrift): string {
  const pct = (x: number) => `${Math.round(Math.abs(x) * 100)}%`;
  const later = Math.abs(d.change) > d.spread ? `, ${pct(d.change)} ${d.change > 0 ? 'slower' : 'faster'} later (median)` : '';
  return `the ${d.commits} commits measured at several times differed by ±${pct(d.spread)} between them${later}`;
}
