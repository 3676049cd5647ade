import { Command, CommanderError, Option } from 'commander';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { defaultEngineOptions } from '../bisect/engine.js';
import { ExitCode, UsageError } from '../errors.js';
import { EventStream } from '../events.js';
import { runBisect } from '../harness/drivers/bisect-run.js';
import type { BisectOptions } from '../harness/drivers/bisect-options.js';
import { parseArtifactsSource } from '../harness/build/ci-artifacts.js';
import { createRunner } from '../harness/runners/index.js';
import { runnerNames } from '../harness/runners/types.js';
import { findConfig, loadConfig } from '../harness/config/loader.js';
import { Repo } from '../harness/git/git.js';
import { cacheRoot, runsDir } from '../harness/store/paths.js';
import { isAlive } from '../harness/git/worktrees.js';
import { killAllGroups } from '../harness/process/process.js';
import { createProbe, probeKinds } from '../probes/index.js';
import { attachReporter } from '../ui/attach.js';
import { commentOnCulprits } from '../github/bisect-comment.js';
import { cliOutput } from '../github/client.js';
import { githubSettings } from '../github/settings.js';
import { parseDepRepos } from '../harness/deps/repos.js';
import { termText } from '../report/escape.js';
import { readRunLog, type LoggedEvent } from '../harness/record/run-log.js';
import { quoteArgs } from '../shell-quote.js';
import { loadingEnv } from '../harness/store/outside-inputs.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface CliOptions {
  good?: string;
  bad?: string;
  probe?: string;
  config?: string;
  repo?: string;
  build?: string;
  json?: string;
  report?: string;
  firstParent?: boolean;
  keepWorktrees?: boolean;
  threshold?: string;
  minSamples?: string;
  maxSamples?: string;
  confidence?: string;
  warmup?: string;
  cache: boolean;
  profile?: boolean;
  tui: boolean;
  resume?: string | boolean;
  seed?: string;
  buildTimeout?: string;
  timeout?: string;
  install?: string;
  fresh?: boolean;
  jobs?: string;
  githubComment?: boolean;
  metric?: string;
  budget?: string;
  oneStep?: boolean;
  deps: boolean;
  depRepo: string[];
  runner?: string;
  runners?: string;
  fleetConfig?: string;
  artifacts?: string;
}

