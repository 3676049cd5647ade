import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type pg from 'pg';
import { EnvironmentError } from '../../errors.js';
import { freePort } from './free-port.js';
import { killGroup, runShell, spawnShell, stopGroup } from '../process/process.js';

/** A connection for a probe's own statements. */
export interface SqlClient {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface PostgresServer {
  /** Connection URL of one database on this server. */
  url(database: string): string;
  /** DATABASE_URL and the PG* variables for an app using `database`. */
  env(database: string): Record<string, string>;
  /** A new empty database with pg_stat_statements created in it; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL for one run: initdb in a temp dir, a free port on 127.0.0.1, the socket in
 * the temp dir, pg_stat_statements preloaded. initdb and postgres refuse to run as root, so as root
 * they run as the `postgres` user (which owns the temp dir). Nothing survives the run: stop() removes
 * it, and an exit hook kills and removes whatever a crash left.
 */

const BIN_DIRS = ['/usr/lib/postgresql'];
export const INSTALL_HINT =
  "install Debian's postgresql and postgresql-contrib packages (apt-get install postgresql postgresql-contrib), or put PostgreSQL's bin directory (initdb, postgres) on PATH";

/** The directory holding initdb and postgres: Debian's versioned dirs (newest first), then PATH. */
export function findPostgresBin(): string | undefined {
  for (const root of BIN_DIRS) {
    if (!existsSync(root)) continue;
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions)
      if (existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')))
        return join(root, v, 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

const live = new Set<{ pid: number; dir: string }>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const s of live) {
      killGroup(s.pid, 'SIGKILL');
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
}

const USER = 'perfbisect';

export async function startPostgres(options: { logFile: string; signal?: AbortSignal }): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new EnvironmentError(`PostgreSQL server binaries not found: ${INSTALL_HINT}.`);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'perfbisect-pg-'));
  const data = join(dir, 'data');
  const record = { pid: 0, dir };
  try {
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const as = (cmd: string) => (asRoot ? `runuser -u postgres -- ${cmd}` : cmd);
    const init = await runShell(
      as(`${join(bin, 'initdb')} -D ${data} -U ${USER} --auth=trust -E UTF8 --no-sync --no-instructions`),
      {
        cwd: dir,
        logFile: options.logFile,
        signal: options.signal,
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
    if (init.exitCode !== 0)
      throw new EnvironmentError(`initdb failed (exit ${init.exitCode}): ${lastLine(init.stderr || init.stdout)}`);
    const port = await freePort();
    const settings = [
      'listen_addresses=127.0.0.1', `port=${port}`, `unix_socket_directories=${dir}`,
      'shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=top', 'pg_stat_statements.max=10000',
      'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=50',
    ].map((s) => `-c ${s}`).join(' ');
    const server = spawnShell(`exec ${as(`${join(bin, 'postgres')} -D ${data} ${settings}`)}`, {
      cwd: dir,
      env: { ...process.env, LC_ALL: 'C' },
      logFile: options.logFile,
    });
    record.pid = server.pid;
    live.add(record);
    hookExit();
    let exited = false;
    void server.exited.then(() => (exited = true));
    const admin = `postgresql://${USER}@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new EnvironmentError(`postgres exited while starting; see ${options.logFile}`);
      if (options.signal?.aborted) throw new EnvironmentError('interrupted while starting PostgreSQL');
      try {
        await withClient(admin, (c) => c.query('select 1'));
        break;
      } catch {
        if (Date.now() > deadline)
          throw new EnvironmentError(`postgres did not accept connections within 30 s; see ${options.logFile}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const url = (database: string) => `postgresql://${USER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    let stopped = false;
    return {
      url,
      env: (database) => ({
        DATABASE_URL: url(database),
        PGHOST: '127.0.0.1',
        PGPORT: String(port),
        PGUSER: USER,
        PGDATABASE: database,
      }),
      async createDatabase(name) {
        await withClient(admin, (c) => c.query(`create database "${name.replace(/"/g, '')}"`));
        await withClient(url(name), (c) => c.query('create extension if not exists pg_stat_statements'));
        return url(name);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        // SIGINT to the postmaster is PostgreSQL's fast shutdown (no waiting for clients). Signal it
        // alone: runuser, its parent as root, answers a signal with a 2-second kill countdown.
        const pid = postmasterPid(data);
        if (pid) {
          try {
            process.kill(pid, 'SIGINT');
          } catch {
            /* gone */
          }
          await Promise.race([server.exited, new Promise((r) => setTimeout(r, 10_000))]);
        }
        await stopGroup(server.pid, 2000);
        await server.exited;
        live.delete(record);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (record.pid) await stopGroup(record.pid, 2000);
    live.delete(record);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** pg is loaded on first use: a run without a database probe should not pay for it at start-up. */
async function client(config: pg.ClientConfig): Promise<pg.Client> {
  const { default: driver } = await import('pg');
  return new driver.Client(config);
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** One connection for a probe's own statements (resetting and reading pg_stat_statements, EXPLAIN). */
export async function connectSql(url: string): Promise<SqlClient> {
  const c = await client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  await c.connect();
  return {
    query: async <T>(text: string, params?: unknown[]) => (await c.query(text, params as unknown[])).rows as T[],
    close: () => c.end().catch(() => undefined),
  };
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-1)[0] ?? '';
}
