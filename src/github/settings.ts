import { UsageError } from '../errors.js';

/** Where and as whom perfbisect talks to GitHub: the variables GitHub Actions sets for every step. */
export interface GitHubSettings {
  token: string;
  owner: string;
  repo: string;
  /** REST API root: GITHUB_API_URL (GitHub Enterprise Server sets its own), else the public API. */
  apiUrl: string;
  /** Web root for links to commits: GITHUB_SERVER_URL, else https://github.com. */
  serverUrl: string;
  /** Where a reader finds the full writeup: PERFBISECT_REPORT_URL, else this Actions run's page. */
  reportUrl?: string;
  /** First retry delay; doubles on each retry (PERFBISECT_GITHUB_BACKOFF_MS, default 1000). */
  backoffMs: number;
}

/**
 * Read the settings for `flag` (--github-comment, --github-issue) from the environment, before
 * anything is measured: a missing token or repository is a usage error (exit 2), as `gh` refuses
 * to run unauthenticated, rather than an hour of measuring whose result cannot be posted.
 */
export function githubSettings(flag: string, env: NodeJS.ProcessEnv = process.env): GitHubSettings {
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) {
    throw new UsageError(
      `${flag} needs a token in GITHUB_TOKEN: in GitHub Actions pass \`env: GITHUB_TOKEN: \${{ github.token }}\` ` +
        'to the step; elsewhere export a token that may write comments and issues.',
    );
  }
  const repository = env.GITHUB_REPOSITORY ?? '';
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(repository);
  if (!m) {
    throw new UsageError(
      repository
        ? `${flag}: GITHUB_REPOSITORY=${JSON.stringify(repository)} is not owner/name, like octo-org/my-service.`
        : `${flag} needs GITHUB_REPOSITORY=owner/name (GitHub Actions sets it; elsewhere export it, ` +
          'like GITHUB_REPOSITORY=octo-org/my-service).',
    );
  }
  const apiUrl = httpUrl(env.GITHUB_API_URL || 'https://api.github.com', 'GITHUB_API_URL', flag);
  const serverUrl = httpUrl(env.GITHUB_SERVER_URL || 'https://github.com', 'GITHUB_SERVER_URL', flag);
  const rawBackoff = env.PERFBISECT_GITHUB_BACKOFF_MS;
  const backoff = rawBackoff === undefined || rawBackoff === '' ? 1000 : Number(rawBackoff);
  if (!Number.isFinite(backoff) || backoff < 0) {
    throw new UsageError(`PERFBISECT_GITHUB_BACKOFF_MS=${rawBackoff}: give milliseconds, like 1000.`);
  }
  const runPage = env.GITHUB_RUN_ID ? `${serverUrl}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  const reportUrl = env.PERFBISECT_REPORT_URL
    ? httpUrl(env.PERFBISECT_REPORT_URL, 'PERFBISECT_REPORT_URL', flag)
    : runPage;
  return { token, owner: m[1], repo: m[2], apiUrl, serverUrl, reportUrl, backoffMs: backoff };
}

function httpUrl(raw: string, name: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${flag}: ${name}=${JSON.stringify(raw)} is not a URL, like https://api.github.com.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new UsageError(`${flag}: ${name} must be an http(s) URL, got ${JSON.stringify(raw)}.`);
  }
  return u.href.replace(/\/+$/, '');
}
