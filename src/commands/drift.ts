import { Command, CommanderError } from 'commander';
import { join } from 'node:path';
import { defaultEngineOptions } from '../bisect/engine.js';
import { ExitCode, UsageError } from '../errors.js';
import { EventStream, type RunEvent } from '../events.js';
import { findConfig, loadConfig } from '../harness/config/loader.js';
import { runDrift } from '../harness/drivers/drift-run.js';
import { openStore, type DriftStore } from '../harness/store/drift-store.js';
import { Repo } from '../harness/git/git.js';
import { cacheRoot } from '../harness/store/paths.js';
import { killAllGroups } from '../harness/process/process.js';
import { createProbe } from '../probes/index.js';
import { fmtSignedPct as pct, short } from '../report/format.js';
import { termText } from '../report/escape.js';
import { plainReporter } from '../ui/plain.js';
import { closeDriftIssue, syncDriftIssues } from '../github/drift-issues.js';
import { githubSettings } from '../github/settings.js';
import { cliOutput } from '../github/client.js';

/**
 * Samples of each point of a drift series: its median is compared with its neighbour's, with no
 * further look to fall back on, so it must be steadier than a bisect's first look (the engine's 4).
 */
const driftMinSamples = 10;

/** Where drift checks keep their history unless --store says otherwise. */
export const defaultStore = () => join(cacheRoot(), 'drift-store');

/** One-line errors in the house style, whatever commander reports. */
export function commandErrors(p: Command): Command {
  return p.exitOverride().configureOutput({
    writeErr: (s) => process.stderr.write(`perfbisect: ${termText(s.trim()).replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')}. See perfbisect ${p.name()} --help.\n`),
  });
}

export function parseWith(p: Command, argv: string[]): number | undefined {
  try {
    p.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : ExitCode.usage;
    throw e;
  }
  return undefined;
}

