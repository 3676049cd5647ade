import type { BlockRecord, NoiseReport, RunEvent } from '../../events.js';

type JobEnd = Extract<RunEvent, { type: 'job-end' }>;

/** What the run asks to measure: a block of the engine's. */
export interface BlockAsked {
  target: string;
  refs: readonly string[];
  order: readonly string[];
  purpose: string;
}

/**
 * --resume: the interrupted run's log fed back in the order it was written. Each block the engine
 * asks for is taken from the log while the log holds it (the same seeded engine asks for the same
 * blocks), then the run measures on from where the log ends. The sample store is not needed for it.
 */
export class Replay {
  private readonly queue: (BlockRecord | { type: 'out-of-time' })[];
  private readonly jobEnds = new Map<string, JobEnd>();
  /**
   * What the endpoints' noise was said to cost, in order: at their first look, and again when they were
   * decided if the noise had changed (with --budget, the confidence the run relaxed to).
   */
  readonly noises: NoiseReport[];
  /** Minutes the interrupted run had been going (--budget counts them). */
  readonly minutes: number;
  private finished = false;

  constructor(
    events: readonly (RunEvent & { t?: number })[],
    private readonly hooks: { warn: (message: string) => void; done: () => void },
  ) {
    this.queue = events.filter(
      (e): e is BlockRecord | Extract<RunEvent, { type: 'out-of-time' }> =>
        e.type === 'block' || e.type === 'out-of-time',
    );
    for (const e of events) if (e.type === 'job-end' && !e.lost) this.jobEnds.set(`${e.round}.${e.index}`, e);
    this.noises = events.flatMap((e) => (e.type === 'noise' ? [e.noise] : []));
    const times = events.map((e) => e.t).filter((t): t is number => typeof t === 'number');
    this.minutes = times.length ? (times[times.length - 1] - times[0]) / 60_000 : 0;
    if (!this.queue.length) this.finish();
  }

  /** Blocks the log holds. */
  get blocks(): number {
    return this.queue.filter((e) => e.type === 'block').length;
  }

  /** Still feeding the log back: what comes next is decided by it, not by the clock. */
  get replaying(): boolean {
    return !this.finished;
  }

  /** The block asked for, if it is the next one in the log; else the log is of no further use. */
  take(asked: BlockAsked): BlockRecord | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    if (head.type === 'block' && !head.job && sameBlock(head, asked)) {
      this.queue.shift();
      if (!this.queue.length) this.finish();
      return head;
    }
    this.diverge(`measuring ${asked.target.slice(0, 10)}`);
    return undefined;
  }

  /** A round's job, by its key, if the log holds its result; and the job-end that came with it. */
  takeJob(key: string): { block: BlockRecord; end?: JobEnd } | undefined {
    const at = this.queue.findIndex((e) => e.type === 'block' && e.job?.key === key);
    if (at < 0) return undefined;
    const block = this.queue.splice(at, 1)[0] as BlockRecord;
    if (!this.queue.length) this.finish();
    return { block, end: this.jobEnds.get(`${block.job!.round}.${block.job!.index}`) };
  }

  /** A round ran jobs the log does not hold: the rest of the log is of no further use. */
  missedJobs(): void {
    if (this.queue.length) this.diverge('a round of jobs');
  }

  /** The interrupted run ran out of its --budget here: true once, at that point of the replay. */
  outOfTime(): boolean {
    if (this.queue[0]?.type !== 'out-of-time') return false;
    this.queue.shift();
    if (!this.queue.length) this.finish();
    return true;
  }

  /** The replay is over, whatever is left of the log. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.length = 0;
    this.hooks.done();
  }

  private diverge(what: string): void {
    const left = this.blocks;
    if (left) {
      this.hooks.warn(
        `--resume: this run asks for another block than its log holds next (${what}): ` +
          `the ${left} block(s) left in the log are not used, measuring from here`,
      );
    }
    this.finish();
  }
}

function sameBlock(b: BlockRecord, asked: BlockAsked): boolean {
  const same = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    b.target === asked.target && b.purpose === asked.purpose && same(b.refs, asked.refs) && same(b.order, asked.order)
  );
}
