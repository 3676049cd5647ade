import { Box, Text } from 'ink';
import { ambiguousText, fmtP, fmtRatio, fmtValue, measuredBeside, short } from '../../report/format.js';
import { unexplainedText } from '../../report/one-step.js';
import { termText } from '../../report/escape.js';
import { undecidedText } from '../../report/noise.js';
import { costSummary } from '../../report/cost.js';
import { quieterCpuText } from '../../report/quieter-cpu.js';
import { improvementText } from '../../report/improvements.js';
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
  const outcome = s.outcome;
  if (!outcome) return null;
  const unit = s.metric.unit;
  const ratios = outcome.culprits.map((c) => c.ratio);
  const rest = s.oneStep ? unexplainedText(outcome.endpoints.ratio, ratios, outcome.threshold) : undefined;
  return (
    <Box flexDirection="column">
      {outcome.status === 'no-regression' ? (
        <Text bold color="green">
          No regression between good and bad above the threshold.
        </Text>
      ) : null}
      {outcome.status === 'undecided' ? (
        <Text bold color="yellow">
          {undecidedText(outcome.noRegressionBelow)}
        </Text>
      ) : null}
      {outcome.status === 'ambiguous' ? (
        <Text bold color="yellow">
          Ambiguous: {ambiguousText(outcome.suspects, outcome.culprits.length, 'below')}
        </Text>
      ) : null}
      {outcome.culprits.map((c) => {
        const m = s.commits[c.sha];
        return (
          <Box key={c.sha} flexDirection="column">
            <Text>
              <Text bold color="red">
                culprit {short(c.sha)}
              </Text>{' '}
              {m?.subject ?? ''}
            </Text>
            <Text>
              {'  '}by {m?.author ?? '?'} · {fmtValue(c.beforeSummary.median, unit)} →{' '}
              {fmtValue(c.afterSummary.median, unit)} {fmtRatio(c.ratio)} [{fmtRatio(c.ratioCi[0])},{' '}
              {fmtRatio(c.ratioCi[1])}] {fmtP(c.change.p)}
              <Text dimColor> ({measuredBeside(c.before, m?.parent, c.sideBySide)})</Text>
            </Text>
            {s.depResults[c.sha] ? (
              <Text>
                {'  '}
                <Text color="red">dependency</Text> {s.depResults[c.sha]}
              </Text>
            ) : null}
            <Evidence e={s.evidence[c.sha]} />
          </Box>
        );
      })}
      {(outcome.improvements ?? []).map((m) => (
        <Text key={`${m.after}..${m.through}`}>
          <Text color="green">improvement</Text> {improvementText(m, s.metric.better)}
        </Text>
      ))}
      {rest ? <Text>note: {rest}</Text> : null}
      {s.quieterCpu ? <Text>note: {quieterCpuText(s.quieterCpu)}</Text> : null}
      {s.cost ? <Text>cost: {costSummary(s.cost)}</Text> : null}
      <Text>writeup: {termText(s.reportFile ?? '')}</Text>
      <Text>result json: {termText(s.resultFile ?? '')}</Text>
    </Box>
  );
}

/** The top of the profile diff at a culprit: where the time went, and whether this commit touched it. */
function Evidence({ e }: { e: ViewState['evidence'][string] | undefined }) {
  if (!e) return null;
  if (!e.top.length) return e.note ? <Text dimColor>{`  profile: ${e.note}`}</Text> : null;
  return (
    <Box flexDirection="column">
      {e.top.slice(0, 3).map((r, i) => (
        <Text key={i}>
          {'  '}
          <Text color="yellow">
            {r.delta >= 0 ? '+' : ''}
            {r.delta.toFixed(1)} pts
          </Text>{' '}
          {r.function} <Text dimColor>{r.where}</Text>
          {r.inChange ? <Text color="red"> ({r.inChange} by this commit)</Text> : null}
          {r.under ? <Text dimColor> under {r.under}</Text> : null}
          {r.calledFrom ? <Text color="red"> (called from {r.calledFrom}, changed by this commit)</Text> : null}
          {r.calls ? <Text color="red"> (calls {r.calls}, changed by this commit)</Text> : null}
        </Text>
      ))}
    </Box>
  );
}
