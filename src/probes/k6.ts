import { join } from 'node:path';
import { CommitFailure, EnvironmentError } from '../errors.js';
import { bool, fail, noUnknownKeys, oneOf, str } from '../config/validate.js';
import { parseK6Metric, readK6Summary, trendStats, type K6MetricRef } from './k6/summary.js';
import { readServerConfig, readUrl, serverFields, serverSlot, startServer, type ServerConfig } from './server.js';
import type { Probe, ProbeContext, ProbeKind } from './types.js';
import { shellQuote } from '../commands/bisect.js';

export interface K6ProbeConfig extends ServerConfig {
  kind: 'k6';
  script: string;
  /** 'http_req_duration.p(99)', 'http_reqs.rate', 'my_custom_trend.avg', … */
  metric: string;
  better: 'lower' | 'higher';
  unit: string;
  /** The url to wait for (default: the server's root). */
  url?: string;
  k6Path?: string;
  /** Extra arguments to `k6 run` (like '--vus 10 --duration 5s'). */
  args?: string;
  /** Failed thresholds fail the commit (default: they are reported as warnings). */
  failOnThresholds?: boolean;
  build?: string;
}

/** Metrics where more is better by default: throughput counters and success rates. */
function defaultBetter(ref: K6MetricRef): 'lower' | 'higher' {
  return /^(http_reqs|iterations|data_received|data_sent|checks)$/.test(ref.metric) ? 'higher' : 'lower';
}

/**
 * Run the user's k6 script against the server started at each commit (BASE_URL), read the summary
 * export and take the named metric. k6 exits 99 when thresholds fail: reported, not a failure.
 */
export const k6Probe: ProbeKind<K6ProbeConfig> = {
  kind: 'k6',
  describe: "start the app, run a k6 script against it (BASE_URL), take a summary metric like 'http_req_duration.p(99)'",
  validate(raw, path) {
    noUnknownKeys(raw, path, ['kind', 'script', 'metric', 'better', 'unit', 'url', 'k6Path', 'args', 'failOnThresholds', 'build', ...serverFields]);
    const metric = str(raw, 'metric', path) ?? 'http_req_duration.p(95)';
    if (!/^[\w.{}:\-"' ]+(\.[\w()\d.]+)?$/.test(metric)) fail(`${path}.metric`, `must name a k6 metric and stat like 'http_req_duration.p(99)', got ${JSON.stringify(metric)}`);
    const ref = parseK6Metric(metric);
    const trend = ref.stat ? /^(avg|min|med|max|p\()/.test(ref.stat) : false;
    return {
      kind: 'k6',
      script: str(raw, 'script', path, { required: true })!,
      metric,
      better: oneOf(raw, 'better', path, ['lower', 'higher'] as const) ?? defaultBetter(ref),
      unit: str(raw, 'unit', path) ?? (trend && /duration|time|latency/.test(ref.metric) ? 'ms' : ''),
      url: readUrl(raw, 'url', path, false),
      k6Path: str(raw, 'k6Path', path),
      args: str(raw, 'args', path),
      failOnThresholds: bool(raw, 'failOnThresholds', path),
      build: str(raw, 'build', path),
      ...readServerConfig(raw, path),
    };
  },
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
            `mkdir -p ${shellQuote([ctx.artifactsDir])} &&`,
            shellQuote([cfg.k6Path ?? 'k6', 'run', '--quiet', '--no-color', '--summary-export', out, '--summary-trend-stats', trendStats(ref).join(','), '-e', `BASE_URL=${server.baseUrl}`]),
            cfg.args ?? '',
            shellQuote([cfg.script]),
          ].filter(Boolean).join(' ');
          const r = await ctx.exec(cmd, { env: { BASE_URL: server.baseUrl } });
          server.check('during the k6 run');
          if (r.exitCode !== 0 && r.exitCode !== 99) throw new CommitFailure('probe', `k6 exited with code ${r.exitCode}`, ctx.logFile, tail(r.stderr || r.stdout), 'crashed');
          let figures;
          try {
            figures = readK6Summary(JSON.parse((await readText(ctx, out)) ?? 'null'), ref);
          } catch (e) {
            throw new CommitFailure('probe', `k6's summary ${out} could not be read: ${(e as Error).message}`, ctx.logFile, tail(r.stderr || r.stdout));
          }
          if (figures.failedThresholds.length) {
            const msg = `k6 thresholds failed: ${figures.failedThresholds.join('; ')}`;
            if (cfg.failOnThresholds) throw new CommitFailure('probe', msg, ctx.logFile, tail(r.stdout));
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
  const r = await ctx.exec(`command -v ${shellQuote([tool])} >/dev/null && { [ ! -e ${shellQuote([tool])} ] || [ -x ${shellQuote([tool])} ]; }`);
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

function tail(text: string, n = 15): string[] {
  return text.trimEnd().split('\n').slice(-n);
}