function program(argv: readonly string[] = []): Command {
  const p = new Command('perfbisect')
    .usage('--good <ref> --bad <ref> (--probe <name> | -- <command> [args...]) [options]')
    .description(
      'Find the commit that made your software slower: a git bisect that measures each commit repeatedly and decides with statistics.',
    )
    .version(version, '-V, --version')
    .option('--good <ref>', 'a commit where performance was fine (tag, branch or SHA)')
    .option('--bad <ref>', 'a commit where it is slower (default: HEAD)')
    .option('--probe <name>', 'the probe from probes.config.ts to measure with')
    .option('--config <file>', 'probes config (default: probes.config.ts in the repository root)')
    .option('--repo <dir>', 'the repository to bisect (default: the current directory)')
    .option('--build <cmd>', 'build command run at each commit before measuring (overrides the config)')
    .option('--json <file>', 'also write the result JSON here')
    .option('--report <file>', 'also write the writeup here (Markdown, or HTML when <file> ends in .html)')
    .option('--first-parent', 'follow only the first parent of merges (bisect merged PRs, not their commits)')
    .option('--keep-worktrees', 'keep the checked-out commits after the run (for inspection)')
    .option(
      '--metric <wall|cpu>',
      'ad-hoc command: its wall time (default) or its CPU time (user + system of all it starts: often steadier on a busy machine)',
    )
    .option(
      '--threshold <pct>',
      'smallest change that matters, in percent (default: half the good→bad change, within 1–5%, raised to what the noise can resolve)',
    )
    .option(
      '--min-samples <n>',
      `samples per commit before the first decision, at least (default ${defaultEngineOptions.minSamples}; more where fewer could not decide)`,
    )
    .option(
      '--max-samples <n>',
      `samples per commit before giving up as inconclusive (default ${defaultEngineOptions.maxSamples})`,
    )
    .option(
      '--budget <minutes>',
      'time the bisect may take (minutes, or 90s, 5m, 1.5h): after the endpoints it lowers the confidence to fit (stated), and ends the last verdicts early if time runs out',
    )
    .option(
      '--one-step',
      'look for one step, as git bisect does: a verdict asks only which side of it a commit is on, not whether a further step hides beside it (far fewer probe runs where the step is large against the noise; other steps in the range are not found)',
    )
    .option(
      '--confidence <level>',
      `family-wise confidence of all verdicts (default ${defaultEngineOptions.confidence})`,
    )
    .option(
      '--warmup <n>',
      'discarded warm-up runs of each commit before each block (default: one run, kept as a sample unless it stands out from the rest, as a cold first run does)',
    )
    .option(
      '--install <cmd>',
      "dependency install before the build, run once per distinct lockfile ('auto': from the lockfile)",
    )
    .option(
      '--fresh',
      'a new worktree per commit instead of moving pooled ones (every build starts clean either way)',
    )
    .option(
      '--jobs <n>',
      'builds ahead allowed while a commit is measured (default 0 on 2 cores: only between measurements)',
    )
    .option('--build-timeout <seconds>', 'give up on a build after this long (the commit is skipped)')
    .option(
      '--timeout <seconds>',
      'stop a run of the command after -- after this long: too slow, counted as at least this long',
    )
    .option('--seed <n>', 'seed of the shuffled measurement order (default: from the bad commit)')
    .option('--no-cache', 're-measure everything instead of reusing stored samples')
    .option('--no-deps', "don't descend into a culprit's lockfile change (package, version, commit)")
    .option(
      '--dep-repo <name=path|url>',
      "a dependency's repository, to find the commit inside it that made it slower (repeatable)",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--no-profile', 'skip profiling the culprit against its parent (the "Why it is slower" evidence)')
    .option(
      '--runner <name>',
      `where commits are measured: ${runnerNames.join(', ')} (default local; see docs/fleet.md)`,
    )
    .option('--runners <k>', 'commits measured at once, one job each, in rounds (default 1 for local, 4 for a fleet)')
    .option(
      '--fleet-config <file>',
      'the fleet config for --runner github-actions or kubernetes (default: perfbisect.fleet.yml in the repository root)',
    )
    .option(
      '--artifacts <source>',
      "use CI's build of each commit where it has one: github-actions:<workflow>/<artifact>",
    )
    .option('--no-tui', 'plain line-per-event output even on a terminal')
    .option('--github-comment', "comment the result on the culprit's pull request (or commit); needs GITHUB_TOKEN")
    .addOption(
      new Option('--resume [run-id]', 'continue an interrupted run (default: the last run in this repository)'),
    )
    .argument('[command...]', 'ad-hoc probe: after --, a command whose wall time is measured')
    .addHelpText(
      'after',
      `
Probe kinds for probes.config.ts:
${Object.values(probeKinds)
  .map((k) => `  ${k.kind.padEnd(18)} ${k.describe}`)
  .join('\n')}

Exit codes:
  0  regression located          1  no regression between good and bad
  2  usage, config or input error 3  ambiguous: the culprit (or a further step) is among commits that could not be measured
  4  environment or internal error 6  undecided: the noise hides whether bad is slower
  130 interrupted (resume with --resume)

Examples:
  perfbisect --good v1.2 --bad HEAD --probe p99
  perfbisect --good v1.2 --bad HEAD --build "npm ci && npm run build" -- node bench/run.js
  perfbisect --good v1.2 --bad HEAD --install auto -- node /tmp/bench.js

A command runs in each commit's own checkout: a path in it is that commit's file; a benchmark kept
outside the repository needs its absolute path.`,
    )
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // One line: commander's message, its suggestion folded in, and where to look.
      writeErr: (s) => {
        const said = termText(s.trim());
        const hint = commandHint(p, argv, said);
        const line = hint
          ? `${said.replace(/\n\(Did you mean .*\?\)/, '')} (${hint})`
          : said.replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)');
        process.stderr.write(`perfbisect: ${line}. See perfbisect --help.\n`);
      },
    });
  return p;
}

