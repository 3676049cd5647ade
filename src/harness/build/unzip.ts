import { execa } from 'execa';
import { fflate } from '../../lazy-modules.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';

/**
 * Unpack a zip (a GitHub Actions artifact) into `dir`, refusing entries that would land outside it.
 * Returns the files written, relative to `dir`.
 */
export function extractZip(zip: Uint8Array, dir: string): string[] {
  const entries = fflate().unzipSync(zip);
  const written: string[] = [];
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    const rel = normalize(name);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`))
      throw new Error(`the archive holds a path outside its folder: ${name}`);
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
    written.push(rel);
  }
  return written;
}

/**
 * A build output uploaded as one tarball (which keeps file modes and links, as a zip artifact does
 * not) is unpacked in place; anything else stays as the zip held it.
 */
export async function unpackTarball(dir: string, files: string[]): Promise<void> {
  if (files.length !== 1 || !/\.(tar|tar\.gz|tgz)$/.test(files[0])) return;
  const file = join(dir, files[0]);
  await execa('tar', ['-xf', file, '-C', dir]);
  rmSync(file, { force: true });
}
