import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A cache entry that is a folder: a JSON file describing it beside the files it keeps. Written under a
 * temporary name and renamed into place, so a crash leaves no half entry; read with its mtime touched,
 * so eviction (cache-store.ts) takes the least recently used first.
 */

/** The entry's JSON, its folder touched as used; undefined when it is missing or damaged. */
export function readEntry<T>(folder: string, file = 'meta.json'): T | undefined {
  const f = join(folder, file);
  if (!existsSync(f)) return undefined;
  try {
    const value = JSON.parse(readFileSync(f, 'utf8')) as T;
    touch(folder);
    return value;
  } catch {
    return undefined;
  }
}

export function touch(folder: string): void {
  const now = new Date();
  utimesSync(folder, now, now);
}

/**
 * Fill a temporary folder, write its JSON (serialised after `fill`, which may complete it), and rename
 * it to `folder`. An entry already there is kept: it was made from the same key; unless `replace`
 * (a run that would not use the cache made it again, and what it made is the one to replay). If the
 * rename fails the temporary folder is removed.
 */
export async function writeEntry(
  folder: string,
  fill: (tmp: string) => void | Promise<void>,
  json: unknown,
  file = 'meta.json',
  replace = false,
): Promise<void> {
  if (!replace && existsSync(join(folder, file))) return;
  const tmp = `${folder}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    // Interrupted or failed while filling: leave no half-written entry behind.
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  writeFileSync(join(tmp, file), JSON.stringify(json));
  try {
    rmSync(folder, { recursive: true, force: true });
    renameSync(tmp, folder);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
}
