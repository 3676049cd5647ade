import type { MetricInfo } from '../probes/types.js';
import type { RunCost } from '../run-cost.js';
import type { DriftCandidate, DriftChange, DriftConfirmation } from '../drift/types.js';
import { clip, direction, fmtP, fmtSignedPct as pct, fmtValue, short } from './format.js';
import { md, mdCode, xmlText } from './escape.js';

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
    id: string; total: number; unexplained: number; lo: number; hi: number; p: number; commits: number;
    largestStep: number; contributors: { from: string; to: string; change: number }[]; known: boolean; acked: boolean;
  } | null;
  /** The creep check when it ran (the series left more than half the threshold unexplained), found or not. */
  creepCheck: (Omit<DriftConfirmation, 'change'> & { total: number; unexplained: number }) | null;
  /** Ids of what this run alerts on: new located regressions, new creep. */
  alerts: string[];
  exitCode: number;
  store: string;
  cost: RunCost;
}

const bound = (x: number, infinity: string) => (Number.isFinite(x) ? pct(x) : infinity);
const interval = (lo: number, hi: number) => `${bound(lo, '−∞')} … ${bound(hi, '+∞')}`;
const alphaText = (a: number) => (a >= 0.001 ? a.toFixed(3) : a.toExponential(1));
const threshold = (t: number) => pct(t).replace('+', '');

/** Which test decided a candidate, with its figures: the sentence the writeup and the CLI show. */
export function candidateReason(c: Omit<DriftCandidate, 'reason' | 'steps'>, thresholdValue: number): string {
  const f = c.confirmation;
  const t = threshold(thresholdValue);
  if (c.rejectedBy === 'measurement' || !f) return 'a measurement failed: the candidate could not be re-measured';
  const measured = `${pct(f.change)} (interval ${interval(f.lo, f.hi)}, ${fmtP(f.p)}, ${f.n[0]}+${f.n[1]} samples)`;
  const sideBySide = `confirmation: the two points re-measured side by side differ by ${measured}`;
  const largest = c.bisect?.largest;
  switch (c.rejectedBy) {
    case 'confirmation': {
      if (f.verdict === 'below-threshold') return `${sideBySide}: no change of ${t} either way, at 99% confidence`;
      if (f.verdict === 'too-small')
        return `${sideBySide}: its estimate is under half of ${t} after a second look, not worth confirming (the interval does not rule a step out)`;
      const level = `the bisect's α = ${alphaText(f.alpha)}`;
      return `${sideBySide}: no change of over half ${t} shown at ${level} by --max-samples`;
    }
    case 'bisect': {
      const biggest = largest
        ? `the largest single commit, ${short(largest.culprit)}, changed ${pct(largest.change)} (${fmtP(largest.p)})`
        : 'no single commit was located';
      const commits = c.bisect?.commits ?? 0;
      return `bisect: confirmed ${measured}, but ${biggest}: spread over ${commits} commits (creep), no step of ${t}`;
    }
    default: {
      const turned = f.opposite ? ` (the other way than the series showed: a ${c.kind})` : '';
      const culprit = short(largest?.culprit ?? '–');
      return `confirmed ${measured}${turned} at α = ${alphaText(f.alpha)}; bisected to ${culprit}`;
    }
  }
}

/** The writeup of a drift check: series chart, each step with its culprit, every rejected candidate and why, creep. */
export function renderDriftReport(r: DriftResult, options: { svgFile?: string }): string {
  const m = r.probe.metric;
  const t = threshold(r.threshold);
  const span = `${r.window.commits} commits (${short(r.window.from)}..${short(r.window.to)})`;
  const newRegressions = r.changes.filter((c) => r.alerts.includes(c.id)).length;
  const newCreep = r.drift !== null && r.alerts.includes(r.drift.id);
  const fp = r.fingerprint;
  const machine = `${md(fp.cpu)}, ${fp.cores} cores, ${md(fp.os)}, Node ${md(fp.node)}`;
  const out: string[] = [`# perfbisect drift: ${md(r.probe.name)} on ${md(r.branch)}`, ''];
  out.push(
    r.alerts.length
      ? `**Slower:** ${newRegressions} new regression(s)${newCreep ? ' and creep' : ''} in ${span}.`
      : `**Nothing new above ${t}** in ${span}.`,
    '',
    `Metric: ${md(m.name)}${m.unit ? ` (${md(m.unit)})` : ''}, ${direction(m)}. Threshold ${t}. Machine: ${machine}.`,
    '',
  );
  if (options.svgFile) out.push(`![series](${options.svgFile})`, '');
  out.push(...stepsSection(r), ...candidatesSection(r, t), ...creepSection(r, t, newCreep), ...seriesSection(r));
  const ids = [...r.changes.map((c) => c.id), ...(r.drift ? [r.drift.id] : [])];
  const ack = mdCode(`perfbisect drift ack <id> --store ${r.store}`, { max: 1000 });
  if (ids.length) out.push(`Acknowledge a change so later checks stop alerting on it: ${ack}.`, '');
  return out.join('\n');
}

