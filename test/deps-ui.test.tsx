import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { EventStream, type RunEvent } from '../src/events.js';
import { App } from '../src/ui/live/App.js';
import { plainReporter } from '../src/ui/plain.js';
import { foldEvents, type ViewState } from '../src/ui/state.js';

/**
 * The descent in the live UI and the plain log: a recorded bisect (test/fixtures/ui-events.jsonl)
 * whose culprit is followed by dependency events in the shapes src/events.ts gives them.
 */
type Recorded = RunEvent & { t: number };
const recorded = readFileSync(new URL('./fixtures/ui-events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Recorded);
const runEnd = recorded.findIndex((e) => e.type === 'run-end');
const culprit = 'fb0fc99809233f32b52790971938901c0283cc91';
const parent = 'c5ec0c6e3af006f2e16ae1b9831bfdea61f6c6ab';
const [s1, s2] = ['1'.repeat(40), '2'.repeat(40)];
const t = recorded[runEnd].t;
const verdict = (sha: string, v: 'good' | 'bad') => ({
  sha,
  verdict: v,
  refs: [parent, s2],
  samples: 6,
  vsGood: { worse: v === 'good' ? 0.01 : 1.2, lo: 0, hi: 0.1, p: 0.01, n: 6 },
});
const descent: Recorded[] = [
  {
    t,
    type: 'dep-level',
    culprit,
    level: 'package',
    title: '2 packages changed in package-lock.json, in 2 upgrade groups',
    good: { label: 'parent', sha: parent },
    candidates: ['fast-a 1.0.0 → 1.1.0', 'slow-c 1.0.0 → 1.3.0'],
  },
  { t, type: 'dep-commit', level: 'package', sha: s1, label: 'fast-a 1.0.0 → 1.1.0' },
  { t, type: 'dep-commit', level: 'package', sha: s2, label: 'slow-c 1.0.0 → 1.3.0' },
  { t, type: 'measure-start', target: s1, refs: [parent, s2], rounds: 4, purpose: 'verdict', cached: false },
  { t, type: 'sample', sha: s1, value: 60 },
  { t, type: 'sample', sha: s2, value: 210 },
] as Recorded[];
const decided: Recorded[] = [
  { t, type: 'dep-verdict', level: 'package', label: 'fast-a 1.0.0 → 1.1.0', verdict: verdict(s1, 'good') },
  { t, type: 'dep-end', culprit, level: 'package', found: 'slow-c 1.0.0 → 1.3.0', ratio: 3.1 },
  {
    t,
    type: 'dep-result',
    culprit,
    dependency: { ecosystem: 'npm', name: 'slow-c', from: '1.0.0', to: '1.3.0', firstBadVersion: '1.2.0', lastGoodVersion: '1.1.0' },
    stopped: 'the commit level needs the repository of slow-c: --dep-repo slow-c=<path|url>',
  },
] as Recorded[];
const events = [...recorded.slice(0, runEnd), ...descent, ...decided, ...recorded.slice(runEnd)];

const text = (s: ViewState) => {
  const r = render(<App s={s} />);
  const f = (r.lastFrame() ?? '').replace(/\x1b\[[0-9;]*m/g, '');
  r.unmount();
  return f;
};

describe('the dependency descent in the views', () => {
  it('live: the level, its candidates with what they apply, the one being measured, then the verdicts', () => {
    const measuring = text(foldEvents([...recorded.slice(0, runEnd), ...descent]));
    expect(measuring).toContain('inside fb0fc99809 package level: 2 packages changed in package-lock.json');
    expect(measuring).toMatch(/▶ measuring .*fast-a 1\.0\.0 → 1\.1\.0/);
    expect(measuring).toMatch(/bad \(ref\) .*slow-c 1\.0\.0 → 1\.3\.0/);
    // The block view names the synthetic commit by what it applies.
    expect(measuring).toMatch(/measuring 1111111111 fast-a 1\.0\.0 → 1\.1\.0/);
    const after = text(foldEvents([...recorded.slice(0, runEnd), ...descent, ...decided.slice(0, 2)]));
    expect(after).toMatch(/good .*fast-a 1\.0\.0 → 1\.1\.0/);
    expect(after).toContain('package: found slow-c 1.0.0 → 1.3.0 (×3.10)');
  });

  it('live, at the end: the dependency under its culprit, and why it went no deeper', () => {
    // A long line wraps at the test terminal's width.
    const end = text(foldEvents(events)).replace(/\s+/g, ' ');
    expect(end).toContain(
      'dependency slow-c 1.0.0 → 1.3.0; first slow version 1.2.0 · ' +
        'went no deeper: the commit level needs the repository of slow-c',
    );
    expect(end).not.toContain('inside fb0fc99809');
  });

  it('plain: one line per level, verdict and result', () => {
    const stream = new EventStream();
    const lines: string[] = [];
    plainReporter(stream, (l) => lines.push(l));
    for (const e of events) stream.emit(e);
    expect(lines).toContain(
      'deps: package level of culprit fb0fc99809: 2 packages changed in package-lock.json, in 2 upgrade groups',
    );
    expect(lines.some((l) => /^measure 1111111111 against .*fast-a 1\.0\.0 → 1\.1\.0$/.test(l))).toBe(true);
    expect(lines).toContain('deps package: fast-a 1.0.0 → 1.1.0 good: +1.0% vs good p = 0.010');
    expect(lines).toContain('deps package: found slow-c 1.0.0 → 1.3.0 +210%');
    expect(lines).toContain('dependency: slow-c 1.0.0 → 1.3.0; first slow version 1.2.0');
    expect(lines).toContain(
      'dependency descent stopped: the commit level needs the repository of slow-c: --dep-repo slow-c=<path|url>',
    );
  });
});
