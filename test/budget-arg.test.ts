import { describe, expect, it } from 'vitest';
import { minutes } from '../src/commands/bisect.js';

describe('--budget', () => {
  it('takes minutes, or a duration with s, m, min or h', () => {
    expect(minutes('10')).toBe(10);
    expect(minutes('10m')).toBe(10);
    expect(minutes('2.5min')).toBe(2.5);
    expect(minutes('90s')).toBe(1.5);
    expect(minutes('1.5h')).toBe(90);
    expect(minutes(undefined)).toBeUndefined();
  });

  it('refuses what is not a positive duration of at most a week, in one line', () => {
    for (const v of ['soon', '0', '-5', '1e1', '10d', '', '5 minutes', `${8 * 24}h`])
      expect(() => minutes(v)).toThrow(/^--budget .*: give the minutes the bisect may take, like --budget 10 \(or 90s, 5m, 1\.5h\)\.$/);
  });
});
