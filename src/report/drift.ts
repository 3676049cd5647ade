import type { MetricInfo } from '../probes/types.js';
import type { RunCost } from './result.js';
import { direction, fmtP, fmtSignedPct as pct, fmtValue, sanitize, short } from './format.js';

/** One located step of a drift check (a confirmed candidate bisected to its culprit), as the JSON result, the store and the writeup show it. */
export interface DriftChange {
  /** Stable: probe + culprit. A later check does not alert on a known or acknowledged id. */
  id: string;
  /** The measured points either side of the step. */
  from: string;
  to: string;
  culprit: string | null;
  subject: string;
  kind: 'regression' | 'improvement';
  /** Relative change of the metric across the culprit (beside its parent), + = worse. */
  change: number;
  /** The interleaved re-measurement of the two neighbouring points confirmed the step before it was bisected. */
  confirmed: boolean;
  known: boolean;
  acked: boolean;
  before: number;
  after: number;
  p: number;
}

/** Every candidate step, located or rejected, with the test that decided it and its figures. */
export interface DriftCandidate {
  /** The measured points either side. */
  from: string;
  to: string;
  kind: 'regression' | 'improvement';
  /** Change between the two points in the series, + = worse. */
  interval: number;
  /** What flagged it: an interval above the threshold, a lenient split, a span of two intervals over one point. */
  sources: ('interval' | 'split' | 'span')[];
  split: { p: number; change: number } | null;
  status: 'step' | 'rejected';
  rejectedBy: 'confirmation' | 'bisect' | 'measurement' | null;
  /** The two points re-measured side by side; change + = worse, interval and p, samples a side. */
  confirmation: {
    verdict: 'confirmed' | 'below-threshold' | 'inconclusive'; change: number; lo: number; hi: number; p: number; alpha: number; n: [number, number];
  } | null;
  /** The bisect inside the confirmed candidate: its status, commits, and the largest single-commit change it located. */
  bisect: { status: string; commits: number; largest: { culprit: string; change: number; p: number } | null } | null;
  /** Located steps' ids. */
  steps: string[];
  /** One sentence: which test decided and with what figures. */
  reason: string;
}

export interface DriftResult {
  schemaVersion: 1;
  runId: string;
  probe: { name: string; kind: string; metric: MetricInfo };
  branch: string;
  window: { from: string; to: string; commits: number };
  threshold: number;
  fingerprint: { cpu: string; cores: number; os: string; node: string; hash: string };
  /** `added`: measured because the interval it splits moved, after the first spread. */
  series: { sha: string; subject: string; date: string; value: number; n: number; added: boolean }[];
  /** Located steps (regressions and improvements). */
  changes: DriftChange[];
  candidates: DriftCandidate[];
  /** Creep the located steps do not account for, confirmed on the window's ends re-measured side by side. */
  drift: {
    id: string; total: number; unexplained: number; lo: number; hi: number; p: number; commits: number; largestStep: number;
    contributors: { from: string; to: string; change: number }[]; known: boolean; acked: boolean;
  } | null;
  /** The creep check when it ran (the series left more than half the threshold unexplained), found or not. */
  creepCheck: { verdict: 'confirmed' | 'below-threshold' | 'inconclusive'; total: number; unexplained: number; lo: number; hi: number; p: number; alpha: number; n: [number, number] } | null;
  /** Ids of what this run alerts on: new located regressions, new creep. */
  alerts: string[];
  exitCode: number;
  store: string;
  cost: RunCost;
}

const interval = (lo: number, hi: number) => `${Number.isFinite(lo) ? pct(lo) : '−∞'} … ${Number.isFinite(hi) ? pct(hi) : '+∞'}`;
const alphaText = (a: number) => (a >= 0.001 ? a.toFixed(3) : a.toExponential(1));