/**
 * An option perfbisect does not know that follows a word starting a command (`… env -u X python3 …`
 * without `--`) belongs to that command: say where the command goes (instead of a look-alike option).
 */
function commandHint(p: Command, argv: readonly string[], line: string): string {
  const unknown = /^error: unknown option '([^']+)'/.exec(line)?.[1];
  if (!unknown || argv.includes('--')) return '';
  const ours = (flag: string) => p.options.find((opt) => opt.long === flag.replace(/=.*/, '') || opt.short === flag);
  for (let i = 0; i < argv.length && argv[i] !== unknown; i++) {
    const w = argv[i];
    if (!w.startsWith('-')) {
      // The command runs to the first option of perfbisect's after it.
      const end = argv.findIndex((x, k) => k > i && x.startsWith('--') && !!ours(x));
      const command = quoteArgs(argv.slice(i, end < 0 ? undefined : end));
      return `it follows ${quoteArgs([w])}, which starts a command: put the command to measure after --, like: perfbisect --good A --bad B -- ${command}`;
    }
    const opt = ours(w);
    // An option's value, given as the next word (optional ones take it unless it is an option).
    if (!w.includes('=') && (opt?.required || (opt?.optional && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')))) i++;
  }
  return '';
}

function percent(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/%$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n >= 1000)
    throw new UsageError(`${flag} ${v}: give a percentage above 0, like ${flag} 5 for 5%.`);
  return n / 100;
}

function integer(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${v}: give a whole number of at least ${min}.`);
  return n;
}

/** --budget: minutes, or a number with s, m (min) or h, as k6 and hyperfine users write durations. */
export function minutes(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(s|m|min|h)?\s*$/.exec(v);
  const n = m ? Number(m[1]) * ({ s: 1 / 60, m: 1, min: 1, h: 60 }[m[2] ?? 'm'] ?? 1) : NaN;
  if (!(n > 0) || n > 7 * 24 * 60)
    throw new UsageError(`--budget ${v}: give the minutes the bisect may take, like --budget 10 (or 90s, 5m, 1.5h).`);
  return n;
}

function seconds(v: string, flag: string): number {
  const n = Number(v.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} ${v}: give a number of seconds above 0, like ${flag} 30.`);
  }
  return n;
}

function confidence(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  let n = Number(v.replace(/%$/, ''));
  if (n > 1) n /= 100;
  if (!Number.isFinite(n) || n < 0.5 || n >= 1)
    throw new UsageError(`--confidence ${v}: give a level between 0.5 and 0.999, like --confidence 0.95.`);
  return n;
}

/** The last run of this repository, for --resume without an id. */
function lastRun(repoRoot: string): string | undefined {
  const runs = runsDir();
  if (!existsSync(runs)) return undefined;
  return readdirSync(runs)
    .map((id) => ({ id, file: join(runs, id, 'argv.json') }))
    .filter(
      (r) => existsSync(r.file) && (JSON.parse(readFileSync(r.file, 'utf8')) as { repo: string }).repo === repoRoot,
    )
    .sort((a, b) => statSync(a.file).mtimeMs - statSync(b.file).mtimeMs)
    .pop()?.id;
}

/** A run to continue (--resume): its id, and its run log as the interrupted run left it. */
interface Resuming {
  runId: string;
  events: LoggedEvent[];
}

