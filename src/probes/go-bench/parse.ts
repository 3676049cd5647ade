/**
 * The standard Go benchmark output format (golang.org/design/14313-benchmark-format):
 *   BenchmarkDecode/small-8   	   20000	     61234 ns/op	    512 B/op	       3 allocs/op
 * A name, the iteration count, then value–unit pairs (custom units from b.ReportMetric included).
 * Pure: the probe feeds it `go test` output.
 */
export interface GoBenchLine {
  /** The name without the -GOMAXPROCS suffix. */
  name: string;
  procs?: number;
  iterations: number;
  values: Record<string, number>;
}

const lineRe = /^(Benchmark\S*)\s+(\d+)\s+(.+)$/;

export function parseGoBench(output: string): GoBenchLine[] {
  const out: GoBenchLine[] = [];
  for (const raw of output.split('\n')) {
    const m = lineRe.exec(raw.trim());
    if (!m) continue;
    const fields = m[3].trim().split(/\s+/);
    if (fields.length < 2 || fields.length % 2) continue;
    const values: Record<string, number> = {};
    for (let i = 0; i < fields.length; i += 2) {
      const v = Number(fields[i]);
      if (!Number.isFinite(v)) break;
      values[fields[i + 1]] = v;
    }
    if (Object.keys(values).length === 0) continue;
    const procs = /-(\d+)$/.exec(m[1]);
    out.push({
      name: procs ? m[1].slice(0, -procs[0].length) : m[1],
      procs: procs ? Number(procs[1]) : undefined,
      iterations: Number(m[2]),
      values,
    });
  }
  return out;
}

/** `-bench` regex selecting exactly this benchmark: each /-separated level anchored on its own. */
export function benchRegex(name: string): string {
  return name
    .split('/')
    .map((part) => `^${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
    .join('/');
}
