import { relativeFile } from './cpuprofile.js';
import { emptyAggregate, fnKey, lineKey, type FlameNode, type ProfileAggregate } from './types.js';

interface Frame {
  function: string;
  file: string;
  line: number;
}

/**
 * Parse `go tool pprof -raw` text: samples as "count nanoseconds: location ids" (leaf first) and
 * locations, each one or more frames (inlined functions first, then the function they were inlined
 * into). Go 1.19 writes no function start lines (s=0), so functions are keyed by name and file.
 */
export function parsePprofRaw(text: string, roots: string[]): { ms: number; stack: Frame[] }[] {
  const lines = text.split('\n');
  const locs = new Map<number, Frame[]>();
  const samples: { ms: number; ids: number[] }[] = [];
  let section = '';
  let current: Frame[] | undefined;
  const frameOf = (s: string): Frame | undefined => {
    const m = /^(.*) (\S+):(\d+) s=\d+$/.exec(s.trim());
    return m ? { function: m[1], file: relativeFile(m[2], roots), line: Number(m[3]) } : undefined;
  };
  for (const l of lines) {
    const head = /^(Samples|Locations|Mappings):?\s*$/.exec(l);
    if (head) {
      section = head[1];
      continue;
    }
    if (section === 'Samples') {
      const m = /^\s*\d+\s+(\d+):((?:\s+\d+)+)\s*$/.exec(l);
      if (m) samples.push({ ms: Number(m[1]) / 1e6, ids: m[2].trim().split(/\s+/).map(Number) });
    } else if (section === 'Locations') {
      const m = /^\s*(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*)$/.exec(l);
      if (m) {
        current = [];
        locs.set(Number(m[1]), current);
        const f = frameOf(m[2]);
        if (f) current.push(f);
      } else if (current && l.trim()) {
        const f = frameOf(l);
        if (f) current.push(f);
      }
    }
  }
  // A goroutine preempted by the scheduler is sampled inside runtime.asyncPreempt: the time is its caller's.
  const preempt = (f: Frame) => f.function === 'runtime.asyncPreempt';
  return samples.map((s) => {
    const stack = s.ids.flatMap((id) => locs.get(id) ?? []);
    while (stack.length > 1 && preempt(stack[0])) stack.shift();
    return { ms: s.ms, stack };
  });
}

/** Fold Go CPU profiles (pprof -raw text per process) into the shared aggregate, one entry per run. */
export function aggregatePprof(runs: string[][], roots: string[]): ProfileAggregate {
  const agg = emptyAggregate('pprof');
  agg.tree = { key: '(root)', name: '(root)', self: 0, total: 0, children: [] };
  for (const run of runs) {
    agg.runs++;
    for (const text of run) {
      for (const { ms, stack } of parsePprofRaw(text, roots)) {
        if (!stack.length) continue;
        agg.totalMs += ms;
        agg.samples++;
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
          if (!child) node.children.push((child = { key: keys[i], name: stack[i].function, self: 0, total: 0, children: [] }));
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
