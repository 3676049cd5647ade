import type { Evidence, EvidenceRow } from '../evidence/types.js';
import { capitalised, fileLine, fmtConfidence, fmtP, fmtPct, fmtRatio, fmtValue, short } from './format.js';
import { md, mdCode, mdFence } from './escape.js';
import { fitBody, hiddenMarker } from './github-markdown.js';
import { absentBefore } from './evidence.js';
import { improvementText } from './improvements.js';
import { vanishedText } from './vanished.js';
import { wasSkipped, type ResultCulprit, type RunResult } from './result.js';

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
const ms = (v: number) => `${v >= 0 ? '+' : ''}${fmtValue(v, 'ms')}`;

/**
 * The comment on the culprit's pull request (or commit): the writeup's summary — the culprit, its
 * change with interval and p, the top of the evidence — and a link to the full writeup. Pure.
 */
export function renderBisectComment(r: RunResult, c: ResultCulprit, links: GitHubLinks): string {
  const m = r.probe.metric;
  const L: string[] = [bisectCommentMarker(r.probe.name, c.sha)];
  L.push(`### Performance regression: ${md(m.name)} ${fmtRatio(c.change.ratio)} at ${short(c.sha)}`, '');
  L.push(
    `perfbisect bisected ${mdCode(r.good.ref)}..${mdCode(r.bad.ref)} (${r.rangeSize} commits) ` +
      `with the probe ${mdCode(r.probe.name)} (${r.probe.kind}) and blames this change.`,
    '',
  );
  const link = `[${mdCode(short(c.sha))}](${commitUrl(links, c.sha)})`;
  L.push(`**Culprit:** ${link} ${md(c.subject)} by ${md(c.author, 80)}, ${c.date.slice(0, 10)}  `);
  const ci = `${fmtRatio(c.change.ci[0])} to ${fmtRatio(c.change.ci[1])}`;
  const how = r.probe.deterministic
    ? 'one exact measurement of each'
    : `${fmtConfidence(c.change.confidence)} interval ${ci}, ${fmtP(c.change.p)}; ` +
      `${c.before.n} vs ${c.after.n} samples, interleaved`;
  const values = `${fmtValue(c.before.median, m.unit)} → ${fmtValue(c.after.median, m.unit)}`;
  L.push(`**Change:** ${md(m.name)} ${values}, **${fmtRatio(c.change.ratio)}** (${how})  `);
  const e = r.endpoints;
  L.push(
    `**Whole range:** ${fmtValue(e.good.median, m.unit)} at good → ${fmtValue(e.bad.median, m.unit)} at bad ` +
      `(${fmtRatio(e.change.ratio)}); threshold ${fmtPct(r.threshold.value)}, ` +
      `${fmtConfidence(r.confidence)} confidence over the whole bisect`,
    '',
  );
  if (c.baseline !== c.parent) {
    L.push(`Measured against ${mdCode(short(c.baseline))}, the nearest measured good commit, not the parent.`, '');
  }
  if (c.suspicious) L.push(`**Doubtful:** ${md(c.suspicious, 400)}`, '');
  const others = r.culprits.filter((other) => other.sha !== c.sha);
  if (others.length) {
    const list = others.map(
      (other) => `${mdCode(short(other.sha))} ${md(other.subject, 80)} ${fmtRatio(other.change.ratio)}`,
    );
    L.push(`This bisect found ${r.culprits.length} culprits; the others: ${list.join(', ')}.`, '');
  }
  if (r.status === 'ambiguous' && r.suspects.length) {
    // Exit 3 beside a blamed commit: the reader should know another step was left unpinned.
    const list = r.suspects.map((s) => `${mdCode(short(s))}${wasSkipped(r, s) ? ' (could not be built or measured)' : ''}`);
    L.push(`**Not pinned:** a further step lies in one of ${list.join(', ')}; this bisect could not tell which.`, '');
  }
  L.push(...improvementsSeen(r));
  L.push(...searchedAgain(r));
  L.push(...evidenceSummary(r.evidence?.find((x) => x.culprit === c.sha)));
  if (c.files.length) {
    const shown = c.files.slice(0, 5).map((f) => `${mdCode(f.file)} +${f.added} −${f.removed}`);
    const more = c.files.length > 5 ? `, and ${c.files.length - 5} more` : '';
    L.push(`**Files changed:** ${shown.join(', ')}${more}`, '');
  }
  L.push(writeupLink(links, `${r.runDir}/writeup.md`), '');
  L.push('<details><summary>Reproduce</summary>', '', ...mdFence(r.reproduce, 'sh'), '', '</details>', '');
  L.push(`<sub>Posted by perfbisect (run ${md(r.runId, 80)}). Running this bisect again updates it.</sub>`);
  return fitBody(L);
}

