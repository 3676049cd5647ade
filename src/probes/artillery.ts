import * as v from 'valibot';
import { join } from 'node:path';
import { CommitFailure, EnvironmentError, tailLines } from '../errors.js';
import { facts, strict, text } from '../config/schema.js';
import { quoteArg, quoteArgs } from '../shell-quote.js';
import { readArtilleryReport } from './artillery/report.js';
import { betterField, buildField } from './fields.js';
import { findTool, readText } from './k6.js';
import { serverEntries, serverSlot, startServer, urlTemplate } from './server.js';
import type { Probe, ProbeContext, ProbeKind } from './types.js';

export const artillerySchema = v.pipe(
  strict({
    kind: v.literal('artillery'),
    script: v.pipe(text(), v.description('the Artillery scenario (its `config.target` is overridden)')),
    metric: v.pipe(
      v.optional(text(), 'http.response_time.p99'),
      v.description(
        'as Artillery names it: `http.response_time.p99` (also `p50`/`median`, `p75`, `p90`, `p95`, `p99.9`, ' +
          '`mean`, `max`), `http.request_rate`, or any counter like `http.codes.500`, `errors.ETIMEDOUT`',
      ),
    ),
    better: v.pipe(
      betterField('`lower` or `higher`'),
      facts({ default: 'higher for request rates, request counts and 2xx codes; else lower' }),
    ),
    unit: v.pipe(
      v.optional(v.string()),
      v.description("the metric's unit"),
      facts({ default: '`ms` for response times, `req/s` for rates' }),
    ),
    url: v.pipe(
      v.optional(urlTemplate()),
      v.description('the url to wait for before the run'),
      facts({ default: "the server's `/`" }),
    ),
    artilleryPath: v.pipe(
      v.optional(text()),
      v.description('the artillery executable'),
      facts({ default: "the commit's `node_modules/.bin/artillery`, else `artillery` on PATH" }),
    ),
    args: v.pipe(v.optional(text()), v.description('extra `artillery run` arguments')),
    build: buildField,
    ...serverEntries,
  }),
  v.transform(({ kind, script, metric, better, unit, ...rest }) => ({
    kind,
    script,
    metric,
    better: better ?? (/request_rate|requests$|codes\.2\d\d$/.test(metric) ? 'higher' : 'lower'),
    unit: unit ?? (/response_time|session_length|latency/.test(metric) ? 'ms' : /_rate$/.test(metric) ? 'req/s' : ''),
    ...rest,
  })),
);

export type ArtilleryProbeConfig = v.InferOutput<typeof artillerySchema>;

/**
 * Run the user's Artillery scenario with its target overridden to the server started at each
 * commit, and take a metric from its JSON report. Artillery is an optional peer (~590 MB): found
 * at `artilleryPath`, in the project's node_modules/.bin, or on PATH.
 */
export const artilleryProbe: ProbeKind<typeof artillerySchema> = {
  kind: 'artillery',
  describe: "start the app, run an Artillery scenario against it, take a report metric like 'http.response_time.p99'",
  schema: artillerySchema,
  create(cfg, name): Probe {
    const servers = serverSlot((ctx) => startServer(ctx, cfg, { url: cfg.url ?? 'http://127.0.0.1:{port}/' }));
    const bins = new WeakMap<ProbeContext, string>();
    let runs = 0;
    const binOf = async (ctx: ProbeContext) => {
      let bin = bins.get(ctx);
      if (!bin) {
        bin = await findArtillery(ctx, cfg.artilleryPath, name);
        bins.set(ctx, bin);
      }
      return bin;
    };
    return {
      kind: 'artillery',
      deterministic: false,
      build: cfg.build,
      metric: { name: cfg.metric, unit: cfg.unit, better: cfg.better },
      async prepare(ctx) {
        await binOf(ctx);
        await servers.prepare(ctx);
      },
      sample: (ctx) =>
        servers.use(ctx, async (server) => {
          const out = join(ctx.artifactsDir, `artillery-report-${++runs}.json`);
          const cmd = [
            `mkdir -p ${quoteArg(ctx.artifactsDir)} &&`,
            quoteArgs([await binOf(ctx), 'run', '--target', server.baseUrl, '--output', out]),
            cfg.args ?? '',
            quoteArg(cfg.script),
          ]
            .filter(Boolean)
            .join(' ');
          // Telemetry goes to an outside host; where that is unreachable it only costs time.
          const r = await ctx.exec(cmd, { env: { ARTILLERY_DISABLE_TELEMETRY: 'true', BASE_URL: server.baseUrl }, guard: true });
          server.check('during the Artillery run');
          if (r.exitCode !== 0) {
            const tail = tailLines(r.stderr || r.stdout, 15);
            throw new CommitFailure('probe', `artillery exited with code ${r.exitCode}`, ctx.logFile, tail, 'crashed');
          }
          try {
            return readArtilleryReport(JSON.parse((await readText(ctx, out)) ?? 'null'), cfg.metric);
          } catch (e) {
            const why = `Artillery's report ${out} could not be read: ${(e as Error).message}`;
            throw new CommitFailure('probe', why, ctx.logFile, tailLines(r.stdout, 15));
          }
        }),
      teardown: (ctx) => servers.stop(ctx),
    };
  },
};

/** `artilleryPath`, else the commit's own node_modules/.bin/artillery, else `artillery` on PATH. */
async function findArtillery(ctx: ProbeContext, configured: string | undefined, name: string): Promise<string> {
  const missing = () =>
    new EnvironmentError(
      configured
        ? `probes.${name}.artilleryPath ${configured} is not an executable artillery: fix the path.`
        : `Artillery is not installed: add it to the project (npm install -D artillery@2.0.21, the newest for Node 20), install it globally (npm install -g artillery@2.0.21), or set artilleryPath: '/path/to/artillery' in probes.${name}.`,
    );
  if (configured) {
    await findTool(ctx, configured, missing);
    return configured;
  }
  const local = join(ctx.cwd, 'node_modules', '.bin', 'artillery');
  const r = await ctx.exec(`test -x ${quoteArg(local)}`);
  if (r.exitCode === 0) return local;
  await findTool(ctx, 'artillery', missing);
  return 'artillery';
}

