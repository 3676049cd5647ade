import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { isAlive } from '../git/worktrees.js';

/**
 * The disk perfbisect's caches use, per kind, and their bounds: entries are folders (installs,
 * builds, runs) or JSON Lines (samples); an entry's mtime is its last use (touched on every hit),
 * so eviction is least recently used first.
 */
export const cacheKinds = ['installs', 'builds', 'samples', 'evidence', 'runs', 'repos', 'worktrees'] as const;
export type CacheKind = (typeof cacheKinds)[number];

/** Default bound of installs + builds + samples + runs: PERFBISECT_CACHE_LIMIT overrides it (like 2G, 500M). */
export const defaultLimitBytes = 5 * 1024 ** 3;

export interface CacheEntry {
  kind: CacheKind;
  path: string;
  bytes: number;
  lastUsed: number;
}

/** Bytes under a path, each inode once (hardlinked installs are not counted twice). */
export function diskUsage(path: string, seen = new Set<string>()): number {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  const id = `${st.dev}:${st.ino}`;
  if (seen.has(id)) return 0;
  seen.add(id);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const f of readdirSync(path)) n += diskUsage(join(path, f), seen);
  return n;
}

export function listEntries(root: string): CacheEntry[] {
  const seen = new Set<string>();
  const out: CacheEntry[] = [];
  const sizes = duSizes(root);
  for (const kind of cacheKinds) {
    const dir = join(root, kind);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      out.push({ kind, path, bytes: sizes?.get(path) ?? diskUsage(path, seen), lastUsed: st.mtimeMs });
    }
  }
  return out;
}

/** Sizes of every entry from one `du` (fast on big trees; hardlinks counted once across entries). */
function duSizes(root: string): Map<string, number> | undefined {
  const paths = cacheKinds.flatMap((k) =>
    existsSync(join(root, k)) ? readdirSync(join(root, k)).map((n) => join(root, k, n)) : [],
  );
  if (paths.length === 0) return new Map();
  try {
    const out = execFileSync('du', ['-s', '-b', '--', ...paths], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 << 20,
    });
    return new Map(
      out
        .trim()
        .split('\n')
        .map((l) => {
          const [n, ...p] = l.split('\t');
          return [p.join('\t'), Number(n)] as [string, number];
        }),
    );
  } catch {
    return undefined; // no GNU du: walk in Node
  }
}

/** `30d`, `12h`, `90m`, `2w` → milliseconds; undefined when it is not a duration. */
export function parseAge(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[m[2].toLowerCase() as 'm' | 'h' | 'd' | 'w'];
}

/** `5G`, `500M`, `1.5GB`, `123456` → bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}

export function limitBytes(): number {
  const env = process.env.PERFBISECT_CACHE_LIMIT;
  return (env && parseSize(env)) || defaultLimitBytes;
}

/** Whether an entry belongs to a run still in progress (its worktree folder has a live pid). */
function inUse(root: string, e: CacheEntry): boolean {
  if (e.kind === 'repos') return true; // the shared mirror: cheap (objects are borrowed) and shared by runs
  const pidFile =
    e.kind === 'worktrees'
      ? join(e.path, '.pid')
      : e.kind === 'runs'
        ? join(root, 'worktrees', e.path.split('/').pop()!, '.pid')
        : '';
  if (!pidFile || !existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}

/** Remove entries unused for `olderThanMs` (all when undefined), except those of live runs. */
export function clean(root: string, olderThanMs?: number): CacheEntry[] {
  const cutoff = olderThanMs === undefined ? Infinity : Date.now() - olderThanMs;
  const removed = listEntries(root).filter((e) => e.lastUsed <= cutoff && !inUse(root, e));
  for (const e of removed) rmSync(e.path, { recursive: true, force: true });
  return removed;
}

/** Evict least recently used entries until the caches fit `limit` bytes. */
export function evict(root: string, limit = limitBytes()): CacheEntry[] {
  const entries = listEntries(root).filter((e) => !inUse(root, e));
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const removed: CacheEntry[] = [];
  for (const e of entries.sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (total <= limit) break;
    rmSync(e.path, { recursive: true, force: true });
    total -= e.bytes;
    removed.push(e);
  }
  return removed;
}
