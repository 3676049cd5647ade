import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { RunEvent } from '../../events.js';

/** An event as the run log holds it: with the time it was written, in ms. */
export type LoggedEvent = RunEvent & { t?: number };

/**
 * runs/<id>/events.jsonl: every event, one JSON object a line, appended as it happens. It is the
 * record of the run: the result and writeup are folded from it, and --resume feeds its blocks back.
 *
 * A resumed run first holds its lines (`hold`): the interrupted run's log stays in place until the
 * replay is over, so a crash while replaying loses nothing; `release` then puts the new log there.
 */
export class RunLog {
  private closed = false;
  private held: string[] | undefined;

  constructor(
    private readonly file: string,
    opts: { hold?: boolean } = {},
  ) {
    if (opts.hold) this.held = [];
  }

  write(e: RunEvent): void {
    // Build output is in the per-commit log files already; keep the run log small and greppable.
    if (this.closed || e.type === 'output') return;
    const line = encodeEvent({ t: Date.now(), ...e }) + '\n';
    if (this.held) this.held.push(line);
    else appendFileSync(this.file, line);
  }

  /** Write the lines held so far in place of the file, and append from now on. */
  release(): void {
    if (!this.held || this.closed) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, this.held.join(''));
    renameSync(tmp, this.file);
    this.held = undefined;
  }

  /** Stop writing. Lines still held are dropped: the file keeps the log they would have replaced. */
  close(): void {
    this.closed = true;
    this.held = undefined;
  }

  /** Every event that reads, skipping lines that do not. */
  static read(file: string): LoggedEvent[] {
    return readRunLog(file).events;
  }
}

export interface ReadLog {
  /** The events before the first line that is not one. */
  events: LoggedEvent[];
  /** 1-based number of the first line that is not an event, if any. */
  badLine?: number;
  /** It is the last line: a write cut short by a crash, not damage inside the log. */
  torn?: boolean;
}

/** A run log read up to its first unreadable line (which a crash in mid-write leaves at the end). */
export function readRunLog(file: string): ReadLog {
  if (!existsSync(file)) return { events: [] };
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const events: LoggedEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const e = decodeEvent(lines[i]);
    if (!e) return { events, badLine: i + 1, torn: i === lines.length - 1 };
    events.push(e);
  }
  return { events };
}

/**
 * JSON has no NaN or Infinity (a ratio over a zero median is one): they are written as
 * {"$number": "NaN"} so the fold over the log sees the numbers the run saw.
 */
export function encodeEvent(e: LoggedEvent): string {
  return JSON.stringify(e, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v,
  );
}

/** An event as a read of the log would give it back. */
export function asLogged(e: RunEvent): LoggedEvent {
  return decodeEvent(encodeEvent(e))!;
}

function decodeEvent(line: string): LoggedEvent | undefined {
  try {
    const e = JSON.parse(line, (_k, v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        const n = (v as { $number?: unknown }).$number;
        if (keys.length === 1 && typeof n === 'string') return Number(n);
      }
      return v;
    }) as unknown;
    if (!e || typeof e !== 'object' || typeof (e as { type?: unknown }).type !== 'string') return undefined;
    return e as LoggedEvent;
  } catch {
    return undefined;
  }
}
