import { Command } from 'commander';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { runsDir } from '../harness/store/paths.js';
import { renderRun, resultJson, writeWriteup, type RenderedRun } from '../harness/record/report-files.js';
import { readRunLog } from '../harness/record/run-log.js';
import { commandErrors, parseWith } from './drift.js';

/**
 * `perfbisect report <run-id>`: a bisect's writeup and result JSON rebuilt from its run log alone
 * (runs/<id>/events.jsonl), the same fold the run wrote them with at its end.
 */
export async function run(argv: string[]): Promise<number> {
  const p = commandErrors(
    new Command('report')
      .usage('<run-id> [--out <file>] [--html] [--json <file>]')
      .description("Rebuild a bisect's writeup and result JSON from its run log (runs/<id>/events.jsonl) alone.")
      .argument('<run-id>', 'the run: an id from the runs folder of the cache, or the path of a run folder')
      .option(
        '--out <file>',
        'write the writeup here instead of printing it (Markdown with its charts beside it; HTML for .html)',
      )
      .option('--html', 'the self-contained HTML writeup (charts inline) instead of Markdown')
      .option('--json <file>', 'also write the result JSON here'),
  );
  const early = parseWith(p, argv);
  if (early !== undefined) return early;
  const id = p.args[0];
  const opts = p.opts<{ out?: string; html?: boolean; json?: string }>();
  const dir = runFolder(id);
  const rendered = rebuild(id, dir);
  if (opts.json) {
    mkdirSync(dirname(resolve(opts.json)), { recursive: true });
    writeFileSync(resolve(opts.json), resultJson(rendered.record.result));
  }
  if (opts.out) {
    writeWriteup(opts.out, rendered, !!opts.html);
    process.stdout.write(`writeup: ${resolve(opts.out)}\n`);
    if (opts.json) process.stdout.write(`result json: ${resolve(opts.json)}\n`);
  } else {
    process.stdout.write(opts.html ? rendered.html : rendered.markdown);
  }
  return 0;
}

/** The run's folder: a path to one, or an id in the cache's runs folder. */
function runFolder(id: string): string {
  if (existsSync(id) && statSync(id).isDirectory() && existsSync(join(id, 'events.jsonl'))) return resolve(id);
  const runs = runsDir();
  if (/^[\w-][\w.-]*$/.test(id) && existsSync(join(runs, id))) {
    const log = join(runs, id, 'events.jsonl');
    if (!existsSync(log)) throw new UsageError(`report ${id}: the run has no run log (${log}).`);
    return join(runs, id);
  }
  throw new UsageError(
    `report ${id}: no such run in ${runs}. \`ls\` it for run ids, or give the path of a run folder.`,
  );
}

/** Fold the log, or say in one line why it cannot be: no end yet, an error instead of an end, damage. */
function rebuild(id: string, dir: string): RenderedRun {
  const file = join(dir, 'events.jsonl');
  const { events, badLine, torn } = readRunLog(file);
  const end = events.find((e) => e.type === 'run-end');
  if (!end && (!badLine || torn) && events.some((e) => e.type === 'run-start')) {
    const error = events.filter((e) => e.type === 'run-error').pop();
    if (error?.type === 'run-error' && error.exitCode !== 130) {
      const why = error.message.split('\n')[0];
      throw new UsageError(`report ${id}: that run ended with an error and has no result (${why}).`);
    }
    throw new UsageError(
      `report ${id}: that run has no end yet: it is still going, or it was interrupted ` +
        `(continue it: perfbisect --resume ${id}).`,
    );
  }
  if (events.some((e) => e.type.startsWith('drift-'))) {
    const writeup = join(dir, 'writeup.md');
    throw new UsageError(`report ${id}: that is a drift check, not a bisect; its writeup is ${writeup}.`);
  }
  if (badLine) throw new UsageError(`report ${id}: its run log is damaged at line ${badLine} (${file}).`);
  try {
    return renderRun(dir, events);
  } catch (e) {
    throw new UsageError(`report ${id}: its run log is damaged (${file}): ${(e as Error).message.split('\n')[0]}.`);
  }
}
