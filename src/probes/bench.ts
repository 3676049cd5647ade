import * as v from 'valibot';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommitFailure, tailLines } from '../errors.js';
import { bool, facts, num, oneOf, strict, text } from '../config/schema.js';
import { lastJsonLine } from './bench/shell.js';
import { quoteArgs } from '../shell-quote.js';
import { buildField, envField, timeoutField, timeoutMs } from './fields.js';
import type { MetricInfo, Probe, ProbeContext, ProbeKind, Sample } from './types.js';

const metrics = ['mean', 'p75', 'p99', 'throughput'] as const;
type BenchMetric = (typeof metrics)[number];

export const benchSchema = strict({
  kind: v.literal('bench'),
  file: v.pipe(
    text(),
    v.description(
      "the benchmark file, relative to the commit's worktree; an absolute path is used as is " +
        '(a file kept outside the repository)',
    ),
  ),
  task: v.pipe(text(), v.description('the task name')),
  metric: v.pipe(
    v.optional(oneOf(metrics), 'mean'),
    v.description(
      '`mean`, `p75` or `p99` latency in ms (lower is better), or `throughput` in ops/s (higher is better)',
    ),
  ),
  time: v.pipe(
    v.optional(num({ min: 1 })),
    v.description('tinybench time budget per task in ms, for plain task functions (a configured Bench keeps its own)'),
    facts({ default: '500' }),
  ),
  iterations: v.pipe(
    v.optional(num({ min: 1, integer: true })),
    v.description('tinybench minimum iterations, for plain task functions'),
    facts({ default: '10' }),
  ),
  cpuProfile: v.pipe(
    v.optional(bool()),
    v.description(
      'one extra, unmeasured run per measured commit with `node --cpu-prof`; the `.cpuprofile` is saved in the ' +
        "run's `artifacts/<sha>/cpu-profile/` and opens in Chrome DevTools (Performance panel)",
    ),
    facts({ default: '`false`' }),
  ),
  build: buildField,
  env: envField,
  timeout: timeoutField,
});

export type BenchProbeConfig = v.InferOutput<typeof benchSchema>;

/** The runner ships compiled beside this file, so it finds perfbisect's own tinybench and jiti. */
const runnerPath = fileURLToPath(new URL('./bench/runner.js', import.meta.url));

const metricInfo: Record<BenchMetric, MetricInfo> = {
  mean: { name: 'mean latency', unit: 'ms', better: 'lower' },
  p75: { name: 'p75 latency', unit: 'ms', better: 'lower' },
  p99: { name: 'p99 latency', unit: 'ms', better: 'lower' },
  throughput: { name: 'throughput', unit: 'ops/s', better: 'higher' },
};

/**
 * A tinybench task from the user's benchmark file. One sample is one fresh Node process's figure.
 * A missing file or task is a probe failure: an error at the endpoints, a skip in the middle.
 */
export const benchProbe: ProbeKind<typeof benchSchema> = {
  kind: 'bench',
  describe: 'a tinybench task from your benchmark file (.ts or .js): mean, p75, p99 latency or throughput',
  schema: benchSchema,
  create(cfg): Probe {
    const profiled = new Set<string>();
    return {
      kind: 'bench',
      deterministic: false,
      build: cfg.build,
      metric: metricInfo[cfg.metric],
      async prepare(ctx) {
        if (!cfg.cpuProfile || profiled.has(ctx.sha)) return;
        profiled.add(ctx.sha);
        const dir = join(ctx.artifactsDir, 'cpu-profile');
        const r = await ctx.exec(
          benchCommand(cfg, ctx, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=bench.cpuprofile']),
          execOpts(cfg, ctx),
        );
        if (r.exitCode === 0) ctx.artifact('cpuprofile', join(dir, 'bench.cpuprofile'));
        else ctx.warn(`the profiled run of ${cfg.task} failed (exit ${r.exitCode}); no CPU profile for this commit`);
      },
      async sample(ctx): Promise<Sample> {
        const r = await ctx.exec(benchCommand(cfg, ctx), { ...execOpts(cfg, ctx), guard: true });
        return parseRunnerOutput(r.stdout, r.stderr, r.exitCode, cfg, ctx.sha);
      },
    };
  },
};

/** The command line of one run; profiling flags go before the runner (kept in one place, for profiling too). */
export function benchCommand(cfg: BenchProbeConfig, ctx: Pick<ProbeContext, 'cwd'>, nodeFlags: string[] = []): string {
  const file = isAbsolute(cfg.file) ? cfg.file : join(ctx.cwd, cfg.file);
  const args = [process.execPath, ...nodeFlags, runnerPath, file, cfg.task, cfg.metric];
  if (cfg.time !== undefined || cfg.iterations !== undefined)
    args.push(String(cfg.time ?? 500), String(cfg.iterations ?? 10));
  return quoteArgs(args);
}

function execOpts(cfg: BenchProbeConfig, ctx: Pick<ProbeContext, 'cwd'>) {
  // A benchmark file kept outside the repository imports the commit's code through this path.
  return { env: { ...cfg.env, PERFBISECT_WORKTREE: ctx.cwd }, timeoutMs: timeoutMs(cfg) };
}

export function parseRunnerOutput(
  stdout: string,
  stderr: string,
  exitCode: number,
  cfg: BenchProbeConfig,
  sha: string,
): Sample {
  const output = lastJsonLine(stdout);
  const tail = tailLines(stderr || stdout);
  if (output?.error === 'no-file') {
    throw new CommitFailure(
      'probe',
      `benchmark file ${cfg.file} does not exist at commit ${sha.slice(0, 10)} (benchmarks are often added after the range's good end): ` +
        `use a --good after the file was added, or keep the benchmark file outside the repository (an absolute "file" that imports the commit's code from process.env.PERFBISECT_WORKTREE)`,
    );
  }
  if (output?.error === 'no-task') {
    const known = (output.known as string[] | undefined) ?? [];
    throw new CommitFailure(
      'probe',
      `benchmark file ${cfg.file} has no task ${JSON.stringify(cfg.task)} at commit ${sha.slice(0, 10)} (it has: ${known.length ? known.map((k) => JSON.stringify(k)).join(', ') : 'none'}): ` +
        `use a --good after the task was added, or export it as a Bench task or a function named after it`,
    );
  }
  if (output?.error)
    throw new CommitFailure(
      'probe',
      `${cfg.file} task ${JSON.stringify(cfg.task)} failed: ${String(output.message ?? output.error).split('\n')[0]}`,
      undefined,
      tailLines(String(output.message ?? '')),
    );
  const value = Number(output?.value);
  if (exitCode !== 0 || !output || !Number.isFinite(value)) {
    throw new CommitFailure(
      'probe',
      `the tinybench runner exited with code ${exitCode} without a result`,
      undefined,
      tail,
      exitCode ? 'crashed' : 'failed',
    );
  }
  const details: Record<string, number> = {};
  for (const k of ['mean', 'p75', 'p99'] as const)
    if (k !== cfg.metric && typeof output[k] === 'number') details[k] = output[k] as number;
  return { value, details };
}
