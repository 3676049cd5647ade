import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Measured blocks keyed by what determines them (the trees measured, build, probe definition,
 * machine fingerprint, and the block's ordinal for that combination), never by run: a second run
 * of the same bisect, and a resumed run, replay them instead of measuring again.
 * Append-only JSON Lines, so a crash loses at most the block being measured.
 */
export interface StoredBlock {
  key: string;
  /** Samples by tree (not by commit: commits with equal trees measure the same program). */
  samples: Record<string, number[]>;
  details?: Record<string, Record<string, number>[]>;
  /** By tree: indices of the samples stopped at the probe's timeout (their value is the timeout). */
  censored?: Record<string, number[]>;
  time: string;
  /** Seconds measuring the block and preparing its commits took: what a replay saves. */
  seconds?: number;
  prepareSeconds?: number;
  /** The run that measured it (a resumed --no-cache run replays only its own blocks). */
  runId?: string;
}

export class SampleStore {
  private readonly blocks = new Map<string, StoredBlock>();

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const b = JSON.parse(line) as StoredBlock;
        this.blocks.set(b.key, b);
      } catch {
        /* a line torn by a crash mid-write: that block is measured again */
      }
    }
  }

  get(key: string): StoredBlock | undefined {
    return this.blocks.get(key);
  }

  put(block: StoredBlock): void {
    this.blocks.set(block.key, block);
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, JSON.stringify(block) + '\n');
  }
}
