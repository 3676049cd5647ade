import { describe, expect, it } from 'vitest';
import { BisectEngine } from '../src/bisect/engine.js';
import { seededRng } from '../src/stats/rng.js';
import { EventStream } from '../src/events.js';
import { plainReporter } from '../src/ui/plain.js';
import { foldEvents } from '../src/ui/state.js';
import { renderWriteup } from '../src/report/writeup.js';
import { renderBisectComment } from '../src/report/github-comment.js';
import { interleaved, linearCommits, shaOf, simulateBisect } from '../bench/simulate.js';
import { hostileMeta, hostileResult } from './fixtures/hostile.js';

/**
 * A ×2.4 step at 12 of 16, and a burst of load over the first verdict's block (7) that slows the target
 * and not the one fresh sample of each reference beside it: the search closes on a commit before 7,
 * finds no step there side by side, and searches after it again.
 */
function burstFakedStep(onConfirm?: (e: BisectEngine) => void) {
  const rng = seededRng(5);
  const base = (sha: string) => (Number(sha.slice(1)) >= 12 ? 240 : 100) * (1 + 0.03 * (rng() - 0.5));
  const e = new BisectEngine(linearCommits(16), { good: shaOf(0), bad: shaOf(15) }, { better: 'lower', deterministic: false, minSamples: 4, maxSamples: 60, confidence: 0.95 }, seededRng(2));
  const purposes: string[] = [];
  for (let block = 0; block < 200; block++) {
    const step = e.next();
    if (step.type === 'done') return { outcome: step.outcome, purposes };
    if (step.purpose === 'confirm' && !purposes.includes('confirm')) onConfirm?.(e);
    purposes.push(step.purpose);
    e.record(interleaved(step, (sha) => base(sha) * (block === 1 && sha === step.target ? 2.4 : 1)));
  }
  throw new Error('the bisect did not finish');
}

