import * as v from 'valibot';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommitFailure, tailLines } from '../errors.js';
import { bool, dispatch, got, isObject, num, strict, text } from '../config/schema.js';
import { diffSnapshots, slope } from './heap/snapshot-diff.js';
import { buildField, envField, timeoutField, timeoutMs } from './fields.js';
import { serverEntries, startServer, urlTemplate, type ServerConfig } from './server.js';
import type { Probe, ProbeContext, ProbeKind, Sample } from './types.js';

/** The fields both forms share, after their own. */
const measuring = {
  checkpoints: v.pipe(
    v.optional(num({ min: 3, max: 200, integer: true }), 10),
    v.description('forced-GC readings along the way (3–200)'),
  ),
  noiseFloor: v.pipe(
    v.optional(num({ min: 0 }), 1024),
    v.description('bytes per 1,000 iterations below which a slope counts as no growth'),
  ),
};

const snapshots = v.pipe(
  v.optional(bool(), true),
  v.description('write two heap snapshots per commit (its first run)'),
);

const scenarioForm = v.pipe(
  strict(
    {
      kind: v.literal('heap'),
      build: buildField,
      scenario: v.pipe(
        text(),
        v.regex(
          /\.(m?js|cjs)$/,
          (issue) => `must be a JavaScript module (.js, .mjs or .cjs; build TypeScript first), got ${got(issue.input)}`,
        ),
        v.description('a `.js`/`.mjs`/`.cjs` module in the repository whose default export is one unit of work'),
      ),
      iterations: v.pipe(
        v.optional(num({ min: 100, integer: true }), 20_000),
        v.description('measured units of work (at least 100)'),
      ),
      ...measuring,
      // A scenario run is exact enough for one run per commit.
      deterministic: v.pipe(v.optional(bool(), true), v.description('one run per commit; `false` to sample')),
      snapshots,
      env: envField,
      timeout: timeoutField,
    },
    {
      required: {
        scenario:
          "is required: a module whose default export is one unit of work, like scenario: 'dist/leak-scenario.js' " +
          '(or start + url for a server)',
      },
    },
  ),
  v.transform(({ kind, build, scenario, iterations, ...rest }) => ({
    kind,
    build,
    scenario,
    server: undefined,
    iterations,
    checkpoints: rest.checkpoints,
    noiseFloor: rest.noiseFloor,
    deterministic: rest.deterministic,
    snapshots: rest.snapshots,
    env: rest.env,
    timeout: rest.timeout,
  })),
);

const serverForm = v.pipe(
  strict({
    kind: v.literal('heap'),
    build: buildField,
    scenario: v.optional(
      v.never('and $parent.start both given: a heap probe runs either a scenario module or a server (start + url)'),
    ),
    ...serverEntries,
    url: v.pipe(urlTemplate(), v.description('server form: the url requested `iterations` times')),
    iterations: v.pipe(
      v.optional(num({ min: 10, integer: true }), 2000),
      v.description('server form: requests, at least 10'),
    ),
    ...measuring,
    // A server's heap moves with its sockets and buffers: sampled.
    deterministic: v.pipe(v.optional(bool(), false), v.description('server form: `true` for one run per commit')),
    snapshots,
  }),
  v.transform(({ kind, build, start, env, ready, readyPattern, readyTimeout, stopGrace, url, ...rest }) => ({
    kind,
    build,
    scenario: undefined,
    server: { start, env, ready, readyPattern, readyTimeout, stopGrace, url },
    iterations: rest.iterations,
    checkpoints: rest.checkpoints,
    noiseFloor: rest.noiseFloor,
    deterministic: rest.deterministic,
    snapshots: rest.snapshots,
    env,
    timeout: undefined,
  })),
);

/** A scenario module, or (with `start`) a server whose requests are the iterations. */
export const heapSchema = dispatch([scenarioForm, serverForm], (input) =>
  isObject(input) && input.start !== undefined ? serverForm : scenarioForm,
);

export type HeapProbeConfig = v.InferOutput<typeof heapSchema>;