/** A change for the better in the range means the culprit's own change is larger than good → bad shows. */
function improvementsSeen(r: RunResult): string[] {
  const improved = r.improvements ?? [];
  if (!improved.length) return [];
  const lines = improved.map((m) => `- ${improvementText(m, r.probe.metric.better, (s) => mdCode(s))}.`);
  return [
    `**Not the whole change:** the range also holds ${improved.length === 1 ? 'a change' : 'changes'} for the ` +
      'better, which perfbisect does not look for; the full writeup says how to locate one.',
    '',
    ...lines,
    '',
  ];
}

/** A step the search first closed on that was not there beside its parent: why the culprit is not that commit. */
function searchedAgain(r: RunResult): string[] {
  return (r.vanished ?? []).flatMap((v) => {
    const text = vanishedText({ ...v, ...v.change }, r.threshold.value, (s) => mdCode(s));
    return [`**Searched again:** ${capitalised(text)}.`, ''];
  });
}

/** The line that sends a reader to the full writeup: the workflow run, another URL, or a local path. */
export function writeupLink(links: GitHubLinks, localPath?: string): string {
  if (links.reportUrl) {
    const name = links.reportUrl.includes('/actions/runs/') ? 'the workflow run' : 'report';
    return `**Full writeup:** [${name}](${links.reportUrl}) (the job summary, and its artifacts).`;
  }
  return localPath
    ? `**Full writeup:** ${mdCode(localPath)} on the machine that ran it.`
    : '**Full writeup:** in the run folder on the machine that ran it.';
}

/** The top of the evidence: the function that took the time, and the next two, or why there is no profile. */
function evidenceSummary(e: Evidence | undefined): string[] {
  if (!e) return [];
  const L = ['#### Why it is slower', ''];
  if (e.profiler === 'none') {
    return [...L, `No profile: ${md(e.note ?? 'this probe kind has no profiler', 300)}.`, ''];
  }
  const by = `Profiled with ${profilerName[e.profiler]}`;
  const first = e.top[0];
  if (!first) {
    const none = "no function's share of the time changed by more than the noise between profiles of one commit";
    return [...L, `${by}: ${none}.`, ''];
  }
  const how = note(first) ? `, ${note(first)}` : '';
  L.push(
    `${by} at the parent and the culprit. ${mdCode(first.function)} (${where(first)}${how}) takes ` +
      `${share(first.shareAfter)} of the time at the culprit, ${share(first.shareBefore)} before ` +
      // A run of a set length (go test -bench): its milliseconds are no slowdown, the share is the figure.
      `(${pts(first.delta)}${e.fixedTime ? '; each profiled run lasts about a set time' : `, ${ms(first.deltaMs)} per run`}).`,
    '',
  );
  if (e.top.length > 1) {
    L.push('| Function | Where | Δ share | Δ self/run | Change |', '|---|---|---|---|---|');
    for (const row of e.top.slice(0, 3)) {
      const fn = `${mdCode(row.function, { inTable: true })}${absentBefore(row)}`;
      const perRun = e.fixedTime ? '–' : ms(row.deltaMs);
      L.push(`| ${fn} | ${where(row, true)} | ${pts(row.delta)} | ${perRun} | ${note(row, true)} |`);
    }
    L.push('');
  }
  return L;
}

function where(r: EvidenceRow, inTable = false): string {
  return r.file
    ? mdCode(fileLine(r), { inTable })
    : r.line
      ? '(evaluated code)'
      : '(native)';
}

function note(r: EvidenceRow, inTable = false): string {
  if (r.inChange === 'added') return 'added by this commit';
  if (r.inChange === 'modified') return 'modified by this commit';
  const under = r.under ? `under ${mdCode(r.under.function, { inTable })}` : '';
  if (r.calledFrom) return `${under ? `${under}, ` : ''}called from ${mdCode(r.calledFrom.function, { inTable })}, which this commit changed`;
  if (r.calls) return `${under ? `${under}, ` : ''}calls ${mdCode(r.calls.function, { inTable })}, which this commit changed`;
  if (under) return under;
  return '';
}
