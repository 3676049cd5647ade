import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStream } from '../src/events.js';
import { plainReporter } from '../src/ui/plain.js';

describe('the plain view of a long install', () => {
  afterEach(() => vi.useRealTimers());

  it('says once a minute what is still running, and stops when it ends', () => {
    vi.useFakeTimers();
    const events = new EventStream();
    const lines: string[] = [];
    const stop = plainReporter(events, (l) => lines.push(l));
    const sha = 'b594458c4d427a02d30c46563caea5a7d4a2ceb1';
    // A copy from the install cache, over in a moment: only its own line, no 'started'.
    const copied = 'c0ffee0c4d427a02d30c46563caea5a7d4a2ceb1';
    events.emit({ type: 'phase', sha: copied, phase: 'install' });
    events.emit({ type: 'install-end', sha: copied, ok: true, seconds: 0.1, seeded: true });
    vi.advanceTimersByTime(10_000);
    expect(lines).toEqual(['install c0ffee0c4d: copied from the install cache in 0.1 s']);
    lines.length = 0;
    events.emit({ type: 'phase', sha, phase: 'install' });
    // Nothing has been measured yet: said once it has run a moment, as nothing else is.
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(lines).toEqual(['install b594458c4d started (measuring waits for it)']);
    lines.length = 0;
    vi.advanceTimersByTime(48_000);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(80_000);
    expect(lines).toEqual(['install b594458c4d: still running after 1m 0s', 'install b594458c4d: still running after 2m 0s']);
    events.emit({ type: 'install-end', sha, ok: false, seconds: 216, log: '/x.log', seeded: false });
    vi.advanceTimersByTime(300_000);
    expect(lines.filter((l) => l.includes('still running'))).toHaveLength(2);
    // A build that starts after it, once measuring has begun, is followed alike but not announced; the
    // view, once closed, says nothing more.
    events.emit({ type: 'measure-start', target: sha, refs: [], rounds: 1, purpose: 'endpoints', cached: false });
    events.emit({ type: 'phase', sha, phase: 'build' });
    expect(lines.filter((l) => l.includes('started'))).toEqual([]);
    vi.advanceTimersByTime(61_000);
    expect(lines.at(-1)).toBe('build b594458c4d: still running after 1m 0s');
    stop();
    vi.advanceTimersByTime(300_000);
    expect(lines.filter((l) => l.includes('still running'))).toHaveLength(3);
  });
});

describe('the plain view of a commit measured again', () => {
  it('says why its decision starts over', () => {
    const events = new EventStream();
    const lines: string[] = [];
    const stop = plainReporter(events, (l) => lines.push(l));
    const [target, good, bad] = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
    events.emit({ type: 'measure-start', target, refs: [good, bad], rounds: 5, purpose: 'verdict', cached: false, again: true });
    events.emit({ type: 'measure-start', target, refs: [good, bad], rounds: 5, purpose: 'verdict', cached: false });
    stop();
    expect(lines[0]).toMatch(
      /^measure aaaaaaaaaa against bbbbbbbbbb, cccccccccc: 5 round\(s\), again afresh: its samples so far leaned to a step on each side/,
    );
    expect(lines[1]).not.toMatch(/afresh/);
  });
});

describe('the plain view of work done ahead of the search', () => {
  it('marks an install or build done for a commit the search may measure next', () => {
    const events = new EventStream();
    const lines: string[] = [];
    const stop = plainReporter(events, (l) => lines.push(l));
    const sha = 'e'.repeat(40);
    events.emit({ type: 'install-end', sha, ok: true, seconds: 0.1, log: '/i.log', seeded: true, ahead: true });
    events.emit({ type: 'build-end', sha, ok: true, seconds: 2, log: '/b.log', cached: false, ahead: true });
    events.emit({ type: 'build-end', sha, ok: true, seconds: 2, log: '/b.log', cached: false });
    stop();
    expect(lines).toEqual([
      'install eeeeeeeeee: copied from the install cache in 0.1 s (ahead: the search may measure it next)',
      'build eeeeeeeeee ok in 2.0 s (ahead: the search may measure it next)',
      'build eeeeeeeeee ok in 2.0 s',
    ]);
  });
});

describe('the plain view of an inconclusive verdict', () => {
  it('says where only a further step was left open, and not where the side itself is a guess', () => {
    const events = new EventStream();
    const lines: string[] = [];
    const stop = plainReporter(events, (l) => lines.push(l));
    const cmp = (worse: number, lo: number, hi: number, p: number) =>
      ({ worse, lo, hi, p, same: false, different: false });
    const [good, bad] = ['b'.repeat(40), 'c'.repeat(40)];
    // -39% of bad, the interval below 0: good is shown; +7% of good could still hide a further step.
    events.emit({ type: 'verdict', verdict: { sha: 'a'.repeat(40), verdict: 'inconclusive', lean: 'good', refs: [good, bad], vsGood: cmp(0.073, -0.106, 0.245, 0.15), vsBad: cmp(-0.393, -0.45, -0.33, 0.0001), samples: 60 } });
    // -3% of bad, its interval across 0: the lean is the estimates' guess.
    events.emit({ type: 'verdict', verdict: { sha: 'd'.repeat(40), verdict: 'inconclusive', lean: 'good', refs: [good, bad], vsGood: cmp(0.02, -0.1, 0.12, 0.6), vsBad: cmp(-0.03, -0.12, 0.05, 0.4), samples: 60 } });
    stop();
    expect(lines[0]).toMatch(/^verdict aaaaaaaaaa inconclusive, leans good \(its side is shown; only a further step beside it was left open\): /);
    expect(lines[1]).toMatch(/^verdict dddddddddd inconclusive, leans good: /);
  });
});
