/**
 * Loaded into the app by the heap probe's server form (NODE_OPTIONS=--import). The probe asks for a
 * checkpoint by writing its number to PERFBISECT_HEAP_DIR/trigger; this answers with the heap's objects and RSS
 * after forced GC as a line of PERFBISECT_HEAP_DIR/heap.jsonl (with its pid: a wrapper such as
 * `npm start` loads it too), and writes heap snapshots at the first and the last checkpoint.
 * No signals and no port: files only, polled, on an unref'd timer that never keeps the app alive.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { heapObjectBytes } from './heap-objects.js';

const dir = process.env.PERFBISECT_HEAP_DIR;
const last = Number(process.env.PERFBISECT_HEAP_LAST ?? '0');
const snapshots = process.env.PERFBISECT_HEAP_SNAPSHOTS === '1';
if (dir) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let seen = -1;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    let n: number;
    try {
      n = Number(readFileSync(join(dir, 'trigger'), 'utf8'));
    } catch {
      return;
    }
    if (!Number.isInteger(n) || n <= seen) return;
    busy = true;
    seen = n;
    for (let k = 0; k < 4; k++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const m = process.memoryUsage();
    let snapshot: string | undefined;
    if (snapshots && (n === 0 || n === last))
      snapshot = writeHeapSnapshot(join(dir, `heap-${process.pid}-${n === 0 ? 'before' : 'after'}.heapsnapshot`));
    appendFileSync(
      join(dir, 'heap.jsonl'),
      JSON.stringify({ pid: process.pid, n, heap: heapObjectBytes(), rss: m.rss, ...(snapshot ? { snapshot } : {}) }) +
        '\n',
    );
    busy = false;
  }, 50);
  timer.unref();
}
