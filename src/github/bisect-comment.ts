import { hasMarker } from '../report/github-markdown.js';
import { bisectCommentMarker, renderBisectComment } from '../report/github-comment.js';
import type { RunResult } from '../report/result.js';
import { GitHubClient, githubWarning, type ClientOptions } from './client.js';
import type { GitHubSettings } from './settings.js';

interface PullRequest {
  number: number;
  html_url: string;
  state: string;
  merged_at: string | null;
}
interface Comment {
  id: number;
  html_url: string;
  body?: string | null;
}

export interface Posted {
  on: 'pull request' | 'commit';
  number?: number;
  url: string;
  action: 'created' | 'updated';
}

/**
 * Put `body` where the culprit's author reads it: the pull request that brought the commit in
 * (the merged one first, as GitHub lists it), else the commit itself. A comment that opens with the
 * same marker is edited instead of a new one added, so re-runs never pile up comments.
 */
export async function upsertCulpritComment(
  gh: GitHubClient, sha: string, marker: string, body: string,
): Promise<Posted> {
  const pulls = await gh.get<PullRequest[]>(gh.repoPath(`/commits/${sha}/pulls`));
  const pull = pulls.find((p) => p.merged_at) ?? pulls.find((p) => p.state === 'open') ?? pulls[0];
  if (pull) {
    const comments = await gh.list<Comment>(gh.repoPath(`/issues/${pull.number}/comments`));
    const existing = comments.find((c) => hasMarker(c.body, marker));
    const c = existing
      ? await gh.patch<Comment>(gh.repoPath(`/issues/comments/${existing.id}`), { body })
      : await gh.post<Comment>(gh.repoPath(`/issues/${pull.number}/comments`), { body });
    return { on: 'pull request', number: pull.number, url: c.html_url, action: existing ? 'updated' : 'created' };
  }
  const comments = await gh.list<Comment>(gh.repoPath(`/commits/${sha}/comments`));
  const existing = comments.find((c) => hasMarker(c.body, marker));
  const c = existing
    ? await gh.patch<Comment>(gh.repoPath(`/comments/${existing.id}`), { body })
    : await gh.post<Comment>(gh.repoPath(`/commits/${sha}/comments`), { body });
  return { on: 'commit', url: c.html_url, action: existing ? 'updated' : 'created' };
}

/**
 * `--github-comment`: one comment per culprit. Failures become one warning line each; they never
 * change the bisect's exit code.
 */
export async function commentOnCulprits(
  settings: GitHubSettings, result: RunResult, out: { say: (line: string) => void; warn: (line: string) => void },
  client: ClientOptions = {},
): Promise<void> {
  if (!result.culprits.length) {
    out.say(`github: no culprit (${result.status}): nothing to comment on`);
    return;
  }
  const gh = new GitHubClient(settings, client);
  for (const c of result.culprits) {
    const body = renderBisectComment(result, c, settings);
    try {
      const p = await upsertCulpritComment(gh, c.sha, bisectCommentMarker(result.probe.name, c.sha), body);
      const on = p.on === 'pull request' ? `pull request #${p.number}` : `commit ${c.sha.slice(0, 10)}`;
      out.say(`github: ${p.action} the comment on ${on}: ${p.url}`);
    } catch (e) {
      out.warn(githubWarning(e, `the comment on ${c.sha.slice(0, 10)} was not posted`, settings));
    }
  }
}
