import { emptyAggregate, fnKey, lineKey, type FlameNode, type ProfileAggregate } from './types.js';

/** The parts of a V8 .cpuprofile (Chrome DevTools' format) that we read. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
    hitCount?: number;
    children?: number[];
    positionTicks?: { line: number; ticks: number }[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A file written by the profiler is only worth reading if it has this shape (a crashed run may leave half a file). */
export function isCpuProfile(x: unknown): x is CpuProfile {
  const p = x as CpuProfile;
  return !!p && Array.isArray(p.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas);
}

/** Frames that are not code: the idle loop and the tree's root. */
const skipped = new Set(['(root)', '(idle)']);

/**
 * The file name of the preload that starts the profiler in each Node process: its own frames (starting
 * the profiler, writing the profile at exit) are not the program's and are left out.
 */
export const PROFILER_PRELOAD = 'perfbisect-node-profiler.cjs';
const ours = (url: string) => url.endsWith(`/${PROFILER_PRELOAD}`);

/**
 * The repository-relative path of a script, so the same function at the parent's and the culprit's
 * worktree (different folders) gets the same key. Code outside the worktree keeps its URL.
 */
export function relativeFile(url: string, roots: string[]): string {
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  for (const root of roots) {
    const r = root.endsWith('/') ? root : root + '/';
    if (path.startsWith(r)) {
      path = path.slice(r.length);
      break;
    }
  }
  return path;
}

/**
 * Fold one run's profile into the aggregate: self and total time per function, self time per source
 * line (from positionTicks), the merged call tree and, per function, which functions it ran under.
 * Time per sample is the sample's own interval (timeDeltas of the next sample), in ms.
 */
export function aggregateV8(runs: CpuProfile[][], roots: string[]): ProfileAggregate {
  const agg = emptyAggregate('v8');
  for (const run of runs) {
    for (const p of run) addCpuProfile(agg, p, roots);
    // A run is one probe run, however many Node processes it started.
    agg.runs = agg.runs - run.length + 1;
  }
  return agg;
}

export function addCpuProfile(agg: ProfileAggregate, p: CpuProfile, roots: string[]): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const hits = new Map<number, number>();
  const mean = p.timeDeltas.length ? p.timeDeltas.reduce((a, b) => a + Math.max(0, b), 0) / p.timeDeltas.length : 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = Math.max(0, p.timeDeltas[i + 1] ?? mean);
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
    hits.set(p.samples[i], (hits.get(p.samples[i]) ?? 0) + 1);
  }
  const root = p.nodes[0];
  if (!root) return;
  agg.runs++;
  agg.tree ??= { key: '(root)', name: '(root)', self: 0, total: 0, children: [] };

  const keyOf = (n: CpuProfile['nodes'][number]) => {
    const cf = n.callFrame;
    const file = relativeFile(cf.url, roots);
    return { function: cf.functionName || '(anonymous)', file, line: cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0 };
  };

  // Depth-first with an explicit stack: deep recursion in a profile must not overflow ours.
  type Frame = { id: number; flame: FlameNode; stack: string[] };
  const totals = new Map<number, number>();
  const order: { id: number; stack: string[] }[] = [];
  const todo: Frame[] = [{ id: root.id, flame: agg.tree, stack: [] }];
  while (todo.length) {
    const f = todo.pop()!;
    const n = byId.get(f.id);
    if (!n) continue;
    if (f.id !== root.id && (skipped.has(n.callFrame.functionName) || ours(n.callFrame.url))) continue;
    let flame = f.flame;
    let stack = f.stack;
    if (f.id !== root.id) {
      const k = keyOf(n);
      const key = fnKey(k);
      let child = flame.children.find((c) => c.key === key);
      if (!child) flame.children.push((child = { key, name: k.function, self: 0, total: 0, children: [] }));
      flame = child;
      const ms = (selfUs.get(n.id) ?? 0) / 1000;
      flame.self += ms;
      agg.totalMs += ms;
      agg.samples += hits.get(n.id) ?? 0;
      const fn = agg.fns.get(key) ?? { ...k, self: 0, total: 0 };
      fn.self += ms;
      agg.fns.set(key, fn);
      const perTick = ms / Math.max(1, hits.get(n.id) ?? 0);
      for (const t of n.positionTicks ?? []) {
        const lk = lineKey(k.file, t.line);
        const l = agg.lines.get(lk) ?? { file: k.file, line: t.line, self: 0 };
        l.self += t.ticks * perTick;
        agg.lines.set(lk, l);
        const fl = agg.fnLines.get(key) ?? new Map<number, number>();
        fl.set(t.line, (fl.get(t.line) ?? 0) + t.ticks * perTick);
        agg.fnLines.set(key, fl);
      }
      if (ms > 0) {
        const callers = agg.callers.get(key) ?? new Map<string, number>();
        for (const a of new Set(stack)) if (a !== key) callers.set(a, (callers.get(a) ?? 0) + ms);
        agg.callers.set(key, callers);
      }
      stack = [...stack, key];
      order.push({ id: n.id, stack });
    }
    for (const c of n.children ?? []) todo.push({ id: c, flame, stack });
  }
  // Total time per function: a node's subtree, counted once per call path (not again inside recursion).
  const subtree = (id: number): number => {
    let t = totals.get(id);
    if (t !== undefined) return t;
    // Iterative post-order to avoid deep recursion.
    const post: number[] = [];
    const st = [id];
    while (st.length) {
      const x = st.pop()!;
      post.push(x);
      for (const c of byId.get(x)?.children ?? []) if (byId.get(c)?.callFrame.functionName !== '(idle)') st.push(c);
    }
    for (let i = post.length - 1; i >= 0; i--) {
      const x = post[i];
      let s = (selfUs.get(x) ?? 0) / 1000;
      for (const c of byId.get(x)?.children ?? []) s += totals.get(c) ?? 0;
      totals.set(x, s);
    }
    t = totals.get(id) ?? 0;
    return t;
  };
  subtree(root.id);
  for (const { id, stack } of order) {
    const key = stack[stack.length - 1];
    if (stack.indexOf(key) !== stack.length - 1) continue;
    agg.fns.get(key)!.total += totals.get(id) ?? 0;
  }
  finishTree(agg.tree);
}

/** Totals of a merged tree: self plus children, bottom-up. */
export function finishTree(t: FlameNode): number {
  t.total = t.self + t.children.reduce((a, c) => a + finishTree(c), 0);
  return t.total;
}
