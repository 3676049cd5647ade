import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/events.js';
import { EventStream } from '../src/events.js';
import { wantsLiveUi } from '../src/ui/attach.js';
import { App } from '../src/ui/live/App.js';
import { plainReporter } from '../src/ui/plain.js';
import { foldEvents, ladder, progress, remaining, type ViewState } from '../src/ui/state.js';

/**
 * A real run's events.jsonl (a fixture bisect: 8 commits, build step, regression at "change 5",
 * whose subject carries `<script>` and a terminal colour escape), trimmed of absolute paths. The
 * run log leaves out build output, so two `output` lines per build were put back by hand; so were
 * the `search` events, with the candidates the engine counts after the endpoints and each verdict.
 */
type Recorded = RunEvent & { t: number };
const stream = readFileSync(new URL('./fixtures/ui-events.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Recorded);
const upTo = (pred: (e: Recorded, i: number) => boolean) => stream.slice(0, stream.findIndex(pred) + 1);
const culprit = 'fb0fc99809233f32b52790971938901c0283cc91';
const ESC = '\x1b';
// ink-testing-library keeps colours; strip SGR codes to look at the text itself.
const text = (frame = '') => frame.replace(/\x1b\[[0-9;]*m/g, '');

function frame(s: ViewState): string {
  const r = render(<App s={s} />);
  const f = r.lastFrame() ?? '';
  r.unmount();
  return f;
}

describe('view state (the fold over events)', () => {
  it('tracks range, steps and remaining candidates as the engine reports them', () => {
    const start = foldEvents(upTo((e) => e.type === 'search'));
    expect(start.order).toHaveLength(9);
    expect(remaining(start)).toBe(8);
    expect(progress(start).stepsLeft).toBe(1 + 3);
    // The view shows what the engine said, and nothing else: a verdict alone does not move the count.
    const firstVerdict = stream.findIndex((e) => e.type === 'verdict');
    expect(remaining(foldEvents(stream.slice(0, firstVerdict + 1)))).toBe(8);
    const afterFirst = foldEvents(upTo((e, i) => e.type === 'search' && i > firstVerdict));
    // change 4 is inconclusive leaning good: the search follows it, 4 candidates remain.
    expect(afterFirst.commits['c5ec0c6e3af006f2e16ae1b9831bfdea61f6c6ab'].verdict).toBe('inconclusive');
    expect(remaining(afterFirst)).toBe(4);
    expect(afterFirst.steps).toBe(2);
    const p = progress(afterFirst);
    expect(p.etaSeconds).toBeGreaterThan(0);
    expect(p.stepsLeft).toBe(2);
    const end = foldEvents(stream);
    expect(end.outcome?.culprits[0].sha).toBe(culprit);
    expect(remaining(end)).toBe(1);
    expect(progress(end).remaining).toBe(0);
    expect(progress(end).stepsLeft).toBe(0);
  });

  it('folds unmeasured stretches and sanitizes repository text on the way in', () => {
    const s = foldEvents(stream);
    const rows = ladder(s);
    expect(rows.filter((r) => r.kind === 'commit')).toHaveLength(5);
    expect(rows.filter((r) => r.kind === 'fold').map((r) => (r as { count: number }).count)).toEqual([1, 3]);
    expect(s.commits[culprit].subject).toBe('change 5: cache everything <script>alert(1)</script> RED');
    expect(JSON.stringify(s)).not.toContain(ESC);
  });

  it('picks the live UI only on a terminal, outside CI, without --no-tui', () => {
    expect(wantsLiveUi({ tui: true }, { isTTY: true }, {})).toBe(true);
    expect(wantsLiveUi({ tui: true }, { isTTY: false }, {})).toBe(false);
    expect(wantsLiveUi({ tui: true }, { isTTY: true }, { CI: 'true' })).toBe(false);
    expect(wantsLiveUi({ tui: false }, { isTTY: true }, {})).toBe(false);
  });
});

describe('Ink frames from a recorded run', () => {
  it('draws nothing before the run starts (early usage errors go to stderr alone)', () => {
    expect(text(frame(foldEvents([])))).toBe('');
  });

  it('building: the commit, its phase and the last lines of its build log', () => {
    const f = text(frame(foldEvents(upTo((e, i) => e.type === 'output' && i > 20))));
    expect(f).toContain('good good (eb3e78119c) .. bad main (f874d29f10)');
    expect(f).toContain('wall time in ms, lower is better');
    expect(f).toMatch(/building c5ec0c6e3a change 4: unrelated/);
    expect(f).toContain('| compiling');
    expect(f).toContain('8 commits left');
  });

  it('measuring: samples, live median, histograms against good and bad, confidence', () => {
    let n = 0;
    const s = foldEvents(upTo((e) => e.type === 'sample' && e.sha === culprit && ++n === 8));
    const f = text(frame(s));
    expect(f).toMatch(/measuring fb0fc99809 change 5/);
    expect(f).toMatch(/\d+ samples · median [\d.]+ ms/);
    expect(f).toMatch(/this\s+[ ▁▂▃▄▅▆▇█]+ n=\d+/);
    expect(f).toMatch(/good\s+[ ▁▂▃▄▅▆▇█]+ n=\d+/);
    expect(f).toMatch(/vs good p/);
    // The ladder: endpoints, the measured commits with verdicts, the current one marked.
    expect(f).toMatch(/▶ fb0fc99809/);
    expect(f).toMatch(/c5ec0c6e3a inconcl\.→good/);
    expect(f).toMatch(/a2498ea311 bad\s+[\d.]+ ms ± [\d.]+ ms n=\d+/);
    expect(f).toMatch(/┆ 3 unmeasured commits/);
    expect(f).toContain('ETA');
  });

  it('measuring a later look: why the look before did not decide', () => {
    let n = 0;
    const events = upTo((e) => e.type === 'sample' && e.sha === culprit && ++n === 8);
    const at = events.findLastIndex((e) => e.type === 'measure-start');
    const later = { ...events[at], look: 3, open: { kind: 'side', vsGood: 0.031, vsBad: -0.04 } } as Recorded;
    const f = text(frame(foldEvents([...events.slice(0, at), later, ...events.slice(at + 1)])));
    expect(f).toMatch(/look 3: neither worse than good nor better than bad shown yet/);
    expect(text(frame(foldEvents(events)))).not.toMatch(/look \d+:/);
  });

  it('done: the culprit with subject, author, change and interval, and the files', () => {
    const f = text(frame(foldEvents(stream)));
    expect(f).toMatch(/culprit fb0fc99809 change 5: cache everything <script>alert\(1\)<\/script> RED/);
    expect(f).toMatch(/by Fix <f@x> · [\d.]+ ms → [\d.]+ ms \+\d+% \[\+\d+%, \+\d+%\] p/);
    expect(f).toMatch(/\(measured beside its parent\s+c5ec0c6e3a\)/);
    expect(f).toContain('cost: 23 s wall, 5 builds (3.1 s), 85 probe runs (17 s)');
    expect(f).toContain('writeup: /home/user/.cache/perfbisect/runs/20261125T105537-eb3e781-f874d29/writeup.md');
    expect(f).toContain('result json:');
    expect(f).toMatch(/✖ fb0fc99809/);
    expect(f).not.toContain('ETA');
  });

  it('profiling the culprit, then the top of its profile diff on the final screen', () => {
    const end = stream.findIndex((e) => e.type === 'run-end');
    const t = stream[end].t;
    const profiling = foldEvents([...stream.slice(0, end), { t, type: 'phase', sha: culprit, phase: 'profile' }]);
    expect(text(frame(profiling))).toMatch(/profiling culprit \(against its parent\) fb0fc99809 change 5/);
    const evidence: Recorded = {
      t: t + 1, type: 'evidence', sha: culprit, profiler: 'v8',
      top: [
        { function: `cacheAll${ESC}[31m`, file: 'src/cache.js', line: 12, delta: 41.5, inChange: 'added' },
        { function: 'hash', file: 'src/hash.js', line: 3, delta: 7.25, inChange: false },
        { function: 'match', file: '', line: 0, delta: 2, inChange: false, under: { function: 'tokenize', file: 'src/lexer.js', line: 10 } },
        { function: 'fourth', file: 'b.js', line: 1, delta: 1, inChange: false },
      ],
    };
    const f = frame(foldEvents([...stream.slice(0, end), { t, type: 'phase', sha: culprit, phase: 'profile' }, evidence, ...stream.slice(end)]));
    expect(text(f)).toMatch(/\+41\.5 pts cacheAll src\/cache\.js:12 \(added by this commit\)/);
    expect(text(f)).toMatch(/\+7\.3 pts hash src\/hash\.js:3\n/);
    expect(text(f)).toMatch(/\+2\.0 pts match \(native\) under tokenize src\/lexer\.js:10/);
    expect(text(f)).not.toContain('fourth');
    expect(f).not.toContain(`${ESC}[31m`);
  });

  it('error: the message and the log tail, and no escape sequence from the repository', () => {
    const events: Recorded[] = [
      ...upTo((e) => e.type === 'range'),
      { t: stream[1].t + 5, type: 'phase', sha: stream[0].type === 'run-start' ? stream[0].bad.sha : '', phase: 'build' },
      { t: stream[1].t + 900, type: 'run-error', exitCode: 2, message: `--bad main does not build: the build exited with code 1${ESC}]0;pwned${ESC}\\`, tail: [`${ESC}[2Jerror: missing ;`] },
    ];
    const f = frame(foldEvents(events));
    expect(text(f)).toContain('error: --bad main does not build: the build exited with code 1');
    expect(text(f)).toContain('| error: missing ;');
    expect(f).not.toContain(`${ESC}]0;`);
    expect(f).not.toContain(`${ESC}[2J`);
  });

  it('the full build log opens and closes with l', async () => {
    const s = foldEvents(upTo((e, i) => e.type === 'output' && i > 20));
    const r = render(<App s={s} />);
    await new Promise((ok) => setTimeout(ok, 50));
    r.stdin.write('l');
    await new Promise((ok) => setTimeout(ok, 50));
    expect(text(r.lastFrame())).toMatch(/build log of c5ec0c6e3a change 4: unrelated \(1 line, l to close\)/);
    r.stdin.write('l');
    await new Promise((ok) => setTimeout(ok, 50));
    expect(text(r.lastFrame())).not.toContain('build log of');
    r.unmount();
  });

  it('q asks the CLI to stop, and decides nothing itself', async () => {
    let quits = 0;
    const r = render(<App s={foldEvents(stream.slice(0, 30))} onQuit={() => quits++} />);
    await new Promise((ok) => setTimeout(ok, 50));
    r.stdin.write('q');
    await new Promise((ok) => setTimeout(ok, 50));
    expect(quits).toBe(1);
    r.unmount();
  });
});

describe('plain output', () => {
  it('carries the same news without escape codes', () => {
    const events = new EventStream();
    const lines: string[] = [];
    plainReporter(events, (l) => lines.push(l));
    for (const e of stream) events.emit(e);
    const out = lines.join('\n');
    expect(out).not.toContain(ESC);
    expect(out).toContain(`culprit ${culprit} change 5: cache everything <script>alert(1)</script> RED`);
    // The count of probe runs is news at the end: what the run cost against a hand-made loop.
    expect(out).toMatch(/^cost: 23 s wall, 5 builds \(3\.1 s\), 85 probe runs \(17 s\)\nwriteup: /m);
  });

  it('names a native function as such, and the repository function it ran under', () => {
    const events = new EventStream();
    const lines: string[] = [];
    plainReporter(events, (l) => lines.push(l));
    events.emit({
      type: 'evidence', sha: culprit, profiler: 'cprofile',
      top: [{ function: "<method 'match'>", file: '', line: 0, delta: 52.6, inChange: false, under: { function: 'get_tokens', file: 'lexer.py', line: 571 } }],
    });
    expect(lines).toContain(`evidence ${culprit.slice(0, 10)} #1: <method 'match'> (native) +52.6 pts of the time, under get_tokens lexer.py:571`);
  });

  it("gives changes in the metric's own direction: for requests/s a regression is a fall", () => {
    const events = new EventStream();
    const lines: string[] = [];
    plainReporter(events, (l) => lines.push(l));
    const start = stream.find((e) => e.type === 'run-start')!;
    const verdict = stream.find((e) => e.type === 'verdict')!;
    events.emit({ ...start, metric: { name: 'requests/s', unit: 'req/s', better: 'higher' } } as RunEvent);
    events.emit({
      type: 'noise',
      noise: {
        cv: 0.16, samplesFor5pct: 400, samplesForThisStep: 5, delta: 0.312, minutes: 1.4, verdicts: 4,
        cores: 2, load: 1, busy: [], loaded: false,
      },
    });
    const v = (verdict as Extract<RunEvent, { type: 'verdict' }>).verdict;
    events.emit({
      type: 'verdict',
      verdict: { ...v, verdict: 'bad', alpha: 0.002, vsGood: { worse: 0.308, lo: 0.151, hi: 0.461, p: 1e-5 }, vsBad: { worse: -0.061, lo: -0.2, hi: 0.1, p: 0.4 } },
    } as RunEvent);
    expect(lines.find((l) => l.startsWith('noise '))).toContain('this -31.2% step about 5');
    expect(lines.find((l) => l.startsWith('verdict '))).toMatch(/ bad: -30\.8% vs good \[-46\.1%, -15\.1%\] at 99\.6% p < 0\.0001, \+6\.1% vs bad/);
  });
});

describe('plain view: the probe and restored builds', () => {
  it('names an ad-hoc command once, and says a build came from the cache instead of "ok in 0.0 s"', () => {
    const events = new EventStream();
    const lines: string[] = [];
    plainReporter(events, (l) => lines.push(l));
    const start = stream.find((e) => e.type === 'run-start')! as Extract<RunEvent, { type: 'run-start' }>;
    events.emit({ ...start, probe: { name: 'command', kind: 'command' } });
    events.emit({ type: 'build-end', sha: 'a'.repeat(40), ok: true, seconds: 0.02, log: '/l', cached: true });
    events.emit({ type: 'build-end', sha: 'b'.repeat(40), ok: true, seconds: 6.8, log: '/l', cached: false });
    expect(lines.find((l) => l.startsWith('probe '))).toMatch(/^probe command: wall time/);
    expect(lines).toContain('build aaaaaaaaaa: restored from the build cache in 0.0 s');
    expect(lines).toContain('build bbbbbbbbbb ok in 6.8 s');
  });
});

describe('plain view: a later look', () => {
  it('says which question the look before left open, in the metric\'s own direction', () => {
    const events = new EventStream();
    const lines: string[] = [];
    plainReporter(events, (l) => lines.push(l));
    const start = stream.find((e) => e.type === 'run-start')!;
    events.emit(start);
    const block = { type: 'measure-start', target: 'a'.repeat(40), refs: ['b'.repeat(40), 'c'.repeat(40)], rounds: 12, purpose: 'verdict', cached: false } as const;
    events.emit({ ...block, look: 3, open: { kind: 'further-step', towards: 'bad', minStep: 0.207, vsGood: 1.887, vsBad: -0.066 } });
    events.emit({ ...block, look: 2, open: { kind: 'side', vsGood: 0.031, vsBad: -0.04 } });
    events.emit({ ...block, look: 2, open: { kind: 'beyond-both', vsGood: 0.22, vsBad: 0.12 } });
    events.emit({ ...block, look: 2 });
    events.emit({ ...block, look: 2, open: { kind: 'unlike-both', vsGood: 0.04, vsBad: -0.037 } });
    const said = lines.filter((l) => l.startsWith('measure '));
    expect(said[0]).toMatch(/look 3: worse than good, but a further step of 20\.7% or more between it and bad is not ruled out yet \(-6\.6% vs bad so far; too few samples to bound it within 20\.7%\)/);
    expect(said[1]).toMatch(/look 2: neither worse than good nor better than bad shown yet \(\+3\.1% vs good, -4\.0% vs bad so far\)/);
    expect(said[2]).toMatch(/look 2: beyond both references \(\+22\.0% vs good, \+12\.0% vs bad so far\): only samples taken beside it count/);
    // A run log written before the engine said why still reads.
    expect(said[3]).toMatch(/look 2: the samples so far did not decide/);
    expect(said[4]).toMatch(/look 2: unlike both references, but not yet by half the threshold on each side \(\+4\.0% vs good/);
  });
});
