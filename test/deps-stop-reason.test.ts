import { describe, expect, it } from 'vitest';
import type { Outcome } from '../src/bisect/outcome.js';
import { levelStopped } from '../src/harness/deps/descent.js';

/** Only what the reason reads of an outcome. */
const outcome = (status: Outcome['status'], ratio: number, unresolved = false) =>
  ({ status, unresolved, endpoints: { ratio } }) as unknown as Outcome;

describe('why a level of the dependency descent named nothing', () => {
  it('says it for every way a level can end without a culprit, never an empty reason', () => {
    const none = 'the upgrades alone do not make it slower';
    expect(levelStopped(outcome('no-regression', 1.01), none)).toBe(`${none} (+1% at the ends)`);
    expect(levelStopped(outcome('ambiguous', 2, true), none)).toMatch(/no single step could be shown/);
    expect(levelStopped(outcome('ambiguous', 2), none)).toMatch(/could not be installed or measured/);
    expect(levelStopped(outcome('undecided', 1.08), none)).toBe(
      'the noise hides whether the ends differ (+8%, neither shown nor ruled out): a quieter machine or more samples (--max-samples) can tell',
    );
    expect(levelStopped(undefined, none)).toBe('stopped');
    for (const status of ['found', 'no-regression', 'ambiguous', 'undecided'] as const) {
      expect(levelStopped(outcome(status, 1.5), none)).not.toBe('');
    }
  });
});