/** `perfbisect --good A --bad B ...`: the bisect. */
export async function bisectCommand(argv: string[], resuming?: Resuming): Promise<number> {
  const dash = argv.indexOf('--');
  const ours = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  const p = program(argv);
  try {
    p.parse(ours, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : ExitCode.usage;
    throw e;
  }
  const opts = p.opts<CliOptions>();
  if (p.args.length && dash < 0) {
    throw new UsageError(
      `unexpected argument '${p.args[0]}'. Put an ad-hoc command after --, like: perfbisect --good A --bad B -- ${quoteArgs(p.args)}`,
    );
  }
  if (opts.resume !== undefined) return resume(opts, p, command);
  if (!opts.good)
    throw new UsageError(
      '--good <ref> is required: a commit where performance was fine (a tag like v1.2, a branch or a SHA).',
    );
  const bad = opts.bad ?? 'HEAD';
  if (opts.probe && command.length) throw new UsageError('give either --probe <name> or a command after --, not both.');
  if (opts.probe && opts.metric)
    throw new UsageError(
      `--metric is for an ad-hoc command; probe '${opts.probe}' sets its metric in probes.config.ts.`,
    );
  if (!opts.probe && !command.length) {
    throw new UsageError(
      'say what to measure: --probe <name> from probes.config.ts, or a command after --, like: perfbisect --good v1.2 --bad HEAD -- node /tmp/bench.js',
    );
  }
  // Checked before anything is measured: a result that cannot be posted is found out now, not in an hour.
  const github = opts.githubComment ? githubSettings('--github-comment') : undefined;
  if (!opts.deps && opts.depRepo.length) {
    throw new UsageError('--dep-repo needs the descent into dependencies, which --no-deps turns off: drop one.');
  }
  const depRepos = parseDepRepos(opts.depRepo);
  const repo = await Repo.open(opts.repo ?? process.cwd());
  const fleet = await fleetFrom(opts, repo.root);
  // An ad-hoc command runs where it was typed, as `git bisect run` does; a named probe's commands are
  // written for the root, where probes.config.ts is. A resumed run keeps the folder it started in, and
  // a folder git does not track (a scratch folder) is in no checkout: the command runs at the root.
  const recorded = resuming?.events.find((e): e is Extract<LoggedEvent, { type: 'run-start' }> => e.type === 'run-start');
  const folder = recorded
    ? (recorded.folder ?? '')
    : opts.probe
      ? ''
      : await repo.trackedFolder(repo.folderOf(process.cwd()), bad);
  if (folder && fleet) {
    throw new UsageError(
      `a fleet's jobs run at the repository's root, and this was started in ${folder}/: start it at ${repo.root}.`,
    );
  }
  if (opts.artifacts !== undefined) {
    parseArtifactsSource(opts.artifacts);
    githubSettings('--artifacts');
  }
  let build = opts.build;
  let install = opts.install;
  let env: Record<string, string> | undefined;
  let probeName: string;
  let rawProbe: unknown;
  if (opts.probe) {
    const file = findConfig(opts.config, repo.root);
    const config = await loadConfig(file);
    if (!(opts.probe in config.probes)) {
      throw new UsageError(
        `no probe named '${opts.probe}' in ${file}. Its probes: ${Object.keys(config.probes).join(', ')}.`,
      );
    }
    build ??= config.build;
    install ??= config.install;
    env = config.env;
    probeName = opts.probe;
    rawProbe = config.probes[opts.probe];
  } else {
    probeName = 'command';
    if (opts.metric !== undefined && opts.metric !== 'wall' && opts.metric !== 'cpu') {
      throw new UsageError(
        `--metric ${opts.metric}: give wall or cpu (a named probe sets its metric in probes.config.ts).`,
      );
    }
    const timeout = opts.timeout !== undefined ? { timeout: seconds(opts.timeout, '--timeout') } : {};
    // One quoted word with spaces (`-- "node bench.js --fast"`, as hyperfine takes it) is a command line.
    const run = command.length === 1 && /\s/.test(command[0]) ? command[0] : quoteArgs(command);
    rawProbe = { kind: 'command', run, ...(opts.metric ? { metric: opts.metric } : {}), ...timeout };
  }
  if (opts.probe && opts.timeout !== undefined) {
    throw new UsageError(
      `--timeout is for a command after --; for --probe ${opts.probe}, set probes.${opts.probe}.timeout (seconds) in probes.config.ts.`,
    );
  }
  const { probe, config: probeDefinition } = createProbe(probeName, rawProbe);
  const givenMax = integer(opts.maxSamples, '--max-samples', 2);
  const minSamples =
    integer(opts.minSamples, '--min-samples', 2) ?? Math.min(defaultEngineOptions.minSamples, givenMax ?? Infinity);
  const maxSamples = givenMax ?? Math.max(defaultEngineOptions.maxSamples, minSamples);
  if (maxSamples < minSamples)
    throw new UsageError(`--max-samples ${maxSamples} is below --min-samples ${minSamples}: raise --max-samples.`);

  const events = new EventStream();
  // q or Ctrl-C in the live UI (raw mode: no SIGINT reaches us) stops the run exactly as SIGINT does.
  const stopReporter = await attachReporter(events, { tui: opts.tui, onQuit: () => onSignal('SIGINT') });
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      killAllGroups();
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(`\nperfbisect: ${sig}: stopping, cleaning up…\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The variables that change what the probe's programs load are part of the command a colleague reruns.
  // Said as ~ where they lie under the home folder: the line goes into writeups and comments others read.
  const vars = Object.entries(loadingEnv(process.env)).map(([k, v]) => `${k}=${homeTilde(v)} `).join('');
  const reproduce = `${folder ? `cd ${quoteArgs([folder])} && ` : ''}${vars}perfbisect ${quoteArgs(ours.filter((a, i) => !['--json', '--report', '--resume'].includes(ours[i - 1] ?? '') && !['--json', '--report', '--resume'].includes(a)))}${command.length ? ` -- ${quoteArgs(command)}` : ''}`;
  let r: Awaited<ReturnType<typeof runBisect>>;
  try {
    r = await runBisect(
      {
        repoDir: repo.root,
        good: opts.good,
        bad,
        probeName,
        probe,
        probeDefinition,
        build,
        folder,
        env,
        engine: {
          threshold: percent(opts.threshold, '--threshold'),
          minSamples,
          maxSamples,
          confidence: confidence(opts.confidence) ?? defaultEngineOptions.confidence,
          ...(opts.oneStep ? { oneStep: true } : {}),
        },
        firstParent: !!opts.firstParent,
        keepWorktrees: !!opts.keepWorktrees,
        profile: opts.profile,
        warmup: integer(opts.warmup, '--warmup', 0) ?? 'auto',
        useCache: opts.cache,
        seed: integer(opts.seed, '--seed', 0),
        reproduce,
        argv,
        jsonFile: opts.json,
        reportFile: opts.report,
        buildTimeoutMs: opts.buildTimeout
          ? (integer(opts.buildTimeout, '--build-timeout', 1) ?? 0) * 1000
          : undefined,
        runId: resuming?.runId,
        resume: resuming && { events: resuming.events },
        install,
        fresh: !!opts.fresh,
        jobs: integer(opts.jobs, '--jobs', 0),
        budgetMinutes: minutes(opts.budget),
        deps: opts.deps,
        depRepos,
        fleet,
        artifacts: opts.artifacts,
      },
      events,
      abort.signal,
    );
  } finally {
    stopReporter();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (github && r.result) await commentOnCulprits(github, r.result, cliOutput);
  return r.exitCode;
}

/**
 * --runner / --runners: the runner, set up and checked (token, workflow, cluster) before anything
 * is measured. `--runner local` with one job a round is the sequential bisect itself.
 */
async function fleetFrom(opts: CliOptions, repoRoot: string): Promise<BisectOptions['fleet']> {
  if (opts.runner === undefined && opts.runners === undefined) {
    if (opts.fleetConfig !== undefined)
      throw new UsageError('--fleet-config is for --runner github-actions or kubernetes: add --runner.');
    return undefined;
  }
  const name = opts.runner ?? 'local';
  const k = integer(opts.runners, '--runners', 1) ?? (name === 'local' ? 1 : 4);
  const runner = createRunner(name, { repoRoot, cache: cacheRoot(), configFile: opts.fleetConfig });
  if (name === 'local' && k === 1) return undefined;
  await runner.check();
  return { runner, runners: k };
}

/** What may be given with --resume: where the outputs go and how the run is shown, not what it measures. */
const withResume = ['resume', 'repo', 'json', 'report', 'tui', 'githubComment', 'cache', 'keepWorktrees'];

/**
 * --resume: the interrupted run's command line again, with the output options given now in place of
 * its own, and its run log, whose blocks go back to the engine before anything is measured.
 */
async function resume(opts: CliOptions, p: Command, command: string[]): Promise<number> {
  const repo = await Repo.open(opts.repo ?? process.cwd());
  const id = typeof opts.resume === 'string' ? opts.resume : lastRun(repo.root);
  if (!id) throw new UsageError(`no earlier run of ${repo.root} to resume. Start one with --good and --bad.`);
  const file = join(runsDir(), id, 'argv.json');
  if (!/^[\w-][\w.-]*$/.test(id) || !existsSync(file)) throw new UsageError(`--resume ${id}: no such run in ${runsDir()}. \`ls\` it for run ids.`);
  const fixed = p.options.find(
    (opt) => !withResume.includes(opt.attributeName()) && p.getOptionValueSource(opt.attributeName()) === 'cli',
  );
  if (fixed || command.length) {
    const what = fixed ? fixed.long : 'a command after --';
    throw new UsageError(
      `--resume ${id} continues the run as it was started: ${what} cannot be given with it ` +
        '(only --json, --report, --no-tui, --github-comment, --no-cache and --keep-worktrees can). ' +
        'Start a new bisect to change it.',
    );
  }
  // Two processes on one run id would share its worktrees: refuse while the run is still going.
  const pidFile = join(cacheRoot(), 'worktrees', id, '.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN;
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
    throw new UsageError(
      `--resume ${id}: that run is still going (pid ${pid}). Wait for it to end, or stop it first (kill ${pid}).`,
    );
  }
  let saved: { argv: string[]; cwd: string };
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as { argv: string[]; cwd: string };
    if (!Array.isArray(saved.argv)) throw new Error('no argv');
  } catch {
    throw new UsageError(
      `--resume ${id}: ${file} is damaged. Start the bisect again with --good and --bad (stored samples are still reused).`,
    );
  }
  const logFile = join(runsDir(), id, 'events.jsonl');
  // A crash in mid-write leaves a torn last line: the events before it are the record.
  const { events } = readRunLog(logFile);
  if (!events.some((e) => e.type === 'run-start')) {
    throw new UsageError(
      `--resume ${id}: its run log (${logFile}) is missing or damaged. Start the bisect again with --good and --bad.`,
    );
  }
  const ended = events.find((e) => e.type === 'run-end');
  if (ended) {
    throw new UsageError(
      `--resume ${id}: that run has ended (exit ${ended.exitCode}); nothing to continue. ` +
        `Its writeup: perfbisect report ${id}`,
    );
  }
  // The outputs asked for now, relative to where --resume is run (the run goes on in its own folder).
  const given = (name: string) => p.getOptionValueSource(name) === 'cli';
  const savedOwn = saved.argv.includes('--') ? saved.argv.slice(0, saved.argv.indexOf('--')) : saved.argv;
  const switches = [
    given('tui') && !opts.tui && '--no-tui',
    given('githubComment') && '--github-comment',
    given('cache') && !opts.cache && '--no-cache',
    given('keepWorktrees') && '--keep-worktrees',
  ].filter((flag): flag is string => !!flag && !savedOwn.includes(flag));
  const outputs = [
    ...(given('json') ? ['--json', resolve(opts.json!)] : []),
    ...(given('report') ? ['--report', resolve(opts.report!)] : []),
    ...switches,
  ];
  const replaced = [given('json') && '--json', given('report') && '--report'].filter((f): f is string => !!f);
  if (existsSync(saved.cwd)) process.chdir(saved.cwd);
  return bisectCommand(withOptions(saved.argv, replaced, outputs), { runId: id, events });
}

/** A command line with the options `replaced` taken out (with their values) and `added` put in before its `--`. */
function withOptions(argv: readonly string[], replaced: readonly string[], added: readonly string[]): string[] {
  const dash = argv.indexOf('--');
  const ours = dash >= 0 ? argv.slice(0, dash) : [...argv];
  const kept: string[] = [];
  for (let i = 0; i < ours.length; i++) {
    if (replaced.includes(ours[i])) i++;
    else if (!replaced.some((flag) => ours[i].startsWith(`${flag}=`))) kept.push(ours[i]);
  }
  return [...kept, ...added, ...(dash >= 0 ? argv.slice(dash) : [])];
}

/** A value for the reproduce line: quoted, with the home folder as ~ (the shell expands it after `=`). */
function homeTilde(value: string): string {
  const home = homedir();
  return value.startsWith(`${home}/`) ? `~/${quoteArgs([value.slice(home.length + 1)])}` : quoteArgs([value]);
}
