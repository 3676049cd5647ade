import type { DriftChange } from '../drift/types.js';
import type { DriftResult } from '../report/drift.js';
import { driftIssueMarker, renderAckNote, renderDriftIssue, type IssueAuthor } from '../report/github-issue.js';
import { hasMarker } from '../report/github-markdown.js';
import { GitHubClient, GitHubError, githubWarning, type ClientOptions } from './client.js';
import type { GitHubSettings } from './settings.js';

/** Every issue perfbisect opens carries this label: it is how a later run finds them. */
export const issueLabel = {
  name: 'perfbisect',
  color: 'd93f0b',
  description: 'A performance regression found by perfbisect drift',
};

interface Issue {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  body?: string | null;
  pull_request?: unknown;
}

export interface Output {
  say: (line: string) => void;
  warn: (line: string) => void;
}

/** The issues perfbisect opened, open or closed (pull requests, which the issues API lists too, left out). */
async function ourIssues(gh: GitHubClient): Promise<Issue[]> {
  const all = await gh.list<Issue>(gh.repoPath(`/issues?labels=${encodeURIComponent(issueLabel.name)}&state=all`));
  return all.filter((i) => !i.pull_request);
}

async function ensureLabel(gh: GitHubClient): Promise<void> {
  try {
    await gh.get(gh.repoPath(`/labels/${encodeURIComponent(issueLabel.name)}`));
  } catch (e) {
    if (!(e instanceof GitHubError) || e.status !== 404) throw e;
    try {
      await gh.post(gh.repoPath('/labels'), issueLabel);
    } catch (e2) {
      // Another run created it in between.
      if (!(e2 instanceof GitHubError) || e2.status !== 422) throw e2;
    }
  }
}

/**
 * The culprit's author as an assignee: the GitHub account the commit is linked to (commits API),
 * if that account may be assigned here. Anything less leaves the issue unassigned, saying why.
 */
async function authorAccount(gh: GitHubClient, sha: string, name: string): Promise<IssueAuthor> {
  let login: string | undefined;
  try {
    login = (await gh.get<{ author: { login: string } | null }>(gh.repoPath(`/commits/${sha}`))).author?.login;
  } catch (e) {
    if (!(e instanceof GitHubError) || e.status === 401) throw e;
    return { name, unassigned: `GitHub could not look up the commit (${e.status}${e.detail ? ` ${e.detail}` : ''})` };
  }
  if (!login) return { name, unassigned: "the commit's author email is not linked to a GitHub account" };
  try {
    await gh.get(gh.repoPath(`/assignees/${encodeURIComponent(login)}`));
    return { name, login };
  } catch (e) {
    if (!(e instanceof GitHubError) || e.status !== 404) throw e;
    return { name, unassigned: `${login}, the author, cannot be assigned issues in this repository` };
  }
}

async function closeWithNote(gh: GitHubClient, issue: Issue, id: string): Promise<void> {
  await gh.post(gh.repoPath(`/issues/${issue.number}/comments`), { body: renderAckNote(id) });
  await gh.patch(gh.repoPath(`/issues/${issue.number}`), { state: 'closed', state_reason: 'not_planned' });
}

/**
 * `drift --github-issue`: an issue for each new confirmed regression (labelled, assigned to the
 * culprit's author where possible), the existing issue updated when a change is seen again, and the
 * issue of every acknowledged change closed. A GitHub failure is one warning; the check's exit code stands.
 */
export async function syncDriftIssues(
  settings: GitHubSettings, result: DriftResult,
  options: Output & {
    acked: ReadonlySet<string>;
    authorOf: (sha: string) => Promise<string>;
    client?: ClientOptions;
    now?: Date;
  },
): Promise<void> {
  const open = (c: DriftChange) => c.confirmed && c.kind === 'regression' && !c.acked && !options.acked.has(c.id);
  const regressions = result.changes.filter(open);
  const acked = new Set([...options.acked, ...result.changes.filter((c) => c.acked).map((c) => c.id)]);
  if (!regressions.length && !acked.size) return;
  const gh = new GitHubClient(settings, options.client);
  const seen = (options.now ?? new Date()).toISOString();
  try {
    const issues = await ourIssues(gh);
    const find = (id: string) => issues.find((i) => hasMarker(i.body, driftIssueMarker(id)));
    for (const c of regressions) await upsertIssue(gh, settings, result, c, find(c.id), seen, options);
    for (const id of acked) {
      const issue = find(id);
      if (issue?.state !== 'open') continue;
      await closeWithNote(gh, issue, id);
      options.say(`github: closed issue #${issue.number} of acknowledged change ${id}: ${issue.html_url}`);
    }
  } catch (e) {
    options.warn(githubWarning(e, 'the drift issues were not all opened or updated', settings));
  }
}

async function upsertIssue(
  gh: GitHubClient, settings: GitHubSettings, result: DriftResult, c: DriftChange, existing: Issue | undefined,
  seen: string, options: Output & { authorOf: (sha: string) => Promise<string> },
): Promise<void> {
  const name = c.culprit ? await options.authorOf(c.culprit).catch(() => '') : '';
  if (existing) {
    // Keep whatever assignment people made since; refresh what was measured.
    const { title, body } = renderDriftIssue(result, c, settings, { name }, seen);
    await gh.patch(gh.repoPath(`/issues/${existing.number}`), { title, body });
    options.say(
      `github: updated issue #${existing.number} (${existing.state}) of change ${c.id}: ${existing.html_url}`,
    );
    return;
  }
  if (c.known) {
    options.say(`github: change ${c.id} was reported by an earlier check without an issue: not opening one now`);
    return;
  }
  const author = c.culprit
    ? await authorAccount(gh, c.culprit, name)
    : { name, unassigned: 'no single commit carries the change' };
  const { title, body } = renderDriftIssue(result, c, settings, author, seen);
  await ensureLabel(gh);
  const assignees = author.login ? [author.login] : [];
  const issue = await gh.post<Issue>(gh.repoPath('/issues'), { title, body, labels: [issueLabel.name], assignees });
  const to = author.login ? `, assigned to ${author.login}` : '';
  options.say(`github: opened issue #${issue.number} for change ${c.id}${to}: ${issue.html_url}`);
}

/** `drift ack <id> --github-issue`: close the change's issue with a note. */
export async function closeDriftIssue(
  settings: GitHubSettings, id: string, options: Output & { client?: ClientOptions },
): Promise<void> {
  const gh = new GitHubClient(settings, options.client);
  try {
    const issue = (await ourIssues(gh)).find((i) => hasMarker(i.body, driftIssueMarker(id)));
    if (!issue) return options.say(`github: no issue of change ${id} (label ${issueLabel.name}): nothing to close`);
    if (issue.state !== 'open') return options.say(`github: issue #${issue.number} of change ${id} is already closed`);
    await closeWithNote(gh, issue, id);
    options.say(`github: closed issue #${issue.number} of change ${id}: ${issue.html_url}`);
  } catch (e) {
    options.warn(githubWarning(e, `the issue of ${id} was not closed`, settings));
  }
}
