#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, ExitCode, UsageError } from './errors.js';
import { termText } from './report/escape.js';
import { killAllGroups } from './harness/process/process.js';
import { bisectCommand } from './commands/bisect.js';

/**
 * Subcommands by their first word; anything else is the bisect itself (`perfbisect --good ...`).
 * Adding a command: a file in src/commands/ and one line here.
 */
const subcommands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  cache: () => import('./commands/cache.js'),
  drift: () => import('./commands/drift.js'),
  history: () => import('./commands/history.js'),
  init: () => import('./commands/init.js'),
  job: () => import('./commands/job.js'),
  report: () => import('./commands/report.js'),
};

export async function main(argv: string[]): Promise<number> {
  // A closed pipe (perfbisect ... | head) must not crash the run and leave worktrees behind.
  process.stdout.on('error', () => undefined);
  const sub = subcommands[argv[0] ?? ''];
  if (sub) return (await sub()).run(argv.slice(1));
  return bisectCommand(argv);
}

function isMain(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (isMain()) {
  process.on('exit', killAllGroups);
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const err = e as Error & { tail?: string[] };
      // The message and the log tail quote the repository's build and probe output: no escape sequences.
      process.stderr.write(`perfbisect: error: ${termText(err.message).replace(/\s*\n\s*/g, ' ')}\n`);
      for (const l of err.tail ?? []) process.stderr.write(`  | ${termText(l)}\n`);
      if (!(e instanceof UsageError) && process.env.PERFBISECT_DEBUG) process.stderr.write(`${err.stack}\n`);
      // Only perfbisect's own errors choose the code: a child process's exit code (git's 128) is not one of ours.
      process.exit(e instanceof UsageError || e instanceof EnvironmentError ? e.exitCode : ExitCode.environment);
    },
  );
}