export function wholeNumber(v: string | undefined, flag: string, min: number, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${v}: give a whole number of at least ${min}.`);
  return n;
}

export async function openStoreFor(
  spec: string | undefined,
  repoDir: string | undefined,
): Promise<{ repo: Repo; store: DriftStore }> {
  const repo = await Repo.open(repoDir ?? process.cwd());
  return { repo, store: openStore(spec ?? defaultStore(), { repoRoot: repo.root, cache: cacheRoot() }) };
}

interface DriftCli {
  probe?: string; since?: string; branch: string; points: string; store?: string; config?: string; repo?: string;
  json?: string; report?: string; threshold?: string; minSamples?: string; maxSamples?: string; confidence?: string;
  warmup?: string; cache: boolean; buildTimeout?: string; webhook?: string; githubIssue?: boolean;
}

function program(): Command {
  return commandErrors(
    new Command('drift')
      .usage(
        '--probe <name> [--since <ref|date>] [--branch main] [--points 16] [--store <dir|git:branch>] [options]\n       perfbisect drift ack <id> [--store <dir|git:branch>]',
      )
      .description(
        'Scheduled drift check: measure the commits since the last check, find candidate steps, confirm each by ' +
          're-measuring its neighbours, bisect the confirmed ones, and call out creep no step explains.',
      )
      .option('--probe <name>', 'the probe from probes.config.ts to measure with')
      .option(
        '--since <ref|date>',
        'start of the window (default: the end of the last check in the store, else 7 days ago)',
      )
      .option('--branch <ref>', 'the branch whose first-parent history is checked', 'main')
      .option(
        '--points <n>',
        'about how many commits to measure first, both ends included (up to as many again where the series moves)',
        '16',
      )
      .option(
        '--store <dir|git:branch>',
        `history of checks: a folder (default ${defaultStore()}) or git:<branch> on the origin remote`,
      )
      .option('--config <file>', 'probes config (default: probes.config.ts in the repository root)')
      .option('--repo <dir>', 'the repository (default: the current directory)')
      .option('--json <file>', 'also write the result JSON here')
      .option('--report <file>', 'also write the Markdown writeup here (its series-<run-id>.svg beside it)')
      .option('--threshold <pct>', 'smallest step that counts, in percent (default 5)')
      .option('--min-samples <n>', 'samples per point and per first look of a bisect (default 10)')
      .option(
        '--max-samples <n>',
        `samples per commit before a bisect verdict gives up (default ${defaultEngineOptions.maxSamples})`,
      )
      .option(
        '--confidence <level>',
        `family-wise confidence of each bisect (default ${defaultEngineOptions.confidence})`,
      )
      .option('--warmup <n>', 'discarded warm-up runs before each block (default 1)')
      .option('--build-timeout <seconds>', 'give up on a build after this long')
      .option('--no-cache', 're-measure everything instead of reusing stored samples')
      .option('--no-tui', 'accepted as the bisect accepts it: a drift check prints plain lines anyway')
      .option(
        '--webhook <url>',
        'POST the alert (Slack-compatible JSON) here when something is found (default: $PERFBISECT_WEBHOOK)',
      )
      .option('--github-issue', "an issue per new regression, assigned to the culprit's author; needs GITHUB_TOKEN")
      .addHelpText(
        'after',
        `
Exit codes:
  0  nothing new above the threshold   5  a new regression or gradual drift was found
  2  usage, config or input error      4  environment or internal error`,
      ),
  );
}

/** `perfbisect drift ...` and `perfbisect drift ack <id>`. */
export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'ack') return ack(argv.slice(1));
  const p = program();
  const early = parseWith(p, argv);
  if (early !== undefined) return early;
  if (p.args.length)
    throw new UsageError(`unexpected argument '${p.args[0]}'. Did you mean perfbisect drift ack ${p.args[0]}?`);
  const opts = p.opts<DriftCli>();
  if (!opts.probe)
    throw new UsageError('--probe <name> is required: the probe from probes.config.ts that the check measures.');
  const points = wholeNumber(opts.points, '--points', 3, 16);
  const threshold = opts.threshold === undefined ? 0.05 : Number(opts.threshold.replace(/%$/, '')) / 100;
  if (!Number.isFinite(threshold) || threshold <= 0 || threshold >= 10)
    throw new UsageError(`--threshold ${opts.threshold}: give a percentage above 0, like --threshold 5 for 5%.`);
  const minSamples = wholeNumber(opts.minSamples, '--min-samples', 2, driftMinSamples);
  const maxSamples = wholeNumber(
    opts.maxSamples,
    '--max-samples',
    2,
    Math.max(defaultEngineOptions.maxSamples, minSamples),
  );
  if (maxSamples < minSamples)
    throw new UsageError(`--max-samples ${maxSamples} is below --min-samples ${minSamples}: raise --max-samples.`);
  let confidence = opts.confidence === undefined ? defaultEngineOptions.confidence : Number(opts.confidence.replace(/%$/, ''));
  if (confidence > 1) confidence /= 100;
  if (!Number.isFinite(confidence) || confidence < 0.5 || confidence >= 1)
    throw new UsageError(
      `--confidence ${opts.confidence}: give a level between 0.5 and 0.999, like --confidence 0.95.`,
    );
  const webhook = webhookUrl(opts.webhook ?? process.env.PERFBISECT_WEBHOOK);
  const github = opts.githubIssue ? githubSettings('--github-issue') : undefined;
  const { repo, store } = await openStoreFor(opts.store, opts.repo);
  const file = findConfig(opts.config, repo.root);
  const config = await loadConfig(file);
  if (!(opts.probe in config.probes))
    throw new UsageError(
      `no probe named '${opts.probe}' in ${file}. Its probes: ${Object.keys(config.probes).join(', ')}.`,
    );
  const { probe, config: probeDefinition } = createProbe(opts.probe, config.probes[opts.probe]);

  const events = new EventStream();
  const write = (l: string) => process.stdout.write(l + '\n');
  const stopPlain = plainReporter(events, write);
  const stopDrift = events.subscribe((e) => driftLine(e, write));
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) {
      killAllGroups();
      process.exit(ExitCode.interrupted);
    }
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let r: Awaited<ReturnType<typeof runDrift>>;
  try {
    r = await runDrift(
      {
        repoDir: repo.root,
        branch: opts.branch,
        since: opts.since,
        points,
        store,
        probeName: opts.probe,
        probe,
        probeDefinition,
        build: config.build,
        install: config.install,
        env: config.env,
        threshold,
        minSamples,
        maxSamples,
        confidence,
        warmup: wholeNumber(opts.warmup, '--warmup', 0, 1),
        useCache: opts.cache,
        jsonFile: opts.json,
        reportFile: opts.report,
        buildTimeoutMs: opts.buildTimeout
          ? wholeNumber(opts.buildTimeout, '--build-timeout', 1, 0) * 1000
          : undefined,
        webhook,
      },
      events,
      abort.signal,
    );
  } finally {
    stopPlain();
    stopDrift();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (github && r.result) {
    // Acks made without --github-issue still close their issues here; an unreadable store only skips that.
    const history = await store.load().catch(() => []);
    const acked = new Set(history.flatMap((x) => (x.type === 'ack' ? [x.id] : [])));
    const authorOf = async (sha: string) => (await repo.meta(sha)).author;
    await syncDriftIssues(github, r.result, { ...cliOutput, acked, authorOf });
  }
  return r.exitCode;
}

/** A webhook must be an http(s) URL: checked before anything is measured, so a typo does not waste the run. */
function webhookUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--webhook must be an http(s) URL, like https://hooks.slack.com/services/…, got ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`--webhook must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return u.href;
}

