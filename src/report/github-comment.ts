import type { Evidence, EvidenceRow } from '../evidence/types.js';
import { fmtP, fmtPct, fmtRatio, fmtValue, short } from './format.js';
import { fitBody, ghCode, ghCodeBlock, ghText, hiddenMarker } from './github-markdown.js';
import type { ResultCulprit, RunResult } from './result.js';

/** What a GitHub post links to: commits on the web, and where the full writeup can be read. */
export interface GitHubLinks {
  serverUrl: string;
  owner: string;
  repo: string;
  /** The Actions run (job summary, artifacts) or PERFBISECT_REPORT_URL; absent outside CI. */
  reportUrl?: string;
}

export const commitUrl = (l: GitHubLinks, sha: string) => `${l.serverUrl}/${l.owner}/${l.repo}/commit/${sha}`;

/** The same probe blaming the same commit is the same finding: a re-run updates its comment. */
export function bisectCommentMarker(probe: string, culprit: string): string {
  return hiddenMarker('bisect', { probe, culprit });
}

const profilerName = { v8: "V8's sampling profiler", cprofile: "Python's cProfile", pprof: "Go's pprof" } as const;
const pts = (d: number) => `${d >= 0 ? '+' : ''}${d.toFixed(1)} pts`;
const share = (f: number) => `${(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;

/**
 * The comment on the culprit's pull request (or commit): the writeup's summary — the culprit, its
 * change with interval and p, the top of the evidence — and a link to the full writeup. Pure.
 */
export function renderBisectComment(r: RunResult, c: ResultCulprit, links: GitHubLinks): string {
  const m = r.probe.metric;
  const L: string[] = [bisectCommentMarker(r.probe.name, c.sha)];
  L.push(`### Performance regression: ${ghText(m.name)} ${fmtRatio(c.change.ratio)} at ${short(c.sha)}`, '');
  L.push(
    `perfbisect bisected ${ghCode(r.good.ref)}..${ghCode(r.bad.ref)} (${r.rangeSize} commits) with the probe ${ghCode(r.probe.name)} ` +
      `(${r.probe.kind}) and blames this change.`,
    '',
  );
  L.push(`**Culprit:** [${ghCode(short(c.sha))}](${commitUrl(links, c.sha)}) ${ghText(c.subject)} by ${ghText(c.author, 80)}, ${c.date.slice(0, 10)}  `);
  const how = r.probe.deterministic
    ? 'one exact measurement of each'
    : `${Math.round(c.change.confidence * 100)}% interval ${fmtRatio(c.change.ci[0])} to ${fmtRatio(c.change.ci[1])}, ${fmtP(c.change.p)}; ${c.before.n} vs ${c.after.n} samples, interleaved`;
  L.push(`**Change:** ${ghText(m.name)} ${fmtValue(c.before.median, m.unit)} → ${fmtValue(c.after.median, m.unit)}, **${fmtRatio(c.change.ratio)}** (${how})  `);
  L.push(
    `**Whole range:** ${fmtValue(r.endpoints.good.median, m.unit)} at good → ${fmtValue(r.endpoints.bad.median, m.unit)} at bad (${fmtRatio(r.endpoints.change.ratio)}); ` +
      `threshold ${fmtPct(r.threshold.value)}, ${Math.round(r.confidence * 100)}% confidence over the whole bisect`,
    '',
  );
  if (c.baseline !== c.parent) L.push(`Measured against ${ghCode(short(c.baseline))}, the nearest measured good commit, not the parent.`, '');
  if (c.suspicious) L.push(`**Doubtful:** ${ghText(c.suspicious, 400)}`, '');
  const others = r.culprits.filter((o) => o.sha !== c.sha);
  if (others.length) {
    L.push(`This bisect found ${r.culprits.length} culprits; the others: ${others.map((o) => `${ghCode(short(o.sha))} ${ghText(o.subject, 80)} ${fmtRatio(o.change.ratio)}`).join(', ')}.`, '');
  }
  L.push(...evidenceSummary(r.evidence?.find((e) => e.culprit === c.sha)));
  if (c.files.length) {
    const shown = c.files.slice(0, 5).map((f) => `${ghCode(f.file)} +${f.added} −${f.removed}`);
    L.push(`**Files changed:** ${shown.join(', ')}${c.files.length > 5 ? `, and ${c.files.length - 5} more` : ''}`, '');
  }
  L.push(
    links.reportUrl
      ? `**Full writeup:** [${links.reportUrl.includes('/actions/runs/') ? 'the workflow run' : 'report'}](${links.reportUrl}) (the job summary, and \`writeup.md\` with \`result.json\` among its artifacts).`
      : `**Full writeup:** ${ghCode(`${r.runDir}/writeup.md`)} on the machine that ran the bisect.`,
    '',
  );
  L.push('<details><summary>Reproduce</summary>', '', ...ghCodeBlock(r.reproduce, 'sh'), '', '</details>', '');
  L.push(`<sub>Posted by perfbisect (run ${ghText(r.runId, 80)}). Running this bisect again updates this comment.</sub>`);
  return fitBody(L);
}

/** The top of the evidence: the function that took the time, and the next two, or why there is no profile. */
function evidenceSummary(e: Evidence | undefined): string[] {
  if (!e) return [];
  const L = ['#### Why it is slower', ''];
  if (e.profiler === 'none') return [...L, `No profile: ${ghText(e.note ?? 'this probe kind has no profiler', 300)}.`, ''];
  const first = e.top[0];
  if (!first) {
    return [...L, `Profiled with ${profilerName[e.profiler]}: no function's share of the time changed by more than the noise between profiles of the same commit.`, ''];
  }
  L.push(
    `Profiled with ${profilerName[e.profiler]} at the parent and the culprit. ${ghCode(first.function)} (${where(first)}${note(first) ? `, ${note(first)}` : ''}) ` +
      `takes ${share(first.shareAfter)} of the time at the culprit, ${share(first.shareBefore)} before (${pts(first.delta)}, ` +
      `${first.deltaMs >= 0 ? '+' : ''}${fmtValue(first.deltaMs, 'ms')} per run).`,
    '',
  );
  if (e.top.length > 1) {
    L.push('| Function | Where | Δ share | Δ self/run | Change |', '|---|---|---|---|---|');
    for (const row of e.top.slice(0, 3)) {
      L.push(`| ${ghCode(row.function, { inTable: true })}${row.new ? ' (new)' : ''} | ${where(row, true)} | ${pts(row.delta)} | ${row.deltaMs >= 0 ? '+' : ''}${fmtValue(row.deltaMs, 'ms')} | ${note(row, true)} |`);
    }
    L.push('');
  }
  return L;
}

function where(r: EvidenceRow, inTable = false): string {
  return r.file ? ghCode(`${r.file}${r.line ? `:${r.line}` : ''}`, { inTable }) : '(native)';
}

function note(r: EvidenceRow, inTable = false): string {
  if (r.inChange === 'added') return 'added by this commit';
  if (r.inChange === 'modified') return 'modified by this commit';
  if (r.calledFrom) return `called from ${ghCode(r.calledFrom.function, { inTable })}, changed by this commit`;
  return '';
}
