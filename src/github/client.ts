import type { GitHubSettings } from './settings.js';

/** An answer GitHub gave (or could not give, status 0) after any retries. */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`GitHub answered ${status ? status : 'nothing'} to ${method} ${path}${detail ? `: ${detail}` : ''}`);
  }
}

export interface ClientOptions {
  /** Retries after a rate limit, a 5xx or a network error (default 4). */
  retries?: number;
  /** The longest wait perfbisect accepts for a rate limit to lift; beyond it the call fails (default 2 min). */
  maxWaitMs?: number;
  timeoutMs?: number;
  /** Injected by tests to observe the waits instead of sitting them out. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const apiVersion = '2022-11-28';

/**
 * The few REST calls perfbisect makes, with GitHub's documented retry rules: a primary rate limit
 * (403/429 with x-ratelimit-remaining: 0) waits until x-ratelimit-reset, a secondary one for
 * retry-after seconds or at least a minute, a 5xx or a dropped connection backs off exponentially.
 * Anything else (401, 403, 404, 422) is final and thrown as a GitHubError.
 */
export class GitHubClient {
  private readonly retries: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(readonly settings: GitHubSettings, private readonly options: ClientOptions = {}) {
    this.retries = options.retries ?? 4;
    this.maxWaitMs = options.maxWaitMs ?? 120_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
  }

  /** `/repos/{owner}/{repo}` + suffix. */
  repoPath(suffix: string): string {
    return `/repos/${encodeURIComponent(this.settings.owner)}/${encodeURIComponent(this.settings.repo)}${suffix}`;
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).data;
  }
  async post<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('POST', path, body)).data;
  }
  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('PATCH', path, body)).data;
  }

  /** Every page of a list, following the Link header's rel="next" (at most `maxPages` pages). */
  async list<T>(path: string, maxPages = 30): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = `${path}${path.includes('?') ? '&' : '?'}per_page=100`;
    for (let page = 0; next && page < maxPages; page++) {
      const r: { data: T[]; link?: string } = await this.request<T[]>('GET', next);
      out.push(...r.data);
      next = nextLink(r.link, this.settings.apiUrl);
    }
    return out;
  }

  async request<T>(
    method: string, path: string, body?: unknown,
  ): Promise<{ status: number; data: T; link?: string }> {
    const url = /^https?:/.test(path) ? path : `${this.settings.apiUrl}${path}`;
    const shown = path.replace(/^https?:\/\/[^/]+/, '').replace(/[?&]per_page=100/, '');
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `Bearer ${this.settings.token}`,
            'x-github-api-version': apiVersion,
            'user-agent': 'perfbisect',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const why = `could not reach ${new URL(url).host} (${cause?.code ?? cause?.message ?? (e as Error).message})`;
        if (attempt >= this.retries) throw new GitHubError(0, method, shown, why);
        await this.sleep(this.backoff(attempt));
        continue;
      }
      const text = await res.text();
      if (res.ok) {
        const data = (text ? JSON.parse(text) : undefined) as T;
        return { status: res.status, data, link: res.headers.get('link') ?? undefined };
      }
      const detail = errorDetail(text, res.statusText);
      const wait = this.retryWait(res, detail, attempt);
      if (wait === undefined || attempt >= this.retries) throw new GitHubError(res.status, method, shown, detail);
      if (wait > this.maxWaitMs) {
        const lifts = new Date(this.now() + wait).toISOString().slice(11, 16);
        const why = `${detail} (the limit lifts at ${lifts} UTC; not waiting that long)`;
        throw new GitHubError(res.status, method, shown, why);
      }
      await this.sleep(wait);
    }
  }

  private backoff(attempt: number): number {
    return this.settings.backoffMs * 2 ** attempt;
  }

  /** How long to wait before trying again, or undefined when the answer is final. */
  private retryWait(res: Response, detail: string, attempt: number): number | undefined {
    const h = res.headers;
    const exhausted = h.get('x-ratelimit-remaining') === '0';
    const hinted = exhausted || h.has('retry-after') || /rate limit/i.test(detail);
    const limited = res.status === 429 || (res.status === 403 && hinted);
    if (limited) {
      const after = Number(h.get('retry-after'));
      if (h.has('retry-after') && Number.isFinite(after)) return Math.max(after * 1000, this.backoff(attempt));
      const reset = Number(h.get('x-ratelimit-reset'));
      if (exhausted && Number.isFinite(reset)) return Math.max(reset * 1000 - this.now(), this.backoff(attempt));
      // A secondary limit without a hint: GitHub asks for at least a minute.
      return Math.max(60_000, this.backoff(attempt));
    }
    if (res.status >= 500) return this.backoff(attempt);
    return undefined;
  }
}

/** GitHub's error body: `{ message, errors?: [{ message?, code?, field? }] }`. */
function errorDetail(text: string, statusText: string): string {
  try {
    type Body = { message?: string; errors?: { message?: string; code?: string; field?: string }[] };
    const j = JSON.parse(text) as Body;
    const first = j.errors?.[0];
    const extra = first ? first.message ?? [first.field, first.code].filter(Boolean).join(' ') : '';
    return [j.message, extra].filter(Boolean).join(': ').replace(/\s+/g, ' ').slice(0, 300);
  } catch {
    return statusText || text.replace(/\s+/g, ' ').slice(0, 120);
  }
}

/** The rel="next" URL of a Link header, kept only when it points at the same API. */
function nextLink(link: string | undefined, apiUrl: string): string | undefined {
  const m = link && /<([^>]+)>;\s*rel="next"/.exec(link);
  if (!m) return undefined;
  return m[1].startsWith(apiUrl) || new URL(m[1]).host === new URL(apiUrl).host ? m[1] : undefined;
}

/**
 * One line for a GitHub call that failed for good: what GitHub said, what was not done, that the
 * run's result stands, and the likely fix.
 */
export function githubWarning(e: unknown, notDone: string, settings: GitHubSettings): string {
  if (!(e instanceof GitHubError)) return `GitHub: ${(e as Error).message}: ${notDone} (the result stands)`;
  const hints: Record<number, string> = {
    401: ' Check the token in GITHUB_TOKEN.',
    403: ' The token may lack a permission: in Actions give the job `permissions:` pull-requests: write and ' +
      'contents: write (comments) or issues: write (issues).',
    404: ` Check GITHUB_REPOSITORY=${settings.owner}/${settings.repo} and that the token can see it.`,
    422: ' Is the commit pushed to GitHub?',
  };
  return `${e.message}: ${notDone} (the result stands).${hints[e.status] ?? ''}`;
}

/** Lines about posting to GitHub, after the run's own output; a failure is a warning, never an exit code. */
export const cliOutput = {
  say: (line: string) => process.stdout.write(`${line}\n`),
  warn: (line: string) => process.stderr.write(`perfbisect: warning: ${line}\n`),
};
