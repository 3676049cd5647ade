import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FakeGitHub, error, rateLimited, serveFake } from './fixtures/github-api.js';
import { FixtureRepo, listDirs, sleeper, tempDir } from './fixtures/repo.js';

/**
 * `--github-comment` with the real CLI, bisecting a real repository: GitHub's REST API is the msw
 * stand-in, served on 127.0.0.1 (a child process is out of msw's reach in-process). Runs after the
 * first replay measured samples from the shared cache, so each takes about a second.
 */
const repo = new FixtureRepo();
const shas: string[] = [repo.commit('initial: fast program', sleeper(20))];
repo.tag('good');
for (let i = 1; i <= 5; i++) {
  shas.push(i === 3 ? repo.commit('speed: cache **all** the things <b>@octocat</b> #1', sleeper(80)) : repo.commit(`change ${i}: unrelated`, { [`notes/${i}.txt`]: `${i}\n` }));
}
const culprit = shas[3];
const cache = tempDir('pb-cache-');
const fake = new FakeGitHub();
let api: { url: string; close: () => Promise<void> };
const env = () => ({
  GITHUB_TOKEN: fake.token, GITHUB_REPOSITORY: fake.fullName, GITHUB_API_URL: api.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '4242',
  PERFBISECT_GITHUB_BACKOFF_MS: '1',
});
const bisect = (extra: string[] = [], e: Record<string, string> = env()) =>
  runCli(['--good', 'good', '--bad', 'HEAD', '--no-profile', '--github-comment', ...extra, '--', 'sh', 'work.sh'], { cwd: repo.dir, cache, env: e });

beforeAll(async () => {
  api = await serveFake(() => fake.handlers());
  // The pull request that brought the culprit in, with a human's comment already on it.
  fake.pullRequest(12, [shas[2], culprit], { title: 'Cache all the things' });
  fake.issueComments.push({ id: 1, on: 12, body: 'Looks good to me.', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });
  for (const s of shas) if (!fake.commits.has(s)) fake.commit(s);
});
afterAll(async () => {
  await api.close();
  repo.cleanup();
});

describe('perfbisect --github-comment end to end', () => {
  it('two identical runs leave exactly one comment on the pull request, naming the culprit', async () => {
    const first = await bisect();
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toMatch(/^github: created the comment on pull request #12: https:\/\/github.com\/octo-org\/service\/pull\/12#issuecomment-\d+$/m);
    const [human, ours] = fake.commentsOn(12);
    expect(human.body).toBe('Looks good to me.');
    const firstUpdate = ours.updated_at;

    const second = await bisect();
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(/^github: updated the comment on pull request #12: /m);
    const comments = fake.commentsOn(12);
    expect(comments).toHaveLength(2);
    expect(comments[1].id).toBe(ours.id);
    expect(comments[1].updated_at > firstUpdate).toBe(true);
    const body = comments[1].body;
    expect(body.split('\n')[0]).toBe(`<!-- perfbisect:bisect probe=command culprit=${culprit} -->`);
    expect(body).toContain(`**Culprit:** [\`${culprit.slice(0, 10)}\`](https://github.com/octo-org/service/commit/${culprit}) speed: cache \\*\\*all\\*\\* the things \\<b>@\u200boctocat\\</b> \\#\u200b1 by Fixture`);
    expect(body).toMatch(/\*\*Change:\*\* wall time [\d.]+ ms → [\d.]+ ms, \*\*\+\d+%\*\* \(95% interval \+\d+% to \+\d+%, p [<=] [\d.]+; \d+ vs \d+ samples, interleaved\)/);
    expect(body).toContain('**Full writeup:** [the workflow run](https://github.com/octo-org/service/actions/runs/4242)');
    expect(body).toContain('**Files changed:** `work.sh` +2 −2');
    // Nothing on the other commits, nothing duplicated anywhere.
    expect(fake.commitComments).toEqual([]);
    expect(fake.issueComments).toHaveLength(2);
  });

  it('retries a rate limit and a 5xx, then posts; the exit code is the bisect\'s', async () => {
    fake.failNext('GET', /\/commits\/[0-9a-f]+\/pulls$/, () => rateLimited(0));
    fake.failNext('PATCH', /\/issues\/comments\/\d+$/, () => error(502, 'Server Error'), 2);
    const before = fake.requests.length;
    const r = await bisect();
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^github: updated the comment on pull request #12/m);
    expect(r.stderr).not.toMatch(/warning/);
    const calls = fake.requests.slice(before).map((x) => `${x.method} ${x.path.replace(/\?.*/, '')}`);
    expect(calls.filter((c) => c.endsWith('/pulls'))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith('PATCH'))).toHaveLength(3);
    expect(fake.commentsOn(12)).toHaveLength(2);
  });

  it('401, 403 and 404 are one warning line each, and the exit code stays what the bisect decided', async () => {
    for (const [status, message] of [[401, 'Bad credentials'], [403, 'Resource not accessible by integration'], [404, 'Not Found']] as const) {
      fake.failNext('GET', /\/pulls$/, () => error(status, message));
      const r = await bisect();
      expect(r.exitCode, r.all).toBe(0);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('perfbisect: warning:'));
      expect(warnings, r.stderr).toEqual([expect.stringContaining(`perfbisect: warning: GitHub answered ${status} to GET /repos/octo-org/service/commits/${culprit}/pulls: ${message}: the comment on ${culprit.slice(0, 10)} was not posted (the result stands).`)]);
    }
    expect(fake.commentsOn(12)).toHaveLength(2);
    // No regression in the range: exit 1, and nothing to post. The two commits run the same program; a
    // threshold far above what a loaded machine can fake keeps the endpoints from a chance "regression".
    const args = ['--good', shas[4], '--bad', 'HEAD', '--threshold', '25', '--no-profile', '--github-comment', '--', 'sh', 'work.sh'];
    const none = await runCli(args, { cwd: repo.dir, cache, env: env() });
    expect(none.exitCode, none.all).toBe(1);
    expect(none.stdout).toContain('github: no culprit (no-regression): nothing to comment on');
  });

  it('without a token or a repository it stops before measuring: exit 2, one line, nothing left behind', async () => {
    const empty = tempDir('pb-cache-');
    for (const [drop, message] of [['GITHUB_TOKEN', /^perfbisect: error: --github-comment needs a token in GITHUB_TOKEN/], ['GITHUB_REPOSITORY', /^perfbisect: error: --github-comment needs GITHUB_REPOSITORY=owner\/name/]] as const) {
      const e: Record<string, string> = { ...env(), GITHUB_TOKEN: '', GH_TOKEN: '' };
      if (drop === 'GITHUB_REPOSITORY') Object.assign(e, { GITHUB_TOKEN: fake.token, GITHUB_REPOSITORY: '' });
      const r = await runCli(['--good', 'good', '--bad', 'HEAD', '--github-comment', '--', 'sh', 'work.sh'], { cwd: repo.dir, cache: empty, env: e });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
      expect(listDirs(join(empty, 'runs'))).toEqual([]);
      expect(listDirs(join(empty, 'worktrees'))).toEqual([]);
    }
  });
});
