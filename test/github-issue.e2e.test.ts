import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftResult } from '../src/report/drift.js';
import { runCli } from './fixtures/cli.js';
import { FakeGitHub, serveFake } from './fixtures/github-api.js';
import { datedCommits, FixtureRepo, sleeper, tempDir } from './fixtures/repo.js';

/**
 * `perfbisect drift --github-issue` and `drift ack --github-issue` with the real CLI on a real
 * repository: a week of dated commits with one ×3 step, GitHub's API stood in for on 127.0.0.1.
 */
const repo = new FixtureRepo();
const start = Date.now() - 20 * 86_400_000;
const subject = (i: number) => (i === 4 ? 'parser: re-read the whole file per token @octocat' : `change ${i}: unrelated`);
const shas = datedCommits(
  repo,
  { name: 'Ada', email: 'ada@example.com' },
  Array.from({ length: 8 }, (_, i) => ({
    files: {
      ...(i === 0 ? { 'probes.config.ts': "export default { probes: { work: { kind: 'command', run: 'sh work.sh' } } };\n" } : {}),
      ...sleeper(i >= 4 ? 120 : 40),
      'notes.txt': `change ${i}\n`,
    },
    message: subject(i),
    date: start + i * 86_400_000,
  })),
);
const culprit = shas[4];
const id = `work@${culprit.slice(0, 12)}`;
const cache = tempDir('pb-cache-');
const store = tempDir('pb-store-');
const fake = new FakeGitHub();
let api: { url: string; close: () => Promise<void> };
const env = () => ({ GITHUB_TOKEN: fake.token, GITHUB_REPOSITORY: fake.fullName, GITHUB_API_URL: api.url, GITHUB_RUN_ID: '9', PERFBISECT_GITHUB_BACKOFF_MS: '1' });
// Every commit a point. A 25% threshold, far under the step and above what noise alone puts between two points:
// the check confirms the step and no pair of points that only noise set apart.
const sampling = ['--since', '30 days ago', '--points', '16', '--min-samples', '6', '--max-samples', '16', '--warmup', '0', '--threshold', '25'];

beforeAll(async () => {
  api = await serveFake(() => fake.handlers());
  for (const s of shas) fake.commit(s, s === culprit ? 'ada' : null);
  fake.assignable.add('ada');
});
afterAll(async () => {
  await api.close();
  repo.cleanup();
});

describe('perfbisect drift --github-issue end to end', () => {
  it('opens one labelled issue assigned to the author, updates it on a re-run, and closes it on drift ack', async () => {
    const first = await runCli(['drift', '--probe', 'work', '--store', store, '--github-issue', ...sampling], { cwd: repo.dir, cache, env: env() });
    expect(first.exitCode, first.all).toBe(5);
    expect(first.stdout).toContain(`github: opened issue #1 for change ${id}, assigned to ada: https://github.com/octo-org/service/issues/1`);
    expect(fake.ourIssues()).toHaveLength(1);
    const [issue] = fake.ourIssues();
    expect(issue).toMatchObject({ state: 'open', labels: ['perfbisect'], assignees: ['ada'] });
    expect(issue.title).toMatch(new RegExp(`^perfbisect: work \\+\\d+\\.\\d% \\(wall time\\) at ${culprit.slice(0, 10)} parser: re-read the whole file per token @octocat$`));
    expect(issue.body).toContain(`<!-- perfbisect:drift id=${id} -->`);
    expect(issue.body).toContain('parser: re-read the whole file per token @\u200boctocat by Ada');
    expect(issue.body).toContain('[the workflow run](https://github.com/octo-org/service/actions/runs/9)');

    // The same window again: the change is known now; its issue is updated, not duplicated.
    const againJson = join(tempDir('pb-out-'), 'again.json');
    const drift = ['drift', '--probe', 'work', '--store', store, '--github-issue', ...sampling];
    const again = await runCli([...drift, '--json', againJson], { cwd: repo.dir, cache, env: env() });
    // No alert for a known change; exit 5 only if this window also shows gradual drift that the first
    // check did not (on a loaded machine both may see creep: then it is known, and no alert either).
    const result = JSON.parse(readFileSync(againJson, 'utf8')) as DriftResult;
    expect(result.alerts).toEqual(result.drift && !result.drift.known ? [result.drift.id] : []);
    expect(again.exitCode, again.all).toBe(result.alerts.length ? 5 : 0);
    expect(again.stdout).toContain(`github: updated issue #1 (open) of change ${id}`);
    expect(fake.ourIssues()).toHaveLength(1);
    expect(fake.ourIssues()[0].body).toContain('(already reported by an earlier check)');

    const ack = await runCli(['drift', 'ack', id, '--store', store, '--github-issue'], { cwd: repo.dir, cache, env: env() });
    expect(ack.exitCode, ack.all).toBe(0);
    expect(ack.stdout).toContain(`github: closed issue #1 of change ${id}`);
    expect(fake.ourIssues()[0]).toMatchObject({ state: 'closed', state_reason: 'not_planned' });
    expect(fake.commentsOn(1).map((c) => c.body)).toEqual([`Acknowledged with \`perfbisect drift ack ${id}\`: later drift checks do not alert on this change. Closing.`]);
  }, 300_000);

  it('without a token: exit 2 before measuring, for the check and for ack', async () => {
    const e = { ...env(), GITHUB_TOKEN: '', GH_TOKEN: '' };
    const r = await runCli(['drift', '--probe', 'work', '--store', tempDir('pb-store-'), '--github-issue', ...sampling], { cwd: repo.dir, cache: tempDir('pb-cache-'), env: e });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all.trim()).toMatch(/^perfbisect: error: --github-issue needs a token in GITHUB_TOKEN[^\n]*$/);
    const a = await runCli(['drift', 'ack', id, '--store', store, '--github-issue'], { cwd: repo.dir, cache, env: e });
    expect(a.exitCode, a.all).toBe(2);
  });
});
