import type { EventStream } from '../events.js';
import { plainReporter } from './plain.js';

export interface ReporterOptions {
  /** false with --no-tui. */
  tui: boolean;
  /** Called on q or Ctrl-C in the live UI: the CLI stops the run as it does on SIGINT. */
  onQuit?: () => void;
}

/** The live UI only for a person at a terminal: not in pipes, not in CI, not with --no-tui. */
export function wantsLiveUi(
  options: { tui: boolean },
  stdout: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return options.tui && !!stdout.isTTY && !env.CI;
}

/**
 * Pick the view of the event stream: the live terminal UI on an interactive terminal, else
 * (pipes, CI=true, --no-tui) one plain line per event. Returns a function that detaches it
 * and draws its last frame.
 */
export async function attachReporter(events: EventStream, options: ReporterOptions): Promise<() => void> {
  if (wantsLiveUi(options)) {
    // Ink and React load only for the live UI: CI and piped runs start without them.
    const { liveReporter } = await import('./live/render.js');
    return liveReporter(events, { onQuit: options.onQuit });
  }
  return plainReporter(events, (l) => process.stdout.write(l + '\n'));
}
