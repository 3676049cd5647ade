import { UsageError } from '../errors.js';
import type { InferInput } from 'valibot';
import { isObject, parseConfig } from '../config/schema.js';
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
export const probeKinds = {
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

type Kinds = typeof probeKinds;

/**
 * A probe as users write it in probes.config.ts: a union discriminated by `kind` (a command probe may
 * leave it out), so an editor and `tsc` flag a misspelled field or a metric the kind does not have.
 */
export type ProbeConfig = { [K in keyof Kinds]: InferInput<Kinds[K]['schema']> }[keyof Kinds];

/** The kinds by name, each taking the output of its own schema. */
const registry: Record<string, ProbeKind> = probeKinds;

export function createProbe(name: string, raw: unknown): { probe: Probe; config: unknown } {
  const path = `probes.${name}`;
  if (!isObject(raw))
    throw new UsageError(
      `invalid config: ${path} must be an object with a kind, like { kind: 'command', run: 'node bench.js' }`,
    );
  const kind = raw.kind ?? 'command';
  const k = typeof kind === 'string' && Object.hasOwn(registry, kind) ? registry[kind] : undefined;
  if (!k) {
    throw new UsageError(
      `invalid config: ${path}.kind ${JSON.stringify(kind)} is not a probe kind (known: ${Object.keys(probeKinds).join(', ')})`,
    );
  }
  const config = parseConfig(k.schema, { ...raw, kind }, path);
  return { probe: k.create(config, name), config };
}
