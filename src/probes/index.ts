import { UsageError } from '../errors.js';
import { isObject } from '../config/validate.js';
import { commandProbe } from './command.js';
import { httpProbe } from './http.js';
import { k6Probe } from './k6.js';
import { artilleryProbe } from './artillery.js';
import { eventLoopProbe } from './event-loop.js';
import { benchProbe } from './bench.js';
import { goBenchProbe } from './go-bench.js';
import { pytestBenchmarkProbe } from './pytest-benchmark.js';
import { bundleProbe } from './bundle.js';
import { queriesProbe } from './queries.js';
import { heapProbe } from './heap.js';
import type { Probe, ProbeKind } from './types.js';

/** Every probe kind, by name. Adding a kind: one file in this folder and one line here. */
export const probeKinds: Record<string, ProbeKind<any>> = {
  command: commandProbe,
  bundle: bundleProbe,
  queries: queriesProbe,
  heap: heapProbe,
  http: httpProbe,
  k6: k6Probe,
  artillery: artilleryProbe,
  'event-loop': eventLoopProbe,
  bench: benchProbe,
  'go-bench': goBenchProbe,
  'pytest-benchmark': pytestBenchmarkProbe,
};

export function createProbe(name: string, raw: unknown): { probe: Probe; config: unknown } {
  const path = `probes.${name}`;
  if (!isObject(raw)) throw new UsageError(`invalid config: ${path} must be an object with a kind, like { kind: 'command', run: 'node bench.js' }`);
  const kind = raw.kind ?? 'command';
  const k = typeof kind === 'string' ? probeKinds[kind] : undefined;
  if (!k) {
    throw new UsageError(`invalid config: ${path}.kind ${JSON.stringify(kind)} is not a probe kind (known: ${Object.keys(probeKinds).join(', ')})`);
  }
  const config = k.validate({ ...raw, kind }, path);
  return { probe: k.create(config, name), config };
}