function stepsSection(r: DriftResult): string[] {
  const unit = r.probe.metric.unit;
  const out = ['## Steps', ''];
  if (!r.changes.length) {
    out.push(r.candidates.length ? 'None: no candidate held up (see below what rejected each).' : 'None.', '');
    return out;
  }
  out.push('| id | kind | culprit | before | after | change | status |', '|---|---|---|---|---|---|---|');
  for (const c of r.changes) {
    const fresh = c.kind === 'regression' ? '**new**' : 'improvement';
    const status = c.acked ? 'acknowledged' : c.known ? 'known (reported before)' : fresh;
    const culprit = c.culprit ? `\`${short(c.culprit)}\` ${md(clip(c.subject, 60))}` : '–';
    const values = `${md(fmtValue(c.before, unit))} | ${md(fmtValue(c.after, unit))} | ${pct(c.change)} (${fmtP(c.p)})`;
    out.push(`| ${mdCode(c.id, { inTable: true })} | ${c.kind} | ${culprit} | ${values} | ${status} |`);
  }
  out.push('', 'Each step: its culprit beside its parent, bisected once re-measuring its two points confirmed it.', '');
  return out;
}

function candidatesSection(r: DriftResult, t: string): string[] {
  const out = ['## Candidates', ''];
  if (!r.candidates.length) {
    out.push(`None: no interval between measured points moved over ${t}, no split held at p ≤ 0.05.`, '');
    return out;
  }
  out.push('| between | flagged by | outcome | why |', '|---|---|---|---|');
  for (const c of r.candidates) {
    const flagged = c.sources.map((s) => {
      if (s === 'split' && c.split) return `split (p = ${c.split.p.toPrecision(2)}, ${pct(c.split.change)})`;
      return s === 'span' ? `two intervals, ${pct(c.interval)}` : `interval ${pct(c.interval)}`;
    });
    const outcome = c.status === 'step' ? `${c.kind} located` : `rejected by the ${c.rejectedBy}`;
    out.push(
      `| \`${short(c.from)}\`..\`${short(c.to)}\` | ${flagged.join(', ')} | ${outcome} | ${md(c.reason, 1000)} |`,
    );
  }
  out.push(
    '',
    `Candidates are lenient on purpose: any interval between neighbouring points above ${t}, two ` +
      `neighbouring intervals that move the same way by more than ${t} together, and any split of the series at ` +
      "p ≤ 0.05. Each is confirmed by re-measuring its two points side by side at the bisect's level, and only " +
      'then bisected; a step is a commit whose own change reaches the threshold.',
    '',
  );
  return out;
}

function creepSection(r: DriftResult, t: string, alerted: boolean): string[] {
  const out = ['## Creep', ''];
  const d = r.drift;
  const cc = r.creepCheck;
  if (d) {
    const status = alerted ? '' : d.acked ? ' (acknowledged)' : ' (known: reported before)';
    out.push(
      `${pct(d.total)} over ${d.commits} commits (the window's end re-measured against its start), ` +
        `${pct(d.unexplained)} of it ` +
        `(interval ${interval(d.lo, d.hi)}) not explained by the located steps${status}. ` +
        `The largest measured interval outside the steps: ${pct(d.largestStep)}.`,
      '',
    );
    if (d.contributors.length) {
      const lines = d.contributors.map((c) => `- ${short(c.from)}..${short(c.to)}: ${pct(c.change)}`);
      out.push('Largest contributors:', '', ...lines, '');
    }
  } else if (cc) {
    out.push(
      `None above ${t}: the window's end re-measured against its start changed ${pct(cc.total)}, ` +
        `leaving ${pct(cc.unexplained)} ` +
        `(interval ${interval(cc.lo, cc.hi)}, ${cc.n[0]}+${cc.n[1]} samples) once the located steps are divided out.`,
      '',
    );
  } else out.push(`None: once the located steps are divided out, the series leaves under half the ${t} threshold.`, '');
  return out;
}

function seriesSection(r: DriftResult): string[] {
  const m = r.probe.metric;
  const out = ['## Series', '', `| # | commit | date | ${md(m.name)} | n |`, '|---|---|---|---|---|'];
  r.series.forEach((p, i) => {
    const commit = `\`${short(p.sha)}\` ${md(clip(p.subject, 60))}`;
    const n = `${p.n}${p.added ? ' (added)' : ''}`;
    out.push(`| ${i} | ${commit} | ${md(p.date.slice(0, 10))} | ${md(fmtValue(p.value, m.unit))} | ${n} |`);
  });
  out.push(
    '',
    `Every point was measured interleaved with the window's start (${short(r.window.from)}), in this run on this ` +
      "machine, and scaled by the start's median in its own block. Points marked \"added\" were measured after the " +
      'first spread, inside intervals that moved.',
    '',
  );
  return out;
}

/** A line chart of the metric along the commits, with the located steps marked. */
export function renderSeriesSvg(
  series: { sha: string; value: number }[],
  changes: { from: string; to: string; kind: string; confirmed: boolean }[],
  m: MetricInfo,
): string {
  const [w, h, pad] = [720, 240, 40];
  const vs = series.map((p) => p.value);
  const [lo, hi] = [Math.min(...vs), Math.max(...vs)];
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
  const dots = series.map(
    (p, i) =>
      `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3"><title>${short(p.sha)}: ${xmlText(fmtValue(p.value, m.unit))}</title></circle>`,
  );
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
