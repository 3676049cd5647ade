import { execa, execaSync } from 'execa';
import { appendFile } from 'node:fs/promises';
import type { ExecResult } from '../../probes/types.js';
import { groupAlive, stopGroup, stopGroupWithLeader, track, untrack } from './process.js';
import { median } from '../../stats/summary.js';

/**
 * One timed run of a probe's command, with perfbisect's own work kept out of the timed window.
 *
 * Where bash 5 is installed the command runs under a small bash wrapper that reads the clock
 * (EPOCHREALTIME) right before and after it and the CPU time of everything it started (`times`: user +
 * system of the waited-for children) and reports both on file descriptor 3: neither the shell's
 * start-up nor perfbisect's spawning and event loop is inside the figure. Elsewhere a command with no
 * shell syntax is started directly, and one that needs a shell has the shell's own start-up, measured
 * once, subtracted (as hyperfine does); CPU time is then not known. Output is kept in memory during the
 * run and written to the log after it: no file writes while the clock runs.
 */
export interface TimedResult extends ExecResult {
  timedOut: boolean;
  aborted: boolean;
}

export interface TimedOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  logFile?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const WRAPPER = [
  '__c=$PERFBISECT_CMD; unset PERFBISECT_CMD',
  '__t0=$EPOCHREALTIME',
  '( eval "$__c" ) 3>&-',
  '__rc=$?',
  '__t1=$EPOCHREALTIME',
  '{ times; echo "$__t0 $__t1"; } >&3',
  'exit $__rc',
].join('\n');

type Mode = { kind: 'bash5'; bash: string } | { kind: 'plain'; shellStartMs: number };
let mode: Mode | undefined;

/** How commands are timed on this machine (found once). */
export function timingMode(): Mode {
  if (mode) return mode;
  for (const bash of ['bash', '/bin/bash', '/usr/local/bin/bash', '/opt/homebrew/bin/bash']) {
    try {
      const r = execaSync(bash, ['-c', 'echo ${BASH_VERSINFO[0]} $EPOCHREALTIME'], { reject: false, timeout: 5000 });
      const [major, clock] = r.stdout.trim().split(' ');
      if (r.exitCode === 0 && Number(major) >= 5 && clock) return (mode = { kind: 'bash5', bash });
    } catch {
      /* not installed */
    }
  }
  return (mode = { kind: 'plain', shellStartMs: shellStartUp() });
}

/** The median wall time of an empty `sh -c` (hyperfine's shell correction), in ms. */
function shellStartUp(): number {
  const runs: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    execaSync('sh', ['-c', ':'], { reject: false });
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

/** Plain words (and single-quoted ones, as perfbisect quotes an ad-hoc command): no shell needed. */
export function asArgv(command: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*(?:([A-Za-z0-9_@%+=:,./-]+)|'([^']*)')(?=\s|$)/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < command.length && (m = re.exec(command))) {
    out.push(m[1] ?? m[2]);
    at = re.lastIndex;
  }
  if (command.slice(at).trim() || !out.length || /=/.test(out[0])) return undefined;
  return out;
}

const WRAPPER_PREFIX = /^(?:\S*\/)?bash: line \d+: /;

export async function runTimed(command: string, options: TimedOptions): Promise<TimedResult> {
  if (options.signal?.aborted) throw new Error('aborted');
  const how = timingMode();
  const argv = how.kind === 'plain' ? asArgv(command) : undefined;
  const [file, args, env] =
    how.kind === 'bash5'
      ? [how.bash, ['-c', WRAPPER], { ...options.env, PERFBISECT_CMD: command }]
      : argv
        ? [argv[0], argv.slice(1), options.env]
        : ['sh', ['-c', command], options.env];
  const t0 = performance.now();
  const child = execa(file, args, {
    cwd: options.cwd, env, extendEnv: false, detached: true, reject: false,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    lines: { stdout: true, stderr: true },
    // execa stops the command at its timeout or on Ctrl-C (SIGKILL a second after SIGTERM); its group goes too.
    timeout: options.timeoutMs, cancelSignal: options.signal, forceKillAfterDelay: 1000,
  });
  const pid = child.pid;
  if (pid === undefined) {
    const r = await child;
    return { exitCode: 127, stdout: '', stderr: String(r.message ?? ''), ms: NaN, timedOut: false, aborted: false };
  }
  track(pid);
  const groupStopped = stopGroupWithLeader(child, 1000);
  const r = await child;
  const outside = performance.now() - t0;
  await groupStopped();
  // The command may exit while a process it backgrounded lives on: leave nothing behind.
  if (groupAlive(pid)) await stopGroup(pid, 500);
  untrack(pid);
  const { stdout } = r;
  // The wrapper's bash names itself and its own line in the command's errors ("bash: line 3: x: command
  // not found"): not the user's line, so not said.
  const stderr = how.kind === 'bash5' ? r.stderr.map((l) => l.replace(WRAPPER_PREFIX, '')) : r.stderr;
  const inner = how.kind === 'bash5' ? wrapperFigures(String((r.stdio as unknown[])[3] ?? '')) : undefined;
  const ms = inner?.wallMs ?? (argv ? outside : Math.max(0, outside - (how.kind === 'plain' ? how.shellStartMs : 0)));
  if (options.logFile) await appendFile(options.logFile, [...stdout, ...stderr].map((line) => `${line}\n`).join(''));
  return {
    exitCode: r.exitCode ?? (r.timedOut ? 124 : 128),
    stdout: stdout.join('\n'), stderr: stderr.join('\n'), ms, cpuMs: inner?.cpuMs,
    timedOut: r.timedOut, aborted: r.isCanceled,
  };
}

/**
 * The wrapper's report: `times` prints the shell's own user and system time, then its children's
 * ("0m0.012s 0m0.004s"), then the two clock readings. A command that ended the wrapper itself
 * (`exec`) leaves no report: undefined.
 */
export function wrapperFigures(report: string): { wallMs: number; cpuMs: number } | undefined {
  const lines = report.trim().split('\n');
  if (lines.length < 3) return undefined;
  const secs = (s: string) => {
    const m = /^(\d+)m([\d.,]+)s$/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2].replace(',', '.')) : NaN;
  };
  const [user, sys] = lines[1].trim().split(/\s+/).map(secs);
  const [a, b] = lines[2].trim().split(/\s+/).map((x) => Number(x.replace(',', '.')));
  const wallMs = (b - a) * 1000;
  const cpuMs = (user + sys) * 1000;
  return Number.isFinite(wallMs) && Number.isFinite(cpuMs) ? { wallMs, cpuMs } : undefined;
}
