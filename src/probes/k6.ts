import * as v from 'valibot';
import { join } from 'node:path';
import { CommitFailure, EnvironmentError, tailLines } from '../errors.js';
import { bool, facts, strict, text } from '../config/schema.js';
import { parseK6Metric, readK6Summary, trendStats, type K6MetricRef } from './k6/summary.js';
import { betterField, buildField } from './fields.js';
import { serverEntries, serverSlot, startServer, urlTemplate } from './server.js';
import type { Probe, ProbeContext, ProbeKind } from './types.js';
import { quoteArg, quoteArgs } from '../shell-quote.js';

export const k6Schema = v.pipe(
  strict({
    kind: v.literal('k6'),
    script: v.pipe(text(), v.description('the k6 script, relative to the repository root')),
    metric: v.pipe(
      v.optional(
        v.pipe(
          text(),
          v.regex(/^[\w.{}:\-"' ]+(\.[\w()\d.]+)?$/, (issue) =>
            `must name a k6 metric and stat like 'http_req_duration.p(99)', got ${JSON.stringify(issue.input)}`),
        ),
        'http_req_duration.p(95)',
      ),
      v.description(
        '`<k6 metric>.<stat>`: a trend stat (`avg` `min` `med` `max` `p(N)`), a rate (`http_req_failed.rate`), ' +
          'a counter (`http_reqs.count`, `http_reqs.rate`), a gauge, a custom metric, or a submetric like ' +
          '`http_req_duration{expected_response:true}.p(95)`. Without a stat, the natural one',
      ),
    ),
    better: v.pipe(
      betterField('`lower` or `higher`'),
      facts({ default: 'higher for `http_reqs`, `iterations`, `checks`, `data_*`; else lower' }),
    ),
    unit: v.pipe(
      v.optional(v.string()),
      v.description("the metric's unit"),
      facts({ default: '`ms` for duration trends' }),
    ),
    url: v.pipe(
      v.optional(urlTemplate()),
      v.description('the url to wait for before the run'),
      facts({ default: "the server's `/`" }),
    ),
    k6Path: v.pipe(v.optional(text()), v.description('the k6 binary'), facts({ default: '`k6` on PATH' })),
    args: v.pipe(v.optional(text()), v.description("extra `k6 run` arguments, like `'--vus 10 --duration 5s'`")),
    failOnThresholds: v.pipe(
      v.optional(bool()),
      v.description('failed thresholds fail the commit (otherwise they are shown as a warning)'),
      facts({ default: '`false`' }),
    ),
    build: buildField,
    ...serverEntries,
  }),
  v.transform(({ kind, script, metric, better, unit, ...rest }) => {
    const ref = parseK6Metric(metric);
    const trend = ref.stat ? /^(avg|min|med|max|p\()/.test(ref.stat) : false;
    const timed = trend && /duration|time|latency/.test(ref.metric);
    return { kind, script, metric, better: better ?? defaultBetter(ref), unit: unit ?? (timed ? 'ms' : ''), ...rest };
  }),
);

export type K6ProbeConfig = v.InferOutput<typeof k6Schema>;

/** Metrics where more is better by default: throughput counters and success rates. */
function defaultBetter(ref: K6MetricRef): 'lower' | 'higher' {
  return /^(http_reqs|iterations|data_received|data_sent|checks)$/.test(ref.metric) ? 'higher' : 'lower';
}

/**
 * Run the user's k6 script against the server started at each commit (BASE_URL), read the summary
 * export and take the named metric. k6 exits 99 when thresholds fail: reported, not a failure.
 */
export const k6Probe: ProbeKind<typeof k6Schema> = {
  kind: 'k6',
  describe:
    "start the app, run a k6 script against it (BASE_URL), take a summary metric like 'http_req_duration.p(99)'",
  schema: k6Schema,
  create(cfg, name): Probe {
    const ref = parseK6Metric(cfg.metric);
    const waitUrl = cfg.url ?? 'http://127.0.0.1:{port}/';
    const servers = serverSlot((ctx) => startServer(ctx, cfg, { url: waitUrl }));
    let runs = 0;
    return {
      kind: 'k6',
      deterministic: false,
      build: cfg.build,
      metric: { name: cfg.metric, unit: cfg.unit, better: cfg.better },
      async prepare(ctx) {
        await findTool(ctx, cfg.k6Path ?? 'k6', () => missingK6(name, cfg.k6Path));
        await servers.prepare(ctx);
      },
      sample: (ctx) =>
        servers.use(ctx, async (server) => {
          const out = join(ctx.artifactsDir, `k6-summary-${++runs}.json`);
          const cmd = [
            `mkdir -p ${quoteArg(ctx.artifactsDir)} &&`,
            quoteArgs([
              cfg.k6Path ?? 'k6',
              'run',
              '--quiet',
              '--no-color',
              '--summary-export',
              out,
              '--summary-trend-stats',
              trendStats(ref).join(','),
              '-e',
              `BASE_URL=${server.baseUrl}`,
            ]),
            cfg.args ?? '',
            quoteArg(cfg.script),
          ]
            .filter(Boolean)
            .join(' ');
          const r = await ctx.exec(cmd, { env: { BASE_URL: server.baseUrl }, guard: true });
          server.check('during the k6 run');
          if (r.exitCode !== 0 && r.exitCode !== 99) {
            const tail = tailLines(r.stderr || r.stdout, 15);
            throw new CommitFailure('probe', `k6 exited with code ${r.exitCode}`, ctx.logFile, tail, 'crashed');
          }
          let figures;
          try {
            figures = readK6Summary(JSON.parse((await readText(ctx, out)) ?? 'null'), ref);
          } catch (e) {
            const why = `k6's summary ${out} could not be read: ${(e as Error).message}`;
            throw new CommitFailure('probe', why, ctx.logFile, tailLines(r.stderr || r.stdout, 15));
          }
          if (figures.failedThresholds.length) {
            const msg = `k6 thresholds failed: ${figures.failedThresholds.join('; ')}`;
            if (cfg.failOnThresholds) throw new CommitFailure('probe', msg, ctx.logFile, tailLines(r.stdout, 15));
            ctx.log(`[perfbisect] ${msg}`);
            warnOnce(ctx, msg);
          }
          return { value: figures.value, details: figures.details };
        }),
      teardown: (ctx) => servers.stop(ctx),
    };
  },
};

function missingK6(name: string, k6Path?: string): EnvironmentError {
  return new EnvironmentError(
    k6Path
      ? `probes.${name}.k6Path ${k6Path} is not an executable k6: fix the path (the k6 binary from https://grafana.com/docs/k6/latest/set-up/install-k6/).`
      : `k6 is not on PATH: install it (https://grafana.com/docs/k6/latest/set-up/install-k6/; there is no npm package of the binary) or point perfbisect at it with k6Path: '/path/to/k6' in probes.${name}.`,
  );
}

/** A tool is there when `command -v` finds it (a name on PATH, or an executable path). */
export async function findTool(ctx: ProbeContext, tool: string, missing: () => Error): Promise<void> {
  const r = await ctx.exec(
    `command -v ${quoteArg(tool)} >/dev/null && { [ ! -e ${quoteArg(tool)} ] || [ -x ${quoteArg(tool)} ]; }`,
  );
  if (r.exitCode !== 0) throw missing();
}

export async function readText(ctx: ProbeContext, path: string): Promise<string | undefined> {
  if (!ctx.readFile) throw new Error('this perfbisect cannot read files from probes');
  try {
    return (await ctx.readFile(path)).toString('utf8');
  } catch {
    return undefined;
  }
}

const warned = new WeakSet<ProbeContext>();
function warnOnce(ctx: ProbeContext, msg: string): void {
  if (warned.has(ctx)) return;
  warned.add(ctx);
  ctx.warn(msg);
}

