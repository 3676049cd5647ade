import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProbeArtifacts } from '../report/evidence/probe.js';

const files = { bundle: 'bundle-sizes.json', statements: 'queries-statements.json', heapDiff: 'heap-diff.json', loopBlocks: 'event-loop-blocks.json' } as const;

/**
 * The evidence files a probe wrote for one commit (runs/<id>/artifacts/<sha12>/). A commit whose
 * samples came from the cache was measured by an earlier run: its folder there is used, newest first.
 */
export function readProbeArtifacts(runDir: string, sha: string): ProbeArtifacts {
  const key = sha.slice(0, 12);
  const own = readFolder(join(runDir, 'artifacts', key));
  if (Object.keys(own).length) return own;
  const runs = dirname(runDir);
  const earlier = readdirSync(runs)
    .map((n) => join(runs, n))
    .filter((d) => d !== runDir && existsSync(join(d, 'artifacts', key)))
    .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs);
  for (const d of earlier) {
    const out = readFolder(join(d, 'artifacts', key));
    if (Object.keys(out).length) return out;
  }
  return {};
}

function readFolder(dir: string): ProbeArtifacts {
  const out: ProbeArtifacts = {};
  for (const [k, f] of Object.entries(files) as [keyof typeof files, string][]) {
    const v = readJson(join(dir, f));
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  if (out.statements && existsSync(join(dir, 'queries-explain.txt'))) out.explain = readFileSync(join(dir, 'queries-explain.txt'), 'utf8');
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
