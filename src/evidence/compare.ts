import { changedFileFor, mapParentLine, type ChangedLines } from './changes.js';
import {
  fnKey,
  lineKey,
  type EvidenceRow,
  type FlameNode,
  type FnStat,
  type InChange,
  type ProfileAggregate,
} from './types.js';

const share = (f: FnStat | undefined, a: ProfileAggregate) => (f && a.totalMs > 0 ? f.self / a.totalMs : 0);

/**
 * Profiles are samples too: the largest difference in any function's share of time (percentage
 * points) between two halves of the same commit's runs. Differences between parent and culprit
 * smaller than this are not shown.
 */
export function profileNoise(a: ProfileAggregate, b: ProfileAggregate): number {
  let max = 0;
  for (const k of new Set([...a.fns.keys(), ...b.fns.keys()])) {
    max = Math.max(max, Math.abs(share(a.fns.get(k), a) - share(b.fns.get(k), b)) * 100);
  }
  return max;
}

/**
 * The parent's profile with its line numbers moved to where those lines are at the culprit, so a
 * function the culprit did not touch keeps its identity when lines were added above it.
 */
export function alignToCulprit(a: ProfileAggregate, changes: ChangedLines): ProfileAggregate {
  if (changes.size === 0) return a;
  const keyMap = new Map<string, string>();
  const moved = (k: string) => {
    let v = keyMap.get(k);
    if (v === undefined) {
      const [fn, file, line] = k.split('\u0000');
      v = fnKey({ function: fn, file, line: mapParentLine(changes, file, Number(line)) });
      keyMap.set(k, v);
    }
    return v;
  };
  const fns = new Map<string, FnStat>();
  for (const [k, f] of a.fns) {
    const nk = moved(k);
    const prev = fns.get(nk);
    fns.set(
      nk,
      prev
        ? { ...prev, self: prev.self + f.self, total: prev.total + f.total }
        : { ...f, line: mapParentLine(changes, f.file, f.line) },
    );
  }
  const fnLines = new Map<string, Map<number, number>>();
  for (const [k, m] of a.fnLines) {
    const [, file] = k.split('\u0000');
    fnLines.set(moved(k), new Map([...m].map(([l, ms]) => [mapParentLine(changes, file, l), ms])));
  }
  const lines = new Map([...a.lines.values()].map((l) => {
    const line = mapParentLine(changes, l.file, l.line);
    return [lineKey(l.file, line), { ...l, line }] as const;
  }));
  const callers = new Map(
    [...a.callers].map(([k, m]) => [moved(k), new Map([...m].map(([ck, ms]) => [moved(ck), ms]))] as const),
  );
  const tree = (n: FlameNode): FlameNode => ({
    ...n,
    key: n.key === '(root)' ? n.key : moved(n.key),
    children: n.children.map(tree),
  });
  return { ...a, fns, fnLines, lines, callers, ...(a.tree ? { tree: tree(a.tree) } : {}) };
}

/**
 * For profilers without line numbers (cProfile): the lines from a function's definition to the next
 * function defined in the same file, a stand-in for its body.
 */
function bodyLines(f: FnStat, a: ProfileAggregate): number[] {
  if (f.line <= 0) return [];
  let end = Infinity;
  for (const g of a.fns.values()) if (g.file === f.file && g.line > f.line && g.line < end) end = g.line;
  const out: number[] = [];
  for (let l = f.line; l < Math.min(end, f.line + 2000); l++) out.push(l);
  return out;
}

/** The repository's own code: a path relative to the worktree (not native, a runtime's internals, a package). */
export function ownCode(file: string): boolean {
  return !!file && !file.startsWith('/') && !/^[a-z][a-z0-9+.-]*:/i.test(file) && !/(^|\/)(node_modules|site-packages)\//.test(file);
}

/**
 * Of the repository's own callers, the one most of the time passed under; where callers are counted
 * at any depth (V8), the outermost one ties with it, so among ties the one with the least total time:
 * the nearest.
 */
function nearestOwnCaller(callers: [string, number][], a: ProfileAggregate): FnStat | undefined {
  const own = callers.filter(([ck]) => ownCode(a.fns.get(ck)?.file ?? ''));
  if (!own.length) return undefined;
  const most = Math.max(...own.map(([, ms]) => ms));
  const near = own.filter(([, ms]) => ms >= most * 0.99).map(([ck]) => a.fns.get(ck)!);
  return near.sort((x, y) => x.total - y.total)[0];
}

/** Whether the culprit added the function (its definition line) or changed a line that carries its time. */
export function inChangeOf(
  fn: { file: string; line: number },
  lines: Iterable<number>,
  changes: ChangedLines,
): InChange {
  const c = changedFileFor(changes, fn.file);
  if (!c) return false;
  if (c.newFile || (fn.line > 0 && c.added.has(fn.line))) return 'added';
  for (const l of lines) if (c.added.has(l)) return 'modified';
  return false;
}

