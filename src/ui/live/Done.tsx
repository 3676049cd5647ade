import { Box, Text } from 'ink';
import { fmtP, fmtRatio, fmtValue, sanitize, short } from '../../report/format.js';
import type { ViewState } from '../state.js';

/** The end: culprits with what changed, or the error, and where the writeup and JSON are. */
export function Done({ s }: { s: ViewState }) {
  if (s.error) {
    return (
      <Box flexDirection="column">
        <Text bold color={s.error.interrupted ? 'yellow' : 'red'}>
          {s.error.interrupted ? 'stopped' : 'error'}: {s.error.message}
        </Text>
        {s.error.tail.map((l, i) => <Text key={i} dimColor>{`| ${l}`}</Text>)}
      </Box>
    );
  }
  const o = s.outcome;
  if (!o) return null;
  const unit = s.metric.unit;
  return (
    <Box flexDirection="column">
      {o.status === 'no-regression' ? <Text bold color="green">No regression between good and bad above the threshold.</Text> : null}
      {o.status === 'ambiguous' ? <Text bold color="yellow">Ambiguous: the regression is in one of {o.suspects.map(short).join(' ')}</Text> : null}
      {o.culprits.map((c) => {
        const m = s.commits[c.sha];
        return (
          <Box key={c.sha} flexDirection="column">
            <Text>
              <Text bold color="red">culprit {short(c.sha)}</Text> {m?.subject ?? ''}
            </Text>
            <Text>
              {'  '}by {m?.author ?? '?'} · {fmtValue(c.beforeSummary.median, unit)} → {fmtValue(c.afterSummary.median, unit)} {fmtRatio(c.ratio)} [{fmtRatio(c.ratioCi[0])}, {fmtRatio(c.ratioCi[1])}] {fmtP(c.change.p)}
            </Text>
          </Box>
        );
      })}
      <Text>writeup: {sanitize(s.reportFile ?? '')}</Text>
      <Text>result json: {sanitize(s.resultFile ?? '')}</Text>
    </Box>
  );
}
