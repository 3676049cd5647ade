import { fmtRatio } from './format.js';

/**
 * With --one-step, the part of the good→bad change the located steps leave unexplained, where it is a
 * change worth bisecting (at least the threshold) the same way as the whole: other steps may hold it, and
 * --one-step did not look for them. Ratios are after / before in the metric's own units, so the share is
 * taken on a log scale (two steps of +20% make +44%, each half of it), whichever way the metric is
 * better. A step found larger than the whole change leaves an improvement, which no bisect looks for.
 */
export function unexplained(
  endpointsRatio: number,
  culpritRatios: readonly number[],
  threshold: number,
): { share: number; rest: number } | undefined {
  const found = culpritRatios.reduce((a, r) => a * r, 1);
  if (!(endpointsRatio > 0) || !(found > 0) || !culpritRatios.length) return undefined;
  const rest = endpointsRatio / found;
  const share = Math.log(found) / Math.log(endpointsRatio);
  if (!(share > 0 && share < 1) || Math.abs(Math.log(rest)) < Math.log(1 + threshold)) return undefined;
  return { share, rest };
}

/** The sentence the views and the writeup share, where the rest is worth saying (see unexplained). */
export function unexplainedText(
  endpointsRatio: number,
  culpritRatios: readonly number[],
  threshold: number,
): string | undefined {
  const u = unexplained(endpointsRatio, culpritRatios, threshold);
  if (!u) return undefined;
  const found = endpointsRatio / u.rest;
  const one = culpritRatios.length === 1;
  return (
    `${one ? 'the step found' : 'the steps found'} (${fmtRatio(found)}) ${one ? 'is' : 'are'} about ` +
    `${Math.round(u.share * 100)}% of the good→bad change (${fmtRatio(endpointsRatio)}): ` +
    `the other ${fmtRatio(u.rest)} may lie in steps that --one-step does not look for; run without it to find them`
  );
}
