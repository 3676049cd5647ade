import * as v from 'valibot';
import { dirname, join } from 'node:path';
import { CommitFailure, tailLines, UsageError } from '../errors.js';
import { bool, num, strict, text } from '../config/schema.js';
import { buildField } from './fields.js';
import { serverEntries, serverSlot, startServer, urlTemplate } from './server.js';
import { connectSql, startPostgres, type PostgresServer, type SqlClient } from '../harness/services/postgres.js';
import type { Probe, ProbeContext, ProbeKind, Sample } from './types.js';

const database = strict(
  {
    setup: v.pipe(v.optional(text()), v.description("migrations and seed data, run in each commit's fresh database")),
    url: v.pipe(
      v.optional(v.pipe(text(), v.regex(/^postgres(ql)?:\/\//, (issue) =>
        `must be a PostgreSQL url like 'postgresql://user@127.0.0.1:5432/app', got ${JSON.stringify(issue.input)}`))),
      v.description('your own PostgreSQL instead of the throwaway one'),
    ),
  },
  {
    notObject: "must be an object like { setup: 'npm run db:migrate && npm run db:seed' } or { url: 'postgres://…' }",
  },
);

export const queriesSchema = strict({
  kind: v.literal('queries'),
  ...serverEntries,
  build: buildField,
  url: v.pipe(urlTemplate(), v.description('the endpoint requested, with `{port}`')),
  requests: v.pipe(v.optional(num({ min: 1, max: 100_000, integer: true }), 20), v.description('requests per sample')),
  deterministic: v.pipe(
    v.optional(bool(), true),
    v.description(
      'a deterministic app issues the same statements every time: one sample per commit; `false` to sample',
    ),
  ),
  database: v.pipe(v.optional(database, {}), v.description('where the statements are counted')),
});

export type QueriesProbeConfig = v.InferOutput<typeof queriesSchema>;

/** One statement's counters in pg_stat_statements (artifact kind 'queries-statements'). */
export interface StatementStat {
  query: string;
  calls: number;
  rows: number;
  meanMs: number;
  totalMs: number;
}

/**
 * Database statements per request, counted by pg_stat_statements: catches an N+1 (a JOIN turned into
 * one query per row) that CPU timing on a small dataset hides. Against a throwaway PostgreSQL (a fresh
 * database per commit, the setup command run in it) or the user's own database (`database.url`).
 */
export const queriesProbe: ProbeKind<typeof queriesSchema> = {
  kind: 'queries',
  describe: 'database statements per request (pg_stat_statements on a throwaway PostgreSQL), with EXPLAIN evidence',
  schema: queriesSchema,
  create(cfg, name): Probe {
    const field = `probes.${name}.database.url`;
    const servers = serverSlot();
    const dbOf = new WeakMap<ProbeContext, string>();
    const evidenceFor = new Set<string>();
    // The probe's own throwaway server: started by the first commit that needs it, stopped with the run.
    let server: Promise<PostgresServer> | undefined;
    const throwaway = (ctx: ProbeContext): Promise<PostgresServer> => {
      const logFile = join(dirname(ctx.logFile), 'postgres.log');
      server ??= startPostgres({ logFile, signal: ctx.signal }).catch((e: unknown) => {
        server = undefined;
        throw e;
      });
      return server;
    };
    let dbCount = 0;
    return {
      kind: 'queries',
      deterministic: cfg.deterministic,
      build: cfg.build,
      metric: { name: 'queries/request', unit: '', better: 'lower' },
      async prepare(ctx) {
        let url: string;
        let env: Record<string, string>;
        if (cfg.database.url) {
          url = cfg.database.url;
          env = { DATABASE_URL: url };
          await checkExtension(url, field);
        } else {
          const pg = await throwaway(ctx);
          const name = `pb_${ctx.sha.slice(0, 12)}_${++dbCount}`;
          url = await pg.createDatabase(name);
          env = pg.env(name);
          ctx.log(`[perfbisect] database ${name} at ${url}`);
          if (cfg.database.setup) {
            const r = await ctx.exec(cfg.database.setup, { env: { ...cfg.env, ...env } });
            if (r.exitCode !== 0) {
              const why = `database.setup (\`${cfg.database.setup}\`) exited with code ${r.exitCode}`;
              throw new CommitFailure('probe', why, ctx.logFile, tailLines(r.stderr || r.stdout), 'crashed');
            }
          }
        }
        dbOf.set(ctx, url);
        servers.set(ctx, await startServer(ctx, cfg, { url: cfg.url, env }));
      },
      async sample(ctx): Promise<Sample> {
        const server = servers.get(ctx);
        const sql = await connectSql(dbOf.get(ctx)!);
        try {
          await sql.query('select pg_stat_statements_reset()');
          const target = server.url(cfg.url);
          for (let i = 0; i < cfg.requests; i++) {
            const r = await fetch(target, {
              signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]),
            }).catch((e: Error) => {
              server.check('during the requests');
              throw new CommitFailure('probe', `GET ${target} failed: ${e.message}`, ctx.logFile, server.tail());
            });
            await r.arrayBuffer();
            if (r.status >= 400)
              throw new CommitFailure('probe', `GET ${target} answered ${r.status}`, ctx.logFile, server.tail());
          }
          const stats = await readStatements(sql);
          const total = stats.reduce((a, s) => a + s.calls, 0);
          if (!evidenceFor.has(ctx.sha)) {
            evidenceFor.add(ctx.sha);
            await writeEvidence(ctx, sql, stats, cfg.requests);
          }
          return {
            value: total / cfg.requests,
            details: { queries: total, statements: stats.length, requests: cfg.requests },
          };
        } finally {
          await sql.close();
        }
      },
      async teardown(ctx) {
        await servers.stop(ctx);
      },
      async dispose() {
        const started = server;
        server = undefined;
        await (await started?.catch(() => undefined))?.stop();
      },
    };
  },
};

