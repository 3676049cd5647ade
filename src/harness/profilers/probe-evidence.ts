import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProbeArtifacts } from '../../report/evidence/probe.js';

const files = {
  bundle: 'bundle-sizes.json',
  statements: 'queries-statements.json',
  heapDiff: 'heap-diff.json',
  loopBlocks: 'event-loop-blocks.json',
} as const;

/** The evidence files a probe wrote for one commit in this run's folder (runs/<id>/artifacts/<sha12>/). */
export function readProbeArtifacts(runDir: string, sha: string): ProbeArtifacts {
  return readFolder(join(runDir, 'artifacts', sha.slice(0, 12)));
}

/**
 * A commit whose samples came from the cache was measured by an earlier run: the evidence files
 * its probe wrote there (newest run first) are copied into this run's folder, so the run's folder
 * holds everything its writeup shows and the writeup can be rebuilt from it later.
 */
export function adoptProbeArtifacts(runDir: string, sha: string): void {
  const key = sha.slice(0, 12);
  const own = join(runDir, 'artifacts', key);
  if (Object.keys(readFolder(own)).length) return;
  const runs = dirname(runDir);
  const earlier = readdirSync(runs)
    .map((n) => join(runs, n))
    .filter((d) => d !== runDir && existsSync(join(d, 'artifacts', key)))
    .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs);
  for (const d of earlier) {
    if (!Object.keys(readFolder(join(d, 'artifacts', key))).length) continue;
    mkdirSync(own, { recursive: true });
    for (const f of [...Object.values(files), 'queries-explain.txt']) {
      if (existsSync(join(d, 'artifacts', key, f))) copyFileSync(join(d, 'artifacts', key, f), join(own, f));
    }
    return;
  }
}

function readFolder(dir: string): ProbeArtifacts {
  const out: ProbeArtifacts = {};
  for (const [k, f] of Object.entries(files) as [keyof typeof files, string][]) {
    const v = readJson(join(dir, f));
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  if (out.statements && existsSync(join(dir, 'queries-explain.txt')))
    out.explain = readFileSync(join(dir, 'queries-explain.txt'), 'utf8');
  return out;
}

function readJson(file: string): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // half-written by an interrupted sample: no evidence rather than a failed report
  }
}
