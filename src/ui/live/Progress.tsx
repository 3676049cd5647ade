import { Text } from 'ink';
import { fmtDuration, fmtPct } from '../../report/format.js';
import { progress, type ViewState } from '../state.js';

/** Where the search is: candidates left, steps done and left, elapsed time and an ETA. */
export function Progress({ s }: { s: ViewState }) {
  const p = progress(s);
  return (
    <Text>
      {p.remaining} commit{p.remaining === 1 ? '' : 's'} left · step {p.stepsDone} of ~{p.stepsDone + p.stepsLeft} ·{' '}
      {fmtDuration(p.elapsedSeconds)} elapsed
      {s.outcome ? '' : ` · ETA ${p.etaSeconds === undefined ? '–' : fmtDuration(p.etaSeconds)}`}
      {s.threshold ? ` · threshold ${fmtPct(s.threshold.value)}` : ''}
    </Text>
  );
}
