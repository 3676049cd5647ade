import { Command } from 'commander';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';
import { EventStream } from '../events.js';
import { runJob } from '../harness/fleet/job.js';
import { readRoundPlan } from '../harness/fleet/plan.js';
import { cacheRoot } from '../harness/store/paths.js';
import { plainReporter } from '../ui/plain.js';
import { commandErrors, parseWith } from './drift.js';
import { bundleFolder } from '../harness/fleet/bundle.js';

/** The line a job prints with `--print-result`, for runners that read results from its log (Kubernetes). */
export const resultMarker = 'perfbisect-result:';

/**
 * `perfbisect job <plan.json> --out <dir>`: one job of a round, on the machine a runner gives it,
 * in a checkout of the repository. Exit 0 when it measured or when a commit could not be built or
 * measured (that is a result); 2 for a plan it cannot read; 4 when the machine could not do the job.
 */
export async function run(argv: string[]): Promise<number> {
  const p = commandErrors(
    new Command('job')
      .description('run one job of a round of a fleet bisect (runners call this; see docs/fleet.md)')
      .argument('<plan>', 'the round plan (JSON) that the bisect wrote')
      .requiredOption('--out <dir>', 'where to write result.json, logs/ and artifacts/')
      .option('--index <i>', 'which job of the plan (default: $JOB_COMPLETION_INDEX, else 0)')
      .option('--repo <dir>', 'the checkout of the repository (default: the current directory)')
      .option(
        '--print-result',
        'also print the result, logs included, as one line on stdout (for runners that collect pod logs)',
      ),
  );
  const early = parseWith(p, argv);
  if (early !== undefined) return early;
  const options = p.opts<{ out: string; index?: string; repo?: string; printResult?: boolean }>();
  const plan = readRoundPlan(p.args[0]);
  const raw = options.index ?? process.env.JOB_COMPLETION_INDEX ?? '0';
  const index = Number(raw);
  if (!Number.isInteger(index) || index < 0)
    throw new UsageError(`--index ${raw}: give the job's position in the plan, a whole number from 0.`);
  const events = new EventStream();
  const stop = plainReporter(events, (line) => process.stderr.write(`${line}\n`));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const out = resolve(options.out);
    const result = await runJob(plan, index, {
      repoDir: options.repo ?? process.cwd(),
      cache: cacheRoot(),
      out,
      signal: abort.signal,
      emit: (e) => events.emit(e),
    });
    const what = result.failure
      ? `${result.failure.sha.slice(0, 12)} failed: ${result.failure.message}`
      : `${Object.values(result.samples ?? {}).flat().length} samples`;
    process.stderr.write(
      `job ${index} of round ${plan.round} on ${result.machine.name}: ${what}; result in ${out}\n`,
    );
    if (options.printResult)
      process.stdout.write(`${resultMarker} ${gzipSync(JSON.stringify(bundleFolder(out))).toString('base64')}\n`);
    return 0;
  } finally {
    stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
