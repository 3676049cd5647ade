import { fmtRatio } from './format.js';

/**
 * With --one-step, the part of the good→bad change the located steps leave unexplained, where it is a
 * change worth bisecting (at least the threshold): other steps hold it, and --one-step did not look for
 * them. Ratios are after / before in the metric's own units, so the share is taken on a log scale
 * (two steps of +20% make +44%, each half of it), whichever way the metric is better.
 */
export function unexplained(
  endpointsRatio: number,
  culpritRatios: readonly number[],
  threshold: number,
): { share: number; rest: number } | undefined {
  const found = culpritRatios.reduce((a, r) => a * r, 1);
  if (!(endpointsRatio > 0) || !(found > 0) || !culpritRatios.length) return undefined;
  const rest = endpointsRatio / found;
  if (Math.abs(Math.log(rest)) < Math.log(1 + threshold)) return undefined;
  return { share: Math.log(found) / Math.log(endpointsRatio), rest };
}

/** The sentence the plain view and the writeup share. */
export function unexplainedText(
  endpointsRatio: number,
  culpritRatios: readonly number[],
  u: { share: number; rest: number },
): string {
  const found = culpritRatios.reduce((a, r) => a * r, 1);
  const share = u.share > 0 && u.share < 1 ? `about ${Math.round(u.share * 100)}% of` : 'not all of';
  const what = culpritRatios.length === 1 ? 'the step found' : 'the steps found';
  return (
    `${what} (${fmtRatio(found)}) ${culpritRatios.length === 1 ? 'is' : 'are'} ${share} the good→bad change (${fmtRatio(endpointsRatio)}): ` +
    `the other ${fmtRatio(u.rest)} lies in steps that --one-step does not look for; run without it to find them`
  );
}
