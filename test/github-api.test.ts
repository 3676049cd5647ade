import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commentOnCulprits, upsertCulpritComment } from '../src/github/bisect-comment.js';
import { GitHubClient, GitHubError, githubWarning } from '../src/github/client.js';
import { closeDriftIssue, syncDriftIssues } from '../src/github/drift-issues.js';
import { githubSettings, type GitHubSettings } from '../src/github/settings.js';
import type { DriftResult } from '../src/report/drift.js';
import { renderBisectComment } from '../src/report/github-comment.js';
import type { RunResult } from '../src/report/result.js';
import { error, FakeGitHub, rateLimited, secondaryRateLimited } from './fixtures/github-api.js';

/**
 * perfbisect against GitHub's REST API, which this machine cannot reach: msw serves the stand-in
 * of test/fixtures/github-api.ts in-process. Waits are observed through an injected sleep, so the
 * retry rules are checked at GitHub's real delays without sitting them out.
 */
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

let fake: FakeGitHub;
let settings: GitHubSettings;
let waits: number[];
const client = () => ({ sleep: async (ms: number) => void waits.push(ms) });
function freshFake(): void {
  fake = new FakeGitHub();
  server.resetHandlers(...fake.handlers());
  settings = githubSettings('--github-comment', { GITHUB_TOKEN: fake.token, GITHUB_REPOSITORY: fake.fullName });
  waits = [];
}

const sha = (c: string) => c.repeat(40);
const culprit = (s: string, subject: string) => ({
  sha: s, subject, author: 'Ada <@ada>', date: '2026-01-02T00:00:00Z', parent: sha('0'), baseline: sha('0'),
  files: [{ file: 'src/hot|path.js', added: 12, removed: 1 }],
  before: { median: 40, n: 12, spread: 1 }, after: { median: 80, n: 12, spread: 2 },
  change: { ratio: 2, ci: [1.8, 2.2] as [number, number], confidence: 0.95, p: 0.00002, worse: 1 },
});
function runResult(culprits: ReturnType<typeof culprit>[]): RunResult {
  return {
    schemaVersion: 1,
    status: culprits.length ? 'found' : 'no-regression',
    culprit: culprits[0] ?? null,
    culprits,
    suspects: [],
    unresolved: false,
    commits: [],
    probe: {
      name: 'api',
      kind: 'command',
      metric: { name: 'wall time', unit: 'ms', better: 'lower' },
      deterministic: false,
    },
    good: { ref: 'v1.2', sha: sha('0') },
    bad: { ref: 'HEAD', sha: sha('f') },
    endpoints: {
      good: { median: 40, n: 12, spread: 1 },
      bad: { median: 81, n: 12, spread: 2 },
      change: { ratio: 2.02, ci: [1.9, 2.1], confidence: 0.95, p: 0.0001, worse: 1 },
      inconclusive: false,
    },
    threshold: { value: 0.05, source: 'half the good→bad change, at most 5%' },
    noRegressionBelow: 0.05,
    confidence: 0.95,
    alphaPerComparison: 0.004,
    decisions: { count: 5, alphaSpent: 0.012, minStep: 0.05, beta: 0.05 },
    minorSteps: [],
    rangeSize: 9,
    runId: '20260102T000000-0000000-fffffff',
    runDir: '/cache/runs/x',
    reproduce: 'perfbisect --good v1.2 --bad HEAD --probe api --github-comment',
    cost: {
      wallSeconds: 10,
      builds: 0,
      buildSeconds: 0,
      samples: 40,
      measureSeconds: 8,
      cachedBlocks: 0,
      perCommit: {},
    },
    evidence: culprits.map((c) => ({
      culprit: c.sha,
      parent: c.parent,
      profiler: 'v8' as const,
      runs: { before: 5, after: 5 },
      samples: { before: 900, after: 1800 },
      noise: 1.2,
      shrank: [],
      lines: [],
      top: [
        {
          function: 'checksum',
          file: 'src/checksum.js',
          line: 2,
          selfBefore: 1,
          selfAfter: 40,
          totalBefore: 1,
          totalAfter: 40,
          shareBefore: 0.02,
          shareAfter: 0.5,
          delta: 48,
          deltaMs: 39,
          new: false,
          inChange: 'added' as const,
        },
        {
          function: 'parse|all',
          file: 'src/parse.js',
          line: 9,
          selfBefore: 10,
          selfAfter: 11,
          totalBefore: 10,
          totalAfter: 11,
          shareBefore: 0.25,
          shareAfter: 0.14,
          delta: -11,
          deltaMs: 1,
          new: false,
          inChange: false as const,
        },
      ],
    })),
  } as RunResult;
}