/** Which test decided a candidate, with its figures: the sentence the writeup and the CLI show. */
export function candidateReason(c: Omit<DriftCandidate, 'reason' | 'steps'> & { steps?: string[] }, threshold: number): string {
  const f = c.confirmation;
  const measured = f && `${pct(f.change)} (interval ${interval(f.lo, f.hi)}, ${fmtP(f.p)}, ${f.n[0]}+${f.n[1]} samples)`;
  const t = pct(threshold).replace('+', '');
  if (c.rejectedBy === 'measurement' || !f) return 'a measurement failed: the candidate could not be re-measured';
  if (c.rejectedBy === 'confirmation') {
    if (f.verdict === 'below-threshold') return `confirmation: the two points re-measured side by side differ by ${measured}: below the ${t} threshold at 99% confidence`;
    return `confirmation: ${measured}, not shown to be a change above half the threshold at the bisect's level (α = ${alphaText(f.alpha)}) within --max-samples`;
  }
  const largest = c.bisect?.largest;
  if (c.rejectedBy === 'bisect') {
    const biggest = largest ? `the largest single commit, ${short(largest.culprit)}, changed ${pct(largest.change)} (${fmtP(largest.p)})` : 'no single commit was located';
    return `bisect: confirmed ${measured}, but ${biggest}: the change is spread over the ${c.bisect?.commits ?? 0} commits (creep), not one step of ${t} or more`;
  }
  return `confirmed ${measured} at α = ${alphaText(f.alpha)}; bisected to ${largest ? short(largest.culprit) : 'its culprit'}`;
}

