/**
 * Which commits of a drift window to measure: about `points` of them spread evenly over the
 * first-parent history, always both ends (index 0 is the baseline, re-measured in every run).
 */
export function spreadPoints(count: number, points: number): number[] {
  if (count <= 0) return [];
  const k = Math.max(2, Math.min(count, points));
  if (count === 1) return [0];
  const out = new Set<number>();
  for (let i = 0; i < k; i++) out.add(Math.round((i * (count - 1)) / (k - 1)));
  return [...out].sort((a, b) => a - b);
}

/** `--since` is a date when git's approxidate would read it as one and it does not name a commit. */
export function looksLikeDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(s) || /\b(ago|yesterday|week|weeks|day|days|month|months)\b/.test(s);
}
