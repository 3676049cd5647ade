import type { CommitMeta } from '../events.js';
import type { MetricInfo } from '../probes/types.js';
import type { RunResult } from './result.js';
import { quantileSorted, sorted } from '../stats/summary.js';
import { fmtValue, short } from './format.js';
import { xmlText as esc } from './escape.js';

/**
 * Charts of the writeup as standalone SVG text: no scripts, no external fonts or files, so they
 * render the same in a Markdown viewer, inline in the HTML report and in a browser. Pure functions.
 */


const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const COLORS = {
  good: '#2e7d32',
  bad: '#c62828',
  before: '#1565c0',
  after: '#c62828',
  skipped: '#9e9e9e',
  inconclusive: '#8e24aa',
  between: '#00838f',
};

/** Round tick values over [lo, hi]: 1, 2 or 5 times a power of ten. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function svgOpen(w: number, h: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}" ${FONT} font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="600" fill="#222">${esc(title)}</text>`,
  ];
}

const n2 = (v: number) => Number(v.toFixed(2));

/** Deterministic jitter, so the same samples draw the same picture (diffable charts). */
function jitter(i: number): number {
  const x = Math.sin((i + 1) * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

export interface DistributionInput {
  title: string;
  metric: MetricInfo;
  before: { label: string; values: number[] };
  after: { label: string; values: number[] };
}

/**
 * Before vs after: each side a row of its samples (dots) over a box from the 25th to the 75th
 * percentile with the median marked, on one shared axis of the metric.
 */
export function distributionChart(d: DistributionInput): string {
  const W = 720;
  const rowH = 70;
  const left = 150;
  const right = 30;
  const top = 40;
  const rows = [
    { ...d.before, color: COLORS.before },
    { ...d.after, color: COLORS.after },
  ];
  const H = top + rows.length * rowH + 45;
  const all = rows.flatMap((r) => r.values).filter(Number.isFinite);
  const lo0 = all.length ? Math.min(...all) : 0;
  const hi0 = all.length ? Math.max(...all) : 1;
  const pad = (hi0 - lo0) * 0.05 || Math.abs(hi0) * 0.05 || 1;
  const lo = lo0 - pad;
  const hi = hi0 + pad;
  const x = (v: number) => n2(left + ((v - lo) / (hi - lo)) * (W - left - right));
  const out = svgOpen(W, H, d.title);
  const axisY = top + rows.length * rowH + 5;
  for (const t of ticks(lo, hi)) {
    out.push(`<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${axisY}" stroke="#e0e0e0"/>`);
    out.push(
      `<text x="${x(t)}" y="${axisY + 15}" text-anchor="middle" fill="#555">${esc(fmtValue(t, d.metric.unit))}</text>`,
    );
  }
  out.push(
    `<text x="${n2((left + W - right) / 2)}" y="${axisY + 33}" text-anchor="middle" fill="#333">${esc(`${d.metric.name}${d.metric.unit ? ` (${d.metric.unit})` : ''}, ${d.metric.better} is better`)}</text>`,
  );
  rows.forEach((r, k) => {
    const cy = top + k * rowH + rowH / 2;
    const s = sorted(r.values.filter(Number.isFinite));
    out.push(
      `<text x="${left - 10}" y="${cy - 4}" text-anchor="end" fill="${r.color}" font-weight="600">${esc(r.label)}</text>`,
    );
    out.push(
      `<text x="${left - 10}" y="${cy + 12}" text-anchor="end" fill="#555">n=${s.length}${s.length ? `, median ${esc(fmtValue(quantileSorted(s, 0.5), d.metric.unit))}` : ''}</text>`,
    );
    if (!s.length) return;
    const q1 = quantileSorted(s, 0.25);
    const q3 = quantileSorted(s, 0.75);
    const med = quantileSorted(s, 0.5);
    out.push(
      `<rect x="${x(q1)}" y="${cy - 16}" width="${n2(Math.max(1, x(q3) - x(q1)))}" height="32" fill="${r.color}" fill-opacity="0.12" stroke="${r.color}"/>`,
    );
    out.push(
      `<line x1="${x(med)}" y1="${cy - 20}" x2="${x(med)}" y2="${cy + 20}" stroke="${r.color}" stroke-width="3"/>`,
    );
    r.values.forEach((v, i) => {
      if (Number.isFinite(v))
        out.push(
          `<circle cx="${x(v)}" cy="${n2(cy + jitter(i) * 26)}" r="2.6" fill="${r.color}" fill-opacity="0.6"/>`,
        );
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface CommitPoint {
  sha: string;
  subject: string;
  verdict: string;
  values: number[];
  culprit?: boolean;
}

/**
 * The metric along the measured commits, oldest left: median with a 25–75% bar per commit,
 * coloured by verdict, the culprit(s) ringed. Unmeasured commits in between are not drawn.
 */
export function commitsChart(points: CommitPoint[], metric: MetricInfo, title: string): string {
  const left = 70;
  const right = 20;
  const top = 40;
  const plotH = 220;
  const step = Math.max(60, Math.min(110, 640 / Math.max(1, points.length)));
  const W = Math.max(520, left + right + step * points.length);
  const H = top + plotH + 110;
  const stats = points.map((p) => {
    const s = sorted(p.values.filter(Number.isFinite));
    return s.length
      ? { med: quantileSorted(s, 0.5), q1: quantileSorted(s, 0.25), q3: quantileSorted(s, 0.75), n: s.length }
      : undefined;
  });
  const vals = stats.flatMap((s) => (s ? [s.q1, s.q3] : []));
  const lo0 = vals.length ? Math.min(...vals) : 0;
  const hi0 = vals.length ? Math.max(...vals) : 1;
  const pad = (hi0 - lo0) * 0.1 || Math.abs(hi0) * 0.1 || 1;
  // Positive metrics keep a non-negative axis.
  const lo = lo0 >= 0 ? Math.max(0, lo0 - pad) : lo0 - pad;
  const hi = hi0 + pad;
  const y = (v: number) => n2(top + plotH - ((v - lo) / (hi - lo)) * plotH);
  const x = (i: number) => n2(left + step * (i + 0.5));
  const out = svgOpen(W, H, title);
  for (const t of ticks(lo, hi)) {
    out.push(`<line x1="${left}" y1="${y(t)}" x2="${W - right}" y2="${y(t)}" stroke="#e0e0e0"/>`);
    out.push(
      `<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#555">${esc(fmtValue(t, metric.unit))}</text>`,
    );
  }
  const path = stats.map((s, i) => (s ? `${x(i)},${y(s.med)}` : '')).filter(Boolean);
  if (path.length > 1)
    out.push(`<polyline points="${path.join(' ')}" fill="none" stroke="#9e9e9e" stroke-dasharray="4 3"/>`);
  points.forEach((p, i) => {
    const s = stats[i];
    const v = p.verdict.replace(/-endpoint$/, '');
    const color = (COLORS as Record<string, string>)[v] ?? '#333';
    if (s) {
      out.push(
        `<line x1="${x(i)}" y1="${y(s.q1)}" x2="${x(i)}" y2="${y(s.q3)}" stroke="${color}" stroke-width="6" stroke-opacity="0.35"/>`,
      );
      out.push(`<circle cx="${x(i)}" cy="${y(s.med)}" r="5" fill="${color}"/>`);
      if (p.culprit)
        out.push(
          `<circle cx="${x(i)}" cy="${y(s.med)}" r="10" fill="none" stroke="${COLORS.bad}" stroke-width="2"/>`,
        );
    }
    const label = `${short(p.sha).slice(0, 7)}`;
    out.push(
      `<text x="${x(i)}" y="${top + plotH + 16}" text-anchor="middle" fill="#333" font-family="ui-monospace, monospace">${esc(label)}</text>`,
    );
    out.push(
      `<text x="${x(i)}" y="${top + plotH + 30}" text-anchor="middle" fill="${color}">${esc(p.verdict.replace('-endpoint', ' (ref)'))}</text>`,
    );
    const subject = p.subject.length > 16 ? `${p.subject.slice(0, 15)}…` : p.subject;
    out.push(
      `<text x="${x(i)}" y="${top + plotH + 44}" text-anchor="middle" fill="#777" font-size="10">${esc(subject)}</text>`,
    );
    if (s)
      out.push(
        `<text x="${x(i)}" y="${top + plotH + 58}" text-anchor="middle" fill="#777" font-size="10">n=${s.n}</text>`,
      );
  });
  out.push(
    `<text x="${left}" y="${H - 12}" fill="#333">${esc(`${metric.name}${metric.unit ? ` (${metric.unit})` : ''}: median and 25–75% of each measured commit, oldest left; ${metric.better} is better`)}</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface Chart {
  /** File name next to the writeup (runs/<id>/). */
  file: string;
  title: string;
  /** The culprit this chart belongs to; none for the chart of all measured commits. */
  sha?: string;
  svg: string;
}

/**
 * The writeup's charts: before vs after for each culprit, and the metric along the measured commits.
 * Their names carry the run's id: writeups of two runs copied into one folder keep their own charts.
 */
export function reportCharts(
  r: RunResult,
  x: { meta: Map<string, CommitMeta>; samples: (sha: string) => number[] },
): Chart[] {
  const m = r.probe.metric;
  const charts: Chart[] = r.culprits.map((c) => {
    const title = `${m.name}: before vs after ${short(c.sha).slice(0, 7)}`;
    return {
      file: `chart-before-after-${short(c.sha).slice(0, 7)}-${r.runId}.svg`,
      title,
      sha: c.sha,
      svg: distributionChart({
        title,
        metric: m,
        before: { label: `before ${short(c.baseline).slice(0, 7)}`, values: x.samples(c.baseline) },
        after: { label: `after ${short(c.sha).slice(0, 7)}`, values: x.samples(c.sha) },
      }),
    };
  });
  const order = new Map([...x.meta.keys()].map((s, i) => [s, i]));
  const culprits = new Set(r.culprits.map((c) => c.sha));
  const points = [...r.commits]
    .sort((a, b) => (order.get(a.sha) ?? 0) - (order.get(b.sha) ?? 0))
    .map((c) => ({
      sha: c.sha,
      subject: c.subject,
      verdict: c.verdict,
      values: x.samples(c.sha),
      culprit: culprits.has(c.sha),
    }));
  const title = `${m.name} along the measured commits`;
  charts.push({ file: `chart-commits-${r.runId}.svg`, title, svg: commitsChart(points, m, title) });
  return charts;
}
