/**
 * When the sequential test looks at the data: sample counts growing geometrically from min to max.
 * Fewer looks keep the per-look alpha (Bonferroni over looks) from shrinking too far.
 */
export function looks(minSamples: number, maxSamples: number): number[] {
  const out = [minSamples];
  while (out[out.length - 1] < maxSamples) out.push(Math.min(maxSamples, Math.ceil(out[out.length - 1] * 1.6)));
  return out;
}

/** Decisions a bisect of n commits is expected to make: the endpoint check plus log2 steps. */
export function expectedDecisions(rangeSize: number): number {
  return Math.ceil(Math.log2(rangeSize + 1)) + 1;
}
