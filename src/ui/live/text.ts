import { median } from '../../stats/summary.js';

/**
 * Text-only charts for the terminal: a row of block characters per distribution over a shared
 * value axis, so the current commit's samples can be read against the good and bad references.
 */
const BLOCKS = ' ▁▂▃▄▅▆▇█';

export interface HistogramRow {
  label: string;
  bars: string;
  n: number;
}

export function histograms(
  rows: { label: string; values: number[] }[],
  width = 24,
): { rows: HistogramRow[]; lo: number; hi: number } {
  const all = rows.flatMap((r) => r.values).filter(Number.isFinite);
  if (all.length === 0)
    return { rows: rows.map((r) => ({ label: r.label, bars: ''.padEnd(width), n: 0 })), lo: 0, hi: 0 };
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  const out = rows.map((r) => {
    const counts = new Array<number>(width).fill(0);
    for (const v of r.values) counts[Math.min(width - 1, Math.floor(((v - lo) / span) * width))]++;
    const max = Math.max(...counts, 1);
    const bars = counts.map((c) => (c === 0 ? BLOCKS[0] : BLOCKS[Math.max(1, Math.round((c / max) * 8))])).join('');
    return { label: r.label, bars, n: r.values.length };
  });
  return { rows: out, lo, hi };
}

/** The last samples as a sparkline, oldest left. */
export function sparkline(values: number[], width = 24): string {
  const v = values.slice(-width);
  if (v.length === 0) return '';
  const lo = Math.min(...v);
  const span = Math.max(...v) - lo || 1;
  return v.map((x) => BLOCKS[1 + Math.round(((x - lo) / span) * 7)]).join('');
}

export const mid = (values: number[]) => (values.length ? median(values) : NaN);
