import { depSatisfied } from './ranges.js';
import { LockfileError, type Edge, type LockFormat } from './types.js';

/**
 * package-lock.json / npm-shrinkwrap.json, lockfile versions 2 and 3: `packages` maps each install
 * location (`node_modules/a`, `node_modules/a/node_modules/b`, a workspace folder, '' for the
 * project) to what is installed there.
 */
interface NpmEntry {
  name?: string;
  version?: string;
  resolved?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [k: string]: unknown;
}

export interface NpmLock {
  doc: Record<string, unknown> & { packages: Record<string, NpmEntry>; dependencies?: Record<string, unknown> };
  indent: string;
}

const NM = 'node_modules/';
const depFields = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** The name a location installs under: the part after its last node_modules/. */
export function nameAt(path: string): string {
  const i = path.lastIndexOf(NM);
  return i < 0 ? '' : path.slice(i + NM.length);
}

/** The location a location's package lives in ('' for the project, or a workspace folder). */
function parentOf(path: string): string {
  const i = path.lastIndexOf(`/${NM}`);
  if (i >= 0) return path.slice(0, i);
  return path.startsWith(NM) ? '' : path;
}

const isPackage = (path: string, e: NpmEntry) => path.includes(NM) && !e.link;
const isImporter = (path: string) => !path.includes(NM);

function parse(text: string): NpmLock {
  let doc: NpmLock['doc'];
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new LockfileError(`not valid JSON (${(e as Error).message})`);
  }
  const v = Number(doc?.lockfileVersion);
  if (v === 1 || !doc.packages)
    throw new LockfileError(
      `lockfileVersion ${doc?.lockfileVersion ?? '?'} (npm 6) is not read: regenerate it with npm 7 or later`,
    );
  if (v !== 2 && v !== 3)
    throw new LockfileError(`lockfileVersion ${doc.lockfileVersion} is not one perfbisect knows (2 or 3)`);
  const indent = /^\{\n(\s+)"/.exec(text)?.[1] ?? '  ';
  return { doc, indent };
}

/** npm's own key order: the project first, then locations in locale order. */
function sortedPackages(p: Record<string, NpmEntry>): Record<string, NpmEntry> {
  return Object.fromEntries(
    Object.entries(p).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))),
  );
}

function apply(old: NpmLock, neu: NpmLock, names: ReadonlySet<string>): NpmLock {
  const from = old.doc.packages;
  const to = neu.doc.packages;
  const out: Record<string, NpmEntry> = {};
  // A moving package's location goes with everything installed under it: that served only it.
  const moving = (path: string) => {
    for (let p = path; p.includes(NM); p = parentOf(p)) if (names.has(nameAt(p))) return true;
    return false;
  };
  for (const [path, e] of Object.entries(from)) if (!moving(path)) out[path] = e;
  // Outermost first, so a nested location is taken only where its parent now exists.
  const incoming = Object.keys(to)
    .filter((p) => p.includes(NM) && moving(p))
    .sort((a, b) => a.split(NM).length - b.split(NM).length);
  for (const path of incoming) if (out[parentOf(path)] !== undefined || parentOf(path) === '') out[path] = to[path];
  for (const path of Object.keys(out).filter(isImporter)) {
    const target = to[path];
    if (!target) continue;
    const e: NpmEntry = { ...out[path] };
    for (const f of depFields) {
      const deps = { ...(e[f] ?? {}) };
      for (const n of names) {
        if (target[f]?.[n] !== undefined) deps[n] = target[f]![n];
        else delete deps[n];
      }
      if (Object.keys(deps).length) e[f] = deps;
      else delete e[f];
    }
    out[path] = e;
  }
  const doc = { ...old.doc, packages: sortedPackages(out) };
  // lockfileVersion 2 keeps npm 6's nested tree beside `packages`; npm 7+ reads only `packages`.
  if (old.doc.dependencies && neu.doc.dependencies) {
    const legacy = { ...old.doc.dependencies };
    for (const n of names) {
      if (neu.doc.dependencies[n] !== undefined) legacy[n] = neu.doc.dependencies[n];
      else delete legacy[n];
    }
    doc.dependencies = Object.fromEntries(Object.entries(legacy).sort(([a], [b]) => a.localeCompare(b, 'en')));
  }
  return { doc, indent: old.indent };
}

/** Where Node's resolution finds `name` from the package at `path`: the nearest node_modules up the tree. */
function resolveFrom(packages: Record<string, NpmEntry>, path: string, name: string): string | undefined {
  for (let p = path; ; p = p.includes(NM) ? parentOf(p) : '') {
    const at = p === '' ? `${NM}${name}` : `${p}/${NM}${name}`;
    if (packages[at]) return at;
    if (p === '') return undefined;
  }
}

function broken(lock: NpmLock): Edge[] {
  const packages = lock.doc.packages;
  const out: Edge[] = [];
  for (const [path, e] of Object.entries(packages)) {
    if (e.link) continue;
    const importer = isImporter(path);
    const from = importer ? '' : nameAt(path);
    // Dev dependencies are installed for the project and its workspaces only.
    const fields = importer ? depFields : (['dependencies', 'optionalDependencies', 'peerDependencies'] as const);
    for (const f of fields) {
      for (const [name, spec] of Object.entries(e[f] ?? {})) {
        const at = resolveFrom(packages, path, name);
        const optional =
          f === 'optionalDependencies' || (f === 'peerDependencies' && e.peerDependenciesMeta?.[name]?.optional);
        if (!at) {
          if (!optional) out.push({ from, to: name });
          continue;
        }
        const target = packages[at];
        if (target.link || target.version === undefined) continue;
        if (!depSatisfied(target.version, spec)) out.push({ from, to: name });
      }
    }
  }
  return out;
}

export const npmLock: LockFormat<NpmLock> = {
  id: 'npm',
  parse,
  serialize: (lock) => JSON.stringify(lock.doc, null, lock.indent) + '\n',
  versions(lock) {
    const m = new Map<string, Set<string>>();
    for (const [path, e] of Object.entries(lock.doc.packages)) {
      if (!isPackage(path, e) || e.version === undefined) continue;
      const name = nameAt(path);
      if (!m.has(name)) m.set(name, new Set());
      m.get(name)!.add(e.version);
    }
    return m;
  },
  direct(lock) {
    const s = new Set<string>();
    for (const [path, e] of Object.entries(lock.doc.packages)) {
      if (isImporter(path)) for (const f of depFields) for (const n of Object.keys(e[f] ?? {})) s.add(n);
    }
    return s;
  },
  apply,
  broken,
  peers(lock) {
    const out: Edge[] = [];
    for (const [path, e] of Object.entries(lock.doc.packages)) {
      if (isPackage(path, e))
        for (const n of Object.keys(e.peerDependencies ?? {})) out.push({ from: nameAt(path), to: n });
    }
    return out;
  },
  sources(lock) {
    const m = new Map<string, string>();
    for (const [path, e] of Object.entries(lock.doc.packages)) {
      if (!isPackage(path, e) || typeof e.resolved !== 'string') continue;
      if (/^(file:|git\+|git:|github:|ssh:)/.test(e.resolved)) m.set(nameAt(path), e.resolved);
    }
    return m;
  },
  localFiles(lock) {
    const out = new Set<string>();
    for (const e of Object.values(lock.doc.packages)) {
      if (typeof e.resolved === 'string' && e.resolved.startsWith('file:') && !e.link)
        out.add(e.resolved.slice(5).replace(/^\.\//, ''));
    }
    return [...out];
  },
  importers(lock) {
    return Object.keys(lock.doc.packages).filter(isImporter);
  },
};
