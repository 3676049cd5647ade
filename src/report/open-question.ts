import type { OpenQuestion } from '../bisect/verdict.js';
import { fmtChange, fmtPct } from './format.js';

/** What an end check's block is for, said where it is measured. */
export function endCheckText(side: 'below' | 'above'): string {
  return side === 'below'
    ? 'checking for a further step before the located one: its parent against the good end of its search'
    : 'checking for a further step after the located one: the culprit against the bad end of its search';
}

/**
 * Why the look before did not decide, so that a commit measured again and again is not a mystery:
 * which question is open and where the estimates stand.
 */
export function whyAgain(open: OpenQuestion | undefined, better: 'lower' | 'higher'): string {
  if (!open) return 'the samples so far did not decide';
  const change = (worse: number) => fmtChange(worse, better);
  const est = `${change(open.vsGood)} vs good, ${change(open.vsBad)} vs bad so far`;
  switch (open.kind) {
    case 'side':
      return `neither worse than good nor better than bad shown yet (${est})`;
    case 'further-step': {
      const shown = open.towards === 'bad' ? 'worse than good' : 'better than bad';
      const now = open.towards === 'bad' ? `${change(open.vsBad)} vs bad` : `${change(open.vsGood)} vs good`;
      const step = `a further step of ${fmtPct(open.minStep)} or more between it and ${open.towards}`;
      // The estimate alone can sit near the reference: what is missing is samples enough to bound it.
      return `${shown}, but ${step} is not ruled out yet (${now} so far; too few samples to bound it within ${fmtPct(open.minStep)})`;
    }
    case 'between':
      return `unlike both references (${est}): a step on each side must show again on samples taken now`;
    case 'unlike-both':
      return `unlike both references, but not yet by half the threshold on each side (${est})`;
    case 'beyond-both':
      return `beyond both references (${est}): only samples taken beside it count, in case the machine changed speed since`;
    case 'fresh':
      return `its references' earlier samples put it on a side, this trial's own samples do not yet (${est})`;
  }
}
