import { yaml } from '../lazy-modules.js';
import { LockfileError, type Edge, type LockFormat } from './types.js';

/**
 * pnpm-lock.yaml, lockfile versions 6 and 9. Every package is resolved to an exact version per
 * dependent (`b: 2.0.0`, peers in the key: `c@1.0.0(react@18.2.0)`), so a lockfile is consistent
 * when every key a dependent names has an entry: moving packages is taking their entries and
 * whatever they name, then dropping what nothing names any more.
 */
type Deps = Record<string, string>;
interface Entry {
  dependencies?: Deps;
  optionalDependencies?: Deps;
  peerDependencies?: Deps;
  name?: string;
  version?: string;
  resolution?: { tarball?: string; directory?: string };
  [k: string]: unknown;
}
type ImporterDeps = Record<string, { specifier: string; version: string }>;
type Importer = Partial<Record<(typeof importerFields)[number], ImporterDeps>>;

export interface PnpmLock {
  doc: Record<string, unknown>;
  major: number;
}

const importerFields = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;

function parse(text: string): PnpmLock {
  let doc: Record<string, unknown>;
  try {
    doc = yaml().parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new LockfileError(`not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const major = Math.floor(Number(doc?.lockfileVersion));
  if (major !== 6 && major !== 9)
    throw new LockfileError(
      `lockfileVersion ${String(doc?.lockfileVersion)} is not read (6 and 9 are: pnpm 8 and later)`,
    );
  return { doc, major };
}

/** The importers (workspace folders, '.' for the project) and their direct dependencies. */
function importersOf(lock: PnpmLock): Record<string, Importer> {
  if (lock.doc.importers) return lock.doc.importers as Record<string, Importer>;
  const single: Importer = {};
  for (const f of importerFields) if (lock.doc[f]) single[f] = lock.doc[f] as ImporterDeps;
  return { '.': single };
}

/** The entries with dependencies: `snapshots` in version 9, `packages` in version 6. */
const entriesOf = (lock: PnpmLock) =>
  ((lock.major === 9 ? lock.doc.snapshots : lock.doc.packages) ?? {}) as Record<string, Entry>;

/** The entry key a dependency's resolved reference points at; undefined for links to folders. */
function keyOf(lock: PnpmLock, name: string, ref: string): string | undefined {
  if (ref.startsWith('link:')) return undefined;
  if (lock.major === 6) return /^\d/.test(ref) ? `/${name}@${ref}` : ref;
  // Version 9: an alias resolves to `real-name@version`.
  return /^\d/.test(ref) || !/^@?[^@]+@/.test(ref) ? `${name}@${ref}` : ref;
}

/** name and version of an entry key (peers stripped), or its own fields for tarballs and git. */
function nameVersion(key: string, e: Entry | undefined): { name: string; version: string } {
  const bare = key.replace(/^\//, '').replace(/\(.*$/, '');
  const at = bare.lastIndexOf('@');
  const name = e?.name ?? (at > 0 ? bare.slice(0, at) : bare);
  const version = e?.version ?? (at > 0 ? bare.slice(at + 1) : bare);
  return { name, version };
}

/** Entry keys a dependent names, with the dependency's name. */
function refs(lock: PnpmLock, deps: (Deps | undefined)[]): { name: string; key: string }[] {
  const out: { name: string; key: string }[] = [];
  for (const d of deps) {
    for (const [name, ref] of Object.entries(d ?? {})) {
      const key = keyOf(lock, name, String(ref));
      if (key) out.push({ name, key });
    }
  }
  return out;
}

const importerRefs = (lock: PnpmLock, imp: Importer) =>
  refs(
    lock,
    importerFields.map((f) =>
      imp[f] ? Object.fromEntries(Object.entries(imp[f]!).map(([n, v]) => [n, v.version])) : undefined,
    ),
  );

const entryRefs = (lock: PnpmLock, e: Entry) => refs(lock, [e.dependencies, e.optionalDependencies]);

const sortKeys = <T>(record: Record<string, T>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b, 'en')));

function apply(old: PnpmLock, neu: PnpmLock, names: ReadonlySet<string>): PnpmLock {
  const oldImp = importersOf(old);
  const newImp = importersOf(neu);
  const importers: Record<string, Importer> = {};
  for (const [dir, imp] of Object.entries(oldImp)) {
    const next: Importer = {};
    for (const f of importerFields) {
      const deps = { ...(imp[f] ?? {}) };
      for (const n of names) {
        const v = newImp[dir]?.[f]?.[n];
        if (v) deps[n] = v;
        else delete deps[n];
      }
      if (Object.keys(deps).length) next[f] = sortKeys(deps);
    }
    importers[dir] = { ...imp, ...next };
    for (const f of importerFields) if (!next[f]) delete importers[dir][f];
  }
  const oldEntries = entriesOf(old);
  const newEntries = entriesOf(neu);
  const moving = (key: string, e: Entry | undefined) => names.has(nameVersion(key, e).name);
  // Walk from the importers: a moving package's entry as `neu` has it, any other as `old` has it,
  // and a key only one side has from that side. What nothing reaches is dropped.
  const pick = (key: string): Entry | undefined => {
    const previous = oldEntries[key];
    const n = newEntries[key];
    if (moving(key, previous ?? n)) return n ?? previous;
    return previous ?? n;
  };
  const reached: Record<string, Entry> = {};
  const queue = Object.values(importers).flatMap((imp) => importerRefs(old, imp).map((r) => r.key));
  while (queue.length) {
    const key = queue.pop()!;
    if (reached[key]) continue;
    const e = pick(key);
    if (!e) continue;
    reached[key] = e;
    for (const r of entryRefs(old, e)) queue.push(r.key);
  }
  const doc: Record<string, unknown> = { ...old.doc };
  if (old.doc.importers) doc.importers = importers;
  else
    for (const f of importerFields) {
      if (importers['.'][f]) doc[f] = importers['.'][f];
      else delete doc[f];
    }
  if (old.major === 9) {
    doc.snapshots = sortKeys(reached);
    const meta: Record<string, Entry> = {};
    const oldMeta = (old.doc.packages ?? {}) as Record<string, Entry>;
    const newMeta = (neu.doc.packages ?? {}) as Record<string, Entry>;
    for (const key of Object.keys(reached)) {
      const base = key.replace(/\(.*$/, '');
      const m = moving(base, oldMeta[base] ?? newMeta[base])
        ? (newMeta[base] ?? oldMeta[base])
        : (oldMeta[base] ?? newMeta[base]);
      if (m) meta[base] = m;
    }
    doc.packages = sortKeys(meta);
  } else {
    doc.packages = sortKeys(reached);
  }
  return { doc, major: old.major };
}

function broken(lock: PnpmLock): Edge[] {
  const entries = entriesOf(lock);
  const out: Edge[] = [];
  for (const imp of Object.values(importersOf(lock)))
    for (const r of importerRefs(lock, imp)) if (!entries[r.key]) out.push({ from: '', to: r.name });
  for (const [key, e] of Object.entries(entries)) {
    for (const r of entryRefs(lock, e)) if (!entries[r.key]) out.push({ from: nameVersion(key, e).name, to: r.name });
  }
  return out;
}

export const pnpmLock: LockFormat<PnpmLock> = {
  id: 'pnpm',
  parse,
  serialize: (lock) => yaml().stringify(lock.doc, { lineWidth: 0 }),
  versions(lock) {
    const m = new Map<string, Set<string>>();
    const meta = (lock.major === 9 ? lock.doc.packages : {}) as Record<string, Entry>;
    for (const [key, e] of Object.entries(entriesOf(lock))) {
      const { name, version } = nameVersion(key, { ...meta?.[key.replace(/\(.*$/, '')], ...e });
      if (!m.has(name)) m.set(name, new Set());
      m.get(name)!.add(version);
    }
    return m;
  },
  direct(lock) {
    const s = new Set<string>();
    for (const imp of Object.values(importersOf(lock)))
      for (const f of importerFields) for (const n of Object.keys(imp[f] ?? {})) s.add(n);
    return s;
  },
  apply,
  broken,
  peers(lock) {
    const out: Edge[] = [];
    const meta = (lock.doc.packages ?? {}) as Record<string, Entry>;
    for (const [key, e] of Object.entries(meta)) {
      for (const n of Object.keys(e.peerDependencies ?? {})) out.push({ from: nameVersion(key, e).name, to: n });
    }
    return out;
  },
  sources(lock) {
    const m = new Map<string, string>();
    const meta = (lock.doc.packages ?? {}) as Record<string, Entry>;
    for (const [key, e] of Object.entries(meta)) {
      const r = e.resolution as { tarball?: string; directory?: string; repo?: string } | undefined;
      const src = r?.repo ?? r?.directory ?? (r?.tarball?.startsWith('file:') ? r.tarball : undefined);
      if (src) m.set(nameVersion(key, e).name, src);
    }
    return m;
  },
  localFiles(lock) {
    const out = new Set<string>();
    const meta = (lock.doc.packages ?? {}) as Record<string, Entry>;
    for (const e of Object.values(meta)) {
      const t = e.resolution?.tarball;
      if (typeof t === 'string' && t.startsWith('file:')) out.add(t.slice(5).replace(/^\.\//, ''));
    }
    return [...out];
  },
  importers(lock) {
    return Object.keys(importersOf(lock)).map((d) => (d === '.' ? '' : d));
  },
};
