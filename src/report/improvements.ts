import type { ResultImprovement } from './result.js';
import { fmtChange, fmtChangeInterval, fmtP, short } from './format.js';

/**
 * One sentence on a change for the better the verdicts showed (src/bisect/improvements.ts), for the
 * terminal and the writeup alike; `code` marks up a commit name.
 */
export function improvementText(
  m: Pick<ResultImprovement, 'after' | 'through' | 'commits' | 'commit' | 'ref' | 'refSide' | 'vs'>,
  better: 'lower' | 'higher',
  code: (s: string) => string = (s) => s,
): string {
  const measured =
    `${code(short(m.commit))}, on the ${m.refSide} side, measured ${fmtChange(m.vs.worse, better)} ` +
    `${fmtChangeInterval(m.vs, better)} against ${m.refSide} ${code(short(m.ref))} (${fmtP(m.vs.p)})`;
  return (
    `${measured}: a change for the better lies after ${code(short(m.after))}, up to ${code(short(m.through))} ` +
    `(${m.commits} commit${m.commits === 1 ? '' : 's'}), not looked for`
  );
}
