import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { artifactJson, probesConfig, queriesRepo, runArtifacts } from './fixtures/bundle-queries-heap.js';
import { listDirs, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import type { StatementStat } from '../src/probes/queries.js';
import { connectSql, startPostgres } from '../src/harness/services/postgres.js';
import { onLinux } from './fixtures/platform.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

// The fixture app is CommonJS and finds `pg` through NODE_PATH: worktrees have no node_modules.
const env = { NODE_PATH: join(process.cwd(), 'node_modules') };
const pgTemps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('perfbisect-pg-')).sort();
/** Postmasters of throwaway servers still running (their command line names the temp dir). */
const postmasters = (dirs: string[]) =>
  readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.includes('perfbisect-pg-') && dirs.some((d) => cmd.includes(d));
    } catch {
      return false;
    }
  });
const newTemps = (before: string[]) => pgTemps().filter((d) => !before.includes(d));

describe.runIf(onLinux)('queries probe end to end (real PostgreSQL) [Linux: processes from /proc, Debian PostgreSQL]', () => {
  it('finds the N+1 commit, with statements and EXPLAIN evidence, and stops its PostgreSQL', async () => {
    const { repo, shas } = queriesRepo({ commits: 5, regressAt: 4 });
    cleanups.push(() => repo.cleanup());
    repo.write({
      'probes.config.ts': probesConfig(`queries: { kind: 'queries', start: 'node server.cjs', url: 'http://127.0.0.1:{port}/api/tasks', requests: 10, database: { setup: 'node setup.cjs' } }`),
    });
    const before = pgTemps();
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'queries', '--json', join(out, 'r.json')], { cwd: repo.dir, env });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[4]);
    type Stmts = { requests: number; statements: StatementStat[] };
    // Before: one JOIN per request. After: the list, then one lookup per row (20 rows).
    const prev = artifactJson<Stmts>(result.runDir, shas[3], 'queries-statements').statements;
    expect(prev.map((s) => s.calls)).toEqual([10]);
    expect(prev[0].query).toMatch(/join users/);
    const after = artifactJson<Stmts>(result.runDir, shas[4], 'queries-statements').statements;
    expect(after[0]).toMatchObject({ query: 'select name from users where id = $1', calls: 200 });
    expect(after.reduce((a, s) => a + s.calls, 0) / 10).toBe(21);
    const explain = (sha: string) => readFileSync(runArtifacts(result.runDir).find((a) => a.sha === sha && a.kind === 'queries-explain')!.path, 'utf8');
    expect(explain(shas[4])).toMatch(/select name from users where id = \$1[\s\S]*generic plan[\s\S]*on users/);
    expect(explain(shas[3])).toMatch(/Join[\s\S]*Buffers|Join/);
    expect(explain(shas[3])).toMatch(/Execution Time/);
    const writeup = readFileSync(join(result.runDir, 'writeup.md'), 'utf8');
    expect(writeup).toMatch(/Statements per request: 1 before, 21 at the culprit/);
    expect(writeup).toMatch(/select name from users where id = \$1` \| 0 \| 20 \|[^\n]*N\+1/);
    expect(newTemps(before)).toEqual([]);
  });

  it('leaves no PostgreSQL behind on Ctrl-C', async () => {
    const { repo } = queriesRepo({ commits: 6, regressAt: 3 });
    cleanups.push(() => repo.cleanup());
    // A slow setup keeps the run busy long enough to interrupt it with PostgreSQL up.
    repo.write({
      'probes.config.ts': probesConfig(`queries: { kind: 'queries', start: 'node server.cjs', url: 'http://127.0.0.1:{port}/api/tasks', database: { setup: 'node setup.cjs && sleep 30' } }`),
    });
    const before = pgTemps();
    const cache = tempDir('pb-cache-');
    const p = runCli(['--good', 'good', '--bad', 'bad', '--probe', 'queries'], { cwd: repo.dir, env, cache });
    const deadline = Date.now() + 60_000;
    while (postmasters(newTemps(before)).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const mine = newTemps(before);
    expect(postmasters(mine).length).toBeGreaterThan(0); // runuser (as root) and postgres
    await new Promise((r) => setTimeout(r, 1500));
    p.kill('SIGINT');
    const r = await p;
    expect(r.exitCode, r.all).toBe(130);
    expect(postmasters(mine)).toEqual([]);
    expect(newTemps(before)).toEqual([]);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('gives one-line errors for a non-PostgreSQL database url, a bad app url, and zero requests', async () => {
    const { repo } = queriesRepo({ commits: 2, regressAt: 1 });
    cleanups.push(() => repo.cleanup());
    const run = async (probe: string) => {
      repo.write({ 'probes.config.ts': probesConfig(probe) });
      const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'q'], { cwd: repo.dir, env });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      return r.stderr;
    };
    expect(await run(`q: { kind: 'queries', start: 'node server.cjs', url: 'http://127.0.0.1:{port}/api/tasks', database: { url: 'mysql://localhost/app' } }`)).toMatch(
      /probes\.q\.database\.url must be a PostgreSQL url/,
    );
    expect(await run(`q: { kind: 'queries', start: 'node server.cjs', url: '127.0.0.1/api' }`)).toMatch(/probes\.q\.url must be an http\(s\) url/);
    expect(await run(`q: { kind: 'queries', start: 'node server.cjs', url: 'http://127.0.0.1:{port}/api/tasks', requests: 0 }`)).toMatch(/probes\.q\.requests must be at least 1/);
  });

  it("says so when the user's own database has no pg_stat_statements", async () => {
    const { repo } = queriesRepo({ commits: 2, regressAt: 1 });
    cleanups.push(() => repo.cleanup());
    const pg = await startPostgres({ logFile: join(tempDir('pb-pglog-'), 'postgres.log') });
    try {
      const url = await pg.createDatabase('plain');
      const sql = await connectSql(url);
      await sql.query('drop extension pg_stat_statements');
      await sql.close();
      repo.write({ 'probes.config.ts': probesConfig(`q: { kind: 'queries', start: 'node server.cjs', url: 'http://127.0.0.1:{port}/api/tasks', database: { url: '${url}' } }`) });
      const cache = tempDir('pb-cache-');
      const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'q'], { cwd: repo.dir, env, cache });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/probes\.q\.database\.url: pg_stat_statements is not enabled in .*CREATE EXTENSION pg_stat_statements/);
      expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    } finally {
      await pg.stop();
    }
  });
});
