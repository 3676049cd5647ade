import { median } from '../stats/summary.js';

/** How much slower (+) or faster the machine ran for the commits it measured again later in the run. */
export interface SpeedDrift {
  /** Median over those commits of their last block's median over their first's, minus 1. */
  change: number;
  /** Commits measured in two blocks or more. */
  commits: number;
}

/**
 * The machine's speed moved during the run when commits measured again later (a target measured
 * later as a reference, a reference of several verdicts) ran slower, or faster, than when first
 * measured: most of them one way, by more than chance lets two block medians differ. Each verdict
 * compares samples taken side by side, so it stands; but medians taken at different times (the
 * endpoints' and a culprit's, the writeup's table of medians over the whole run) are then not
 * comparable. `blocksOf` lists each commit's samples block by block, in the order they were taken.
 */
export function speedDrift(blocksOf: Iterable<readonly (readonly number[])[]>, cv: number): SpeedDrift | undefined {
  const ratios: number[] = [];
  for (const blocks of blocksOf) {
    const taken = blocks.filter((b) => b.length > 0);
    if (taken.length < 2) continue;
    const [first, last] = [median(taken[0]), median(taken[taken.length - 1])];
    if (first > 0 && last > 0) ratios.push(last / first);
  }
  if (ratios.length < 3) return undefined;
  const change = median(ratios) - 1;
  const oneWay = ratios.filter((r) => Math.sign(r - 1) === Math.sign(change)).length / ratios.length;
  // A block of a single sample is off by about the noise a sample; their median over three or more
  // commits, by less: 2.5 times the noise (at least 10%) is what a machine that held its speed rarely shows.
  return Math.abs(change) > Math.max(0.1, 2.5 * cv) && oneWay >= 0.75 ? { change, commits: ratios.length } : undefined;
}

/** The drift in words, for the writeup and the plain view alike. */
export function driftText(d: SpeedDrift): string {
  const pct = Math.round(Math.abs(d.change) * 100);
  return `${d.commits} commits measured again later ran ${pct}% ${d.change > 0 ? 'slower' : 'faster'} than when first measured (median)`;
}
