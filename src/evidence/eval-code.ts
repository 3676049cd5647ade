import { fnKey, lineKey, type FlameNode, type FnStat, type ProfileAggregate } from './types.js';

/**
 * Code built at run time with `eval`, `new Function` or `vm` (libraries that load their own sources
 * that way, template engines) has no file in a profile: V8 reports an empty URL and line numbers
 * inside the evaluated text. Such a function is located by its name and its source text in the
 * culprit's changed files, so the evidence can say "added by this commit in src/render.js:42".
 */

/** Script names V8 gives evaluated code: none, or vm's default. */
export const isEvaluatedFile = (file: string) => file === '' || /^evalmachine\.<anonymous>$/.test(file);

/** Frames that are V8's own, not functions of the program. */
const notFunctions = new Set(['', '(anonymous)', '(program)', '(garbage collector)', '(root)', '(idle)']);

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The ways JavaScript names a function at its definition: declaration, assignment, property, arrow, method, class. */
function definitionPattern(name: string): RegExp {
  const n = escapeRe(name);
  return new RegExp(
    [
      `\\bfunction\\s*\\*?\\s*${n}\\s*\\(`,
      `(?:^|[^\\w$])${n}\\s*[:=]\\s*(?:async\\s+)?function\\b`,
      `(?:^|[^\\w$])${n}\\s*[:=]\\s*(?:async\\s*)?(?:\\([^)]*\\)|[\\w$]+)\\s*=>`,
      `^\\s*(?:static\\s+)?(?:async\\s+)?\\*?\\s*${n}\\s*\\([^)]*\\)\\s*\\{`,
      `\\bclass\\s+${n}\\b`,
    ].join('|'),
  );
}

/**
 * Lines (1-based) of the given sources that define a function called `name` (V8's inferred names
 * such as `exports.draw` are looked up by their last part).
 */
export function definitionsOf(name: string, sources: ReadonlyMap<string, string>): { file: string; line: number }[] {
  const re = definitionPattern(name.split('.').pop()!);
  const out: { file: string; line: number }[] = [];
  for (const [file, text] of sources) text.split('\n').forEach((l, i) => re.test(l) && out.push({ file, line: i + 1 }));
  return out;
}

/** Where an evaluated function is defined, and how its profile's lines map to that file's. */
export interface EvalLocation {
  file: string;
  line: number;
  /** Add to a line of the evaluated text to get the file's line (new Function's wrapper adds two). */
  offset: number;
}

/**
 * The file and line of each evaluated function of the profile that the sources define exactly
 * once, or more than once where one definition sits at the evaluated line itself or within the
 * few lines a wrapper (`new Function`, a module wrapper) adds: the definition's text matched
 * where the profile's line says the function starts.
 */
export function locateEvaluated(
  agg: ProfileAggregate, sources: ReadonlyMap<string, string>,
): Map<string, EvalLocation> {
  const out = new Map<string, EvalLocation>();
  for (const [key, f] of agg.fns) {
    if (!isEvaluatedFile(f.file) || notFunctions.has(f.function) || f.line <= 0) continue;
    const defs = definitionsOf(f.function, sources);
    const near = defs.filter((d) => f.line - d.line >= 0 && f.line - d.line <= 2);
    const pick = defs.length === 1 ? defs[0] : near.length === 1 ? near[0] : undefined;
    if (pick) out.set(key, { file: pick.file, line: pick.line, offset: pick.line - f.line });
  }
  return out;
}

/**
 * The aggregate with located evaluated functions moved to their files: keys, line times, callers
 * and the call tree. Their rows are marked `evaluated`.
 */
export function attributeEvaluated(agg: ProfileAggregate, where: ReadonlyMap<string, EvalLocation>): ProfileAggregate {
  if (where.size === 0) return agg;
  const moved = (key: string) => {
    const w = where.get(key);
    return w ? fnKey({ function: key.split('\u0000')[0], file: w.file, line: w.line }) : key;
  };
  const fns = new Map<string, FnStat>();
  for (const [k, f] of agg.fns) {
    const w = where.get(k);
    const to = moved(k);
    const prev = fns.get(to);
    // The same function evaluated twice (two scripts, two wrappers) is one function of the file.
    if (prev) fns.set(to, { ...prev, self: prev.self + f.self, total: prev.total + f.total });
    else fns.set(to, w ? { ...f, file: w.file, line: w.line, evaluated: true } : f);
  }
  const lines = new Map([...agg.lines].map(([k, l]) => [k, { ...l }]));
  const fnLines = new Map<string, Map<number, number>>();
  for (const [k, m] of agg.fnLines) {
    const w = where.get(k);
    if (!w) {
      fnLines.set(k, m);
      continue;
    }
    const [, file] = k.split('\u0000');
    const shifted = new Map<number, number>();
    for (const [line, ms] of m) {
      shifted.set(line + w.offset, ms);
      // The line's time leaves the evaluated text (shared by every evaluated script) for the file.
      const from = lines.get(lineKey(file, line));
      if (from) from.self = Math.max(0, from.self - ms);
      const to = lines.get(lineKey(w.file, line + w.offset)) ?? { file: w.file, line: line + w.offset, self: 0 };
      to.self += ms;
      lines.set(lineKey(w.file, line + w.offset), to);
    }
    fnLines.set(moved(k), shifted);
  }
  const callers = new Map(
    [...agg.callers].map(([k, m]) => [moved(k), new Map([...m].map(([ck, ms]) => [moved(ck), ms]))] as const),
  );
  const tree = (n: FlameNode): FlameNode => ({ ...n, key: moved(n.key), children: n.children.map(tree) });
  return { ...agg, fns, fnLines, lines, callers, ...(agg.tree ? { tree: tree(agg.tree) } : {}) };
}
