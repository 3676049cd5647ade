import { fmtP, fmtSignedPct as pct, fmtValue, short } from './format.js';
import type { DriftChange, DriftResult } from './drift.js';
import { commitUrl, type GitHubLinks } from './github-comment.js';
import { fitBody, ghCode, ghCodeBlock, ghText, ghTitle, hiddenMarker } from './github-markdown.js';

/** One issue per change id: a later check finds it by this marker. */
export function driftIssueMarker(id: string): string {
  return hiddenMarker('drift', { id });
}

/** Who the culprit's author is, and whether the issue could be assigned to them. */
export interface IssueAuthor {
  name: string;
  /** The GitHub account the commit is linked to, when it could be assigned. */
  login?: string;
  /** Why nobody was assigned. */
  unassigned?: string;
}

/** The issue for one regression a drift check found: title and body. Pure; `seen` is the check's time. */
export function renderDriftIssue(
  r: DriftResult, c: DriftChange, links: GitHubLinks, author: IssueAuthor, seen: string,
): { title: string; body: string } {
  const m = r.probe.metric;
  const at = c.culprit ? `${short(c.culprit)} ${c.subject}` : `${short(c.from)}..${short(c.to)}`;
  const title = ghTitle(`perfbisect: ${r.probe.name} ${pct(c.change)} (${m.name}) at ${at}`);
  const L: string[] = [driftIssueMarker(c.id)];
  L.push(`### ${ghText(m.name)} got ${pct(c.change)} worse on ${ghCode(r.branch)}`, '');
  L.push(
    `The drift check of the probe ${ghCode(r.probe.name)} (${r.probe.kind}) found a step in ${ghCode(r.branch)}'s recent history, ` +
      `confirmed it by measuring its neighbours again, and bisected it${c.culprit ? ' to one commit' : ', but no single commit carries it'}.`,
    '',
  );
  if (c.culprit) {
    L.push(`**Culprit:** [${ghCode(short(c.culprit))}](${commitUrl(links, c.culprit)}) ${ghText(c.subject)} by ${ghText(author.name || 'unknown', 80)}  `);
  } else {
    L.push(`**Between:** [${ghCode(short(c.from))}](${commitUrl(links, c.from)}) and [${ghCode(short(c.to))}](${commitUrl(links, c.to)})  `);
  }
  L.push(`**Change:** ${ghText(m.name)} ${fmtValue(c.before, m.unit)} → ${fmtValue(c.after, m.unit)}, **${pct(c.change)}** (${fmtP(c.p)})  `);
  L.push(`**Change id:** ${ghCode(c.id)}  `);
  L.push(
    `**Checked:** ${r.window.commits} commits (${ghCode(short(r.window.from))}..${ghCode(short(r.window.to))}), threshold ${(r.threshold * 100).toFixed(1)}%, ` +
      `on ${ghText(r.fingerprint.cpu, 80)} (${r.fingerprint.cores} cores)  `,
  );
  L.push(`**Last seen:** ${seen.slice(0, 16).replace('T', ' ')} UTC, run ${ghText(r.runId, 80)}${c.known ? ' (already reported by an earlier check)' : ''}`, '');
  if (author.unassigned) L.push(`Not assigned: ${ghText(author.unassigned, 200)}.`, '');
  if (r.drift) L.push(`The same check also found gradual drift of ${pct(r.drift.total)} over ${r.drift.commits} commits; see the full writeup.`, '');
  L.push(
    links.reportUrl
      ? `**Full writeup:** [${links.reportUrl.includes('/actions/runs/') ? 'the workflow run' : 'report'}](${links.reportUrl}) (its job summary and artifacts).`
      : '**Full writeup:** in the drift check\'s run folder on the machine that ran it.',
    '',
  );
  L.push(
    'If the change is intended, acknowledge it: later checks stop alerting on it, and this issue is closed.',
    '',
    ...ghCodeBlock(`perfbisect drift ack ${c.id} --store ${r.store} --github-issue`, 'sh'),
    '',
  );
  L.push('<sub>Opened by perfbisect drift. A later check that sees this change again updates this issue.</sub>');
  return { title, body: fitBody(L) };
}

/** The note left on the issue when its change is acknowledged, just before it is closed. */
export function renderAckNote(id: string): string {
  return `Acknowledged with ${ghCode(`perfbisect drift ack ${id}`)}: later drift checks do not alert on this change. Closing.`;
}
