import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { relativeFile } from './cpuprofile.js';
import { emptyAggregate, fnKey, lineKey, type FlameNode, type ProfileAggregate } from './types.js';

interface Frame {
  function: string;
  file: string;
  line: number;
}

/**
 * Read a Go CPU profile (pprof's protobuf, gzipped as Go writes it): each sample's CPU time and its
 * stack, leaf first. A location holds one frame per inlined function, the function they were inlined
 * into last. Go 1.19 writes no function start lines, so functions are keyed by name and file.
 */
export function readPprof(data: Uint8Array, roots: string[]): { ms: number; count: number; stack: Frame[] }[] {
  const gzipped = data[0] === 0x1f && data[1] === 0x8b;
  const profile = Profile.decode(gzipped ? gunzipSync(data) : data);
  const text = (index: number | bigint) => profile.stringTable.strings[Number(index)] ?? '';
  // The CPU time is the value in nanoseconds (next to the sample count); the last value otherwise.
  const units = profile.sampleType.map((t) => text(t.unit));
  const nanos = units.indexOf('nanoseconds');
  const valueAt = nanos >= 0 ? nanos : units.length - 1;
  const scale = nanos >= 0 ? 1e-6 : 1;
  // pprof merges samples with the same stack: the 'samples'/'count' value says how many ticks a row holds.
  const counts = profile.sampleType.findIndex((t) => ['samples', 'count'].includes(text(t.type)));
  const functions = new Map(profile.function.map((f) => [Number(f.id), f]));
  const locations = new Map(
    profile.location.map((loc) => [
      Number(loc.id),
      loc.line.flatMap((line): Frame[] => {
        const fn = functions.get(Number(line.functionId));
        if (!fn) return [];
        return [{ function: text(fn.name), file: relativeFile(text(fn.filename), roots), line: Number(line.line) }];
      }),
    ]),
  );
  // A goroutine preempted by the scheduler is sampled inside runtime.asyncPreempt: the time is its caller's.
  const preempt = (f: Frame) => f.function === 'runtime.asyncPreempt';
  return profile.sample.map((sample) => {
    const stack = sample.locationId.flatMap((id) => locations.get(Number(id)) ?? []);
    while (stack.length > 1 && preempt(stack[0])) stack.shift();
    return {
      ms: Number(sample.value[valueAt] ?? 0) * scale,
      count: counts >= 0 ? Number(sample.value[counts] ?? 1) : 1,
      stack,
    };
  });
}

/** Fold Go CPU profiles (the profile files of each run) into the shared aggregate, one entry per run. */
export function aggregatePprof(runs: Uint8Array[][], roots: string[]): ProfileAggregate {
  const agg = emptyAggregate('pprof');
  agg.tree = { key: '(root)', name: '(root)', self: 0, total: 0, children: [] };
  for (const run of runs) {
    agg.runs++;
    for (const data of run) {
      for (const { ms, count, stack } of readPprof(data, roots)) {
        if (!stack.length) continue;
        agg.totalMs += ms;
        agg.samples += count;
        const keys = stack.map((f) => fnKey({ function: f.function, file: f.file, line: 0 }));
        const leaf = stack[0];
        const leafKey = keys[0];
        const fn = agg.fns.get(leafKey) ?? { function: leaf.function, file: leaf.file, line: 0, self: 0, total: 0 };
        fn.self += ms;
        agg.fns.set(leafKey, fn);
        const lk = lineKey(leaf.file, leaf.line);
        const l = agg.lines.get(lk) ?? { file: leaf.file, line: leaf.line, self: 0 };
        l.self += ms;
        agg.lines.set(lk, l);
        const fl = agg.fnLines.get(leafKey) ?? new Map<number, number>();
        fl.set(leaf.line, (fl.get(leaf.line) ?? 0) + ms);
        agg.fnLines.set(leafKey, fl);
        const distinct = new Set(keys);
        for (const [k, f] of stack.map((f, i) => [keys[i], f] as const)) {
          if (!distinct.delete(k)) continue; // counted once per sample, however deep the recursion
          const s = agg.fns.get(k) ?? { function: f.function, file: f.file, line: 0, self: 0, total: 0 };
          s.total += ms;
          agg.fns.set(k, s);
        }
        const callers = agg.callers.get(leafKey) ?? new Map<string, number>();
        for (const k of new Set(keys.slice(1))) if (k !== leafKey) callers.set(k, (callers.get(k) ?? 0) + ms);
        agg.callers.set(leafKey, callers);
        let node: FlameNode = agg.tree;
        for (let i = stack.length - 1; i >= 0; i--) {
          let child = node.children.find((c) => c.key === keys[i]);
          if (!child)
            node.children.push((child = { key: keys[i], name: stack[i].function, self: 0, total: 0, children: [] }));
          node = child;
        }
        node.self += ms;
      }
    }
  }
  const finish = (t: FlameNode): number => (t.total = t.self + t.children.reduce((a, c) => a + finish(c), 0));
  finish(agg.tree);
  return agg;
}