describe('the GitHub client: retries as GitHub documents them', () => {
  it('waits out a primary rate limit until x-ratelimit-reset, then succeeds', async () => {
    freshFake();
    fake.commit(sha('a'));
    fake.failNext('GET', /\/commits\/a+\/pulls$/, () => rateLimited(30));
    const gh = new GitHubClient(settings, client());
    expect(await gh.get(gh.repoPath(`/commits/${sha('a')}/pulls`))).toEqual([]);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(28_000);
    expect(waits[0]).toBeLessThanOrEqual(30_000);
  });

  it('honours retry-after of a secondary limit (403 or 429), and waits a minute when GitHub gives no hint', async () => {
    freshFake();
    fake.commit(sha('a'));
    fake.failNext('GET', /pulls$/, () => secondaryRateLimited(7));
    fake.failNext('GET', /pulls$/, () => secondaryRateLimited(3, 429));
    fake.failNext('GET', /pulls$/, () => error(403, 'You have exceeded a secondary rate limit.'));
    const gh = new GitHubClient(settings, client());
    await gh.get(gh.repoPath(`/commits/${sha('a')}/pulls`));
    expect(waits).toEqual([7000, 3000, 60_000]);
  });

  it('backs off exponentially after 5xx answers and dropped connections, then succeeds', async () => {
    freshFake();
    fake.commit(sha('a'));
    fake.failNext('GET', /pulls$/, () => error(502, 'Server Error'), 2);
    fake.failNext('GET', /pulls$/, () => HttpResponse.error());
    const gh = new GitHubClient({ ...settings, backoffMs: 100 }, client());
    await gh.get(gh.repoPath(`/commits/${sha('a')}/pulls`));
    expect(waits).toEqual([100, 200, 400]);
    expect(fake.requests.filter((r) => r.path.endsWith('/pulls'))).toHaveLength(4);
  });

  it('gives up after its retries, and does not wait for a limit that lifts too late', async () => {
    freshFake();
    fake.commit(sha('a'));
    fake.failNext('GET', /pulls$/, () => error(503, 'Service Unavailable'), 10);
    const gh = new GitHubClient(settings, { ...client(), retries: 2 });
    await expect(gh.get(gh.repoPath(`/commits/${sha('a')}/pulls`))).rejects.toMatchObject({ status: 503 });
    expect(waits).toHaveLength(2);
    freshFake();
    fake.commit(sha('a'));
    fake.failNext('GET', /pulls$/, () => rateLimited(3600));
    const e = await new GitHubClient(settings, client()).get(`/repos/${fake.fullName}/commits/${sha('a')}/pulls`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitHubError);
    expect((e as Error).message).toMatch(/^GitHub answered 403 to GET .*: API rate limit exceeded.*the limit lifts at \d\d:\d\d UTC; not waiting that long/);
    expect(waits).toEqual([]);
  });

  it('does not retry 401, 403 or 404: the answer is final', async () => {
    for (const [status, message] of [[401, 'Bad credentials'], [403, 'Resource not accessible by integration'], [404, 'Not Found']] as const) {
      freshFake();
      fake.commit(sha('a'));
      fake.failNext('GET', /pulls$/, () => error(status, message));
      const gh = new GitHubClient(settings, client());
      await expect(gh.get(gh.repoPath(`/commits/${sha('a')}/pulls`))).rejects.toMatchObject({ status, detail: message });
      expect(waits).toEqual([]);
      expect(fake.requests).toHaveLength(1);
    }
  });

  it('follows the Link header through every page', async () => {
    freshFake();
    fake.pullRequest(7, [sha('a')]);
    for (let i = 0; i < 250; i++) fake.issueComments.push({ id: i + 1, on: 7, body: `c${i}`, created_at: '', updated_at: '' });
    const gh = new GitHubClient(settings, client());
    const all = await gh.list<{ body: string }>(gh.repoPath('/issues/7/comments'));
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 250 }, (_, i) => `c${i}`));
    expect(fake.requests).toHaveLength(3);
  });

  it('warns in one line with what GitHub said, what was not done, and the likely fix', () => {
    const w = githubWarning(new GitHubError(403, 'POST', '/repos/o/r/issues/7/comments', 'Resource not accessible by integration'), 'the comment was not posted', settings);
    expect(w).toBe(
      'GitHub answered 403 to POST /repos/o/r/issues/7/comments: Resource not accessible by integration: the comment was not posted (the result stands). ' +
        'The token may lack a permission: in Actions give the job `permissions:` pull-requests: write and contents: write (comments) or issues: write (issues).',
    );
    expect(w).not.toContain('\n');
  });
});

