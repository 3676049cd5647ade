import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJobResult } from '../fleet/plan.js';
import type { JobOutcome } from './types.js';

/** A job's output folder as it came back: its result, or why there is none. */
export function readJobFolder(index: number, dir: string, lost: string | undefined, where?: string): JobOutcome {
  const file = join(dir, 'result.json');
  if (!existsSync(file)) return { index, dir, lost: lost ?? 'the job wrote no result.json', where };
  try {
    return { index, dir, result: parseJobResult(readFileSync(file, 'utf8'), file), where };
  } catch (e) {
    return { index, dir, lost: (e as Error).message, where };
  }
}
