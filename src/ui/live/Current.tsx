import { Box, Text, useStdout } from 'ink';
import { clip, fmtP, fmtValue, short } from '../../report/format.js';
import { mannWhitney } from '../../stats/mann-whitney.js';
import type { ViewState } from '../state.js';
import { histograms, mid, sparkline } from './text.js';

/** The commit being worked on: its build log tail, or its samples against the references. */
export function Current({ s, fullLog }: { s: ViewState; fullLog: boolean }) {
  // The full log fits the terminal: a frame taller than the screen makes Ink redraw it all, flickering.
  const rows = useStdout().stdout.rows || 40;
  const sha = s.current;
  if (!sha || s.outcome || s.error) return null;
  const c = s.commits[sha];
  const log = s.logs[sha] ?? [];
  const title = `${short(sha)} ${clip(c?.subject ?? '', 60)}`;
  if (fullLog) {
    return (
      <Box flexDirection="column" borderStyle="single" paddingX={1}>
        <Text bold>build log of {title} ({log.length} line{log.length === 1 ? "" : "s"}, l to close)</Text>
        {log.slice(-Math.max(5, rows - 16)).map((l, i) => <Text key={i} wrap="truncate">{l}</Text>)}
      </Box>
    );
  }
  const phase = s.currentPhase ?? 'checkout';
  if (phase !== 'measure') {
    const what =
      phase === 'server'
        ? 'starting the server'
        : phase === 'build' || phase === 'install'
          ? 'building'
          : phase === 'checkout'
            ? 'checking out'
            : phase === 'profile'
              ? 'profiling culprit (against its parent)'
              : phase;
    return (
      <Box flexDirection="column" borderStyle="single" paddingX={1}>
        <Text>
          <Text bold color="yellow">{what}</Text> {title}
        </Text>
        {log.slice(-5).map((l, i) => <Text key={i} dimColor wrap="truncate">{`| ${l}`}</Text>)}
        {log.length > 5 ? <Text dimColor>l: full build log</Text> : null}
      </Box>
    );
  }
  const unit = s.metric.unit;
  const values = c?.samples ?? [];
  // The driver lists a block's references good side first, then bad side.
  const refName = (r: string, i: number) =>
    (i === 0 ? 'good' : 'bad') + (r === s.good.sha || r === s.bad.sha ? '' : ` ${short(r).slice(0, 7)}`);
  const refRows = s.refs.map((r, i) => ({ label: refName(r, i), values: s.commits[r]?.samples ?? [] }));
  const h = histograms([{ label: 'this', values }, ...refRows]);
  const vs = s.refs
    .filter((r) => (s.commits[r]?.samples.length ?? 0) > 1 && values.length > 1)
    .map((r) => `vs ${refName(r, s.refs.indexOf(r))} ${fmtP(mannWhitney(s.commits[r].samples, values).p)}`);
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text>
        <Text bold color="cyan">
          measuring
        </Text>{' '}
        {title}
      </Text>
      {s.again ? <Text dimColor wrap="truncate-end">{s.again}</Text> : null}
      <Text>
        {values.length} samples · median {fmtValue(mid(values), unit)} · {sparkline(values)}
      </Text>
      {h.rows.map((r) => (
        <Text key={r.label}>
          {r.label.padEnd(12)} {r.bars} n={r.n} median{' '}
          {fmtValue(
            mid(r.label === 'this' ? values : (refRows.find((x) => x.label === r.label)?.values ?? [])),
            unit,
          )}
        </Text>
      ))}
      <Text dimColor>
        {'             '}
        {fmtValue(h.lo, unit)} … {fmtValue(h.hi, unit)}
        {vs.length ? ` · ${vs.join(', ')}` : ''}
      </Text>
    </Box>
  );
}
