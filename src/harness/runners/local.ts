import { execa } from 'execa';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RoundPlan } from '../fleet/plan.js';
import { readJobFolder } from './job-folder.js';
import type { JobOutcome, RoundContext, Runner } from './types.js';

/** The built CLI beside this module (dist/), also when this module is loaded from src/ by a test runner. */
export function cliEntry(): string {
  for (const rel of ['../../cli.js', '../../../dist/cli.js']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error('perfbisect is not built: run npm run build');
}

/**
 * A round's jobs as processes on this machine, one after another (a small machine measures one
 * thing at a time), each through the job contract as a fleet runs it. All jobs report this
 * machine, so the engine may pool their samples as it does for the sequential bisect.
 */
export class LocalRunner implements Runner {
  readonly name = 'local';

  constructor(private readonly options: { repoRoot: string; cache: string; env?: Record<string, string> }) {}

  async check(): Promise<void> {}

  async runRound(plan: RoundPlan, ctx: RoundContext): Promise<JobOutcome[]> {
    mkdirSync(ctx.dir, { recursive: true });
    const planFile = join(ctx.dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan, null, 2) + '\n');
    const out: JobOutcome[] = [];
    for (const job of plan.jobs) {
      if (ctx.signal.aborted) break;
      const dir = join(ctx.dir, `job-${job.index}`);
      mkdirSync(dir, { recursive: true });
      const r = await execa(
        process.execPath,
        [cliEntry(), 'job', planFile, '--index', String(job.index), '--out', dir],
        {
          cwd: this.options.repoRoot,
          reject: false,
          all: true,
          cancelSignal: ctx.signal,
          forceKillAfterDelay: 3000,
          env: { ...this.options.env, PERFBISECT_CACHE_DIR: this.options.cache },
          stdin: 'ignore',
        },
      );
      writeFileSync(join(dir, 'job.log'), r.all ?? '');
      const lost =
        r.exitCode === 0
          ? undefined
          : `the job exited with code ${r.exitCode ?? r.signal}: ${(r.all ?? '').trim().split('\n').pop()}`;
      out.push(readJobFolder(job.index, dir, lost, 'a process on this machine'));
    }
    return out;
  }
}