const runner = fileURLToPath(new URL('./heap/runner.js', import.meta.url));
const preload = new URL('./heap/preload.js', import.meta.url).href;

/**
 * Heap retained per 1,000 iterations of a scenario, from a robust (Theil–Sen) fit of the heap after forced
 * GC against iterations, in a fresh `node --expose-gc`. A leak is a positive slope; a leak-free
 * scenario sits at the noise floor. Evidence: two heap snapshots per commit and their diff.
 */
export const heapProbe: ProbeKind<typeof heapSchema> = {
  kind: 'heap',
  describe:
    'heap retained per 1,000 iterations of a scenario (or requests to a server) after forced GC: leaks, with a heap snapshot diff',
  schema: heapSchema,
  create(cfg): Probe {
    const snapshotted = new Set<string>();
    return {
      kind: 'heap',
      deterministic: cfg.deterministic,
      build: cfg.build,
      metric: {
        name: cfg.server ? 'heap retained per 1k requests' : 'heap retained per 1k iterations',
        unit: 'B',
        better: 'lower',
      },
      async sample(ctx): Promise<Sample> {
        if (cfg.server) {
          const snap = cfg.snapshots && !snapshotted.has(ctx.sha);
          const r = await serverSample(ctx, cfg, cfg.server, snap);
          if (snap) {
            snapshotted.add(ctx.sha);
            await evidence(ctx, r.snapshots);
          }
          return r.sample;
        }
        const snap = cfg.snapshots && !snapshotted.has(ctx.sha);
        const prefix = snap ? join(ctx.artifactsDir, `heap-${ctx.sha.slice(0, 12)}`) : '';
        if (snap) await ctx.writeFile!(join(ctx.artifactsDir, '.keep'), '');
        const cmd = [
          process.execPath,
          '--expose-gc',
          runner,
          cfg.scenario!,
          String(cfg.iterations),
          String(cfg.checkpoints),
          prefix,
        ]
          .map(q)
          .join(' ');
        const r = await ctx.exec(cmd, { env: cfg.env, timeoutMs: timeoutMs(cfg), guard: true });
        const lines = r.stdout.trim().split('\n');
        if (r.exitCode !== 0) {
          const why = `the heap scenario ${cfg.scenario} exited with code ${r.exitCode}`;
          throw new CommitFailure('probe', why, ctx.logFile, tailLines(r.stderr || r.stdout), 'crashed');
        }
        let out: { points: [number, number][]; snapshots: string[] };
        try {
          out = JSON.parse(lines[lines.length - 1]);
        } catch {
          throw new CommitFailure(
            'probe',
            `the heap runner printed no result (does ${cfg.scenario} print to stdout at exit?)`,
            ctx.logFile,
            lines.slice(-10),
          );
        }
        const perThousand = slope(out.points) * 1000;
        const first = out.points[0][1];
        const last = out.points[out.points.length - 1][1];
        if (snap) {
          snapshotted.add(ctx.sha);
          await evidence(ctx, out.snapshots);
        }
        return floored(cfg, perThousand, {
          heapStart: first,
          heapEnd: last,
          iterations: out.points[out.points.length - 1][0],
        });
      },
    };
  },
};

function floored(cfg: HeapProbeConfig, perThousand: number, details: Record<string, number>): Sample {
  return {
    value: Math.round(Math.max(perThousand, cfg.noiseFloor)),
    details: { slope: Math.round(perThousand), ...details },
  };
}

/**
 * The server form: the app runs with a preload (NODE_OPTIONS=--import) that forces GC and records
 * heap and RSS when asked through a trigger file; the probe sends the requests in `checkpoints`
 * slices and asks after each. A fresh server per sample, so every sample starts from the same state.
 */
