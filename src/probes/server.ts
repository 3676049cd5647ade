/**
 * The server lifecycle every load probe shares (http, k6, artillery, event-loop; reused by the
 * `queries` probe and the Node profiler): start the app in the commit's worktree on a free port,
 * wait until it answers, notice when it dies, and stop its whole process group.
 *
 * API, in the order a probe uses it:
 *
 *   strict({ ...ownEntries, ...serverEntries })       // in the probe's schema: start, ready, env, …
 *   const s = await startServer(ctx, cfg, { url });   // in prepare: PORT set, {port} filled, ready
 *   s.url('http://127.0.0.1:{port}/x')                // the url with the port filled in
 *   s.check()                                          // after each load run: throws if it died
 *   await s.stop()                                     // in teardown: SIGTERM to the group, then SIGKILL
 *
 * `serverSlot(start)` keeps one running server per ProbeContext (a probe object serves every
 * commit, the context is per commit and block), so a probe's prepare/sample/teardown find theirs:
 *
 *   const servers = serverSlot((ctx) => startServer(ctx, cfg, { url: cfg.url }));
 *   prepare: (ctx) => servers.prepare(ctx),
 *   sample: (ctx) => servers.use(ctx, async (s) => ({ value: await measure(s) })),
 *   teardown: (ctx) => servers.stop(ctx),
 *
 * Failures are CommitFailure('server', …, logTail): the driver skips such a commit in the middle of
 * the range and stops with the server's output at an endpoint. Effects go through the context
 * (ctx.spawn, ctx.freePort); the readiness check is an HTTP request to the server itself.
 */
import * as v from 'valibot';
import { CommitFailure, missingDependencyHint, tailLines } from '../errors.js';
import { facts, got, num, regex, strMap, text } from '../config/schema.js';
import type { ProbeContext, RunningProcess } from './types.js';

/** An http(s) url template; `{port}` is the only placeholder. */
export function urlTemplate(example = 'http://127.0.0.1:{port}/api') {
  return v.pipe(
    text(),
    v.check(
      (url) => /^https?:\/\//.test(url),
      (issue) => `must be an http(s) url like '${example}', got ${got(issue.input)}`,
    ),
    v.check((url) => URL.canParse(fillPort(url, 1234)), (issue) => `is not a valid url: ${got(issue.input)}`),
    // Each commit's server gets a port of its own in PORT (several run at once): a fixed one reaches none of them.
    v.check(
      (url) => url.includes('{port}'),
      (issue) =>
        `needs {port} where the port goes, like '${example}' (each server is given a free port in PORT), got ${got(issue.input)}`,
    ),
  );
}


/** The fields of every probe that starts the app (docs/load-probes.md, "Server lifecycle"). */
export const serverEntries = {
  start: v.pipe(
    text(),
    v.description(
      "shell command run in the commit's worktree after the build, like `'node dist/server.js'`. It gets `PORT` " +
        '(a free port picked by the OS); `{port}` in `url`/`ready` is replaced by it. Bind to 127.0.0.1 or 0.0.0.0.',
    ),
    facts({ group: 'server' }),
  ),
  env: v.pipe(v.optional(strMap()), v.description('extra environment for the server'), facts({ group: 'server' })),
  ready: v.pipe(
    v.optional(urlTemplate('http://127.0.0.1:{port}/health')),
    v.description("a url that answers once the app is ready (default: the probe's `url`). Any HTTP status counts."),
    facts({ group: 'server' }),
  ),
  readyPattern: v.pipe(
    v.optional(regex()),
    v.description("or a regular expression the server prints once ready, like `'listening on'`"),
    facts({ group: 'server' }),
  ),
  readyTimeout: v.pipe(
    v.optional(num({ min: 0.1 })),
    v.description('seconds to wait for readiness'),
    facts({ group: 'server', default: '30' }),
  ),
  stopGrace: v.pipe(
    v.optional(num({ min: 0 })),
    v.description('seconds between SIGTERM and SIGKILL when stopping'),
    facts({ group: 'server', default: '2' }),
  ),
};

export type ServerConfig = v.InferOutput<v.ObjectSchema<typeof serverEntries, undefined>>;

export function fillPort(template: string, port: number): string {
  return template.replaceAll('{port}', String(port));
}

export interface StartedServer {
  port: number;
  /** http://127.0.0.1:<port>: for tools that take a base url (k6's BASE_URL, Artillery's target). */
  baseUrl: string;
  url(template: string): string;
  process: RunningProcess;
  /** Throws CommitFailure('server') with the log tail if the server has exited. */
  check(during?: string): void;
  tail(lines?: number): string[];
  stop(): Promise<void>;
}

/**
 * Start `cfg.start` with PORT set and wait until it is ready: the `ready` url (or else `url`)
 * answers with any HTTP status, or its output matches `readyPattern`.
 */
