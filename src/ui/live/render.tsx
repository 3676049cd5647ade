import { render } from 'ink';
import type { EventStream } from '../../events.js';
import { initialState, reduce, type ViewState } from '../state.js';
import { quieterCpu, RunTimes } from '../../report/quieter-cpu.js';
import { App } from './App.js';

const FRAME_MS = 100;

/**
 * Mount the Ink view on the terminal and keep it in step with the event stream: every event is
 * folded into the view state at once, frames are drawn at most every 100 ms, and once a second
 * for the clock, never while a sample is being timed. Returns the detach function, which draws the final frame.
 */
export function liveReporter(events: EventStream, options: { onQuit?: () => void }): () => void {
  let s: ViewState = initialState(Date.now());
  const app = render(<App s={s} onQuit={options.onQuit} />, { exitOnCtrlC: false, patchConsole: false });
  let pending: NodeJS.Timeout | undefined;
  const draw = () => {
    pending = undefined;
    app.rerender(<App s={s} onQuit={options.onQuit} />);
  };
  const later = (ms: number) => (pending ??= setTimeout(() => events.whenQuiet(draw), ms));
  // The whole run's samples, for the note at its end that CPU time would have been the quieter metric.
  const times = new RunTimes();
  const unsubscribe = events.subscribe((e) => {
    times.see(e);
    s = reduce(s, e, Date.now());
    if (e.type === 'run-end') s = { ...s, quieterCpu: quieterCpu(times) };
    later(FRAME_MS);
  });
  const clock = setInterval(() => {
    s = { ...s, now: Date.now() };
    later(0);
  }, 1000);
  return () => {
    unsubscribe();
    clearInterval(clock);
    if (pending) clearTimeout(pending);
    s = { ...s, now: Date.now() };
    draw();
    app.unmount();
    // Ink leaves the cursor at the end of its last line: what the shell or the CLI prints next starts on its own line.
    process.stdout.write('\n');
  };
}
