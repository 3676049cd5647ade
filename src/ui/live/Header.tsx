import { Box, Text } from 'ink';
import { direction, short } from '../../report/format.js';
import type { ViewState } from '../state.js';

/** Repository, the good..bad range and what is measured. */
export function Header({ s }: { s: ViewState }) {
  const m = s.metric;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>perfbisect</Text> {s.repo}
      </Text>
      <Text>
        <Text color="green">good {s.good.ref}</Text> ({short(s.good.sha)}) .. <Text color="red">bad {s.bad.ref}</Text>{' '}
        ({short(s.bad.sha)})
      </Text>
      <Text dimColor>
        probe {s.probe.name} ({s.probe.kind}): {m.name}
        {m.unit ? ` in ${m.unit}` : ''}, {direction(m)}
        {s.deterministic ? ', deterministic' : ''}
        {s.oneStep ? ', one step looked for' : ''}
      </Text>
    </Box>
  );
}
