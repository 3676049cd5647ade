import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/** Largest file put in a bundle whole; longer logs keep their end (where the error is). */
const MAX_FILE = 256 * 1024;

/**
 * A job's output folder as one JSON object (relative path → base64 content), for runners whose
 * only way back is a log line (pod logs). Long files keep their last 256 KiB.
 */
export function bundleFolder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const buf = readFileSync(p);
        out[relative(dir, p)] = (buf.length > MAX_FILE ? buf.subarray(buf.length - MAX_FILE) : buf).toString(
          'base64',
        );
      }
    }
  };
  walk(dir);
  return out;
}

/** Write a bundle back into a folder, refusing paths that would leave it. */
export function unbundleFolder(bundle: Record<string, string>, dir: string): void {
  for (const [rel, content] of Object.entries(bundle)) {
    const clean = normalize(rel);
    if (clean.startsWith(`..${sep}`) || clean === '..' || clean.startsWith(sep))
      throw new Error(`a job's bundle holds a path outside its folder: ${rel}`);
    const file = join(dir, clean);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(content, 'base64'));
  }
}
