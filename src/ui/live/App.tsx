import { Box, Text, useInput, useStdin } from 'ink';
import { useState } from 'react';
import type { ViewState } from '../state.js';
import { Current } from './Current.js';
import { Deps } from './Deps.js';
import { Done } from './Done.js';
import { Header } from './Header.js';
import { Ladder } from './Ladder.js';
import { Progress } from './Progress.js';

export interface AppProps {
  s: ViewState;
  /** q or Ctrl-C: the CLI stops the run the same way as on SIGINT. The view decides nothing. */
  onQuit?: () => void;
}

/** The live view of a run: a pure rendering of the folded event state, plus two keys. */
export function App({ s, onQuit }: AppProps) {
  const [fullLog, setFullLog] = useState(false);
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) onQuit?.();
      else if (input === 'l') setFullLog((v) => !v);
    },
    { isActive: !!isRawModeSupported },
  );
  // Before run-start (refs resolving, config errors) there is nothing to show: errors go to stderr.
  if (!s.runId) return null;
  const culprits = new Set(s.outcome?.culprits.map((c) => c.sha) ?? []);
  const live = !s.outcome && !s.error;
  return (
    <Box flexDirection="column">
      <Header s={s} />
      <Progress s={s} />
      {s.noise.map((l, i) => (
        <Text key={`n${i}`} dimColor>
          {l}
        </Text>
      ))}
      {s.warnings.map((w, i) => (
        <Text key={i} color={w.startsWith('note: ') ? undefined : 'yellow'}>
          {w}
        </Text>
      ))}
      <Box marginTop={1} flexDirection="column">
        <Ladder s={s} culprits={culprits} />
      </Box>
      <Deps s={s} />
      <Current s={s} fullLog={fullLog} />
      <Done s={s} />
      {live && isRawModeSupported ? (
        <Text dimColor>q: stop (samples are kept, --resume continues) · l: build log</Text>
      ) : null}
    </Box>
  );
}
