import { depSatisfied } from './ranges.js';
import { LockfileError, type Edge, type LockFormat } from './types.js';

/**
 * yarn.lock version 1 (Yarn Classic). Each entry resolves one or more descriptors (`name@range`)
 * to a version; dependents name descriptors. Moving packages is taking their entries and any
 * descriptor they name, then dropping entries nothing names any more.
 */
interface YarnEntry {
  descriptors: string[];
  name: string;
  version: string;
  /** The entry's indented lines, verbatim. */
  body: string[];
  deps: Record<string, string>;
}

export interface YarnLock {
  header: string[];
  entries: YarnEntry[];
  /** The project's direct requirements (from package.json), set by the caller: yarn.lock does not hold them. */
  direct: Record<string, string>;
}

const unquote = (s: string) => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

/** `name@range` → name (scoped names keep their leading @). */
export function descriptorName(d: string): string {
  const i = d.indexOf('@', 1);
  return i < 0 ? d : d.slice(0, i);
}

const descriptorRange = (d: string) => {
  const i = d.indexOf('@', 1);
  return i < 0 ? '' : d.slice(i + 1);
};

function parse(text: string): YarnLock {
  if (/^__metadata:/m.test(text))
    throw new LockfileError('a Yarn 2+ (Berry) lockfile: only yarn.lock version 1 is read');
  const header: string[] = [];
  const entries: YarnEntry[] = [];
  let cur: YarnEntry | undefined;
  let section = '';
  for (const line of text.split('\n')) {
    if (!entries.length && !cur && (line.startsWith('#') || line.trim() === '')) {
      header.push(line);
      continue;
    }
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!line.startsWith(' ')) {
      if (!line.endsWith(':')) throw new LockfileError(`unexpected line ${JSON.stringify(line.slice(0, 60))}`);
      const descriptors = line
        .slice(0, -1)
        .split(/,\s*/)
        .map((d) => unquote(d.trim()));
      cur = { descriptors, name: descriptorName(descriptors[0]), version: '', body: [], deps: {} };
      entries.push(cur);
      section = '';
      continue;
    }
    if (!cur) throw new LockfileError('an indented line before the first entry');
    cur.body.push(line);
    const m = /^( +)("[^"]+"|\S+)\s*(.*)$/.exec(line)!;
    const [indent, key, value] = [m[1].length, unquote(m[2].replace(/:$/, '')), unquote(m[3].trim())];
    if (indent === 2) {
      section = m[2].endsWith(':') && !value ? key : '';
      if (key === 'version') cur.version = value;
    } else if (indent === 4 && (section === 'dependencies' || section === 'optionalDependencies')) {
      cur.deps[key] = value;
    }
  }
  while (header.length && header[header.length - 1].trim() === '') header.pop();
  return { header, entries, direct: {} };
}

/** Yarn quotes a key that does not start with a letter or holds characters its parser splits on. */
const quoteKey = (d: string) => (/^[a-zA-Z][^\s:,"\\[\]]*$/.test(d) && !/^(true|false)/.test(d) ? d : `"${d}"`);

function serialize(lock: YarnLock): string {
  const sorted = [...lock.entries].sort((a, b) => a.descriptors[0].localeCompare(b.descriptors[0], 'en'));
  const blocks = sorted.map((e) => `${[...e.descriptors].sort().map(quoteKey).join(', ')}:\n${e.body.join('\n')}`);
  return `${lock.header.join('\n')}\n\n\n${blocks.join('\n\n')}\n`;
}

function apply(old: YarnLock, neu: YarnLock, names: ReadonlySet<string>): YarnLock {
  const direct = { ...old.direct };
  for (const n of names) {
    if (neu.direct[n] !== undefined) direct[n] = neu.direct[n];
    else delete direct[n];
  }
  const index = (l: YarnLock) => new Map(l.entries.flatMap((e) => e.descriptors.map((d) => [d, e] as const)));
  const oldIx = index(old);
  const newIx = index(neu);
  const pick = (d: string): YarnEntry | undefined => {
    const previous = oldIx.get(d);
    const n = newIx.get(d);
    return names.has(descriptorName(d)) ? (n ?? previous) : (previous ?? n);
  };
  // Entries reached from the project's requirements, every entry that stays and every moving
  // package's new entry (workspaces' requirements are not in the root manifest); each entry keeps
  // the descriptors reached.
  const kept = new Map<YarnEntry, Set<string>>();
  const queue = [
    ...Object.entries(direct).map(([n, r]) => `${n}@${r}`),
    ...old.entries.filter((e) => !names.has(e.name)).flatMap((e) => e.descriptors),
    ...neu.entries.filter((e) => names.has(e.name)).flatMap((e) => e.descriptors),
  ];
  const seen = new Set<string>();
  while (queue.length) {
    const d = queue.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    const e = pick(d);
    if (!e) continue;
    if (!kept.has(e)) kept.set(e, new Set());
    kept.get(e)!.add(d);
    for (const [n, r] of Object.entries(e.deps)) queue.push(`${n}@${r}`);
  }
  // Two entries of one name and version (one from each side) become one, as yarn writes them.
  const merged = new Map<string, YarnEntry>();
  for (const [e, ds] of kept) {
    const id = `${e.name}@${e.version}`;
    const prior = merged.get(id);
    if (prior) prior.descriptors = [...new Set([...prior.descriptors, ...ds])];
    else merged.set(id, { ...e, descriptors: [...ds] });
  }
  return { header: old.header, entries: [...merged.values()], direct };
}

function broken(lock: YarnLock): Edge[] {
  const ix = new Map(lock.entries.flatMap((e) => e.descriptors.map((d) => [d, e] as const)));
  const out: Edge[] = [];
  const check = (from: string, name: string, range: string) => {
    const e = ix.get(`${name}@${range}`);
    if (!e || !depSatisfied(e.version, range)) out.push({ from, to: name });
  };
  for (const [n, r] of Object.entries(lock.direct)) check('', n, r);
  for (const e of lock.entries) for (const [n, r] of Object.entries(e.deps)) check(e.name, n, r);
  return out;
}

export const yarnLock: LockFormat<YarnLock> = {
  id: 'yarn',
  parse,
  serialize,
  versions(lock) {
    const m = new Map<string, Set<string>>();
    for (const e of lock.entries) {
      for (const name of new Set(e.descriptors.map(descriptorName))) {
        if (!m.has(name)) m.set(name, new Set());
        m.get(name)!.add(e.version);
      }
    }
    return m;
  },
  direct: (lock) => new Set(Object.keys(lock.direct)),
  apply,
  broken,
  peers: () => [], // yarn.lock v1 does not record peer dependencies
  sources(lock) {
    const m = new Map<string, string>();
    for (const e of lock.entries) {
      const r = descriptorRange(e.descriptors[0]);
      if (/^(file:|link:|git|github:|https?:)/.test(r) || r.includes('/')) m.set(e.name, r);
    }
    return m;
  },
  localFiles(lock) {
    const out = new Set<string>();
    for (const e of lock.entries) {
      for (const d of e.descriptors) {
        const r = descriptorRange(d);
        if (r.startsWith('file:') && /\.(tgz|tar\.gz)$/.test(r)) out.add(r.slice(5).replace(/^\.\//, ''));
      }
    }
    return [...out];
  },
  importers: () => [''],
};
