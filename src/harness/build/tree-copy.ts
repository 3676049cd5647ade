import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, cpSync, existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';

/**
 * Copies of installed dependency trees that share nothing writable with their source: a build or
 * a postinstall that rewrites a file of one copy in place cannot change another. Where the file
 * system can, the copy is a copy-on-write clone (Btrfs, XFS, APFS): as fast as a hardlink until
 * written. Elsewhere it is a plain copy.
 */
export type CopyMethod = 'system' | 'node';

let systemCp: string[] | null | undefined;

/**
 * The system's cp with its clone flag, when it has one: GNU cp's `--reflink=auto` (clones where
 * the file system can, copies elsewhere) or macOS cp's `-c` (clonefile). Other systems use Node.
 */
function systemCopyArgs(): string[] | null {
  if (systemCp !== undefined) return systemCp;
  systemCp = null;
  try {
    const version = execFileSync('cp', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (/GNU coreutils/.test(version)) systemCp = ['-a', '--reflink=auto'];
  } catch {
    if (platform() === 'darwin') systemCp = ['-c', '-R', '-p'];
  }
  return systemCp;
}

/** Copy the folder `from` to `to` (replaced), symlinks kept as links, timestamps and modes kept. */
export async function copyTree(
  from: string,
  to: string,
  method: CopyMethod = 'system',
  signal?: AbortSignal,
): Promise<void> {
  rmSync(to, { recursive: true, force: true });
  const args = method === 'system' ? systemCopyArgs() : null;
  if (args) {
    // A copy of a large node_modules takes many seconds: Ctrl-C stops it, not only what comes after.
    const r = await execa('cp', [...args, from, to], { reject: false, cancelSignal: signal });
    if (signal?.aborted) throw new Error('aborted');
    if (r.exitCode === 0) return;
    rmSync(to, { recursive: true, force: true });
  }
  // COPYFILE_FICLONE: a copy-on-write clone where the file system supports it, else a copy.
  const mode = constants.COPYFILE_FICLONE;
  cpSync(from, to, { recursive: true, mode, verbatimSymlinks: true, preserveTimestamps: true });
}

/**
 * What a tree looks like to a writer, cheaply: every path with its size, mode and modification
 * time (no file is read). A file rewritten in place changes it. Tool caches under `skip` (such as
 * node_modules/.cache, where bundlers keep entries they validate themselves) are left out.
 */
export function treeStamp(root: string, skip: readonly string[] = []): string | undefined {
  if (!existsSync(root)) return undefined;
  const h = createHash('sha256');
  const walk = (dir: string, rel: string) => {
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const entries = readdirSync(dir, { withFileTypes: true }).sort(byName);
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (skip.includes(path)) continue;
      const st = lstatSync(join(dir, e.name));
      h.update(`${path}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0`);
      if (e.isDirectory()) walk(join(dir, e.name), path);
    }
  };
  walk(root, '');
  return h.digest('hex').slice(0, 24);
}
