import { describe, expect, it } from 'vitest';
import { benchstatSection, benchstatTable, fmtDelta, medianCell } from '../src/report/benchstat.js';

const metric = { name: 'ns/op', unit: 'ns', better: 'lower' as const };

describe('benchstat-style comparison', () => {
  it('gives the median with the order-statistic 95% interval, infinite under 6 samples', () => {
    expect(medianCell([1, 2, 3, 4, 5]).spread).toBe(Infinity);
    // n = 6: P(X < 1) = 1/64 ≤ 2.5%, so the interval is [min, max].
    const c = medianCell([90, 100, 100, 100, 100, 120]);
    expect(c.median).toBe(100);
    expect(c.spread).toBeCloseTo(0.2);
    // n = 10: k = 2 (P(X < 2) = 11/1024), the extremes drop out.
    expect(medianCell([1, 99, 100, 100, 100, 100, 100, 100, 101, 1000]).spread).toBeCloseTo(0.01);
  });

  it('prints a delta with p and n when significant, "~" when not', () => {
    const a = [100, 101, 99, 100, 102, 98, 100, 101];
    const b = a.map((x) => x * 3);
    expect(fmtDelta(a, b)).toMatch(/^\+200\.00% \(p=0\.\d{3} n=8\+8\)$/);
    expect(fmtDelta(a, [...a].reverse())).toMatch(/^~ \(p=\d\.\d{3} n=8\+8\)$/);
  });

  it('renders a Markdown table and the writeup section only for benchmark probes', () => {
    const before = [5e6, 5.1e6, 4.9e6, 5e6, 5.05e6, 4.95e6];
    const after = before.map((x) => x * 3);
    const t = benchstatTable('decode', metric, [{ label: 'good → bad', before, after }]);
    expect(t[0]).toBe('| decode | before ns/op | after ns/op | delta |');
    expect(t[2]).toMatch(/^\| good → bad \| 5 ms ± 2% \| 15 ms ± 2% \| \+200\.00% \(p=0\.\d{3} n=6\+6\) \|$/);
    const samples = (s: string) => (s === 'g' || s === 'p' ? before : after);
    const r = { probe: { name: 'decode', kind: 'go-bench', metric }, good: { sha: 'g' }, bad: { sha: 'b' }, culprits: [{ sha: 'c', baseline: 'p' }] };
    const sec = benchstatSection(r, samples);
    expect(sec[0]).toBe('### Benchmark comparison');
    expect(sec.filter((l) => l.startsWith('| '))).toHaveLength(3);
    expect(benchstatSection({ ...r, probe: { ...r.probe, kind: 'command' } }, samples)).toEqual([]);
  });
});
