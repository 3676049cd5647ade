import * as v from 'valibot';
import { isAbsolute, join } from 'node:path';
import { CommitFailure, EnvironmentError, tailLines } from '../errors.js';
import { facts, oneOf, strict, strList, text } from '../config/schema.js';
import { lastJsonLine } from './bench/shell.js';
import { quoteArg, quoteArgs } from '../shell-quote.js';
import { buildField, envField, timeoutField, timeoutMs } from './fields.js';
import type { MetricInfo, Probe, ProbeContext, ProbeKind, Sample } from './types.js';

const metrics = ['min', 'median', 'mean', 'max', 'stddev', 'iqr', 'ops'] as const;
type PyMetric = (typeof metrics)[number];

export const pytestBenchmarkSchema = strict({
  kind: v.literal('pytest-benchmark'),
  test: v.pipe(text(), v.description('one pytest node id, like `tests/test_perf.py::test_tokenize`')),
  metric: v.pipe(
    v.optional(oneOf(metrics), 'median'),
    v.description(
      '`min`, `median`, `mean`, `max`, `stddev` or `iqr` time in ms (lower is better), ' +
        'or `ops` per second (higher is better)',
    ),
  ),
  python: v.pipe(
    v.optional(text()),
    v.description('the interpreter'),
    facts({ default: 'the first of `python3`, `/usr/bin/python3`, `python` that imports pytest and pytest_benchmark' }),
  ),
  args: v.pipe(v.optional(strList()), v.description("extra pytest arguments, like `['--benchmark-max-time=0.2']`")),
  build: buildField,
  env: envField,
  timeout: timeoutField,
});

export type PytestBenchmarkProbeConfig = v.InferOutput<typeof pytestBenchmarkSchema>;

const candidates = ['python3', '/usr/bin/python3', 'python'];

/**
 * The user's pytest-benchmark test. One sample is one pytest run's statistic (pytest-benchmark's own
 * rounds are summarized inside the run; perfbisect measures run-to-run noise across runs).
 */
export const pytestBenchmarkProbe: ProbeKind<typeof pytestBenchmarkSchema> = {
  kind: 'pytest-benchmark',
  describe: 'a pytest-benchmark test: its min, median, mean, stddev or ops per run',
  schema: pytestBenchmarkSchema,
  create(cfg, name): Probe {
    let python: string | undefined;
    return {
      kind: 'pytest-benchmark',
      deterministic: false,
      build: cfg.build,
      metric: pyMetric(cfg.metric),
      async prepare(ctx) {
        python ??= await findPython(cfg, name, ctx);
      },
      async sample(ctx): Promise<Sample> {
        python ??= await findPython(cfg, name, ctx);
        const json = join(ctx.artifactsDir, 'pytest-benchmark.json');
        const r = await ctx.exec(pytestCommand(cfg, python, json), {
          env: pyEnv(cfg),
          timeoutMs: timeoutMs(cfg),
          guard: true,
        });
        return pytestSample(r.stdout, r.stderr, r.exitCode, cfg, ctx);
      },
    };
  },
};

/**
 * A pytest plugin that stands in for pytest-benchmark's machine and commit info: for the JSON report it
 * runs py-cpuinfo in a subprocess and git several times, a second or more of every run on a busy
 * machine, none of it inside the timed rounds and none of it used here. It also shortens the timer
 * precision check that calibrates `benchmark(fn)`: pytest-benchmark samples its timer for a whole second
 * in every process (once a session, but a sample here is a session), spinning a core; a twentieth of a
 * second finds the same least step of a fine timer, and the loop is pytest-benchmark's own. Where
 * pytest-benchmark is laid out otherwise, its own check stays.
 */
const QUIET_INFO_PLUGIN = 'perfbisect_pytest_info';
const quietInfoPlugin = `import platform, pytest
@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_benchmark_generate_machine_info(config):
    return {'node': platform.node(), 'python_version': platform.python_version()}
@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_benchmark_generate_commit_info(config):
    return {}
def _precision(timer, seconds=0.05):
    from pytest_benchmark.timers import timeout_timer
    precision = None
    points = 0
    timeout = timeout_timer() + seconds
    previous = timer()
    while timeout_timer() < timeout or points < 5:
        for _ in range(10):
            t1 = timer()
            t2 = timer()
            dt = t2 - t1
            if 0 < dt:
                break
        else:
            dt = t2 - previous
            if dt <= 0.0:
                continue
        precision = dt if precision is None else min(precision, dt)
        points += 1
        previous = timer()
    return precision
try:
    from pytest_benchmark import fixture as _fixture, timers as _timers
    if hasattr(_fixture, 'compute_timer_precision') and hasattr(_timers, 'timeout_timer'):
        _fixture.compute_timer_precision = _precision
except Exception:
    pass
`;

/**
 * The one place the pytest command line is built (profiling flags go in `extra`). pytest's own output
 * goes to stderr (the log keeps it); stdout carries only the JSON report, read back with `cat`.
 */
