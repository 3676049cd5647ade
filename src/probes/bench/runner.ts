/**
 * Runs one tinybench task in a fresh Node process and prints one JSON line: the figure of this
 * process. The `bench` probe starts it once per sample, so process-to-process noise (JIT, GC, layout)
 * lands in the samples instead of being averaged away inside one process.
 *
 *   node runner.js <file> <task> <metric> [timeMs] [iterations]
 *
 * Output (last line): {"value":…,"mean":…,"p75":…,"p99":…,"throughput":…} or {"error":"no-file"|"no-task"|"failed",…}.
 * tinybench and jiti come from perfbisect's own node_modules: the user's project needs neither.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';

interface BenchLike {
  tasks: { name: string }[];
  remove(name: string): unknown;
  getTask(name: string): { result: Record<string, unknown> } | undefined;
  run(): Promise<unknown>;
}

const isBench = (v: unknown): v is BenchLike =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as BenchLike).getTask === 'function' &&
  typeof (v as BenchLike).run === 'function';

/**
 * JavaScript loads natively (jiti costs ~0.5 s per process on a busy machine); TypeScript, and files
 * that import a tinybench their project does not have, go through jiti.
 */
async function load(file: string): Promise<Record<string, unknown>> {
  if (!/\.[cm]?tsx?$/.test(file)) {
    try {
      return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      if (!String((e as Error)?.message).includes("'tinybench'")) throw e;
    }
  }
  // The user's file may `import { Bench } from 'tinybench'` without the project depending on it:
  // alias it to our copy only when the file's own location cannot resolve it.
  const alias: Record<string, string> = {};
  try {
    createRequire(file).resolve('tinybench');
  } catch {
    alias.tinybench = createRequire(import.meta.url).resolve('tinybench');
  }
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { alias, moduleCache: false, fsCache: false });
  return (await jiti.import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function out(obj: Record<string, unknown>, code = 0): never {
  process.stdout.write(JSON.stringify(obj) + '\n');
  process.exit(code);
}

async function main(): Promise<void> {
  const [fileArg, taskName, metric = 'mean', timeArg, itersArg] = process.argv.slice(2);
  if (!fileArg || !taskName)
    out({ error: 'usage', message: 'usage: runner <file> <task> <metric> [timeMs] [iterations]' }, 2);
  const file = resolve(fileArg);
  if (!existsSync(file)) out({ error: 'no-file', file }, 3);

  let mod: Record<string, unknown>;
  try {
    mod = await load(file);
  } catch (e) {
    out({ error: 'load', message: String((e as Error)?.stack ?? e) }, 4);
  }

  // 1. An exported, configured Bench that has the task: run only that task, with the user's options.
  const def = mod.default as unknown;
  const benches = [def, ...Object.values(mod)].filter(isBench);
  let bench = benches.find((b) => b.getTask(taskName));
  if (bench) {
    for (const t of [...bench.tasks]) if (t.name !== taskName) bench.remove(t.name);
  } else {
    // 2. A plain function: a property of the default export (names with spaces) or a named export.
    const fn =
      (typeof def === 'object' && def !== null && !isBench(def)
        ? (def as Record<string, unknown>)[taskName]
        : undefined) ?? mod[taskName];
    if (typeof fn !== 'function') {
      const known = [
        ...benches.flatMap((b) => b.tasks.map((t) => t.name)),
        ...(typeof def === 'object' && def !== null && !isBench(def)
          ? Object.keys(def).filter((k) => typeof (def as Record<string, unknown>)[k] === 'function')
          : []),
        ...Object.keys(mod).filter((k) => typeof mod[k] === 'function'),
      ];
      out({ error: 'no-task', task: taskName, known: [...new Set(known)] }, 3);
    }
    const time = timeArg ? Number(timeArg) : 500;
    const iterations = itersArg ? Number(itersArg) : 10;
    const b = new Bench({
      time,
      iterations,
      warmupTime: Math.min(100, time),
      warmupIterations: Math.min(5, iterations),
      throws: true,
    });
    b.add(taskName, fn as () => unknown);
    bench = b as unknown as BenchLike;
  }
  try {
    await bench.run();
  } catch (e) {
    out({ error: 'failed', message: String((e as Error)?.stack ?? e) }, 4);
  }
  const r = bench.getTask(taskName)!.result as {
    state: string;
    error?: unknown;
    latency?: { mean: number; p75: number; p99: number; samplesCount?: number };
    throughput?: { mean: number };
  };
  // tinybench 2 (a project's own Bench) reports flat fields in ms and hz instead of latency/throughput.
  const flat = r as unknown as { mean?: number; p75?: number; p99?: number; hz?: number };
  if ((!r.latency || !r.throughput) && typeof flat.mean === 'number') {
    out({
      value: { mean: flat.mean, p75: flat.p75, p99: flat.p99, throughput: flat.hz }[metric as 'mean'],
      mean: flat.mean,
      p75: flat.p75,
      p99: flat.p99,
      throughput: flat.hz,
    });
  }
  if (!r.latency || !r.throughput)
    out(
      {
        error: 'failed',
        message: `task ended in state ${r.state}${r.error ? `: ${String((r.error as Error).stack ?? r.error)}` : ''}`,
      },
      4,
    );
  const figures = { mean: r.latency.mean, p75: r.latency.p75, p99: r.latency.p99, throughput: r.throughput.mean };
  out({ value: figures[metric as keyof typeof figures], ...figures });
}

main().catch((e) => out({ error: 'failed', message: String((e as Error)?.stack ?? e) }, 4));
