import { Box, Text } from 'ink';
import { fmtValue, short } from '../../report/format.js';
import { summarize } from '../../stats/summary.js';
import { ladder, type CommitView, type ViewState } from '../state.js';
import { verdictColor } from './colors.js';


function label(c: CommitView): string {
  if (!c.verdict) return 'measuring';
  if (c.verdict === 'good-endpoint') return 'good (ref)';
  if (c.verdict === 'bad-endpoint') return 'bad (ref)';
  if (c.verdict === 'inconclusive') return `inconcl.→${c.lean ?? '?'}`;
  return c.verdict;
}

/** The range, newest first: measured commits with their verdict and numbers, the rest folded. */
export function Ladder({ s, culprits }: { s: ViewState; culprits: Set<string> }) {
  return (
    <Box flexDirection="column">
      {ladder(s).map((r, i) => {
        if (r.kind === 'fold')
          return <Text key={`f${i}`} dimColor>{`  ┆ ${r.count} unmeasured commit${r.count === 1 ? '' : 's'}`}</Text>;
        const c = r.commit;
        const sum = c.samples.length ? summarize(c.samples) : undefined;
        const numbers = sum
          ? `${fmtValue(sum.median, s.metric.unit)} ± ${fmtValue(sum.spread, s.metric.unit)} n=${sum.n}`
          : '';
        return (
          <Text key={c.sha} bold={r.current} inverse={r.current} wrap="truncate-end">
            {r.current ? '▶ ' : culprits.has(c.sha) ? '✖ ' : '  '}
            {short(c.sha)} <Text color={verdictColor(c.verdict)}>{label(c).padEnd(14)}</Text>{' '}
            {numbers.padEnd(28)} {c.subject.slice(0, 50)}
          </Text>
        );
      })}
    </Box>
  );
}
