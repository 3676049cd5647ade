import { Box, Text } from 'ink';
import { fmtValue, short } from '../../report/format.js';
import { summarize } from '../../stats/summary.js';
import type { ViewState } from '../state.js';
import { verdictColor } from './colors.js';

const MAX_ROWS = 12;

/**
 * The descent into a culprit's lockfile change while it runs: the level, its candidates (upgrade
 * groups, versions or commits, oldest first) with their verdicts, and how earlier levels ended.
 */
export function Deps({ s }: { s: ViewState }) {
  const d = s.deps;
  if (!d || s.outcome || s.error) return null;
  // Long lists (many versions or commits): the measured ones, the current one and the ends.
  const shown = d.rows.filter(
    (r, i) =>
      i === 0 ||
      i === d.rows.length - 1 ||
      r.verdict ||
      (r.sha && r.sha === s.current) ||
      (r.sha && s.commits[r.sha]?.samples.length),
  );
  const rows = shown.length > MAX_ROWS ? [...shown.slice(0, MAX_ROWS - 1), shown[shown.length - 1]] : shown;
  const folded = d.rows.length - rows.length;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        <Text bold color="cyan">
          inside {short(d.culprit)}
        </Text>{' '}
        {d.level} level: {d.title}
      </Text>
      {d.ended.map((l, i) => (
        <Text key={`e${i}`} dimColor>{`  ${l}`}</Text>
      ))}
      {rows.map((r, i) => {
        const c = r.sha ? s.commits[r.sha] : undefined;
        const sum = c?.samples.length ? summarize(c.samples) : undefined;
        const current = !!r.sha && r.sha === s.current;
        const verdict =
          r.verdict === 'good-endpoint'
            ? 'good (ref)'
            : r.verdict === 'bad-endpoint'
              ? 'bad (ref)'
              : (r.verdict ?? (current ? 'measuring' : ''));
        return (
          <Text key={i} bold={current} inverse={current} wrap="truncate-end">
            {current ? '▶ ' : '  '}
            <Text color={verdictColor(r.verdict)}>{verdict.padEnd(12)}</Text>{' '}
            {(sum ? `${fmtValue(sum.median, s.metric.unit)} n=${sum.n}` : '').padEnd(16)} {r.label}
          </Text>
        );
      })}
      {folded > 0 ? <Text dimColor>{`  ┆ ${folded} not measured`}</Text> : null}
    </Box>
  );
}
