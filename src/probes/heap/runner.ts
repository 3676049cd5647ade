/**
 * Child process of the heap probe: `node --expose-gc runner.js <scenario> <iterations> <checkpoints> [snapshotPrefix]`.
 * Runs the scenario's default export (one unit of work, sync or async) `iterations` times after one
 * checkpoint's worth of warm-up, forces GC at each checkpoint and prints the heap's objects at each as
 * the last line: {"points": [[iterations, bytes], ...], "snapshots": [...]}. Snapshots (before the
 * measured iterations and after them) are written only when a prefix is given.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { heapObjectBytes } from './heap-objects.js';

const [scenario, iterArg, cpArg, prefix] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('perfbisect heap runner: start node with --expose-gc');
  process.exit(3);
}
const mod = (await import(pathToFileURL(resolve(scenario)).href)) as { default?: unknown };
const work = mod.default;
if (typeof work !== 'function') {
  console.error(
    `perfbisect heap runner: ${scenario} must export a function as its default export (one unit of work), got ${typeof work}`,
  );
  process.exit(3);
}
const iterations = Number(iterArg);
const checkpoints = Number(cpArg);
const step = Math.max(1, Math.ceil(iterations / checkpoints));
let i = 0;
const run = async (n: number) => {
  for (let k = 0; k < n; k++, i++) {
    const r = (work as (i: number) => unknown)(i);
    if (r && typeof (r as Promise<unknown>).then === 'function') await r;
  }
};
/**
 * Several full collections with turns of the event loop between (weak callbacks and finalizers
 * settle), then the heap's objects.
 */
const retained = async () => {
  for (let k = 0; k < 4; k++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  return heapObjectBytes();
};
await run(step); // warm-up: lazy initialisation, JIT, caches that fill once
const snapshots: string[] = [];
await retained();
if (prefix) snapshots.push(writeHeapSnapshot(`${prefix}-before.heapsnapshot`));
const points: [number, number][] = [[0, await retained()]];
for (let c = 1; c <= checkpoints; c++) {
  await run(step);
  points.push([c * step, await retained()]);
}
if (prefix) snapshots.push(writeHeapSnapshot(`${prefix}-after.heapsnapshot`));
console.log(JSON.stringify({ points, snapshots }));