export async function startServer(
  ctx: ProbeContext,
  cfg: ServerConfig,
  options: { url?: string; env?: Record<string, string> } = {},
): Promise<StartedServer> {
  const port = await ctx.freePort();
  const proc = ctx.spawn(cfg.start, { env: { ...cfg.env, ...options.env, PORT: String(port) } });
  let exitCode: number | undefined | null = null; // null: still running
  void proc.exited.then((c) => (exitCode = c));
  const graceMs = (cfg.stopGrace ?? 2) * 1000;
  // A stack trace fills the last lines: the line that names the error is brought up (tailLines).
  const tail = (n = 20) => tailLines(proc.tail(n + 40).join('\n'), n);
  const died = (during: string) => {
    const missing = missingDependencyHint(proc.tail(200).join('\n'));
    return new CommitFailure(
      'server',
      `the server (\`${cfg.start}\`) exited${exitCode === undefined ? ' on a signal' : ` with code ${exitCode}`} ${during}` +
        (missing ? ` (${missing})` : ''),
      ctx.logFile,
      tail(),
      'crashed',
    );
  };
  const server: StartedServer = {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    url: (t) => fillPort(t, port),
    process: proc,
    check(during = 'during the load') {
      if (exitCode !== null) throw died(during);
    },
    tail,
    stop: () => proc.stop(graceMs),
  };
  try {
    await waitReady(ctx, cfg, server, options.url, () => exitCode !== null);
  } catch (e) {
    await proc.stop(graceMs);
    if (e instanceof CommitFailure) throw e;
    if (exitCode !== null) throw died('before it was ready');
    throw e;
  }
  ctx.log(`[perfbisect] server ready on port ${port}`);
  return server;
}

async function waitReady(
  ctx: ProbeContext,
  cfg: ServerConfig,
  s: StartedServer,
  url: string | undefined,
  exited: () => boolean,
): Promise<void> {
  const timeoutMs = (cfg.readyTimeout ?? 30) * 1000;
  const deadline = Date.now() + timeoutMs;
  let matched = false;
  if (cfg.readyPattern) {
    const re = new RegExp(cfg.readyPattern);
    for (const l of s.tail(200)) if (re.test(l)) matched = true;
    s.process.onLine((l) => {
      if (re.test(l)) matched = true;
    });
  }
  const probeUrl = cfg.ready ?? (cfg.readyPattern ? undefined : url);
  if (!probeUrl && !cfg.readyPattern) throw new Error('startServer needs a url, a ready url or a readyPattern');
  for (;;) {
    if (ctx.signal.aborted) throw new Error('aborted');
    if (exited()) s.check('before it was ready');
    if (cfg.readyPattern ? matched : await answers(s.url(probeUrl!))) return;
    if (Date.now() > deadline) {
      const what = cfg.readyPattern
        ? `printed nothing matching /${cfg.readyPattern}/`
        : `did not answer at ${s.url(probeUrl!)}`;
      throw new CommitFailure(
        'server',
        `the server (\`${cfg.start}\`) ${what} within ${timeoutMs / 1000} s (raise readyTimeout if it is just slow)`,
        ctx.logFile,
        s.tail(),
        'too slow',
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Any HTTP response counts: a 404 on / still means the app is listening. */
async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await r.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * One running server per probe context (per commit and measurement block). `use` runs a sample
 * against the context's server, or, when prepare() did not run for this context (a profiler taking
 * one sample with its own context), starts one for that sample and stops it afterwards.
 */
export function serverSlot(start?: (ctx: ProbeContext) => Promise<StartedServer>) {
  const servers = new WeakMap<ProbeContext, StartedServer>();
  const starter = () => {
    if (!start) throw new Error('the server was not started: prepare() must run before sample()');
    return start;
  };
  return {
    async prepare(ctx: ProbeContext): Promise<void> {
      servers.set(ctx, await starter()(ctx));
    },
    /** Keep a server the probe started itself. */
    set: (ctx: ProbeContext, s: StartedServer) => void servers.set(ctx, s),
    get(ctx: ProbeContext): StartedServer {
      const s = servers.get(ctx);
      if (!s) throw new Error('the server was not started: prepare() must run before sample()');
      return s;
    },
    async use<T>(ctx: ProbeContext, fn: (s: StartedServer) => Promise<T>): Promise<T> {
      const running = servers.get(ctx);
      if (running) return fn(running);
      const s = await starter()(ctx);
      try {
        return await fn(s);
      } finally {
        await s.stop();
      }
    },
    async stop(ctx: ProbeContext): Promise<void> {
      const s = servers.get(ctx);
      servers.delete(ctx);
      await s?.stop();
    },
  };
}