/** The drift check's own lines; the plain reporter prints builds, blocks and verdicts. */
function driftLine(e: RunEvent, writeLine: (l: string) => void): void {
  const write = (line: string) => writeLine(termText(line).replace(/\s*\n\s*/g, ' '));
  if (e.type === 'drift-note') write(`drift: ${e.message}`);
  else if (e.type === 'drift-series') {
    const point = (p: (typeof e.points)[number]) =>
      `${short(p.sha).slice(0, 7)}${p.added ? '+' : ''}=${p.value.toPrecision(3)}`;
    write(`series: ${e.points.map(point).join(' ')}`);
  } else if (e.type === 'drift-candidate') {
    const c = e.candidate;
    if (c.status === 'rejected') write(`candidate ${short(c.from)}..${short(c.to)} rejected: ${c.reason}`);
  } else if (e.type === 'drift-change') {
    const c = e.change;
    const status = c.acked ? 'acknowledged' : c.known ? 'known' : c.kind === 'regression' ? 'new' : 'improvement';
    write(
      `change ${c.id}: ${c.kind} ${pct(c.change)} at ${c.culprit ? `${short(c.culprit)} ${c.subject.slice(0, 60)}` : 'no single commit'} (${status})`,
    );
  } else if (e.type === 'drift-end')
    write(`result: exit ${e.exitCode}; writeup: ${e.reportFile}; result json: ${e.resultFile}`);
}

/** `perfbisect drift ack <id>`: accept a change so later checks do not alert on it. */
async function ack(argv: string[]): Promise<number> {
  const p = commandErrors(
    new Command('drift ack')
      .argument('<id>', 'change id, as the report shows it (probe@culprit)')
      .option('--store <dir|git:branch>')
      .option('--repo <dir>')
      .option('--github-issue', "close the change's issue with a note; needs GITHUB_TOKEN, GITHUB_REPOSITORY"),
  );
  const early = parseWith(p, argv);
  if (early !== undefined) return early;
  const id = p.args[0];
  if (!/^[\w.-]+@[\w-]+$/.test(id)) {
    const ids = 'Ids look like p99@1a2b3c4d5e6f (a step) or p99@creep-1a2b3c4d-5e6f7a8b';
    throw new UsageError(`drift ack ${id}: not a change id. ${ids}; the drift report lists them.`);
  }
  const opts = p.opts<{ store?: string; repo?: string; githubIssue?: boolean }>();
  const github = opts.githubIssue ? githubSettings('--github-issue') : undefined;
  const { store } = await openStoreFor(opts.store, opts.repo);
  const known = (await store.load()).some((r) => (r.type === 'change' || r.type === 'creep') && r.id === id);
  if (!known)
    throw new UsageError(
      `drift ack ${id}: no change with that id in ${store.where}. \`perfbisect history --probe <name>\` lists them.`,
    );
  await store.add(`ack-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`, [{ type: 'ack', id, time: new Date().toISOString() }]);
  process.stdout.write(`acknowledged ${id} in ${store.where}: later checks will not alert on it\n`);
  if (github) await closeDriftIssue(github, id, cliOutput);
  return 0;
}