describe('settings from the Actions environment', () => {
  it('needs a token and owner/name, defaults the API, and links the run', () => {
    expect(() => githubSettings('--github-comment', { GITHUB_REPOSITORY: 'o/r' })).toThrow(/^--github-comment needs a token in GITHUB_TOKEN/);
    expect(() => githubSettings('--github-comment', { GITHUB_TOKEN: 't' })).toThrow(/needs GITHUB_REPOSITORY=owner\/name/);
    expect(() => githubSettings('--github-issue', { GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'just-a-name' })).toThrow(/is not owner\/name/);
    expect(() => githubSettings('--github-issue', { GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'o/r', GITHUB_API_URL: 'ftp://x' })).toThrow(/must be an http\(s\) URL/);
    const s = githubSettings('--github-comment', { GH_TOKEN: 't', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://ghe.example.com/' });
    expect(s).toMatchObject({ token: 't', owner: 'o', repo: 'r', apiUrl: 'https://api.github.com', serverUrl: 'https://ghe.example.com', reportUrl: 'https://ghe.example.com/o/r/actions/runs/42' });
    expect(githubSettings('x', { GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'o/r', GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }).apiUrl).toBe('https://ghe.example.com/api/v3');
  });
});

describe('--github-comment: one comment per culprit, found again and updated', () => {
  it('summarises the culprit, its change with interval and p, the top of the evidence, and links the full writeup', () => {
    const r = runResult([culprit(sha('c'), 'cache **everything** <b>@octocat</b> #12')]);
    const body = renderBisectComment(r, r.culprits[0], { serverUrl: 'https://github.com', owner: 'o', repo: 'r', reportUrl: 'https://github.com/o/r/actions/runs/42' });
    expect(body.split('\n')[0]).toBe(`<!-- perfbisect:bisect probe=api culprit=${sha('c')} -->`);
    expect(body).toContain(`**Culprit:** [\`cccccccccc\`](https://github.com/o/r/commit/${sha('c')}) cache \\*\\*everything\\*\\* \\<b>@\u200boctocat\\</b> \\#\u200b12 by Ada \\<@\u200bada>`);
    expect(body).toContain('**Change:** wall time 40 ms → 80 ms, **+100%** (95% interval +80% to +120%, p < 0.0001; 12 vs 12 samples, interleaved)');
    expect(body).toMatch(/`checksum` \(`src\/checksum.js:2`, added by this commit\) takes 50% of the time at the culprit, 2.0% before \(\+48.0 pts/);
    expect(body).toContain('| `parse\\|all` | `src/parse.js:9` | -11.0 pts |');
    expect(body).toContain('**Files changed:** `src/hot|path.js` +12 −1');
    expect(body).toContain('**Full writeup:** [the workflow run](https://github.com/o/r/actions/runs/42)');
    expect(body).toContain('```sh\nperfbisect --good v1.2 --bad HEAD --probe api --github-comment\n```');
    expect(body).not.toContain('**Not pinned:**');
    // An ambiguous run that blamed this commit also left a further step unpinned: the comment says so.
    const [u, v] = [sha('d'), sha('e')];
    const skippedCommit = { ...r.commits[0], sha: u, verdict: 'skipped' as const };
    const ambiguous = { ...r, status: 'ambiguous' as const, suspects: [u, v], commits: [...r.commits, skippedCommit] };
    expect(renderBisectComment(ambiguous, ambiguous.culprits[0], { serverUrl: 'https://github.com', owner: 'o', repo: 'r' })).toContain(
      '**Not pinned:** a further step lies in one of `dddddddddd` (could not be built or measured), `eeeeeeeeee`; this bisect could not tell which.',
    );
    // A profiled run of a set length (go test -bench): no milliseconds read as a slowdown.
    const timed = { ...r, evidence: r.evidence!.map((e) => ({ ...e, fixedTime: true as const })) };
    const timedBody = renderBisectComment(timed, timed.culprits[0], { serverUrl: 'https://github.com', owner: 'o', repo: 'r' });
    expect(timedBody).toMatch(/\(\+48\.0 pts; each profiled run lasts about a set time\)/);
    expect(timedBody).toContain('| `parse\\|all` | `src/parse.js:9` | -11.0 pts | – |');
  });

  it('says when the range also holds a change for the better, so the culprit is larger than good → bad', () => {
    const plain = runResult([culprit(sha('c'), 'slow')]);
    expect(renderBisectComment(plain, plain.culprits[0], { serverUrl: 'https://github.com', owner: 'o', repo: 'r' })).not.toContain(
      'Not the whole change',
    );
    const r = {
      ...plain,
      improvements: [
        { after: sha('d'), through: sha('e'), commits: 3, commit: sha('d'), ref: sha('b'), refSide: 'bad' as const, vs: { worse: 0.47, lo: 0.24, hi: 0.87, p: 3e-6 } },
      ],
    };
    const body = renderBisectComment(r, r.culprits[0], { serverUrl: 'https://github.com', owner: 'o', repo: 'r' });
    expect(body).toContain('**Not the whole change:** the range also holds a change for the better');
    expect(body).toMatch(/- `dddddddddd`, on the bad side, measured \+47\.0% \[.* against bad `bbbbbbbbbb` .*a change for the better lies after `dddddddddd`, up to `eeeeeeeeee` \(3 commits\), not looked for\./);
  });

  it('creates the comment on the merged pull request, then edits it on a re-run: one comment', async () => {
    freshFake();
    fake.pullRequest(3, [sha('c')], { merged: false });
    fake.pullRequest(7, [sha('c')]);
    fake.issueComments.push({ id: 1, on: 7, body: 'LGTM', created_at: '', updated_at: '' });
    const gh = new GitHubClient(settings, client());
    const marker = `<!-- perfbisect:bisect probe=api culprit=${sha('c')} -->`;
    const first = await upsertCulpritComment(gh, sha('c'), marker, `${marker}\nfirst`);
    expect(first).toMatchObject({ on: 'pull request', number: 7, action: 'created' });
    const second = await upsertCulpritComment(gh, sha('c'), marker, `${marker}\nsecond`);
    expect(second).toMatchObject({ on: 'pull request', number: 7, action: 'updated', url: first.url });
    expect(fake.commentsOn(7).map((c) => c.body)).toEqual(['LGTM', `${marker}\nsecond`]);
    expect(fake.commentsOn(3)).toEqual([]);
  });

  it('comments on the commit when no pull request brought it in, and edits that one on a re-run', async () => {
    freshFake();
    fake.commit(sha('d'));
    const gh = new GitHubClient(settings, client());
    const marker = `<!-- perfbisect:bisect probe=api culprit=${sha('d')} -->`;
    expect(await upsertCulpritComment(gh, sha('d'), marker, `${marker}\n1`)).toMatchObject({ on: 'commit', action: 'created' });
    expect(await upsertCulpritComment(gh, sha('d'), marker, `${marker}\n2`)).toMatchObject({ on: 'commit', action: 'updated' });
    expect(fake.commitComments.map((c) => [c.on, c.body])).toEqual([[sha('d'), `${marker}\n2`]]);
  });

  it('posts one comment per culprit; a refusal is one warning line per culprit, never an exception', async () => {
    freshFake();
    fake.pullRequest(7, [sha('c')]);
    fake.commit(sha('e'));
    const said: string[] = [];
    const warned: string[] = [];
    const out = { say: (l: string) => said.push(l), warn: (l: string) => warned.push(l) };
    await commentOnCulprits(settings, runResult([culprit(sha('c'), 'one'), culprit(sha('e'), 'two')]), out, client());
    expect(said).toEqual([
      expect.stringMatching(/^github: created the comment on pull request #7: https:\/\/github.com\/octo-org\/service\/pull\/7#issuecomment-\d+$/),
      expect.stringMatching(/^github: created the comment on commit eeeeeeeeee: /),
    ]);
    expect(warned).toEqual([]);
    fake.failNext('GET', /pulls$/, () => error(404, 'Not Found'), 2);
    await commentOnCulprits(settings, runResult([culprit(sha('c'), 'one'), culprit(sha('e'), 'two')]), out, client());
    expect(warned).toHaveLength(2);
    expect(warned[0]).toMatch(/^GitHub answered 404 to GET \/repos\/octo-org\/service\/commits\/c+\/pulls: Not Found: the comment on cccccccccc was not posted \(the result stands\)\. Check GITHUB_REPOSITORY/);
    await commentOnCulprits(settings, runResult([]), out, client());
    expect(said.at(-1)).toBe('github: no culprit (no-regression): nothing to comment on');
  });
});

const change = (id: string, culpritSha: string | null, o: Partial<{ known: boolean; acked: boolean; kind: 'regression' | 'improvement'; confirmed: boolean }> = {}) => ({
  id, from: sha('1'), to: sha('2'), culprit: culpritSha, subject: 'cache everything @octocat', kind: o.kind ?? 'regression', change: 0.42,
  confirmed: o.confirmed ?? true, known: o.known ?? false, acked: o.acked ?? false, before: 100, after: 142, p: 0.0001,
});
function driftResult(changes: ReturnType<typeof change>[]): DriftResult {
  return {
    schemaVersion: 1, runId: 'drift-1', probe: { name: 'api', kind: 'command', metric: { name: 'wall time', unit: 'ms', better: 'lower' } }, branch: 'main',
    window: { from: sha('1'), to: sha('9'), commits: 30 }, threshold: 0.05, fingerprint: { cpu: 'Test CPU', cores: 2, os: 'linux', node: '20', hash: 'h' },
    series: [], changes, candidates: [], drift: null, creepCheck: null, alerts: changes.filter((c) => !c.known && !c.acked).map((c) => c.id), exitCode: 5, store: 'git:perfbisect-data',
    cost: { wallSeconds: 1, builds: 0, buildSeconds: 0, samples: 1, measureSeconds: 1, cachedBlocks: 0, perCommit: {} },
  } as DriftResult;
}

describe('--github-issue: one issue per new change, updated, closed on ack', () => {
  const now = new Date('2026-02-03T04:05:06Z');
  const run = (r: DriftResult, acked: string[] = []) => {
    const said: string[] = [];
    const warned: string[] = [];
    return syncDriftIssues(settings, r, {
      say: (l) => said.push(l), warn: (l) => warned.push(l), acked: new Set(acked), authorOf: async () => 'Ada Lovelace', client: client(), now,
    }).then(() => ({ said, warned }));
  };

  it('opens a labelled issue assigned to the culprit\'s author, and updates the same issue on a re-run', async () => {
    freshFake();
    fake.commit(sha('c'), 'ada');
    fake.assignable.add('ada');
    const id = `api@${sha('c').slice(0, 12)}`;
    const first = await run(driftResult([change(id, sha('c')), change('api@improve', sha('d'), { kind: 'improvement' })]));
    expect(first.warned).toEqual([]);
    expect(first.said).toEqual([`github: opened issue #1 for change ${id}, assigned to ada: https://github.com/octo-org/service/issues/1`]);
    const [issue] = fake.ourIssues();
    expect(issue).toMatchObject({ state: 'open', labels: ['perfbisect'], assignees: ['ada'] });
    expect(issue.title).toBe('perfbisect: api +42.0% (wall time) at cccccccccc cache everything @octocat');
    expect(issue.body).toMatch(new RegExp(`^<!-- perfbisect:drift id=${id} -->`));
    expect(issue.body).toContain('cache everything @\u200boctocat by Ada Lovelace');
    expect(issue.body).toContain('**Change:** wall time 100 ms → 142 ms, **+42.0%** (p = 0.00010)');
    expect(issue.body).toContain(`perfbisect drift ack ${id} --store git:perfbisect-data --github-issue`);
    expect(fake.labels.get('perfbisect')).toMatchObject({ color: 'd93f0b' });

    const again = await run(driftResult([change(id, sha('c'), { known: true })]));
    expect(again.said).toEqual([`github: updated issue #1 (open) of change ${id}: https://github.com/octo-org/service/issues/1`]);
    expect(fake.ourIssues()).toHaveLength(1);
    expect(fake.ourIssues()[0].body).toContain('(already reported by an earlier check)');
  });

  it('leaves the issue unassigned, saying why, when the author has no account here or cannot be assigned', async () => {
    freshFake();
    fake.commit(sha('c'), null);
    fake.commit(sha('e'), 'mallory');
    await run(driftResult([change('api@c', sha('c')), change('api@e', sha('e'))]));
    const [c, e] = fake.ourIssues();
    expect(c.assignees).toEqual([]);
    expect(c.body).toContain("Not assigned: the commit's author email is not linked to a GitHub account.");
    expect(e.assignees).toEqual([]);
    expect(e.body).toContain('Not assigned: mallory, the author, cannot be assigned issues in this repository.');
  });

  it('does not open an issue for a change an earlier check already reported, nor for improvements', async () => {
    freshFake();
    fake.commit(sha('c'), null);
    const r = await run(driftResult([change('api@c', sha('c'), { known: true }), change('api@i', sha('c'), { kind: 'improvement' })]));
    expect(fake.ourIssues()).toEqual([]);
    expect(r.said).toEqual(['github: change api@c was reported by an earlier check without an issue: not opening one now']);
  });

  it('closes the issue of an acknowledged change with a note, from drift ack and from a later check', async () => {
    freshFake();
    fake.commit(sha('c'), null);
    fake.commit(sha('e'), null);
    await run(driftResult([change('api@c', sha('c')), change('api@e', sha('e'))]));
    const said: string[] = [];
    const out = { say: (l: string) => said.push(l), warn: (l: string) => said.push(`WARN ${l}`), client: client() };
    await closeDriftIssue(settings, 'api@c', out);
    expect(said).toEqual(['github: closed issue #1 of change api@c: https://github.com/octo-org/service/issues/1']);
    expect(fake.ourIssues()[0]).toMatchObject({ state: 'closed', state_reason: 'not_planned' });
    expect(fake.commentsOn(1).map((c) => c.body)).toEqual(['Acknowledged with `perfbisect drift ack api@c`: later drift checks do not alert on this change. Closing.']);
    await closeDriftIssue(settings, 'api@c', out);
    expect(said.at(-1)).toBe('github: issue #1 of change api@c is already closed');
    await closeDriftIssue(settings, 'api@zzz', out);
    expect(said.at(-1)).toBe('github: no issue of change api@zzz (label perfbisect): nothing to close');
    // Acknowledged without --github-issue: the next check that posts closes it.
    const later = await run(driftResult([]), ['api@e']);
    expect(later.said).toEqual(['github: closed issue #2 of acknowledged change api@e: https://github.com/octo-org/service/issues/2']);
    expect(fake.ourIssues().map((i) => i.state)).toEqual(['closed', 'closed']);
  });

  it('turns a refusal into one warning line and touches nothing else', async () => {
    freshFake();
    fake.commit(sha('c'), null);
    fake.failNext('GET', /\/issues$/, () => error(403, 'Resource not accessible by integration'));
    const r = await run(driftResult([change('api@c', sha('c'))]));
    expect(r.warned).toEqual([expect.stringMatching(/^GitHub answered 403 to GET \/repos\/octo-org\/service\/issues\?labels=perfbisect&state=all: Resource not accessible by integration: the drift issues were not all opened or updated \(the result stands\)\./)]);
    expect(fake.ourIssues()).toEqual([]);
  });
});
