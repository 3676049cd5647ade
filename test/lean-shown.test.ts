import { describe, expect, it } from 'vitest';
import { leanShown } from '../src/bisect/outcome.js';

describe('an inconclusive lean that is no guess', () => {
  it('is one whose interval against the other reference excludes no change', () => {
    // A culprit at +37% of good [+33%, +42%], -3% of bad: only "like bad" was left open.
    expect(leanShown({ lean: 'bad', vsGood: { lo: 0.33, hi: 0.42 }, vsBad: { lo: -0.08, hi: 0.02 } })).toBe(true);
    expect(leanShown({ lean: 'good', vsGood: { lo: -0.05, hi: 0.06 }, vsBad: { lo: -0.4, hi: -0.3 } })).toBe(true);
  });

  it('is not one whose side rests on the estimates alone', () => {
    expect(leanShown({ lean: 'bad', vsGood: { lo: 0.01, hi: 0.2 } })).toBe(true);
    expect(leanShown({ lean: 'bad', vsGood: { lo: -0.01, hi: 0.2 } })).toBe(false);
    expect(leanShown({ lean: 'good', vsBad: { lo: -0.2, hi: 0.01 } })).toBe(false);
    expect(leanShown({ lean: 'between', vsGood: { lo: 0.3, hi: 0.4 }, vsBad: { lo: -0.4, hi: -0.3 } })).toBe(false);
    expect(leanShown({ lean: 'bad' })).toBe(false);
  });
});