describe('a step the search closed on that is not there beside its parent', () => {
  it('is searched past, and the terminal says so', () => {
    const { outcome, purposes } = burstFakedStep();
    expect(outcome.vanished?.map((v) => [v.sha, v.before])).toEqual([[shaOf(2), shaOf(1)]]);
    expect(outcome.culprits.map((c) => c.sha)).toEqual([shaOf(12)]);
    // Measured beside its parent before the search went on past it.
    expect(purposes.indexOf('confirm')).toBeGreaterThan(0);
    expect(purposes.lastIndexOf('verdict')).toBeGreaterThan(purposes.indexOf('confirm'));

    const events = new EventStream();
    const lines: string[] = [];
    const stop = plainReporter(events, (l) => lines.push(l));
    const meta = (i: number) => ({ sha: shaOf(i), parents: i ? [shaOf(i - 1)] : [], subject: `change ${i}`, author: 'a', date: '2026-01-01' });
    events.emit({ type: 'range', commits: [1, 2, 3].map(meta), good: meta(0) });
    events.emit({ type: 'measure-start', target: shaOf(1), refs: [shaOf(0)], rounds: 1, purpose: 'confirm', cached: false });
    // Beside a commit further back (its parent could not be measured): not called its parent.
    events.emit({ type: 'measure-start', target: shaOf(3), refs: [shaOf(1)], rounds: 1, purpose: 'confirm', cached: false });
    events.emit({ type: 'run-end', outcome, resultFile: '/r.json', reportFile: '/r.md', exitCode: 0 });
    stop();
    expect(lines[0]).toMatch(/^measure c00001 against c00000: 1 round\(s\), checking the located step beside its parent/);
    expect(lines[1]).toMatch(/^measure c00003 against c00001: 1 round\(s\), checking the located step beside the nearest commit before it shown good/);
    const note = lines.find((l) => l.startsWith('note: the search first closed on'));
    expect(note).toMatch(
      /^note: the search first closed on c00002, but measured beside its parent c00001 it changed [+-]\d+\.\d% \[[+-]\d+\.\d%, [+-]\d+\.\d%\], clearly under the \d+\.\d% threshold: .*searched again$/,
    );
  });

  it('is not searched past once the time is out (--budget), nor named: no search starts after it', () => {
    const { outcome, purposes } = burstFakedStep((e) => e.hurry());
    expect(outcome.vanished ?? []).toEqual([]);
    // Nor is the commit it closed on named: its +1% is no answer to a +140% change.
    expect(outcome.culprits).toEqual([]);
    expect(outcome.status).toBe('ambiguous');
    expect(purposes.lastIndexOf('verdict')).toBeLessThan(purposes.indexOf('confirm'));
  });

  it('is searched past where a bad verdict was turned, although the commits it closed on were measured side by side', () => {
    // A ×2.4 step at 24 of 32; the first verdict's commit (15, good) runs its whole block in a burst as
    // slow as bad, and is ruled bad. Measured later as a reference it runs at good's speed, so every
    // commit below it is like both references, and the search closes on two commits alike. Where they
    // were measured side by side no confirm block looks again, and only the turned verdict says to search
    // past them (seeds 2, 3); where not, the confirm must ask for a step of half the threshold side by
    // side, not any difference, to measure on until the pair shows no step (seeds 1, 5, 6). In seed 4 an
    // end check finds the step after the pair first, and the pair is only reported as vanished.
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rng = seededRng(seed);
      const level = (sha: string) => (Number(sha.slice(1)) >= 24 ? 240 : 100) * (1 + 0.03 * (rng() - 0.5));
      const e = new BisectEngine(linearCommits(32), { good: shaOf(0), bad: shaOf(31) }, {
        better: 'lower', deterministic: false, minSamples: 4, maxSamples: 60, confidence: 0.95,
      }, seededRng(seed + 100));
      let outcome;
      for (let block = 0; !outcome; block++) {
        const step = e.next();
        if (step.type === 'done') outcome = step.outcome;
        else e.record(interleaved(step, (sha) => level(sha) * (block === 1 && sha === step.target ? 2.4 : 1)));
      }
      expect(outcome.verdicts.find((v) => v.sha === shaOf(15))?.verdict).toBe('bad');
      expect(outcome.culprits.map((c) => c.sha)).toEqual([shaOf(24)]);
      expect(outcome.vanished).toHaveLength(1);
      expect(Number(outcome.vanished![0].sha.slice(1))).toBeLessThanOrEqual(15);
    }
  });

  it('is searched past in rounds too, where the jobs ran on one machine', () => {
    // The same history in rounds of one job on a runner: its blocks are that runner's, not this machine's.
    for (const seed of [1, 2, 3, 4]) {
      const rng = seededRng(seed);
      const level = (sha: string) => (Number(sha.slice(1)) >= 24 ? 240 : 100) * (1 + 0.03 * (rng() - 0.5));
      const e = new BisectEngine(linearCommits(32), { good: shaOf(0), bad: shaOf(31) }, {
        better: 'lower', deterministic: false, minSamples: 4, maxSamples: 60, confidence: 0.95, width: 1,
      }, seededRng(seed + 100));
      let outcome;
      for (let round = 0; !outcome && round < 200; round++) {
        const step = e.nextRound(1);
        if (step.type === 'done') outcome = step.outcome;
        else {
          e.recordRound(step.steps.map((st) => ({
            trial: st.trial, machine: 'runner-1',
            samples: interleaved(st, (sha) => level(sha) * (round === 1 && sha === st.target ? 2.4 : 1)),
          })));
        }
      }
      expect(outcome!.culprits.map((c) => c.sha)).toEqual([shaOf(24)]);
    }
  });

  /** A result whose search first closed on commit a…a, a step that was not there beside its parent b…b. */
  const [sha, before] = ['a'.repeat(40), 'b'.repeat(40)];
  const change = { ratio: 1.004, ci: [0.98, 1.03] as [number, number], confidence: 0.95, p: 0.6, worse: 0.004 };

  it('is told in the writeup', () => {
    const r = hostileResult();
    const x = { meta: hostileMeta(), samples: () => [1, 2, 3] };
    const text = renderWriteup({ ...r, vanished: [{ sha, before, change }] }, x);
    expect(text).toContain(
      `The search first closed on \`${sha.slice(0, 10)}\`, but measured beside its parent \`${before.slice(0, 10)}\` it changed +0.4% [-2.0%, +3.0%], clearly under the`,
    );
    expect(renderWriteup(r, x)).not.toContain('first closed on');
  });

  it('says what an end check\'s block is for, in the terminal and the live view', () => {
    const events = new EventStream();
    const lines: string[] = [];
    const stop = plainReporter(events, (l) => lines.push(l));
    const meta = (i: number) => ({ sha: shaOf(i), parents: i ? [shaOf(i - 1)] : [], subject: `change ${i}`, author: 'a', date: '2026-01-01' });
    events.emit({ type: 'range', commits: [1, 2, 3].map(meta), good: meta(0) });
    const start = { type: 'measure-start' as const, rounds: 1, purpose: 'verdict' as const, cached: false };
    events.emit({ ...start, target: shaOf(1), refs: [shaOf(0), shaOf(2)], endCheck: 'below' });
    events.emit({ ...start, target: shaOf(2), refs: [shaOf(1), shaOf(3)], endCheck: 'above' });
    stop();
    expect(lines[0]).toBe(
      'measure c00001 against c00000, c00002: 1 round(s), checking for a further step before the located one: ' +
        'its parent against the good end of its search change 1',
    );
    expect(lines[1]).toContain('checking for a further step after the located one: the culprit against the bad end of its search');
    const s = foldEvents([{ ...start, target: shaOf(2), refs: [shaOf(1), shaOf(3)], endCheck: 'above' }]);
    expect(s.again).toBe('checking for a further step after the located one: the culprit against the bad end of its search');

    // Its verdict line counts the commit's earlier samples too, and says so.
    const r = simulateBisect({ n: 64, steps: [{ at: 20, size: 0.4 }, { at: 55, size: 0.08 }], noise: 'lognormal', cv: 0.03 }, 1);
    const check = r.outcome.verdicts.find((v) => v.reason?.startsWith('checked as'))!;
    expect(check.targetPooled).toBe(true);
    const more = new EventStream();
    const said: string[] = [];
    const done = plainReporter(more, (l) => said.push(l));
    more.emit({ type: 'verdict', verdict: check });
    done();
    expect(said[0]).toMatch(new RegExp(`\\(n=${check.samples}, with its earlier samples\\); checked as `));
  });

  it('says in the writeup where side-first verdicts left a further step to the located step\'s ends', () => {
    const r = hostileResult();
    const x = { meta: hostileMeta(), samples: () => [1, 2, 3] };
    const open = r.commits.map((c) => (c.verdict === 'good' ? { ...c, unresolved: 0.08 } : c));
    const sideFirst = { ...r, commits: open, decisions: { ...r.decisions, sideFirst: { checks: 1, beta: 0.01 } } };
    const text = renderWriteup(sideFirst, x);
    expect(text).toContain('a verdict could place a commit that sat within a quarter of the way from a reference');
    expect(text).toContain('(1 such check was made, each missing a further step of the minimum with probability at most 1.0%)');
    expect(text).toMatch(/At 1 commit\(s\) a verdict left a further step .* up to 8\.0%\); where its search closed on a culprit, it was looked for at the located step's ends instead/);
    const none = { ...sideFirst, decisions: { ...r.decisions, sideFirst: { checks: 0, beta: 0.01 } } };
    expect(renderWriteup(none, x)).toContain('(none was needed here)');
    const plain = renderWriteup({ ...r, commits: open }, x);
    expect(plain).not.toContain('such check');
    expect(plain).toContain('the estimates gave no hint of one');
  });

  it('is told in the comment on the culprit', () => {
    const r = hostileResult();
    const links = { serverUrl: 'https://github.com', owner: 'o', repo: 'r' };
    const text = renderBisectComment({ ...r, vanished: [{ sha, before, change }] }, r.culprits[0], links);
    expect(text).toContain(
      `**Searched again:** The search first closed on \`${sha.slice(0, 10)}\`, but measured beside its parent \`${before.slice(0, 10)}\` it changed +0.4%`,
    );
    expect(renderBisectComment(r, r.culprits[0], links)).not.toContain('Searched again');
  });
});
