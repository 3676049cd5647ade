import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { EventStream, type RunEvent } from '../src/events.js';
import { quieterCpu, RunTimes } from '../src/report/quieter-cpu.js';
import { Done } from '../src/ui/live/Done.js';
import { plainReporter } from '../src/ui/plain.js';
import { foldEvents } from '../src/ui/state.js';

type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;
const recorded = readFileSync(new URL('./fixtures/ui-events.jsonl', import.meta.url), 'utf8')
  .trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
const start = recorded.find((e) => e.type === 'run-start') as Of<'run-start'>;
const verdict = (recorded.find((e) => e.type === 'verdict') as Of<'verdict'>).verdict;
const runEnd = recorded.find((e) => e.type === 'run-end') as Of<'run-end'>;
const cost = recorded.find((e) => e.type === 'cost') as Of<'cost'>;
const [good, bad] = [start.good.sha, start.bad.sha];
const mid = ['a'.repeat(40), 'b'.repeat(40)];

/** Runs that spread ±`spread` around `level` in a fixed pattern (MAD/median about 0.9 × spread). */
const around = (level: number, spread: number, n: number) =>
  Array.from({ length: n }, (_, i) => level * (1 + spread * [-1, 1, -0.5, 0.5, 0, -1.5, 1.5, -0.25][i % 8]));

interface Shape {
  /** Spread of wall and CPU time a run; CPU's share of wall time; the step in CPU time (wall: +30%). */
  wall: number;
  cpu: number;
  cpuStep?: number;
  /** The look each verdict decided at. */
  looks?: number[];
  /** The run's metric is CPU time (its values are the CPU figures). */
  cpuMetric?: boolean;
}

function run({ wall, cpu, cpuStep = 0.3, looks = [1, 3], cpuMetric = false }: Shape): RunEvent[] {
  const events: RunEvent[] = [start];
  const levels: [string, number, number][] = [
    [good, 100, 90], [bad, 130, 90 * (1 + cpuStep)], [mid[0], 100, 90], [mid[1], 130, 90 * (1 + cpuStep)],
  ];
  for (const [sha, w, c] of levels) {
    const walls = around(w, wall, 12);
    const cpus = around(c, cpu, 12).reverse();
    walls.forEach((v, i) => {
      const value = cpuMetric ? cpus[i] : v;
      events.push({ type: 'sample', sha, value, details: { wall: v, cpu: cpus[i] } });
    });
  }
  for (const look of looks) events.push({ type: 'verdict', verdict: { ...verdict, look } });
  events.push(cost, runEnd);
  return events;
}

function noteOf(events: RunEvent[]) {
  const t = new RunTimes();
  for (const e of events) t.see(e);
  return quieterCpu(t);
}

describe('the note that CPU time would have been the quieter metric, from the whole run', () => {
  it('is given where wall time spread far more than CPU time and a verdict took three looks', () => {
    const q = noteOf(run({ wall: 0.06, cpu: 0.01 }))!;
    expect(q).toBeDefined();
    expect(q.factor).toBeGreaterThan(20);
    expect(q.slow).toBe(1);
    expect(q.verdicts).toBe(2);
    expect(q.wallChange).toBeCloseTo(0.3, 5);
    expect(q.cpuChange).toBeCloseTo(0.3, 5);
  });

  it('is not given where the verdicts decided early, CPU time is not much quieter, or does not show the step', () => {
    expect(noteOf(run({ wall: 0.06, cpu: 0.01, looks: [1, 2] }))).toBeUndefined();
    expect(noteOf(run({ wall: 0.06, cpu: 0.05 }))).toBeUndefined();
    // A command that waits: its wall time moved, its CPU time did not.
    expect(noteOf(run({ wall: 0.06, cpu: 0.01, cpuStep: 0.05 }))).toBeUndefined();
    // Wall time quiet enough: nothing to gain worth a different metric.
    expect(noteOf(run({ wall: 0.015, cpu: 0.002 }))).toBeUndefined();
  });

  it('is not given for a run that measured CPU time already, nor where the noise line said it', () => {
    expect(noteOf(run({ wall: 0.06, cpu: 0.01, cpuMetric: true }))).toBeUndefined();
    const events = run({ wall: 0.06, cpu: 0.01 });
    const noise = {
      cv: 0.06, cpuCv: 0.01, cpuShare: 0.9, samplesFor5pct: 40, samplesForThisStep: 4, delta: 0.3, minutes: 1,
      verdicts: 3, cores: 2, load: 1, busy: [], loaded: false,
    };
    expect(noteOf([events[0], { type: 'noise', noise }, ...events.slice(1)])).toBeUndefined();
    // Said by the first of the two noise lines, not by the second: still said.
    const later = { ...noise, cpuCv: 0.059 };
    expect(noteOf([events[0], { type: 'noise', noise }, { type: 'noise', noise: later }, ...events.slice(1)])).toBeUndefined();
  });

  it('weighs only samples this run took in its search: not blocks from the cache, not the descent after it', () => {
    const events = run({ wall: 0.06, cpu: 0.01 });
    const block = { type: 'measure-start', target: good, refs: [], rounds: 1, purpose: 'verdict' } as const;
    const cached: RunEvent[] = [events[0], { ...block, cached: true }, ...events.slice(1)];
    expect(noteOf(cached)).toBeUndefined();
    expect(noteOf([events[0], { ...block, cached: false }, ...events.slice(1)])).toBeDefined();
    const afterSearch: RunEvent[] = [events[0], { type: 'search-end', culprits: [] }, ...events.slice(1)];
    expect(noteOf(afterSearch)).toBeUndefined();
  });

  it('is not given where CPU time moved far more than wall time: it measures something else', () => {
    expect(noteOf(run({ wall: 0.06, cpu: 0.01, cpuStep: 0.9 }))).toBeUndefined();
  });

  it('comes just before the cost line in the plain view, and on the live view\'s last screen', () => {
    const events = new EventStream();
    const lines: string[] = [];
    plainReporter(events, (l) => lines.push(l));
    const all = run({ wall: 0.06, cpu: 0.01 });
    for (const e of all) events.emit(e);
    const note = lines.find((l) => l.startsWith('note: over this run'));
    expect(note).toMatch(
      /^note: over this run wall time varied ±\d\.\d% a run and CPU time ±\d\.\d%, and CPU time shows the step too \(\+30\.0% against \+30\.0%\); 1 of 2 verdicts took three looks or more: --metric cpu .* about \d+× fewer samples for this step/,
    );
    expect(lines[lines.indexOf(note!) + 1]).toMatch(/^cost: /);

    const t = new RunTimes();
    for (const e of all) t.see(e);
    const s = { ...foldEvents(all), quieterCpu: quieterCpu(t) };
    const { lastFrame } = render(<Done s={s} />);
    expect(lastFrame()).toContain('note: over this run wall time varied');
  });
});
