import type { Better } from '../stats/compare.js';
import { mannWhitney } from '../stats/mann-whitney.js';
import { median, sorted } from '../stats/summary.js';
import { fmtValue } from './format.js';
import { md } from './escape.js';

/**
 * Before/after comparisons the way benchstat users read them: "median ± spread", the delta of the
 * medians with the Mann-Whitney U p-value and sample counts, and "~" when the change is not
 * significant at alpha. Pure: the writeup hands it samples.
 *
 *   | decode       | before ns/op   | after ns/op     | delta                       |
 *   | good → bad   | 5.21 ms ± 2%   | 15.3 ms ± 1%    | +193.56% (p=0.000 n=10+10) |
 */
export interface BenchstatRow {
  label: string;
  before: readonly number[];
  after: readonly number[];
}

export interface BenchstatCell {
  median: number;
  /** Half-width of the 95% confidence interval of the median, relative to it; Infinity under 6 samples. */
  spread: number;
}

/**
 * Distribution-free 95% interval of the median from order statistics (as benchstat computes it):
 * the widest k with P(Binomial(n, ½) < k) ≤ 2.5% gives [x(k), x(n+1−k)]. Fewer than 6 samples cannot reach 95%.
 */
export function medianCell(values: readonly number[], confidence = 0.95): BenchstatCell {
  const s = sorted(values);
  const n = s.length;
  const m = median(s);
  const tail = (1 - confidence) / 2;
  let k = 0;
  let cum = 0;
  let term = 2 ** -n; // C(n, 0) / 2^n
  for (let i = 0; i < n; i++) {
    cum += term;
    if (cum > tail) break;
    k = i + 1;
    term = (term * (n - i)) / (i + 1);
  }
  if (k < 1 || m === 0) return { median: m, spread: k < 1 ? Infinity : 0 };
  const lo = s[k - 1];
  const hi = s[n - k];
  return { median: m, spread: Math.max(m - lo, hi - m) / Math.abs(m) };
}

export function fmtCell(c: BenchstatCell, unit: string): string {
  const spread = Number.isFinite(c.spread) ? `${Math.round(c.spread * 100)}%` : '∞';
  return `${fmtValue(c.median, unit)} ± ${spread}`;
}

/** "+193.56% (p=0.000 n=10+10)", or "~ (p=0.421 n=10+10)" when not significant at alpha. */
export function fmtDelta(before: readonly number[], after: readonly number[], alpha = 0.05): string {
  const { p } = mannWhitney(before, after);
  const n = `n=${before.length}+${after.length}`;
  const ps = `p=${p.toFixed(3)}`;
  if (!(p < alpha)) return `~ (${ps} ${n})`;
  const b = median(before);
  if (b === 0) return `– (${ps} ${n})`;
  const pct = ((median(after) - b) / Math.abs(b)) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(2)}% (${ps} ${n})`;
}

/** A Markdown table of rows; `name` heads the first column, `metric` the value columns. */
export function benchstatTable(
  name: string,
  metric: { name: string; unit: string; better: Better },
  rows: BenchstatRow[],
  alpha = 0.05,
): string[] {
  const L = [`| ${md(name)} | before ${md(metric.name)} | after ${md(metric.name)} | delta |`, '|---|---|---|---|'];
  for (const r of rows) {
    if (r.before.length === 0 || r.after.length === 0) continue;
    L.push(
      `| ${r.label} | ${fmtCell(medianCell(r.before), metric.unit)} | ${fmtCell(medianCell(r.after), metric.unit)} | ${fmtDelta(r.before, r.after, alpha)} |`,
    );
  }
  return L;
}

/** Probe kinds whose users expect the benchstat view in the writeup. */
export const benchstatKinds = new Set(['go-bench', 'pytest-benchmark', 'bench']);

/**
 * The writeup's "Benchmark comparison" section: good → bad, and each culprit against the measured
 * good commit before it. Empty for other probe kinds.
 */
export function benchstatSection(
  r: {
    probe: { name: string; kind: string; metric: { name: string; unit: string; better: Better } };
    good: { sha: string };
    bad: { sha: string };
    culprits: { sha: string; baseline: string }[];
  },
  samples: (sha: string) => number[],
): string[] {
  if (!benchstatKinds.has(r.probe.kind)) return [];
  const short = (s: string) => s.slice(0, 10);
  const rows: BenchstatRow[] = [{ label: 'good → bad', before: samples(r.good.sha), after: samples(r.bad.sha) }];
  for (const c of r.culprits)
    rows.push({
      label: `${short(c.baseline)} → ${short(c.sha)}`,
      before: samples(c.baseline),
      after: samples(c.sha),
    });
  return [
    '### Benchmark comparison',
    '',
    ...benchstatTable(r.probe.name, r.probe.metric, rows),
    '',
    '± is the 95% confidence interval of the median (∞ where fewer than 6 samples cannot bound it, as benchstat says); ' +
      'the delta compares medians, with the Mann-Whitney U p-value; "~" means not significant at p < 0.05.',
    '',
  ];
}
