import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { RunEvent } from '../events.js';

/** runs/<id>/events.jsonl: every event, one JSON object a line, appended as it happens. */
export class RunLog {
  private closed = false;
  constructor(private readonly file: string) {}

  write(e: RunEvent): void {
    // Build output is in the per-commit log files already; keep the run log small and greppable.
    if (this.closed || e.type === 'output') return;
    appendFileSync(this.file, JSON.stringify({ t: Date.now(), ...e }) + '\n');
  }

  close(): void {
    this.closed = true;
  }

  static read(file: string): RunEvent[] {
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as RunEvent];
        } catch {
          return [];
        }
      });
  }
}
