import { Command, CommanderError } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import {
  cacheKinds,
  clean,
  evict,
  limitBytes,
  listEntries,
  parseAge,
  parseSize,
} from '../harness/store/cache-store.js';
import { cacheRoot } from '../harness/store/paths.js';
import { fmtBytes } from '../report/format.js';
import { termText } from '../report/escape.js';

/**
 * `perfbisect cache info` and `perfbisect cache clean [--older-than 30d] [--max-size 2G]`: the
 * disk the caches use, per kind, and bounding it.
 */
export async function run(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(s + '\n');
  const p = new Command('perfbisect cache')
    .description('Show and bound the disk perfbisect caches use (installs, builds, samples, runs).')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({
      writeErr: (s) => process.stderr.write(`perfbisect: ${termText(s.trim())}. See perfbisect cache --help.\n`),
    });
  p.command('info')
    .description('sizes per kind, the limit, and where the cache lives')
    .action(() => {
      const root = cacheRoot();
      const entries = listEntries(root);
      out(`cache: ${root}`);
      for (const kind of cacheKinds) {
        const es = entries.filter((e) => e.kind === kind);
        out(
          `  ${kind.padEnd(10)} ${fmtBytes(es.reduce((n, e) => n + e.bytes, 0)).padStart(10)}  ${es.length} entr${es.length === 1 ? 'y' : 'ies'}`,
        );
      }
      out(
        `  ${'total'.padEnd(10)} ${fmtBytes(entries.reduce((n, e) => n + e.bytes, 0)).padStart(10)}  (limit ${fmtBytes(limitBytes())}, least recently used evicted first; PERFBISECT_CACHE_LIMIT sets it)`,
      );
    });
  p.command('clean')
    .description('remove cached installs, builds, samples and finished runs (all, or those unused for a while)')
    .option('--older-than <age>', 'only entries unused for this long, like 30d, 12h, 2w')
    .option('--max-size <size>', 'instead: evict least recently used entries until the cache fits, like 2G or 500M')
    .action((options: { olderThan?: string; maxSize?: string }) => {
      const root = cacheRoot();
      let removed;
      if (options.maxSize !== undefined) {
        const limit = parseSize(options.maxSize);
        if (limit === undefined)
          throw new UsageError(`--max-size ${options.maxSize}: give a size like 2G, 500M or 100000 (bytes).`);
        removed = evict(root, limit);
      } else {
        const age = options.olderThan === undefined ? undefined : parseAge(options.olderThan);
        if (options.olderThan !== undefined && age === undefined)
          throw new UsageError(`--older-than ${options.olderThan}: give an age like 30d, 12h, 90m or 2w.`);
        removed = clean(root, age);
      }
      out(
        `removed ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'}, ${fmtBytes(removed.reduce((n, e) => n + e.bytes, 0))} freed`,
      );
    });
  try {
    await p.parseAsync(argv.length ? argv : ['--help'], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : ExitCode.usage;
    throw e;
  }
  return 0;
}
