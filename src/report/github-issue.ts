import { fmtP, fmtSignedPct as pct, fmtValue, short } from './format.js';
import type { DriftChange } from '../drift/types.js';
import type { DriftResult } from './drift.js';
import { commitUrl, writeupLink, type GitHubLinks } from './github-comment.js';
import { md, mdCode, mdFence } from './escape.js';
import { fitBody, ghTitle, hiddenMarker } from './github-markdown.js';

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
  const link = (sha: string) => `[${mdCode(short(sha))}](${commitUrl(links, sha)})`;
  const L: string[] = [driftIssueMarker(c.id)];
  L.push(`### ${md(m.name)} got ${pct(c.change)} worse on ${mdCode(r.branch)}`, '');
  L.push(
    `The drift check of the probe ${mdCode(r.probe.name)} (${r.probe.kind}) found a step in ` +
      `${mdCode(r.branch)}'s recent history, confirmed it by measuring its neighbours again, and bisected it` +
      `${c.culprit ? ' to one commit' : ', but no single commit carries it'}.`,
    '',
  );
  const by = md(author.name || 'unknown', 80);
  if (c.culprit) L.push(`**Culprit:** ${link(c.culprit)} ${md(c.subject)} by ${by}  `);
  else L.push(`**Between:** ${link(c.from)} and ${link(c.to)}  `);
  const values = `${fmtValue(c.before, m.unit)} → ${fmtValue(c.after, m.unit)}`;
  L.push(`**Change:** ${md(m.name)} ${values}, **${pct(c.change)}** (${fmtP(c.p)})  `);
  L.push(`**Change id:** ${mdCode(c.id)}  `);
  const window = `${mdCode(short(r.window.from))}..${mdCode(short(r.window.to))}`;
  L.push(
    `**Checked:** ${r.window.commits} commits (${window}), threshold ${(r.threshold * 100).toFixed(1)}%, ` +
      `on ${md(r.fingerprint.cpu, 80)} (${r.fingerprint.cores} cores)  `,
  );
  const again = c.known ? ' (already reported by an earlier check)' : '';
  L.push(`**Last seen:** ${seen.slice(0, 16).replace('T', ' ')} UTC, run ${md(r.runId, 80)}${again}`, '');
  if (author.unassigned) L.push(`Not assigned: ${md(author.unassigned, 200)}.`, '');
  if (r.drift) {
    const drift = `${pct(r.drift.total)} over ${r.drift.commits} commits`;
    L.push(`The same check also found gradual drift of ${drift}; see the full writeup.`, '');
  }
  L.push(writeupLink(links), '');
  L.push(
    'If the change is intended, acknowledge it: later checks stop alerting on it, and this issue is closed.',
    '',
    ...mdFence(`perfbisect drift ack ${c.id} --store ${r.store} --github-issue`, 'sh'),
    '',
  );
  L.push('<sub>Opened by perfbisect drift. A later check that sees this change again updates this issue.</sub>');
  return { title, body: fitBody(L) };
}

/** The note left on the issue when its change is acknowledged, just before it is closed. */
export function renderAckNote(id: string): string {
  const command = mdCode(`perfbisect drift ack ${id}`);
  return `Acknowledged with ${command}: later drift checks do not alert on this change. Closing.`;
}