export interface CompareOptions {
  /** Percentage points below which a change is noise (measured with profileNoise). */
  noise: number;
  /** Rows kept in each direction. */
  limit?: number;
}

/**
 * The functions whose share of the time grew most at the culprit (and those that shrank), each
 * tied to the culprit's diff: added by it, modified by it, or called from a function it changed.
 */
export function compareProfiles(
  before: ProfileAggregate,
  after: ProfileAggregate,
  changes: ChangedLines,
  options: CompareOptions,
): { top: EvidenceRow[]; shrank: EvidenceRow[] } {
  const limit = options.limit ?? 10;
  const perRun = (ms: number, a: ProfileAggregate) => ms / Math.max(1, a.runs);
  const changedFn = new Map<string, InChange>();
  const inChange = (key: string, a: ProfileAggregate): InChange => {
    let v = changedFn.get(key);
    if (v === undefined) {
      const f = a.fns.get(key) ?? before.fns.get(key);
      v = f ? inChangeOf(f, after.fnLines.get(key)?.keys() ?? bodyLines(f, after), changes) : false;
      changedFn.set(key, v);
    }
    return v;
  };
  const rows: EvidenceRow[] = [];
  for (const key of new Set([...before.fns.keys(), ...after.fns.keys()])) {
    const b = before.fns.get(key);
    const a = after.fns.get(key);
    const f = (a ?? b)!;
    const delta = (share(a, after) - share(b, before)) * 100;
    if (Math.abs(delta) <= options.noise) continue;
    const row: EvidenceRow = {
      function: f.function,
      file: f.file,
      line: f.line,
      selfBefore: perRun(b?.self ?? 0, before),
      selfAfter: perRun(a?.self ?? 0, after),
      totalBefore: perRun(b?.total ?? 0, before),
      totalAfter: perRun(a?.total ?? 0, after),
      shareBefore: share(b, before),
      shareAfter: share(a, after),
      delta,
      deltaMs: perRun(a?.self ?? 0, after) - perRun(b?.self ?? 0, before),
      new: !b,
      inChange: inChange(key, after),
      ...(f.evaluated ? { evaluated: true } : {}),
    };
    // No definition line (Go's pprof): a function new at the culprit whose time is in added lines was added.
    if (row.new && row.inChange === 'modified' && f.line === 0) row.inChange = 'added';
    const lines = after.fnLines.get(key);
    if (lines && lines.size) {
      const [line, ms] = [...lines].sort((x, y) => y[1] - x[1])[0];
      const c = changedFileFor(changes, f.file);
      row.hotLine = {
        line,
        share: after.totalMs ? ms / after.totalMs : 0,
        inChange: !!c?.added.has(line),
        ...(c?.added.has(line) ? { text: c.added.get(line) } : {}),
      };
    }
    if (!row.inChange) {
      // Not changed itself: the changed function it spent the most time under, if the call tree shows
      // one; else the repository's own function it spent the most time under, where the reader looks next.
      const callers = [...(after.callers.get(key) ?? new Map<string, number>())].sort((x, y) => y[1] - x[1]);
      for (const [ck] of callers) {
        if (inChange(ck, after)) {
          const cf = after.fns.get(ck)!;
          row.calledFrom = { function: cf.function, file: cf.file, line: cf.line };
          break;
        }
      }
      const own = row.calledFrom || ownCode(f.file) ? undefined : nearestOwnCaller(callers, after);
      if (own) row.under = { function: own.function, file: own.file, line: own.line };
    }
    rows.push(row);
  }
  return {
    top: rows
      .filter((r) => r.delta > 0)
      .sort((x, y) => y.delta - x.delta)
      .slice(0, limit),
    shrank: rows
      .filter((r) => r.delta < 0)
      .sort((x, y) => x.delta - y.delta)
      .slice(0, Math.ceil(limit / 2)),
  };
}

/** Changed lines that carry time at the culprit, most expensive first, quoted from the diff. */
export function hotChangedLines(
  after: ProfileAggregate,
  changes: ChangedLines,
  limit = 8,
): { file: string; line: number; text: string; share: number; msPerRun: number }[] {
  const out: { file: string; line: number; text: string; share: number; msPerRun: number }[] = [];
  for (const l of after.lines.values()) {
    const c = changedFileFor(changes, l.file);
    const text = c?.added.get(l.line);
    if (text === undefined || l.self <= 0) continue;
    out.push({
      file: l.file,
      line: l.line,
      text,
      share: after.totalMs ? l.self / after.totalMs : 0,
      msPerRun: l.self / Math.max(1, after.runs),
    });
  }
  return out.sort((a, b) => b.share - a.share).slice(0, limit);
}

