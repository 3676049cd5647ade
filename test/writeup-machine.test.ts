import { describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { machineMoved, renderWriteup } from '../src/report/writeup.js';
import { hostileMeta, hostileResult } from './fixtures/hostile.js';

// The koajs/router trial: good measured 11,116 req/s at the endpoints, 7,761 over the whole run.
const run = (goodAll: number) =>
  ({
    good: { ref: 'good', sha: 'g'.repeat(40) },
    bad: { ref: 'bad', sha: 'b'.repeat(40) },
    threshold: { value: 0.17, source: '' },
    endpoints: { good: { median: 11116, n: 30, spread: 1 }, bad: { median: 6335, n: 30, spread: 1 } },
    commits: [
      { sha: 'g'.repeat(40), summary: { median: goodAll, n: 62, spread: 1 } },
      { sha: 'b'.repeat(40), summary: { median: 6400, n: 40, spread: 1 } },
    ],
  }) as unknown as RunResult;
const val = (v: number) => `${Math.round(v)} req/s`;

describe('the writeup on a machine whose speed moved', () => {
  it('says so where an endpoint over the whole run sits beyond the threshold from its first measurement', () => {
    const [line] = machineMoved(run(7761), val);
    expect(line).toBe(
      "**The machine's speed moved during the run**: good measured 11116 req/s at the endpoints and 7761 req/s over " +
        'all its 62 samples. Each verdict is checked against samples taken beside it, so the verdicts stand; the medians ' +
        'below were taken at different times and are not comparable across rows.',
    );
  });

  it("says when the samples that moved are an earlier run's, replayed from the cache", () => {
    const [line] = machineMoved({ ...run(7761), noise: { cv: 0.05, replayed: true } } as unknown as RunResult, val);
    expect(line).toMatch(/^\*\*The machine's speed moved while these samples were taken \(an earlier run's, from the cache\)\*\*: good measured/);
  });

  it('stays quiet within the threshold', () => {
    expect(machineMoved(run(10500), val)).toEqual([]);
  });

  it('stays quiet where a noisy probe explains the difference: 6 samples at the endpoints, 9 in all, 15.8% a sample', () => {
    // The marked trial: bad 234 ms at the endpoints, 265 ms over its 9 samples, on an idle machine.
    const noisy = (cv: number) =>
      ({
        ...run(11116),
        threshold: { value: 0.118, source: '' },
        noise: { cv },
        endpoints: { good: { median: 89.7, n: 6, spread: 1 }, bad: { median: 234, n: 6, spread: 1 } },
        commits: [
          { sha: 'g'.repeat(40), summary: { median: 90, n: 6, spread: 1 } },
          { sha: 'b'.repeat(40), summary: { median: 265, n: 9, spread: 1 } },
        ],
      }) as unknown as RunResult;
    expect(machineMoved(noisy(0.158), val)).toEqual([]);
    // The same difference from a steady probe is the machine.
    expect(machineMoved(noisy(0.02), val)[0]).toMatch(/bad measured 234 req\/s at the endpoints and 265 req\/s/);
  });
});

describe("the culprit's figures in the writeup", () => {
  it('say whether they come from samples taken side by side with the baseline, or from all samples at different times', () => {
    const x = { meta: hostileMeta(), samples: () => [1, 2, 3] };
    const r = hostileResult();
    expect(renderWriteup(r, x)).toContain('of the culprit, from the blocks that measured them side by side');
    r.culprits[0].sideBySide = false;
    const apart = renderWriteup({ ...r, culprit: r.culprits[0] }, x);
    expect(apart).toContain('of the culprit, taken at different times (too few were measured side by side to size the step from those alone)');
    expect(apart).toContain('the culprit from all their samples, taken at different times.');
    expect(apart).not.toContain('from the blocks that measured them side by side');
  });
});

describe('the table of commits measured', () => {
  it('has one row a commit, with each of its decisions, where a commit was decided twice', () => {
    const x = { meta: hostileMeta(), samples: () => [1, 2, 3] };
    const r = hostileResult();
    const parent = r.commits[1];
    const check = { ...parent, reason: 'checked as the parent of cccccccccc, against the good end of its search: no further step beyond it' };
    r.commits.splice(2, 0, check);
    const md = renderWriteup(r, x);
    const at = md.indexOf('#### Commits measured');
    const rows = md.slice(at).split('\n').filter((l) => l.startsWith(`| \`${parent.sha.slice(0, 10)}\``));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('| good; then good: checked as the parent of cccccccccc, against the good end of its search: no further step beyond it |');
    // A later decision not made says why (a first "skipped" is a failure the table's reader sees elsewhere).
    r.commits.splice(2, 1, { ...parent, verdict: 'skipped', reason: 'not checked | out of time' });
    const later = renderWriteup(r, x).split('\n').find((l) => l.startsWith(`| \`${parent.sha.slice(0, 10)}\``));
    expect(later).toContain('| good; then skipped: not checked \\| out of time |');
  });
});
