/**
 * The import graph of a source folder, read with the TypeScript compiler's own pre-processor, so the
 * architecture tests and `npm run check:cycles` need no extra dependency.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Each source file (relative to `root`'s parent, with `/`) and the specifiers it imports. */
export interface ImportGraph {
  files: string[];
  /** Local imports resolved to files of the graph. */
  edges: Map<string, string[]>;
  /** Every specifier as written, local or not; type-only imports included. */
  specifiers: Map<string, string[]>;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `./x.js` written in NodeNext style names `./x.ts` or `./x.tsx` on disk. */
function resolveLocal(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(js|jsx|ts|tsx)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function importGraph(root: string): ImportGraph {
  const cwd = dirname(resolve(root));
  const name = (path: string) => relative(cwd, path).split('\\').join('/');
  const files = sourceFiles(resolve(root)).sort();
  const edges = new Map<string, string[]>();
  const specifiers = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const written = info.importedFiles.map((ref) => ref.fileName);
    specifiers.set(name(file), written);
    const local = written.filter((spec) => spec.startsWith('.'))
      .map((spec) => resolveLocal(file, spec))
      .filter((path): path is string => path !== undefined);
    edges.set(name(file), [...new Set(local.map(name))]);
  }
  return { files: files.map(name), edges, specifiers };
}

/** The strongly connected components with more than one file (or a file importing itself): Tarjan's algorithm. */
export function importCycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.edges.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    const selfImport = (graph.edges.get(file) ?? []).includes(file);
    if (component.length > 1 || selfImport) cycles.push(component.sort());
  };
  for (const file of graph.files) if (!index.has(file)) visit(file);
  return cycles;
}

const invokedDirectly = process.argv[1] !== undefined && /import-graph\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  const cycles = importCycles(importGraph(process.argv[2] ?? 'src'));
  for (const cycle of cycles) console.log(`cycle: ${cycle.join(' <-> ')}`);
  console.log(`${cycles.length} import cycle(s)`);
  process.exitCode = cycles.length > 0 ? 1 : 0;
}
