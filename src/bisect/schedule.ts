import { boundRank } from '../stats/mann-whitney.js';
import { shuffle, type Rng } from '../stats/rng.js';

/**
 * When a trial looks at its data: the target's sample count at each look, from the first look
 * doubling up to the maximum. Few looks keep each look's share of the error rate from shrinking.
 */
export function looks(first: number, max: number): number[] {
  const out = [Math.min(first, max)];
  while (out[out.length - 1] < max) out.push(Math.min(max, out[out.length - 1] * 2));
  return out;
}

/**
 * The fewest samples n (at least `atLeast`, at most `atMost`) that a rank test against `against`
 * reference samples (a count, or the count for n; as many as n when not given: the endpoints) could
 * possibly decide at `alpha`:
 * the most extreme outcome, all n beyond all the others, has probability 1 / C(n + m, n). Fewer
 * samples cannot decide whatever they show, so no look is spent on them.
 */
export function fewestDecisive(
  alpha: number,
  atLeast: number,
  atMost: number,
  against?: number | ((n: number) => number),
): number {
  for (let n = Math.max(1, atLeast); n < atMost; n++) {
    const m = typeof against === 'function' ? against(n) : (against ?? n);
    let logC = 0;
    for (let i = 1; i <= n; i++) logC += Math.log((m + i) / i);
    if (-logC <= Math.log(alpha)) return n;
  }
  return atMost;
}

/**
 * The fewest rounds (a sample of each a round) after which the rank bound of two commits that have
 * `a` and `b` samples side by side could show them apart at `alpha`: fewer cannot, whatever they show.
 */
export function fewestRounds(alpha: number, a: number, b: number, atMost: number): number {
  for (let n = 1; n < atMost; n++) if (boundRank(a + n, b + n, alpha) >= 1) return n;
  return atMost;
}

/**
 * The order a block is measured in. Each commit's samples are spread evenly over the block's rounds
 * (at a random phase, so a commit with few samples is not always in the same rounds) and the order
 * inside every round is shuffled: no commit is always measured first or right after another, and a
 * machine that drifts during the block moves every commit alike.
 */
export function blockOrder(counts: ReadonlyArray<readonly [string, number]>, rng: Rng): string[] {
  const rounds = Math.max(0, ...counts.map(([, c]) => c));
  const phased = counts.map(([sha, c]) => ({ sha, c, phase: rng() }));
  const inRound = (x: { c: number; phase: number }, r: number) =>
    Math.floor(((r + 1) * x.c) / rounds + x.phase) > Math.floor((r * x.c) / rounds + x.phase);
  const out: string[] = [];
  for (let r = 0; r < rounds; r++) {
    out.push(...shuffle(phased.filter((x) => inRound(x, r)).map((x) => x.sha), rng));
  }
  return out;
}

/** `rounds` rounds of [ref, target] for each reference in turn: a block that needs no engine (the drift series). */
export function alternating(target: string, refs: readonly string[], rounds: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const ref of refs) out.push(ref, target);
    if (!refs.length) out.push(target);
  }
  return out;
}
