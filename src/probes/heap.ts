import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommitFailure } from '../errors.js';
import { fail, noUnknownKeys, num, str, strMap } from '../config/validate.js';
import { diffSnapshots, slope } from './heap/snapshot-diff.js';
import type { Probe, ProbeContext, ProbeKind, Sample } from './types.js';

export interface HeapProbeConfig {
  kind: 'heap';
  build?: string;
  /** Module (in the worktree) whose default export is one unit of work. */
  scenario: string;
  iterations: number;
  checkpoints: number;
  /** Slopes below this (bytes per 1,000 iterations) read as this: leak-free commits compare equal. */
  noiseFloor: number;
  deterministic: boolean;
  snapshots: boolean;
  env?: Record<string, string>;
  timeout?: number;
}

const runner = fileURLToPath(new URL('./heap/runner.js', import.meta.url));

/**
 * Heap retained per 1,000 iterations of a scenario, from a robust (Theil–Sen) fit of the heap after forced
 * GC against iterations, in a fresh `node --expose-gc`. A leak is a positive slope; a leak-free
 * scenario sits at the noise floor. Evidence: two heap snapshots per commit and their diff.
 */
export const heapProbe: ProbeKind<HeapProbeConfig> = {
  kind: 'heap',
  describe: 'heap retained per 1,000 iterations of a scenario after forced GC (leaks), with a heap snapshot diff',
  validate(raw, path) {
    noUnknownKeys(raw, path, ['kind', 'build', 'scenario', 'iterations', 'checkpoints', 'noiseFloor', 'deterministic', 'snapshots', 'env', 'timeout']);
    const scenario = str(raw, 'scenario', path, { required: true })!;
    if (!/\.(m?js|cjs)$/.test(scenario)) fail(`${path}.scenario`, `must be a JavaScript module (.js, .mjs or .cjs; build TypeScript first), got ${JSON.stringify(scenario)}`);
    for (const k of ['deterministic', 'snapshots']) {
      if (raw[k] !== undefined && typeof raw[k] !== 'boolean') fail(`${path}.${k}`, `must be true or false, got ${JSON.stringify(raw[k])}`);
    }
    return {
      kind: 'heap',
      build: str(raw, 'build', path),
      scenario,
      iterations: num(raw, 'iterations', path, { min: 100, integer: true }) ?? 20_000,
      checkpoints: num(raw, 'checkpoints', path, { min: 3, max: 200, integer: true }) ?? 10,
      noiseFloor: num(raw, 'noiseFloor', path, { min: 0 }) ?? 1024,
      deterministic: (raw.deterministic as boolean | undefined) ?? true,
      snapshots: (raw.snapshots as boolean | undefined) ?? true,
      env: strMap(raw, 'env', path),
      timeout: num(raw, 'timeout', path, { min: 0.001 }),
    };
  },
  create(cfg): Probe {
    const snapshotted = new Set<string>();
    return {
      kind: 'heap',
      deterministic: cfg.deterministic,
      build: cfg.build,
      metric: { name: 'heap retained per 1k iterations', unit: 'B', better: 'lower' },
      async sample(ctx): Promise<Sample> {
        const snap = cfg.snapshots && !snapshotted.has(ctx.sha);
        const prefix = snap ? join(ctx.artifactsDir, `heap-${ctx.sha.slice(0, 12)}`) : '';
        if (snap) await ctx.writeFile!(join(ctx.artifactsDir, '.keep'), '');
        const cmd = [process.execPath, '--expose-gc', runner, cfg.scenario, String(cfg.iterations), String(cfg.checkpoints), prefix].map(q).join(' ');
        const r = await ctx.exec(cmd, { env: cfg.env, timeoutMs: cfg.timeout ? cfg.timeout * 1000 : undefined });
        const lines = r.stdout.trim().split('\n');
        if (r.exitCode !== 0) throw new CommitFailure('probe', `the heap scenario ${cfg.scenario} exited with code ${r.exitCode}`, ctx.logFile, (r.stderr || r.stdout).trimEnd().split('\n').slice(-10));
        let out: { points: [number, number][]; snapshots: string[] };
        try {
          out = JSON.parse(lines[lines.length - 1]);
        } catch {
          throw new CommitFailure('probe', `the heap runner printed no result (does ${cfg.scenario} print to stdout at exit?)`, ctx.logFile, lines.slice(-10));
        }
        const perThousand = slope(out.points) * 1000;
        const first = out.points[0][1];
        const last = out.points[out.points.length - 1][1];
        if (snap) {
          snapshotted.add(ctx.sha);
          await evidence(ctx, out.snapshots);
        }
        return {
          value: Math.round(Math.max(perThousand, cfg.noiseFloor)),
          details: { slope: Math.round(perThousand), heapStart: first, heapEnd: last, iterations: out.points[out.points.length - 1][0] },
        };
      },
    };
  },
};

/** Snapshots open in Chrome DevTools (Memory → Load); the diff JSON is what the writeup renders. */
async function evidence(ctx: ProbeContext, snapshots: string[]): Promise<void> {
  if (snapshots.length !== 2) return;
  for (const s of snapshots) ctx.artifact('heap-snapshot', s);
  try {
    const [a, b] = await Promise.all(snapshots.map(async (s) => JSON.parse((await ctx.readFile!(s)).toString('utf8'))));
    const file = join(ctx.artifactsDir, 'heap-diff.json');
    await ctx.writeFile!(file, JSON.stringify({ before: snapshots[0], after: snapshots[1], constructors: diffSnapshots(a, b) }, null, 2) + '\n');
    ctx.artifact('heap-diff', file);
  } catch (e) {
    ctx.warn(`heap snapshot diff failed: ${(e as Error).message}`);
  }
}

function q(s: string): string {
  return /^[\w@%+=:,./-]*$/.test(s) && s !== '' ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