async function serverSample(
  ctx: ProbeContext,
  cfg: HeapProbeConfig,
  srv: ServerConfig & { url: string },
  snap: boolean,
): Promise<{ sample: Sample; snapshots: string[] }> {
  const dir = join(ctx.artifactsDir, `heap-server-${Date.now().toString(36)}`);
  await ctx.writeFile!(join(dir, 'heap.jsonl'), '');
  const nodeOptions = [ctx.env.NODE_OPTIONS, srv.env?.NODE_OPTIONS, `--import ${preload}`].filter(Boolean).join(' ');
  const env = {
    NODE_OPTIONS: nodeOptions,
    PERFBISECT_HEAP_DIR: dir,
    PERFBISECT_HEAP_LAST: String(cfg.checkpoints),
    PERFBISECT_HEAP_SNAPSHOTS: snap ? '1' : '0',
  };
  const server = await startServer(ctx, srv, { url: srv.url, env });
  try {
    const readings = async (n: number) => {
      await ctx.writeFile!(join(dir, 'trigger'), String(n));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const lines = (await ctx.readFile!(join(dir, 'heap.jsonl')))
          .toString('utf8')
          .trim()
          .split('\n')
          .filter(Boolean);
        const got = lines
          .map((l) => JSON.parse(l) as { pid: number; n: number; heap: number; rss: number; snapshot?: string })
          .filter((x) => x.n === n);
        if (got.length) return got;
        server.check('while perfbisect waited for a heap reading');
        if (Date.now() > deadline)
          throw new CommitFailure(
            'probe',
            `the app did not report its heap within 60 s: is it a Node.js process that keeps NODE_OPTIONS (${preload})?`,
            ctx.logFile,
            server.tail(),
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const per = Math.max(1, Math.ceil(cfg.iterations / cfg.checkpoints));
    const target = server.url(srv.url);
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await fetch(target, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]) }).catch(
          (e: Error) => {
            server.check('during the requests');
            throw new CommitFailure('probe', `GET ${target} failed: ${e.message}`, ctx.logFile, server.tail());
          },
        );
        await r.arrayBuffer();
        if (r.status >= 400)
          throw new CommitFailure('probe', `GET ${target} answered ${r.status}`, ctx.logFile, server.tail());
      }
    };
    // Warm-up: the first requests fill pools, parsers and JIT caches once; that is not a leak.
    await send(per);
    const all = [...(await readings(0))];
    for (let c = 1; c <= cfg.checkpoints; c++) {
      await send(per);
      all.push(...(await readings(c)));
    }
    // A wrapper (npm start) loads the preload too: the app is the process whose heap is largest at the end.
    const lastOf = all.filter((x) => x.n === cfg.checkpoints).sort((a, b) => b.heap - a.heap)[0];
    const mine = all.filter((x) => x.pid === lastOf.pid);
    const points = mine.map((x) => [x.n * per, x.heap] as [number, number]);
    const rssSlope = slope(mine.map((x) => [x.n * per, x.rss] as [number, number])) * 1000;
    const sample = floored(cfg, slope(points) * 1000, {
      heapStart: points[0][1],
      heapEnd: points[points.length - 1][1],
      rssSlope: Math.round(rssSlope),
      requests: per * cfg.checkpoints,
    });
    return { sample, snapshots: mine.map((x) => x.snapshot).filter((x): x is string => !!x) };
  } finally {
    await server.stop();
  }
}

/** Snapshots open in Chrome DevTools (Memory → Load); the diff JSON is what the writeup renders. */
async function evidence(ctx: ProbeContext, snapshots: string[]): Promise<void> {
  if (snapshots.length !== 2) return;
  for (const s of snapshots) ctx.artifact('heap-snapshot', s);
  try {
    const [a, b] = await Promise.all(snapshots.map(async (s) => JSON.parse((await ctx.readFile!(s)).toString('utf8'))));
    const file = join(ctx.artifactsDir, 'heap-diff.json');
    await ctx.writeFile!(
      file,
      JSON.stringify({ before: snapshots[0], after: snapshots[1], constructors: diffSnapshots(a, b) }, null, 2) +
        '\n',
    );
    ctx.artifact('heap-diff', file);
  } catch (e) {
    ctx.warn(`heap snapshot diff failed: ${(e as Error).message}`);
  }
}

function q(s: string): string {
  return /^[\w@%+=:,./-]*$/.test(s) && s !== '' ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