/** The writeup of a drift check: series chart, each step with its culprit, every rejected candidate and why, creep. */
export function renderDriftReport(r: DriftResult, o: { svgFile?: string }): string {
  const m = r.probe.metric;
  const out: string[] = [];
  const newRegressions = r.changes.filter((c) => r.alerts.includes(c.id)).length;
  const newCreep = r.drift !== null && r.alerts.includes(r.drift.id);
  const t = pct(r.threshold).replace('+', '');
  out.push(`# perfbisect drift: ${sanitize(r.probe.name)} on ${sanitize(r.branch)}`, '');
  out.push(
    r.alerts.length
      ? `**Slower:** ${newRegressions} new regression(s)${newCreep ? ' and creep' : ''} in ${r.window.commits} commits (${short(r.window.from)}..${short(r.window.to)}).`
      : `**Nothing new above ${t}** in ${r.window.commits} commits (${short(r.window.from)}..${short(r.window.to)}).`,
    '',
  );
  out.push(`Metric: ${m.name}${m.unit ? ` (${m.unit})` : ''}, ${direction(m)}. Threshold ${t}. Machine: ${r.fingerprint.cpu}, ${r.fingerprint.cores} cores, ${r.fingerprint.os}, Node ${r.fingerprint.node}.`, '');
  if (o.svgFile) out.push(`![series](${o.svgFile})`, '');

  out.push('## Steps', '');
  if (!r.changes.length) out.push(r.candidates.length ? `None: no candidate held up (each is listed below with the test that rejected it).` : 'None: no candidate.', '');
  else {
    out.push('| id | kind | culprit | before | after | change | status |', '|---|---|---|---|---|---|---|');
    for (const c of r.changes) {
      const status = c.acked ? 'acknowledged' : c.known ? 'known (alerted before)' : c.kind === 'regression' ? '**new**' : 'improvement';
      out.push(
        `| \`${c.id}\` | ${c.kind} | ${c.culprit ? `\`${short(c.culprit)}\` ${sanitize(c.subject).slice(0, 60)}` : '–'} | ${fmtValue(c.before, m.unit)} | ${fmtValue(c.after, m.unit)} | ${pct(c.change)} (${fmtP(c.p)}) | ${status} |`,
      );
    }
    out.push('', 'Each step is the culprit commit measured beside its parent, after its two neighbouring points were re-measured side by side and the change confirmed.', '');
  }

  out.push('## Candidates', '');
  if (!r.candidates.length) out.push(`None: no interval between measured points moved more than ${t}, and no split of the series held at p ≤ 0.05.`, '');
  else {
    out.push('| between | flagged by | outcome | why |', '|---|---|---|---|');
    for (const c of r.candidates) {
      const flagged = c.sources.map((s) => (s === 'split' && c.split ? `split (p = ${c.split.p.toPrecision(2)}, ${pct(c.split.change)})` : s === 'span' ? `two intervals, ${pct(c.interval)}` : `interval ${pct(c.interval)}`));
      const outcome = c.status === 'step' ? `${c.kind} located` : `rejected by the ${c.rejectedBy}`;
      out.push(`| \`${short(c.from)}\`..\`${short(c.to)}\` | ${flagged.join(', ')} | ${outcome} | ${c.reason} |`);
    }
    out.push(
      '',
      `Candidates are lenient on purpose: any interval between neighbouring points above ${t}, two neighbouring intervals that move the same way by more than ${t} together, and any split of the series at p ≤ 0.05. ` +
        'Each is confirmed by re-measuring its two points side by side at the bisect\'s level, and only then bisected; a step is a commit whose own change reaches the threshold.',
      '',
    );
  }

  out.push('## Creep', '');
  const cc = r.creepCheck;
  if (r.drift) {
    const d = r.drift;
    out.push(
      `${pct(d.total)} over ${d.commits} commits (the window's end re-measured against its start), ${pct(d.unexplained)} of it (interval ${interval(d.lo, d.hi)}) not explained by the located steps${newCreep ? '' : d.acked ? ' (acknowledged)' : ' (known: alerted before)'}. ` +
        `The largest measured interval outside the steps: ${pct(d.largestStep)}.`,
      '',
    );
    if (d.contributors.length) {
      out.push('Largest contributors:', '');
      for (const c of d.contributors) out.push(`- ${short(c.from)}..${short(c.to)}: ${pct(c.change)}`);
      out.push('');
    }
  } else if (cc) {
    out.push(`None above ${t}: the window's end re-measured against its start changed ${pct(cc.total)}, leaving ${pct(cc.unexplained)} (interval ${interval(cc.lo, cc.hi)}, ${cc.n[0]}+${cc.n[1]} samples) once the located steps are divided out.`, '');
  } else out.push(`None: once the located steps are divided out, the series leaves less than half the ${t} threshold.`, '');
  out.push('## Series', '', '| # | commit | date | ' + m.name + ' | n |', '|---|---|---|---|---|');
  r.series.forEach((p, i) => out.push(`| ${i} | \`${short(p.sha)}\` ${sanitize(p.subject).slice(0, 60)} | ${p.date.slice(0, 10)} | ${fmtValue(p.value, m.unit)} | ${p.n}${p.added ? ' (added)' : ''} |`));
  out.push(
    '',
    `Every point was measured interleaved with the window's start (${short(r.window.from)}), re-measured in this run on this machine, and scaled by the start's median in its own block. ` +
      'Points marked "added" were measured after the first spread, inside intervals that moved.',
    '',
  );
  const ids = [...r.changes.map((c) => c.id), ...(r.drift ? [r.drift.id] : [])];
  if (ids.length) out.push(`Acknowledge a change so later checks stop alerting on it: \`perfbisect drift ack <id> --store ${r.store}\`.`, '');
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
    `<text x="${pad}" y="14" font-size="12">${escapeXml(m.name)} (${direction(m)})</text>`,
    `<text x="4" y="${y(hi) + 4}" font-size="10">${escapeXml(fmtValue(hi, m.unit))}</text><text x="4" y="${y(lo) + 4}" font-size="10">${escapeXml(fmtValue(lo, m.unit))}</text>`,
    ...marks,
    `<path d="${path}" fill="none" stroke="#2c3e50" stroke-width="1.5"/>`,
    ...dots,
    `<text x="${pad}" y="${h - 8}" font-size="10">${short(series[0]?.sha ?? '')}</text><text x="${w - pad - 60}" y="${h - 8}" font-size="10">${short(series[series.length - 1]?.sha ?? '')}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
