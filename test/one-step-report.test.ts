import { readFileSync } from 'node:fs';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { EventStream, type RunEvent } from '../src/events.js';
import { unexplained } from '../src/report/one-step.js';
import { plainReporter } from '../src/ui/plain.js';
import { Done } from '../src/ui/live/Done.js';
import { foldEvents } from '../src/ui/state.js';

type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;
const recorded = readFileSync(new URL('./fixtures/ui-events.jsonl', import.meta.url), 'utf8')
  .trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
const start = recorded.find((e) => e.type === 'run-start') as Of<'run-start'>;
const end = recorded.find((e) => e.type === 'run-end') as Of<'run-end'>;

describe('--one-step: the part of the change the step found leaves to others', () => {
  it('is the rest on a log scale, said only where it is a change worth bisecting', () => {
    const u = unexplained(1.46, [1.25], 0.05)!;
    expect(u.rest).toBeCloseTo(1.168, 3);
    expect(u.share).toBeCloseTo(Math.log(1.25) / Math.log(1.46), 6);
    // Two steps of +20% make +44%: all of it found.
    expect(unexplained(1.44, [1.2, 1.2], 0.05)).toBeUndefined();
    // A rest under the threshold is noise in the two estimates.
    expect(unexplained(1.3, [1.27], 0.05)).toBeUndefined();
    // Higher is better (requests/s): a fall of 40% with a step of -20% found.
    expect(unexplained(0.6, [0.8], 0.05)!.rest).toBeCloseTo(0.75, 6);
    // A step found larger than the whole change leaves an improvement, which no bisect looks for.
    expect(unexplained(1.1, [1.25], 0.05)).toBeUndefined();
    expect(unexplained(0.9, [0.7], 0.05)).toBeUndefined();
  });

  it('the plain view says it after the culprit, and only with --one-step', () => {
    const outcome = end.outcome;
    const culprit = { ...outcome.culprits[0], ratio: 1.25 };
    const withOneStep = (oneStep: boolean) => {
      const events = new EventStream();
      const lines: string[] = [];
      plainReporter(events, (l) => lines.push(l));
      events.emit({ ...start, ...(oneStep ? { oneStep: true as const } : {}) });
      const endpoints = { ...outcome.endpoints, ratio: 1.46 };
      events.emit({ ...end, outcome: { ...outcome, threshold: 0.05, endpoints, culprits: [culprit] } });
      return lines.find((l) => l.startsWith('note: the step found'));
    };
    expect(withOneStep(true)).toBe(
      'note: the step found (+25%) is about 59% of the good→bad change (+46%): the other +17% may lie in steps that ' +
        '--one-step does not look for; run without it to find them',
    );
    expect(withOneStep(false)).toBeUndefined();
  });

  it('the live view says it too, and an ambiguous run with a culprit names a further step, not the regression', () => {
    const outcome = { ...end.outcome, threshold: 0.05, endpoints: { ...end.outcome.endpoints, ratio: 1.46 } };
    const culprit = { ...outcome.culprits[0], ratio: 1.25 };
    const frame = (o: typeof outcome, oneStep: boolean) => {
      const s = foldEvents([{ ...start, ...(oneStep ? { oneStep: true as const } : {}) }, { ...end, outcome: o }]);
      return render(createElement(Done, { s })).lastFrame() ?? '';
    };
    expect(frame({ ...outcome, culprits: [culprit] }, true)).toContain('note: the step found (+25%) is about 59% of the good→bad change');
    const ambiguous = frame({ ...outcome, status: 'ambiguous', suspects: ['a'.repeat(40), 'b'.repeat(40)] }, false);
    expect(ambiguous).toContain('Ambiguous: besides the culprit below, a further step is in one of: aaaaaaaaaa, bbbbbbbbbb');
  });
});
