import type { RunEvent } from '../events.js';
import { seededRng, shuffle, type Rng } from '../stats/rng.js';
import { median } from '../stats/summary.js';

/** How the commits measured in several blocks moved between them: the machine's speed, or their own. */
export interface SpeedDrift {
  /** Typical deviation of a commit's block median from its level over the run (robust, relative): ±spread. */
  spread: number;
  /** Each commit's last block median against its first, the median over the commits (+ = slower later). */
  change: number;
  /** Blocks that shared a commit with another block. */
  blocks: number;
}

/** A block as measured: each commit's samples in it. */
export type DriftBlock = Readonly<Record<string, readonly number[]>>;

const SHUFFLES = 1000;
const P_LEVEL = 0.005;
/** Smaller block-to-block moves are not worth a note, however certain. */
const MIN_SPREAD = 0.05;

/**
 * Whether the same commits measured at different times in the run (a target measured later as a
 * reference, a reference of several verdicts) sat further apart from one block to another than their
 * samples explain: the machine's speed moved (another job, thermal limits), or something of the commit's
 * own did (a cold file cache, a checkout in another folder). The typical distance of a commit's block
 * median from its level over the run is set against what the same samples give dealt to the same blocks
 * at random (each commit's samples shuffled among its blocks, the block sizes kept), so neither a noise
 * estimate nor the noise's shape (two speed modes, outliers) enters: it moved when fewer than 0.5% of
 * the shuffles spread as far, or as far one way over time (trendOf), and by at least 5%: on simulated
 * steady histories (normal noise of 10%, or a third of the runs 50% slower) 2 in 200 are flagged. Each
 * verdict is checked against samples taken beside it, so it stands; medians taken at different times (the
 * endpoints', a culprit's, the writeup's medians over the whole run) are then not comparable. Blocks in
 * the order they were measured.
 */
export function speedDrift(blocks: readonly DriftBlock[]): SpeedDrift | undefined {
  const counts = new Map<string, number>();
  for (const b of blocks) {
    for (const [sha, v] of Object.entries(b)) if (v.length) counts.set(sha, (counts.get(sha) ?? 0) + 1);
  }
  // Only commits measured in two blocks or more say anything of a block's speed.
  const shared = blocks
    .map((b) => Object.fromEntries(Object.entries(b).filter(([sha, v]) => v.length && counts.get(sha)! > 1)))
    .filter((b) => Object.keys(b).length > 0);
  if (shared.length < 4 || new Set(shared.flatMap((b) => Object.keys(b))).size < 2) return undefined;
  const spread = spreadOf(shared);
  if (spread < MIN_SPREAD) return undefined;
  const trend = Math.abs(trendOf(shared));
  const rng = seededRng(shared.length * 7919 + Math.round(spread * 1e6));
  let [asFar, asSteep] = [0, 0];
  // Two questions (apart, or one way over time), each at half the 1%: p = min(asFar, asSteep) + 1 over
  // SHUFFLES + 1. Once both counts pass what that allows, no later shuffle can bring p under it, and a
  // steady run (most runs) stops after a few dozen shuffles instead of a thousand.
  const allowed = P_LEVEL * (SHUFFLES + 1) - 1;
  for (let k = 0; k < SHUFFLES && Math.min(asFar, asSteep) <= allowed; k++) {
    const shuffled = dealt(shared, rng);
    if (spreadOf(shuffled) >= spread) asFar++;
    if (Math.abs(trendOf(shuffled)) >= trend) asSteep++;
  }
  if (Math.min(asFar, asSteep) > allowed) return undefined;
  // Which way, if any: each commit's last block against its first, the median over the commits.
  const firstLast = new Map<string, [number, number]>();
  for (const b of shared) {
    for (const [sha, v] of Object.entries(b)) firstLast.set(sha, [firstLast.get(sha)?.[0] ?? median(v), median(v)]);
  }
  const change = median([...firstLast.values()].map(([first, last]) => last / first)) - 1;
  return { spread, change, blocks: shared.length };
}

