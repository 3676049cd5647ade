import { join } from 'node:path';
import { CommitFailure, EnvironmentError } from '../errors.js';
import { noUnknownKeys, oneOf, str } from '../config/validate.js';
import { shellQuote } from '../commands/bisect.js';
import { readArtilleryReport } from './artillery/report.js';
import { findTool, readText } from './k6.js';
import { readServerConfig, readUrl, serverFields, serverSlot, startServer, type ServerConfig } from './server.js';
import type { Probe, ProbeContext, ProbeKind } from './types.js';

export interface ArtilleryProbeConfig extends ServerConfig {
  kind: 'artillery';
  script: string;
  /** As Artillery names it: 'http.response_time.p99', 'http.request_rate', 'http.codes.500'. */
  metric: string;
  better: 'lower' | 'higher';
  unit: string;
  url?: string;
  artilleryPath?: string;
  args?: string;
  build?: string;
}

/**
 * Run the user's Artillery scenario with its target overridden to the server started at each
 * commit, and take a metric from its JSON report. Artillery is an optional peer (~590 MB): found
 * at `artilleryPath`, in the project's node_modules/.bin, or on PATH.
 */
export const artilleryProbe: ProbeKind<ArtilleryProbeConfig> = {
  kind: 'artillery',
  describe: "start the app, run an Artillery scenario against it, take a report metric like 'http.response_time.p99'",
  validate(raw, path) {
    noUnknownKeys(raw, path, ['kind', 'script', 'metric', 'better', 'unit', 'url', 'artilleryPath', 'args', 'build', ...serverFields]);
    const metric = str(raw, 'metric', path) ?? 'http.response_time.p99';
    return {
      kind: 'artillery',
      script: str(raw, 'script', path, { required: true })!,
      metric,
      better: oneOf(raw, 'better', path, ['lower', 'higher'] as const) ?? (/request_rate|requests$|codes\.2\d\d$/.test(metric) ? 'higher' : 'lower'),
      unit: str(raw, 'unit', path) ?? (/response_time|session_length|latency/.test(metric) ? 'ms' : /_rate$/.test(metric) ? 'req/s' : ''),
      url: readUrl(raw, 'url', path, false),
      artilleryPath: str(raw, 'artilleryPath', path),
      args: str(raw, 'args', path),
      build: str(raw, 'build', path),
      ...readServerConfig(raw, path),
    };
  },
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
          const cmd = [`mkdir -p ${shellQuote([ctx.artifactsDir])} &&`, shellQuote([await binOf(ctx), 'run', '--target', server.baseUrl, '--output', out]), cfg.args ?? '', shellQuote([cfg.script])].filter(Boolean).join(' ');
          // Telemetry goes to an outside host; where that is unreachable it only costs time.
          const r = await ctx.exec(cmd, { env: { ARTILLERY_DISABLE_TELEMETRY: 'true', BASE_URL: server.baseUrl } });
          server.check('during the Artillery run');
          if (r.exitCode !== 0) throw new CommitFailure('probe', `artillery exited with code ${r.exitCode}`, ctx.logFile, tail(r.stderr || r.stdout), 'crashed');
          try {
            return readArtilleryReport(JSON.parse((await readText(ctx, out)) ?? 'null'), cfg.metric);
          } catch (e) {
            throw new CommitFailure('probe', `Artillery's report ${out} could not be read: ${(e as Error).message}`, ctx.logFile, tail(r.stdout));
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
  const r = await ctx.exec(`test -x ${shellQuote([local])}`);
  if (r.exitCode === 0) return local;
  await findTool(ctx, 'artillery', missing);
  return 'artillery';
}

function tail(text: string, n = 15): string[] {
  return text.trimEnd().split('\n').slice(-n);
}
