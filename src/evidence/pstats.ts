import { relativeFile } from './cpuprofile.js';
import { emptyAggregate, fnKey, type ProfileAggregate } from './types.js';

/**
 * cProfile's statistics as our sitecustomize dumps them: per function [file, line, name, tt, ct,
 * callers], callers as [file, line, name, tt, ct] of the time this function spent called from each.
 */
export interface PstatsDump {
  functions: [string, number, string, number, number, [string, number, string, number, number][]][];
}

export function isPstatsDump(x: unknown): x is PstatsDump {
  return !!x && Array.isArray((x as PstatsDump).functions);
}

/** Built-ins show as file "~": keep them, named as cProfile names them. */
const keyOf = (file: string, line: number, name: string, roots: string[]) => ({
  function: name,
  file: file === '~' ? '' : relativeFile(file, roots),
  line,
});

/**
 * Fold cProfile runs (a run may hold several processes): self time (tt) and total time (ct, which
 * cProfile already counts once through recursion) per function, and direct callers. cProfile has
 * no lines and no call tree: the evidence ties Python functions to the change by their definition.
 */
export function aggregatePstats(runs: PstatsDump[][], roots: string[]): ProfileAggregate {
  const agg = emptyAggregate('cprofile');
  for (const run of runs) {
    agg.runs++;
    for (const dump of run) {
      for (const [file, line, name, tt, ct, callers] of dump.functions) {
        // The profiler's own teardown (our atexit hook and Profile.disable) is not the program's time.
        if (name.includes('_pb_write') || name.includes("'disable' of '_lsprof.Profiler'")) continue;
        const k = keyOf(file, line, name, roots);
        const key = fnKey(k);
        const f = agg.fns.get(key) ?? { ...k, self: 0, total: 0 };
        f.self += tt * 1000;
        f.total += ct * 1000;
        agg.fns.set(key, f);
        agg.totalMs += tt * 1000;
        agg.samples++;
        const m = agg.callers.get(key) ?? new Map<string, number>();
        for (const [cf, cl, cn, ctt] of callers) {
          const ck = fnKey(keyOf(cf, cl, cn, roots));
          m.set(ck, (m.get(ck) ?? 0) + ctt * 1000);
        }
        agg.callers.set(key, m);
      }
    }
  }
  return agg;
}