/** Each block's commits: log(their median in the block / their median over the run). */
function deviations(blocks: readonly Record<string, readonly number[]>[]): number[][] {
  const all = new Map<string, number[]>();
  for (const b of blocks) for (const [sha, v] of Object.entries(b)) all.set(sha, [...(all.get(sha) ?? []), ...v]);
  const level = new Map([...all].map(([sha, v]) => [sha, median(v)]));
  return blocks.map((b) => Object.entries(b).map(([sha, v]) => Math.log(median(v) / level.get(sha)!)));
}

/**
 * Whether commits ran slower (+) or faster later: over each commit's pairs of samples from different
 * blocks, the share where the later one is larger less the share where it is smaller (Kendall's S
 * across blocks), pooled. A speed that changed once moves only the samples after it, which a spread
 * of block medians can miss where the commit's other blocks hold most of its samples.
 */
function trendOf(blocks: readonly Record<string, readonly number[]>[]): number {
  const seen = new Map<string, number[]>();
  let [score, pairs] = [0, 0];
  for (const b of blocks) {
    for (const [sha, v] of Object.entries(b)) {
      const earlier = seen.get(sha) ?? [];
      for (const later of v) {
        for (const before of earlier) score += Math.sign(later - before);
        pairs += earlier.length;
      }
      seen.set(sha, [...earlier, ...v]);
    }
  }
  return pairs ? score / pairs : 0;
}

/**
 * How far a commit's block medians typically sit from its level over the run, relative: the mean
 * absolute log deviation (as a standard deviation: × √(π/2)). Not a median: a speed that changed halfway
 * moves a minority of the entries, the blocks after it of the commits measured before it too. Outliers
 * and speed modes cannot fake it, since the shuffled samples have them as well.
 */
function spreadOf(blocks: readonly Record<string, readonly number[]>[]): number {
  const all = deviations(blocks).flat();
  return Math.exp((Math.sqrt(Math.PI / 2) * all.reduce((sum, d) => sum + Math.abs(d), 0)) / all.length) - 1;
}

/** The same samples dealt to the same blocks at random: each commit's among its blocks, sizes kept. */
function dealt(blocks: readonly Record<string, readonly number[]>[], rng: Rng): Record<string, number[]>[] {
  const pools = new Map<string, number[]>();
  for (const b of blocks) for (const [sha, v] of Object.entries(b)) pools.set(sha, [...(pools.get(sha) ?? []), ...v]);
  for (const pool of pools.values()) shuffle(pool, rng);
  const deal = (b: Record<string, readonly number[]>) =>
    Object.fromEntries(Object.entries(b).map(([sha, v]) => [sha, pools.get(sha)!.splice(0, v.length)]));
  return blocks.map(deal);
}

/**
 * The blocks a run measured, from its events, for speedDrift: the fold of the run log and the plain view
 * collect them alike. Not a fleet's (its machines differ), nor a deterministic probe's; not a block from
 * the cache or replayed on --resume (measured at another time, not during this run); not the dependency
 * descent's after the search (made-up commits of its own).
 */
export class DriftBlocks {
  readonly blocks: DriftBlock[] = [];
  private watching = false;
  private fromElsewhere = false;

  see(e: RunEvent): void {
    if (e.type === 'run-start') this.watching = !e.deterministic && !e.fleet;
    else if (e.type === 'search-end') this.watching = false;
    else if (e.type === 'measure-start') this.fromElsewhere = e.cached;
    else if (e.type === 'block' && this.watching && !this.fromElsewhere && !e.failure) this.blocks.push(e.samples);
  }
}

/** The drift in words, for the writeup and the plain view alike. */
export function driftText(d: SpeedDrift): string {
  const pct = (x: number) => `${Math.round(Math.abs(x) * 100)}%`;
  const later = Math.abs(d.change) >= d.spread ? `, ${pct(d.change)} ${d.change > 0 ? 'slower' : 'faster'} later` : '';
  return `the same commits measured ±${pct(d.spread)} apart from one block to another over ${d.blocks} blocks${later}, more than their samples explain`;
}
