import * as v from 'valibot';
import { CommitFailure, EnvironmentError, tailLines } from '../errors.js';
import { facts, got, num, strict, text } from '../config/schema.js';
import { quoteArg, quoteArgs } from '../shell-quote.js';
import { benchRegex, parseGoBench } from './go-bench/parse.js';
import { betterField, buildField, envField, timeoutField, timeoutMs } from './fields.js';
import type { MetricInfo, Probe, ProbeContext, ProbeKind, Sample } from './types.js';

export const goBenchSchema = strict({
  kind: v.literal('go-bench'),
  package: v.pipe(v.optional(text(), '.'), v.description('the package, as `go test` takes it')),
  bench: v.pipe(
    text(),
    v.regex(/^Benchmark/, (issue) =>
      `must name a benchmark function like 'BenchmarkDecode' (or 'BenchmarkDecode/small'), got ${got(issue.input)}`),
    v.description('benchmark name, like `BenchmarkDecode` or `BenchmarkDecode/small`'),
  ),
  metric: v.pipe(
    v.optional(
      v.pipe(text(), v.regex(/^\S+$/, (issue) =>
        `must be one unit of the result line like 'ns/op', 'B/op' or 'allocs/op', got ${got(issue.input)}`)),
      'ns/op',
    ),
    v.description('a unit of the result line: `ns/op`, `B/op`, `allocs/op`, `MB/s` or a custom `b.ReportMetric` unit'),
  ),
  better: v.pipe(betterField('`lower` or `higher`'), facts({ default: 'higher for units ending in `/s`, else lower' })),
  count: v.pipe(
    v.optional(num({ min: 1, max: 100, integer: true }), 1),
    v.description('result lines per `go test` run (`-count`, 1–100); each line is one sample'),
  ),
  benchtime: v.pipe(
    v.optional(v.pipe(text(), v.regex(/^(\d+x|\d+(\.\d+)?(ns|us|µs|ms|s|m|h))$/, (issue) =>
      `must be a duration like '200ms' or a count like '100x', got ${got(issue.input)}`))),
    v.description('`-benchtime`: a duration (`200ms`) or a count (`100x`)'),
    facts({ default: "Go's 1s" }),
  ),
  go: v.pipe(v.optional(text(), 'go'), v.description('the go command')),
  build: buildField,
  env: envField,
  timeout: timeoutField,
});

export type GoBenchProbeConfig = v.InferOutput<typeof goBenchSchema>;

/** The units go test prints on a result line of its own accord (-benchmem adds the two per op). */
const GO_UNITS = ['ns/op', 'B/op', 'allocs/op', 'MB/s'];

/**
 * The user's own `go test -bench` benchmark. Each result line is a sample: a run with -count N
 * yields N samples, handed out to the next N sample() calls of that commit.
 */
export const goBenchProbe: ProbeKind<typeof goBenchSchema> = {
  kind: 'go-bench',
  describe: 'a Go benchmark (go test -bench): ns/op, B/op, allocs/op or a custom unit per result line',
  schema: goBenchSchema,
  create(cfg, name): Probe {
    const queued = new Map<string, Sample[]>();
    let checked = false;
    return {
      kind: 'go-bench',
      deterministic: false,
      build: cfg.build,
      metric: goMetric(cfg),
      // A unit go test does not print itself can only come from b.ReportMetric, which the first run shows:
      // said before the builds, so a typo ('ns/opp') is not found after all of them.
      cautions: () =>
        GO_UNITS.includes(cfg.metric)
          ? []
          : [
            `probes.${name}.metric '${cfg.metric}' is not one of go test's own units (${GO_UNITS.join(', ')}): ` +
              `${cfg.bench} must report it with b.ReportMetric, or the first measurement fails`,
          ],
      async prepare(ctx) {
        if (checked) return;
        const r = await ctx.exec(`${quoteArg(cfg.go)} version`, { env: goEnv(cfg) });
        if (r.exitCode !== 0) {
          throw new EnvironmentError(
            `probes.${name}: \`${cfg.go} version\` failed (exit ${r.exitCode}): install Go (Debian: apt-get install golang-go) or set probes.${name}.go to the go binary`,
          );
        }
        checked = true;
        ctx.log(`go-bench: ${r.stdout.trim()}`);
      },
      async sample(ctx): Promise<Sample> {
        const q = queued.get(ctx.sha);
        if (q?.length) return q.shift()!;
        const r = await ctx.exec(goTestCommand(cfg), {
          env: goEnv(cfg),
          timeoutMs: timeoutMs(cfg),
          guard: true,
        });
        const samples = goSamples(r.stdout, r.stderr, r.exitCode, cfg, ctx);
        queued.set(ctx.sha, samples.slice(1));
        return samples[0];
      },
      // Evidence at the culprit (docs/evidence.md): the same benchmark with Go's CPU profiler on.
      profile: {
        profiler: 'pprof',
        // -benchtime is a duration here (profileBenchtime): a slower benchmark runs fewer iterations.
        fixedTime: true,
        async sample(ctx, outDir): Promise<Sample> {
          const profiled = { ...cfg, count: 1, benchtime: profileBenchtime(cfg.benchtime) };
          const r = await ctx.exec(goTestCommand(profiled, ['-cpuprofile', `${outDir}/cpu.pprof`]), {
            env: goEnv(cfg),
            timeoutMs: timeoutMs(cfg),
          });
          return goSamples(r.stdout, r.stderr, r.exitCode, cfg, ctx)[0];
        },
      },
    };
  },
};

