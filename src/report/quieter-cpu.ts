import type { RunEvent } from '../events.js';
import { mad, median } from '../stats/summary.js';
import { cpuWouldHelp } from './noise.js';

/**
 * Whether CPU time would have been the quieter metric over a whole run measured in wall time.
 *
 * The noise line after the endpoints compares the two on the endpoints' one block. A shared machine's
 * speed moves in phases of a few runs, which one block misses: on the 2-core host of bench/README.md an
 * 8% step's endpoints said 1.5% a run where the whole run's samples spread 4–5%. Another process often
 * disturbs wall time more than CPU time, though not always (on that host's 8% fixture CPU time was the
 * noisier one). So where the noise line did not suggest it, the run's end weighs the two on every sample
 * this run measured itself (not blocks from the cache, not the dependency descent after the search),
 * where the verdicts paid for the noise (some took three looks or more, or the endpoints stayed
 * undecided) and CPU time shows the endpoints' step about as wall time does (a command that waits would not).
 */
export interface QuieterCpu {
  /** Typical deviation of a run from its commit's level over the whole run (MAD / median, pooled), per metric. */
  wall: number;
  cpu: number;
  /**
   * How many times fewer samples CPU time needs for the same verdict: samples go as (noise / step)², so
   * ((wall / wallChange) / (cpu / cpuChange))².
   */
  factor: number;
  /** The endpoints' change (+ = slower) in each metric, from their medians. */
  wallChange: number;
  cpuChange: number;
  /** Verdicts that took three looks or more, of all verdicts. */
  slow: number;
  verdicts: number;
}

/** Commits with fewer runs than this say little of their own level. */
const MIN_RUNS = 3;
/** Below this wall time is quiet enough; the saving would not be worth a different metric. */
const MIN_WALL_SPREAD = 0.02;
/** The samples' variance ratio worth a note: half the samples or fewer. */
const MIN_FACTOR = 2;
/** CPU time's share of wall time below which the command mostly waits (as the noise line's check). */
const MIN_CPU_SHARE = 0.2;
/** The smallest endpoint change in wall time that is a step to compare CPU time's against. */
const MIN_STEP = 0.01;

/** What a run measured in wall and CPU time, per commit, from its events. */
export class RunTimes {
  readonly wall = new Map<string, number[]>();
  readonly cpu = new Map<string, number[]>();
  ends: [string, string] | undefined;
  verdicts = 0;
  slow = 0;
  undecided = false;
  /** The noise line after the endpoints already said it (either of its two). */
  saidEarly = false;
  threshold = 0;
  private watching = false;
  /** The block being measured came from the cache (an earlier run's samples). */
  private fromElsewhere = false;

  see(e: RunEvent): void {
    if (e.type === 'run-start') {
      // A fleet's machines differ in speed: their samples are not one commit's level.
      this.watching = !e.deterministic && !e.fleet;
      this.ends = [e.good.sha, e.bad.sha];
    } else if (e.type === 'search-end') {
      this.watching = false;
    } else if (e.type === 'measure-start') {
      this.fromElsewhere = e.cached;
    } else if (e.type === 'sample' && this.watching && !this.fromElsewhere && !e.censored && !e.machine) {
      const wall = e.details?.wall;
      const cpu = e.details?.cpu;
      // Only a run whose metric is wall time (the value is the wall figure) is worth the note.
      if (wall === undefined || cpu === undefined || wall !== e.value) return;
      push(this.wall, e.sha, wall);
      push(this.cpu, e.sha, cpu);
    } else if (e.type === 'verdict') {
      this.verdicts++;
      if ((e.verdict.look ?? 1) >= 3) this.slow++;
    } else if (e.type === 'endpoints') {
      this.undecided = e.endpoints.inconclusive;
    } else if (e.type === 'noise') {
      this.saidEarly ||= cpuWouldHelp(e.noise);
    } else if (e.type === 'threshold') {
      this.threshold = e.value;
    }
  }
}

/** The note's figures, where CPU time would have been much the quieter metric and the run paid for the noise. */
export function quieterCpu(t: RunTimes): QuieterCpu | undefined {
  if (!t.ends || t.saidEarly || (!t.slow && !t.undecided)) return undefined;
  const wall = spreadOf(t.wall);
  const cpu = spreadOf(t.cpu);
  if (wall === undefined || cpu === undefined || !(cpu > 0) || wall <= MIN_WALL_SPREAD) return undefined;
  // A command that mostly waits: its CPU time says little of its wall time.
  const share = median([...t.cpu.values()].flat()) / median([...t.wall.values()].flat());
  if (!(share >= MIN_CPU_SHARE)) return undefined;
  const change = (m: Map<string, number[]>) => {
    const [g, b] = t.ends!.map((sha) => m.get(sha) ?? []);
    return g.length && b.length && median(g) > 0 ? median(b) / median(g) - 1 : undefined;
  };
  const [wallChange, cpuChange] = [change(t.wall), change(t.cpu)];
  if (wallChange === undefined || cpuChange === undefined) return undefined;
  // A step to speak of in wall time, and CPU time showing it within a factor of 2 either way: else it
  // measures something else, and "fewer samples for this step" would be no figure.
  if (Math.abs(wallChange) < Math.max(t.threshold / 2, MIN_STEP)) return undefined;
  const ratio = cpuChange / wallChange;
  if (!(ratio >= 0.5 && ratio <= 2)) return undefined;
  const factor = (wall / Math.abs(wallChange) / (cpu / Math.abs(cpuChange))) ** 2;
  if (factor < MIN_FACTOR) return undefined;
  return { wall, cpu, factor, wallChange, cpuChange, slow: t.slow, verdicts: t.verdicts };
}

/** MAD / median of every run's deviation from its commit's median, over the commits with enough runs. */
function spreadOf(byCommit: Map<string, number[]>): number | undefined {
  const residuals: number[] = [];
  let commits = 0;
  for (const values of byCommit.values()) {
    if (values.length < MIN_RUNS) continue;
    const m = median(values);
    if (!(m > 0)) continue;
    commits++;
    for (const v of values) residuals.push(v / m - 1);
  }
  return commits < 2 ? undefined : mad(residuals);
}

function push(m: Map<string, number[]>, key: string, v: number): void {
  const list = m.get(key);
  if (list) list.push(v);
  else m.set(key, [v]);
}

/** The note in words, for the plain view, the live view and the writeup alike. */
export function quieterCpuText(q: QuieterCpu): string {
  const pct = (x: number) => `${(Math.abs(x) * 100).toFixed(1)}%`;
  const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(x)}`;
  const factor = Math.min(1000, Math.round(q.factor));
  const why = q.slow
    ? `${q.slow} of ${q.verdicts} verdict${q.verdicts === 1 ? '' : 's'} took three looks or more`
    : 'the endpoints stayed undecided';
  return (
    `over this run wall time varied ±${pct(q.wall)} a run and CPU time ±${pct(q.cpu)}, and CPU time shows the ` +
    `step too (${signed(q.cpuChange)} against ${signed(q.wallChange)}); ${why}: --metric cpu (metric: 'cpu' in ` +
    `probes.config.ts) would need about ${factor}× fewer samples for this step, if the regression is in CPU work`
  );
}