/** The app's statements since the reset, without perfbisect's own bookkeeping. */
async function readStatements(sql: SqlClient): Promise<StatementStat[]> {
  const rows = await sql.query<{ query: string; calls: string; rows: string; mean: number; total: number }>(
    `select query, calls::text, rows::text, mean_exec_time as mean, total_exec_time as total
       from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
        and query not ilike '%pg_stat_statements%'
      order by calls desc, total_exec_time desc`,
  );
  return rows.map((r) => ({
    query: r.query,
    calls: Number(r.calls),
    rows: Number(r.rows),
    meanMs: r.mean,
    totalMs: r.total,
  }));
}

/**
 * statements JSON (every statement's counters) and EXPLAIN (ANALYZE, BUFFERS) of the most-called one.
 * pg_stat_statements keeps statements with $n placeholders: those are explained as a generic plan,
 * the parameters bound to NULL (PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN)).
 */
async function writeEvidence(
  ctx: ProbeContext,
  sql: SqlClient,
  stats: StatementStat[],
  requests: number,
): Promise<void> {
  const file = join(ctx.artifactsDir, 'queries-statements.json');
  await ctx.writeFile!(file, JSON.stringify({ requests, statements: stats }, null, 2) + '\n');
  ctx.artifact('queries-statements', file);
  const top = stats.find((s) => /^\s*(select|with)\b/i.test(s.query));
  if (!top) return;
  const text = await explain(sql, top.query).catch((e: Error) => `EXPLAIN failed: ${e.message}`);
  const out = join(ctx.artifactsDir, 'queries-explain.txt');
  await ctx.writeFile!(
    out,
    `-- ${top.calls} calls over ${requests} requests, mean ${top.meanMs.toFixed(3)} ms\n${top.query}\n\n${text}\n`,
  );
  ctx.artifact('queries-explain', out);
}

export async function explain(sql: SqlClient, query: string): Promise<string> {
  const params = [...query.matchAll(/\$(\d+)/g)].reduce((m, x) => Math.max(m, Number(x[1])), 0);
  const lines = async (q: string) =>
    (await sql.query<{ 'QUERY PLAN': string }>(q)).map((r) => r['QUERY PLAN']).join('\n');
  if (params === 0) return lines(`explain (analyze, buffers) ${query}`);
  await sql.query(`set plan_cache_mode = force_generic_plan`);
  await sql.query(`prepare perfbisect_top as ${query}`);
  try {
    const plan = await lines(
      `explain (analyze, buffers) execute perfbisect_top(${Array(params).fill('null').join(', ')})`,
    );
    return `(generic plan; parameters bound to NULL)\n${plan}`;
  } finally {
    await sql.query('deallocate perfbisect_top').catch(() => undefined);
  }
}

async function checkExtension(url: string, field: string): Promise<void> {
  let sql: SqlClient;
  try {
    sql = await connectSql(url);
  } catch (e) {
    throw new UsageError(
      `invalid config: ${field}: cannot connect to ${redact(url)} (${(e as Error).message}); start that database or drop database.url to let perfbisect run its own`,
    );
  }
  try {
    const has = await sql.query(`select 1 from pg_extension where extname = 'pg_stat_statements'`);
    const loaded = await sql.query<{ setting: string }>(
      `select setting from pg_settings where name = 'shared_preload_libraries'`,
    );
    if (has.length === 0 || !/pg_stat_statements/.test(loaded[0]?.setting ?? '')) {
      throw new UsageError(
        `invalid config: ${field}: pg_stat_statements is not enabled in ${redact(url)}: set shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, restart, and run CREATE EXTENSION pg_stat_statements (or drop database.url to let perfbisect run its own PostgreSQL)`,
      );
    }
  } finally {
    await sql.close();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
