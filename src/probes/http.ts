import * as v from 'valibot';
import { CommitFailure } from '../errors.js';
import { oneOf, strict } from '../config/schema.js';
import { loadCheck, loadEntries, type LoadConfig } from './http/config.js';
import { latencyMetrics, runLoad, type LoadFigures } from './http/load.js';
import { buildField } from './fields.js';
import { serverEntries, serverSlot, startServer, type ServerConfig, type StartedServer } from './server.js';
import type { MetricInfo, Probe, ProbeContext, ProbeKind, Sample } from './types.js';

export const httpMetrics = [...latencyMetrics, 'rps', 'errorRate', 'non2xxRate'] as const;
export type HttpMetric = (typeof httpMetrics)[number];

export const httpSchema = v.pipe(
  strict({
    kind: v.literal('http'),
    metric: v.pipe(
      v.optional(oneOf(httpMetrics), 'p99'),
      v.description(
        '`p50` `p90` `p95` `p99` `p99.9` `mean` (ms, lower is better), `rps` (higher is better), ' +
          '`errorRate`, `non2xxRate` (percent of requests, lower is better)',
      ),
    ),
    build: buildField,
    ...serverEntries,
    ...loadEntries,
  }),
  loadCheck(),
);

export type HttpProbeConfig = v.InferOutput<typeof httpSchema>;

export function httpMetricInfo(m: HttpMetric): MetricInfo {
  if (m === 'rps') return { name: 'requests/s', unit: 'req/s', better: 'higher' };
  if (m === 'errorRate') return { name: 'error rate', unit: '%', better: 'lower' };
  if (m === 'non2xxRate') return { name: 'non-2xx rate', unit: '%', better: 'lower' };
  return { name: m === 'mean' ? 'mean latency' : `${m} latency`, unit: 'ms', better: 'lower' };
}

/** The sample of one load run: the metric as the value, every figure in details for the writeup table. */
export function loadSample(f: LoadFigures, metric: HttpMetric): Sample {
  const { requests: _r, connections, ...figures } = f;
  const raw = f[metric];
  return {
    value: metric === 'errorRate' || metric === 'non2xxRate' ? raw * 100 : raw,
    details: { ...figures, connections },
  };
}

/** Start the server, wait for it, and run the discarded warm-up load. */
export async function startLoaded(
  ctx: ProbeContext,
  cfg: ServerConfig & LoadConfig,
  env?: Record<string, string>,
): Promise<StartedServer> {
  const server = await startServer(ctx, cfg, { url: cfg.url, env });
  try {
    if (cfg.warmup > 0) {
      await runLoad({
        ...cfg,
        url: server.url(cfg.url),
        duration: cfg.warmup,
        amount: undefined,
        signal: ctx.signal,
      });
      server.check('during the warm-up load');
    }
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** One measured load run against a started server; a dead server or no answers fail the commit. */
export async function measuredLoad(ctx: ProbeContext, cfg: LoadConfig, server: StartedServer): Promise<LoadFigures> {
  const f = await runLoad({
    ...cfg,
    url: server.url(cfg.url),
    duration: cfg.amount ? undefined : (cfg.duration ?? 2),
    signal: ctx.signal,
  });
  server.check('during the load');
  if (f.requests === 0)
    throw new CommitFailure(
      'server',
      `no request to ${server.url(cfg.url)} got a response`,
      ctx.logFile,
      server.tail(),
    );
  ctx.log(
    `[perfbisect] load: ${f.requests} requests, p50 ${f.p50.toFixed(3)} ms, p99 ${f.p99.toFixed(3)} ms, ${f.rps.toFixed(0)} req/s, errors ${(f.errorRate * 100).toFixed(2)}%`,
  );
  return f;
}

/**
 * Start the app at each commit and load it with autocannon: latency percentiles, throughput or
 * error rate. One sample is one short load run; the server lives for a measurement block.
 */
export const httpProbe: ProbeKind<typeof httpSchema> = {
  kind: 'http',
  describe: 'start the app (PORT), load it with autocannon: p50…p99.9/mean latency, rps, error rate',
  schema: httpSchema,
  create(cfg): Probe {
    const servers = serverSlot((ctx) => startLoaded(ctx, cfg));
    return {
      kind: 'http',
      deterministic: false,
      build: cfg.build,
      metric: httpMetricInfo(cfg.metric),
      // Rates of errors are no stand-in for speed: latencies and throughput only.
      alternatives: [...latencyMetrics, 'rps' as const]
        .filter((m) => m !== cfg.metric)
        .map((m) => ({ field: m, info: httpMetricInfo(m) })),
      prepare: (ctx) => servers.prepare(ctx),
      sample: (ctx) => servers.use(ctx, async (s) => loadSample(await measuredLoad(ctx, cfg, s), cfg.metric)),
      teardown: (ctx) => servers.stop(ctx),
    };
  },
};
