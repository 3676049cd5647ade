import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JobResult } from './plan.js';

/**
 * Jobs' results keyed by what determines them (the plan's key: trees, probe, build, order and
 * ordinal), never by run: a resumed run, or the same bisect run again, replays a round's jobs
 * instead of sending them to the fleet again. Append-only JSON Lines, as the sample store.
 */
export class JobStore {
  private readonly jobs = new Map<string, JobResult & { storedBy: string }>();

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as JobResult & { storedBy: string };
        this.jobs.set(r.key, r);
      } catch {
        /* a line torn by a crash: that job runs again */
      }
    }
  }

  get(key: string): (JobResult & { storedBy: string }) | undefined {
    return this.jobs.get(key);
  }

  /** Only results with samples: a failure is found out again (it may have been the machine). */
  put(result: JobResult, runId: string): void {
    if (!result.samples || result.failure) return;
    const entry = { ...result, storedBy: runId };
    this.jobs.set(result.key, entry);
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, JSON.stringify(entry) + '\n');
  }
}
