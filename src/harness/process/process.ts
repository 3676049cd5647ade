import { execa } from 'execa';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import type { ExecResult } from '../../probes/types.js';

/** Every process group we started and have not seen exit: killed on Ctrl-C, errors and exit. */
const liveGroups = new Set<number>();

export interface ShellOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Every output line is appended here. */
  logFile?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Grace between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

/** Kill a whole process group: the shell and everything it started. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

export async function stopGroup(pid: number, graceMs = 2000): Promise<void> {
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  killGroup(pid, 'SIGKILL');
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
  } catch {
    return false;
  }
  return process.platform !== 'linux' || hasLivingMember(pid);
}

/**
 * A process whose parent died before it is reaped by init, which can take seconds (some container
 * inits reap on a timer): a group of such zombies is gone, and waiting for it would only add time.
 */
function hasLivingMember(group: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp …": the name may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === group && state !== 'Z') return true;
  }
  return false;
}

/** Register a process group started elsewhere, so Ctrl-C and exit kill it too; `untrack` when it exited. */
export function track(pid: number): void {
  liveGroups.add(pid);
}

export function untrack(pid: number): void {
  liveGroups.delete(pid);
}

export function killAllGroups(): void {
  for (const pid of liveGroups) {
    killGroup(pid, 'SIGTERM');
    killGroup(pid, 'SIGKILL');
  }
  liveGroups.clear();
}

/**
 * What execa lacks: it stops the process it started (at `timeout`, on `cancelSignal`, SIGKILL after
 * `forceKillAfterDelay`), not the processes that one started in its group. When execa had to kill
 * the group's leader, the rest of the group goes with it: otherwise a grandchild holding the output
 * pipes keeps the run open long after its timeout.
 */
export function stopGroupWithLeader(
  child: Pick<ChildProcess, 'once' | 'killed' | 'pid'>,
  graceMs: number,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  child.once('exit', () => {
    const leader = child.pid;
    if (child.killed && leader !== undefined && groupAlive(leader)) stopping = stopGroup(leader, graceMs);
  });
  // 'exit' comes before execa settles: awaited after it, this is the group's stop, if there was one.
  return () => stopping ?? Promise.resolve();
}

export interface ShellProcess {
  pid: number;
  /** Settles once the group's leader has exited and its output is read. */
  exited: Promise<{ exitCode?: number; timedOut: boolean; isCanceled: boolean }>;
  /** SIGTERM to the whole group, SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

/** Start a shell command in its own process group (a server, a build); the caller awaits or stops it. */
export function spawnShell(command: string, opts: ShellOptions): ShellProcess {
  const graceMs = opts.killGraceMs ?? 2000;
  const child = execa('sh', ['-c', command], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    detached: true,
    reject: false,
    stdin: 'ignore',
    buffer: false,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    forceKillAfterDelay: graceMs,
  });
  const pid = child.pid!;
  liveGroups.add(pid);
  // The log says what ran, as a CI log does: an install picked by 'auto' or a probe's server is not obvious.
  if (opts.logFile) appendFileSync(opts.logFile, `$ ${command}\n`);
  const groupStopped = stopGroupWithLeader(child, graceMs);
  const pump = async (from: 'stdout' | 'stderr') => {
    // execa splits the output into lines, the last one without its newline too.
    for await (const line of child.iterable({ from })) {
      if (opts.logFile) appendFileSync(opts.logFile, line + '\n');
      opts.onLine?.(line, from);
    }
  };
  const pumped = Promise.all([pump('stdout'), pump('stderr')]).catch(() => undefined);
  const exited = Promise.all([child, pumped]).then(async ([r]) => {
    await groupStopped();
    liveGroups.delete(pid);
    return r;
  });
  return {
    pid,
    exited,
    async stop(grace = graceMs) {
      await stopGroup(pid, grace);
      liveGroups.delete(pid);
      await exited;
    },
  };
}

/** Run a shell command to completion, timed, in its own process group, stopped on abort or timeout. */
export async function runShell(
  command: string,
  opts: ShellOptions,
): Promise<ExecResult & { timedOut: boolean; aborted: boolean }> {
  if (opts.signal?.aborted) throw new Error('aborted');
  const out: string[] = [];
  const err: string[] = [];
  const start = performance.now();
  const proc = spawnShell(command, {
    ...opts,
    killGraceMs: opts.killGraceMs ?? 1000,
    onLine: (l, s) => {
      (s === 'stdout' ? out : err).push(l);
      opts.onLine?.(l, s);
    },
  });
  const r = await proc.exited;
  const ms = performance.now() - start;
  // The shell may exit while a grandchild it backgrounded lives on: leave nothing behind.
  if (groupAlive(proc.pid)) await stopGroup(proc.pid, 500);
  liveGroups.delete(proc.pid);
  return {
    exitCode: r.exitCode ?? (r.timedOut ? 124 : 128),
    stdout: out.join('\n'),
    stderr: err.join('\n'),
    ms,
    timedOut: r.timedOut,
    aborted: r.isCanceled,
  };
}