export function pytestCommand(
  cfg: PytestBenchmarkProbeConfig,
  python: string,
  jsonFile: string,
  extra: string[] = [],
): string {
  const args = [
    python,
    '-m',
    'pytest',
    cfg.test,
    '--benchmark-only',
    `--benchmark-json=${jsonFile}`,
    '-q',
    '-p',
    'no:cacheprovider',
    '-p',
    QUIET_INFO_PLUGIN,
    ...(cfg.args ?? []),
    ...extra,
  ];
  const dir = jsonFile.slice(0, jsonFile.lastIndexOf('/'));
  const plugins = `${dir}/pytest-plugins`;
  const plugin = `mkdir -p ${quoteArg(plugins)} && printf %s ${quoteArg(quietInfoPlugin)} > ${quoteArg(`${plugins}/${QUIET_INFO_PLUGIN}.py`)}`;
  // Ahead of whatever PYTHONPATH the probe, the user or the profiler gives, which all still apply.
  const path = `PYTHONPATH=${quoteArg(plugins)}\${PYTHONPATH:+:$PYTHONPATH}`;
  return `${plugin} && rm -f ${quoteArg(jsonFile)} && { ${path} ${quoteArgs(args)} 1>&2; rc=$?; cat ${quoteArg(jsonFile)} 2>/dev/null | tr -d '\\n'; echo; exit $rc; }`;
}

/** No .pyc files or caches in the worktree: they would dirty it and could leak between commits. */
function pyEnv(cfg: PytestBenchmarkProbeConfig): Record<string, string> {
  return { PYTHONDONTWRITEBYTECODE: '1', ...cfg.env };
}

function pyMetric(m: PyMetric): MetricInfo {
  return m === 'ops'
    ? { name: 'ops', unit: 'ops/s', better: 'higher' }
    : { name: `${m} time`, unit: 'ms', better: 'lower' };
}

/** The first interpreter that imports pytest and pytest_benchmark; said in the UI, since it matters. */
async function findPython(cfg: PytestBenchmarkProbeConfig, name: string, ctx: ProbeContext): Promise<string> {
  const tried: string[] = [];
  for (const py of cfg.python ? [cfg.python] : candidates) {
    const r = await ctx.exec(
      `${quoteArg(py)} -c ${quoteArg('import sys, pytest, pytest_benchmark; print(sys.executable); print(getattr(pytest_benchmark, "__version__", "?"))')}`,
      { env: pyEnv(cfg) },
    );
    const [exe, version] = r.stdout.trim().split('\n');
    if (r.exitCode === 0 && exe) {
      ctx.note(
        `pytest-benchmark ${version} with ${exe}${cfg.python ? '' : ` (the first of ${candidates.join(', ')} that has it; set probes.${name}.python to choose)`}`,
      );
      // The resolved path: a pyenv shim costs seconds per run on a busy machine.
      return exe;
    }
    tried.push(r.exitCode === 127 ? `${py} (not found)` : py);
  }
  throw new EnvironmentError(
    `probes.${name}: pytest-benchmark is not installed for ${tried.join(', ')}: install Debian's python3-pytest-benchmark (apt-get install python3-pytest-benchmark) or \`pip install pytest-benchmark\`, or set probes.${name}.python to an interpreter that has it`,
  );
}

export function pytestSample(
  stdout: string,
  stderr: string,
  exitCode: number,
  cfg: PytestBenchmarkProbeConfig,
  ctx: Pick<ProbeContext, 'sha'>,
): Sample {
  const at = `at commit ${ctx.sha.slice(0, 10)}`;
  const tail = tailLines(stderr, 15);
  if (/file or directory not found|ERROR: not found:|no match in any of/.test(stderr)) {
    // A test kept outside the repository is the same file at every commit: no --good brings it.
    const file = cfg.test.split('::')[0];
    const fix = isAbsolute(file)
      ? `check the path and the test's name (${file} is an absolute path, the same file at every commit)`
      : "benchmarks are often added after the range's good end: use a --good after it was added";
    throw new CommitFailure(
      'probe',
      `test ${cfg.test} does not exist ${at}: ${fix}`,
      undefined,
      tail,
    );
  }
  if (exitCode !== 0)
    throw new CommitFailure(
      'probe',
      `pytest ${cfg.test} exited with code ${exitCode} ${at}`,
      undefined,
      tail,
      'crashed',
    );
  const report = lastJsonLine(stdout) as
    { benchmarks?: { fullname?: string; name?: string; stats?: Record<string, number> }[] } | undefined;
  const list = report?.benchmarks ?? [];
  if (list.length === 0) {
    throw new CommitFailure(
      'probe',
      `${cfg.test} ran no benchmark ${at}: it must use the \`benchmark\` fixture`,
      undefined,
      tail,
    );
  }
  const b = list.length === 1 ? list[0] : list.find((x) => x.fullname === cfg.test);
  if (!b?.stats) {
    throw new CommitFailure(
      'probe',
      `${cfg.test} selects ${list.length} benchmarks ${at} (${list.map((x) => x.fullname).join(', ')}): name one test in "test"`,
      undefined,
      tail,
    );
  }
  const st = b.stats;
  const raw = st[cfg.metric];
  if (typeof raw !== 'number')
    throw new CommitFailure('probe', `the pytest-benchmark report has no ${cfg.metric} ${at}`, undefined, tail);
  if (cfg.metric === 'ops') return { value: raw };
  // Seconds in the report; ms reads better and formats down to µs. The other timings go beside it.
  const details: Record<string, number> = {};
  for (const k of ['min', 'mean', 'stddev'] as const)
    if (k !== cfg.metric && typeof st[k] === 'number') details[k] = st[k] * 1000;
  return { value: raw * 1000, details };
}
