import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { constants, copyFileSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readEntry, writeEntry } from '../store/folder-entry.js';

/**
 * Build outputs by content: the key is the commit's tree, the build and install commands, the
 * environment and the runtime, so a commit whose tree was built before (in this run, an earlier
 * run, or under another SHA) is restored instead of built. The outputs are what the build left in
 * the worktree that git does not track (dist/, .tsbuildinfo, binaries) plus tracked files it
 * rewrote; installed folders are cached separately (installs.ts).
 */
export interface BuildEntry {
  key: string;
  /** Paths relative to the worktree. */
  files: string[];
  bytes: number;
  /** sha256 over every output's path and content: equal hashes mean byte-identical outputs. */
  outputHash: string;
  seconds: number;
  time: string;
}

/** Files in the worktree that git does not track, ignored ones included, outside the `exclude` folders. */
export async function untrackedFiles(worktree: string, exclude: readonly string[]): Promise<string[]> {
  const ex = exclude.map((d) => `--exclude=${d}`);
  const others = (await execa('git', ['ls-files', '-z', '--others', ...ex], { cwd: worktree })).stdout.split('\0');
  return others.filter((f) => f && exclude.every((d) => !f.startsWith(`${d}/`) && !f.includes(`/${d}/`)));
}

/** What the build produced or changed in the worktree, except the install's folders. */
export async function buildOutputs(worktree: string, exclude: readonly string[]): Promise<string[]> {
  const listed = await execa('git', ['ls-files', '-z', '--modified'], { cwd: worktree });
  const modified = listed.stdout.split('\0').filter(Boolean);
  return [...new Set([...(await untrackedFiles(worktree, exclude)), ...modified])].sort();
}

export function hashFiles(root: string, files: string[]): { hash: string; bytes: number } {
  const h = createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    const p = join(root, f);
    const st = lstatSync(p, { throwIfNoEntry: false });
    h.update(f + '\0');
    if (!st) h.update('missing\0');
    else if (st.isSymbolicLink()) h.update(`link:${readlinkSync(p)}\0`);
    else if (st.isFile()) {
      const buf = readFileSync(p);
      bytes += buf.length;
      h.update(buf);
    }
  }
  return { hash: h.digest('hex').slice(0, 24), bytes };
}

function copyEntry(from: string, to: string): void {
  const st = lstatSync(from, { throwIfNoEntry: false });
  if (!st) return;
  mkdirSync(dirname(to), { recursive: true });
  rmSync(to, { force: true, recursive: true });
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  // A copy, never a hardlink: incremental builds rewrite outputs in place and would corrupt the cache.
  else if (st.isFile()) copyFileSync(from, to, constants.COPYFILE_FICLONE);
}

export class BuildCache {
  constructor(private readonly root: string) {}

  get(key: string): BuildEntry | undefined {
    return readEntry<BuildEntry>(join(this.root, key));
  }

  /** Copy the worktree's build outputs into the cache; returns the entry (with the output hash). */
  async save(key: string, worktree: string, exclude: readonly string[], seconds: number): Promise<BuildEntry> {
    const files = await buildOutputs(worktree, exclude);
    const { hash, bytes } = hashFiles(worktree, files);
    const entry: BuildEntry = { key, files, bytes, outputHash: hash, seconds, time: new Date().toISOString() };
    await writeEntry(join(this.root, key), (tmp) => {
      mkdirSync(join(tmp, 'files'), { recursive: true });
      for (const f of files) copyEntry(join(worktree, f), join(tmp, 'files', f));
    }, entry);
    return entry;
  }

  /** Put a cached build's outputs into a worktree checked out at the same tree. */
  restore(entry: BuildEntry, worktree: string): void {
    for (const f of entry.files) copyEntry(join(this.root, entry.key, 'files', f), join(worktree, f));
  }
}
