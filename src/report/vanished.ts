import { fmtPct, fmtRatio, short } from './format.js';

/**
 * One sentence on a step the search first closed on that was not there beside its parent
 * (Outcome.vanished), for the terminal and the writeup alike; `code` marks up a commit name.
 */
export function vanishedText(
  v: { sha: string; before: string; ratio: number; ci: readonly [number, number] },
  threshold: number,
  code: (s: string) => string = (s) => s,
): string {
  return (
    `the search first closed on ${code(short(v.sha))}, but measured beside its parent ${code(short(v.before))} it changed ` +
    `${fmtRatio(v.ratio)} [${fmtRatio(v.ci[0])}, ${fmtRatio(v.ci[1])}], clearly under the ${fmtPct(threshold)} threshold: ` +
    'the verdicts that led there were turned (most likely by a burst of load), so the commits after it were searched again'
  );
}