/**
 * The one place the `go test` command line is built (profiling flags such as -cpuprofile go in `extra`).
 * -run '^$' runs no tests, only the benchmark.
 */
export function goTestCommand(cfg: GoBenchProbeConfig, extra: string[] = []): string {
  const args = [
    cfg.go,
    'test',
    '-run',
    '^$',
    '-bench',
    benchRegex(cfg.bench),
    '-benchmem',
    '-count',
    String(cfg.count),
  ];
  if (cfg.benchtime) args.push('-benchtime', cfg.benchtime);
  args.push(...extra, cfg.package);
  return quoteArgs(args);
}

/**
 * A profiled run lasts at least Go's default second: the profiler samples at 100 Hz, and a benchmark
 * run for a fixed few iterations (`40x`) or milliseconds leaves a handful of samples, too few to rank
 * functions by. A longer duration the user chose is kept.
 */
export function profileBenchtime(benchtime: string | undefined): string {
  const m = benchtime ? /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(benchtime) : null;
  if (!m) return '1s';
  const seconds = Number(m[1]) * { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2]]!;
  return seconds >= 1 ? benchtime! : '1s';
}

/** Worktrees have a .git file, not a directory: VCS stamping must not get in the way; never fetch a toolchain. */
function goEnv(cfg: GoBenchProbeConfig): Record<string, string> {
  return { GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: 'local', ...cfg.env };
}

export function goMetric(cfg: Pick<GoBenchProbeConfig, 'metric' | 'better'>): MetricInfo {
  const better = cfg.better ?? (/\/s$/.test(cfg.metric) ? 'higher' : 'lower');
  const unit =
    cfg.metric === 'ns/op' ? 'ns' : cfg.metric === 'B/op' ? 'B' : cfg.metric === 'allocs/op' ? 'allocs' : cfg.metric;
  return { name: cfg.metric, unit, better };
}

export function goSamples(
  stdout: string,
  stderr: string,
  exitCode: number,
  cfg: GoBenchProbeConfig,
  ctx: Pick<ProbeContext, 'sha'>,
): Sample[] {
  const at = `at commit ${ctx.sha.slice(0, 10)}`;
  const tail = tailLines(`${stdout}\n${stderr}`, 15);
  if (exitCode !== 0) {
    const text = `${stdout}\n${stderr}`;
    if (/no Go files|cannot find package|directory not found|is not in (GOROOT|std)|matched no packages/.test(text)) {
      throw new CommitFailure(
        'probe',
        `Go package ${cfg.package} does not exist ${at}: use a --good after it was added`,
        undefined,
        tail,
      );
    }
    // go test builds the package before it runs anything: a compile error is a commit that does not build.
    if (/\[(build|setup) failed\]/.test(text)) {
      const error = /^\S+\.go:\d+(:\d+)?: .*$/m.exec(text)?.[0];
      throw new CommitFailure(
        'build',
        `Go package ${cfg.package} does not compile ${at}${error ? `: ${error}` : ''}`,
        undefined,
        tail,
      );
    }
    throw new CommitFailure(
      'probe',
      `\`go test -bench\` for ${cfg.bench} exited with code ${exitCode} ${at}`,
      undefined,
      tail,
      'crashed',
    );
  }
  const lines = parseGoBench(stdout);
  const mine = lines.filter((l) => l.name === cfg.bench);
  if (mine.length === 0) {
    const names = [...new Set(lines.map((l) => l.name))];
    throw new CommitFailure(
      'probe',
      names.length
        ? `no result line for ${cfg.bench} ${at}, only ${names.join(', ')}: name one of them in "bench"`
        : `no benchmark ${cfg.bench} in package ${cfg.package} ${at} (benchmarks are often added after the range's good end): use a --good after it was added`,
      undefined,
      tail,
    );
  }
  return mine.map((l) => {
    const value = l.values[cfg.metric];
    if (value === undefined) {
      throw new CommitFailure(
        'probe',
        `the result line of ${cfg.bench} has no ${cfg.metric} ${at} (it has ${Object.keys(l.values).join(', ')}): set "metric" to one of them`,
        undefined,
        tail,
      );
    }
    return { value };
  });
}
