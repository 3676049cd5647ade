import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Evidence } from '../../evidence/types.js';
import { touch, writeEntry } from './folder-entry.js';

/**
 * The evidence at a culprit, kept like measured blocks: keyed by what decides it (the probe, the
 * build, the machine, and the trees of the culprit and its parent), so a run that replays its
 * blocks from the cache does not profile again. An entry keeps the evidence JSON, the
 * representative profile of each side and the differential flame graph; the runs' other profiles
 * stay with the run that took them.
 */
export interface StoredEvidence {
  evidence: Evidence;
  /** What profiling took: what a replay saves. */
  seconds: number;
}

/** The files an entry keeps, by field of Evidence. */
const kept = ['before', 'after', 'flamegraph'] as const;

export class EvidenceStore {
  constructor(private readonly root: string) {}

  /** The stored evidence, its files copied into `dir` and its paths pointing there. */
  get(key: string, dir: string): StoredEvidence | undefined {
    const entry = join(this.root, key);
    const meta = join(entry, 'evidence.json');
    if (!existsSync(meta)) return undefined;
    try {
      const stored = JSON.parse(readFileSync(meta, 'utf8')) as StoredEvidence;
      const ev: Evidence = { ...stored.evidence };
      mkdirSync(dir, { recursive: true });
      for (const field of kept) {
        const name = ev[field];
        if (!name) continue;
        copyFileSync(join(entry, name), join(dir, name));
        ev[field] = join(dir, name);
      }
      if (ev.files) ev.files = { before: ev.before ? [ev.before] : [], after: ev.after ? [ev.after] : [] };
      touch(entry);
      return { evidence: ev, seconds: stored.seconds };
    } catch {
      return undefined; // a damaged entry: profile again
    }
  }

  /** `replace`: a profile taken again (--no-cache) takes the place of the stored one, as its samples do. */
  async put(key: string, ev: Evidence, seconds: number, replace = false): Promise<void> {
    const stored: Evidence = { ...ev };
    const copy = (tmp: string) => {
      for (const field of kept) {
        const path = ev[field];
        if (!path || !existsSync(path)) {
          delete stored[field];
          continue;
        }
        copyFileSync(path, join(tmp, basename(path)));
        stored[field] = basename(path);
      }
      if (stored.files) stored.files = { before: [], after: [] };
    };
    await writeEntry(join(this.root, key), copy, { evidence: stored, seconds } satisfies StoredEvidence, 'evidence.json', replace);
  }
}
