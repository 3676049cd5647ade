import type { MetricInfo } from '../probes/types.js';
import type { RunCost } from './result.js';
import { direction, fmtP, fmtSignedPct as pct, fmtValue, short } from './format.js';
import { md, mdCode, xmlText } from './escape.js';

/** One step of a drift check, as the JSON result, the store and the writeup show it. */
export interface DriftChange {
  /** Stable: probe + culprit. A later check does not alert on a known or acknowledged id. */
  id: string;
  /** The measured points either side of the step. */
  from: string;
  to: string;
  culprit: string | null;
  subject: string;
  kind: 'regression' | 'improvement';
  /** Relative change of the metric across the culprit, + = worse. */
  change: number;
  /** The interleaved re-measurement of the two neighbouring points agreed with the series. */
  confirmed: boolean;
  known: boolean;
  acked: boolean;
  before: number;
  after: number;
  p: number;
}

export interface DriftResult {
  schemaVersion: 1;
  runId: string;
  probe: { name: string; kind: string; metric: MetricInfo };
  branch: string;
  window: { from: string; to: string; commits: number };
  threshold: number;
  fingerprint: { cpu: string; cores: number; os: string; node: string; hash: string };
  series: { sha: string; subject: string; date: string; value: number; n: number }[];
  changes: DriftChange[];
  drift: { total: number; unexplained: number; commits: number; largestStep: number; contributors: { from: string; to: string; change: number }[] } | null;
  /** Ids of the changes this run alerts on (new, confirmed regressions). */
  alerts: string[];
  exitCode: number;
  store: string;
  cost: RunCost;
}

/** The writeup of a drift check: series chart, each step with its culprit, gradual drift, how sure. */
export function renderDriftReport(r: DriftResult, o: { svgFile?: string }): string {
  const m = r.probe.metric;
  const out: string[] = [];
  const found = r.alerts.length > 0 || r.drift !== null;
  out.push(`# perfbisect drift: ${md(r.probe.name)} on ${md(r.branch)}`, '');
  out.push(
    found ? `**Slower:** ${r.alerts.length} new regression(s)${r.drift ? ' and gradual drift' : ''} in ${r.window.commits} commits (${short(r.window.from)}..${short(r.window.to)}).`
      : `**Nothing new above ${(r.threshold * 100).toFixed(1)}%** in ${r.window.commits} commits (${short(r.window.from)}..${short(r.window.to)}).`,
    '',
  );
  out.push(`Metric: ${md(m.name)}${m.unit ? ` (${md(m.unit)})` : ''}, ${direction(m)}. Threshold ${(r.threshold * 100).toFixed(1)}%. Machine: ${md(r.fingerprint.cpu)}, ${r.fingerprint.cores} cores, ${md(r.fingerprint.os)}, Node ${md(r.fingerprint.node)}.`, '');
  if (o.svgFile) out.push(`![series](${o.svgFile})`, '');
  out.push('## Series', '', `| # | commit | date | ${md(m.name)} | n |`, '|---|---|---|---|---|');
  r.series.forEach((p, i) => out.push(`| ${i} | \`${short(p.sha)}\` ${md(p.subject.slice(0, 60))} | ${md(p.date.slice(0, 10))} | ${fmtValue(p.value, m.unit)} | ${p.n} |`));
  out.push('', `Every point was measured interleaved with the window's start (${short(r.window.from)}), re-measured in this run on this machine.`, '');
  out.push('## Change points', '');
  if (!r.changes.length) out.push('None: no step passed the t-test (p ≤ 0.001), the 2-points-a-side guard and the threshold.', '');
  else {
    out.push('| id | kind | culprit | before | after | change | confirmed | status |', '|---|---|---|---|---|---|---|---|');
    for (const c of r.changes) {
      const status = c.acked ? 'acknowledged' : c.known ? 'known (alerted before)' : c.confirmed && c.kind === 'regression' ? '**new**' : c.confirmed ? 'improvement' : 'not confirmed';
      out.push(
        `| ${mdCode(c.id, { inTable: true })} | ${c.kind} | ${c.culprit ? `\`${short(c.culprit)}\` ${md(c.subject.slice(0, 60))}` : '–'} | ${fmtValue(c.before, m.unit)} | ${fmtValue(c.after, m.unit)} | ${pct(c.change)} (${fmtP(c.p)}) | ${c.confirmed ? 'yes' : 'no'} | ${status} |`,
      );
    }
    out.push('', 'Each step was re-measured at its two neighbouring points, interleaved, before it was bisected; a step that did not hold up is listed as not confirmed and raises no alert.', '');
  }
  if (r.drift) {
    const d = r.drift;
    out.push('## Gradual drift', '', `${pct(d.total)} over ${d.commits} commits, ${pct(d.unexplained)} of it not explained by a located step; no single measured interval above ${pct(d.largestStep)}.`, '');
    if (d.contributors.length) {
      out.push('Largest contributors:', '');
      for (const c of d.contributors) out.push(`- ${short(c.from)}..${short(c.to)}: ${pct(c.change)}`);
      out.push('');
    }
  }
  out.push(`Acknowledge a change so later checks stop alerting on it: ${mdCode(`perfbisect drift ack <id> --store ${r.store}`, { max: 1000 })}.`, '');
  return out.join('\n');
}

/** A line chart of the metric along the commits, with the located steps marked. */
export function renderSeriesSvg(series: { sha: string; value: number }[], changes: { from: string; to: string; kind: string; confirmed: boolean }[], m: MetricInfo): string {
  const w = 720, h = 240, pad = 40;
  const vs = series.map((p) => p.value);
  const lo = Math.min(...vs), hi = Math.max(...vs);
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (i: number) => pad + (series.length > 1 ? (i * (w - 2 * pad)) / (series.length - 1) : 0);
  const y = (v: number) => h - pad - ((v - lo) / span) * (h - 2 * pad);
  const idx = new Map(series.map((p, i) => [p.sha, i]));
  const marks = changes
    .filter((c) => idx.has(c.to))
    .map((c) => {
      const xm = (x(idx.get(c.from) ?? 0) + x(idx.get(c.to)!)) / 2;
      const color = c.kind === 'regression' ? '#c0392b' : '#27ae60';
      return `<line x1="${xm}" y1="${pad / 2}" x2="${xm}" y2="${h - pad}" stroke="${color}" stroke-dasharray="${c.confirmed ? '0' : '4 3'}"/><text x="${xm + 3}" y="${pad / 2 + 10}" font-size="10" fill="${color}">${c.kind}</text>`;
    });
  const path = series.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const dots = series.map((p, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3"><title>${short(p.sha)}: ${fmtValue(p.value, m.unit)}</title></circle>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${pad}" y="14" font-size="12">${xmlText(m.name)} (${direction(m)})</text>`,
    `<text x="4" y="${y(hi) + 4}" font-size="10">${xmlText(fmtValue(hi, m.unit))}</text><text x="4" y="${y(lo) + 4}" font-size="10">${xmlText(fmtValue(lo, m.unit))}</text>`,
    ...marks,
    `<path d="${path}" fill="none" stroke="#2c3e50" stroke-width="1.5"/>`,
    ...dots,
    `<text x="${pad}" y="${h - 8}" font-size="10">${short(series[0]?.sha ?? '')}</text><text x="${w - pad - 60}" y="${h - 8}" font-size="10">${short(series[series.length - 1]?.sha ?? '')}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
