import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';

/**
 * The local files an outside script loads, found by reading it as its language's loader would,
 * near enough: a JavaScript or TypeScript file's relative `import` / `require` / `import()`
 * specifiers, a Python file's imports of modules beside it (Python puts the script's folder first on
 * its path), and again for each file found. A benchmark kept outside the repository often sits in a
 * folder with its helpers and its own package.json: an edited helper or dependency is as much a new
 * measurement as an edited script. Packages (`lodash`, `numpy`) are stood for by the nearest
 * package.json and lockfile above a JavaScript script, not followed into.
 */
export function scriptImports(script: string, limit = MAX_FILES): string[] {
  const found = new Set<string>();
  const queue = [script];
  while (queue.length && found.size < limit) {
    const file = queue.shift()!;
    for (const next of importsOf(file)) {
      if (next === script || found.has(next)) continue;
      found.add(next);
      queue.push(next);
    }
  }
  if (JS.test(extname(script))) for (const manifest of packageFiles(dirname(script))) found.add(manifest);
  return [...found].slice(0, limit);
}

/** Enough for a benchmark's own helpers; a script that reaches further is a project of its own. */
const MAX_FILES = 200;
/** Files larger than this are not read for imports (generated bundles, data). */
const READ_LIMIT = 1024 * 1024;
const JS = /^\.(?:[cm]?[jt]sx?)$/;
const JS_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"\n]+)\1/g;
const PY_IMPORT = /^\s*(?:from\s+(\.*[\w.]*)\s+import\b|import\s+([\w.]+(?:\s*,\s*[\w.]+)*))/gm;
const JS_TRIES = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx', '.json', '/index.js', '/index.ts', '/index.mjs'];

/** A script's local imports; nothing for another file (a program found on PATH, a data file), which is not read. */
function importsOf(file: string): string[] {
  const dir = dirname(file);
  const ext = extname(file);
  const text = JS.test(ext) || ext === '.py' ? readSmall(file) : undefined;
  if (text === undefined) return [];
  if (JS.test(ext)) {
    return [...text.matchAll(JS_IMPORT)].map((m) => resolveJs(resolve(dir, m[2]))).filter((f): f is string => !!f);
  }
  if (ext === '.py') {
    const names = [...text.matchAll(PY_IMPORT)].flatMap((m) => (m[1] !== undefined ? [m[1]] : m[2].split(/\s*,\s*/)));
    return names.map((name) => resolvePy(dir, name)).filter((f): f is string => !!f);
  }
  return [];
}

function resolveJs(base: string): string | undefined {
  for (const tail of JS_TRIES) if (isFile(base + tail)) return base + tail;
  // TypeScript sources import their compiled names ('./util.js' for util.ts).
  const swapped = base.replace(/\.[cm]?js$/, (e) => e.replace('js', 'ts'));
  return swapped !== base && isFile(swapped) ? swapped : undefined;
}

/** `helpers`, `helpers.sub` or `.helpers` beside the script: its .py file or package __init__.py. */
function resolvePy(dir: string, name: string): string | undefined {
  const dots = /^\.*/.exec(name)![0].length;
  const from = dots > 1 ? resolve(dir, '../'.repeat(dots - 1)) : dir;
  const path = join(from, ...name.slice(dots).split('.').filter(Boolean));
  if (path === from) return undefined;
  for (const f of [`${path}.py`, join(path, '__init__.py')]) if (isFile(f)) return f;
  return undefined;
}

/** The nearest package.json above `dir` and the lockfile beside it. */
function packageFiles(dir: string): string[] {
  for (let d = dir; ; d = dirname(d)) {
    if (isFile(join(d, 'package.json'))) {
      return ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb']
        .map((f) => join(d, f))
        .filter(isFile);
    }
    if (dirname(d) === d) return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readSmall(file: string): string | undefined {
  try {
    if (statSync(file).size > READ_LIMIT) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
