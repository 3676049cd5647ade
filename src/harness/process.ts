import { execa } from 'execa';
import { appendFileSync } from 'node:fs';
import type { ExecResult } from '../probes/types.js';

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
    return true;
  } catch {
    return false;
  }
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

/** Start a long-lived shell command in its own process group (a server); the caller stops it. */
export function spawnShell(command: string, opts: ShellOptions) {
  const child = execa('sh', ['-c', command], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    detached: true,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  const pid = child.pid!;
  liveGroups.add(pid);
  const pump = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr') => {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        if (opts.logFile) appendFileSync(opts.logFile, l + '\n');
        opts.onLine?.(l, name);
      }
    });
    stream?.on('end', () => {
      if (rest) {
        if (opts.logFile) appendFileSync(opts.logFile, rest + '\n');
        opts.onLine?.(rest, name);
      }
    });
  };
  pump(child.stdout, 'stdout');
  pump(child.stderr, 'stderr');
  const exited = child.then((r) => {
    liveGroups.delete(pid);
    return r;
  });
  return {
    pid,
    exited,
    async stop(graceMs = opts.killGraceMs ?? 2000) {
      await stopGroup(pid, graceMs);
      liveGroups.delete(pid);
      await exited;
    },
  };
}

/** Run a shell command to completion, timed, in its own process group, killed on abort or timeout. */
export async function runShell(command: string, opts: ShellOptions): Promise<ExecResult & { timedOut: boolean; aborted: boolean }> {
  if (opts.signal?.aborted) throw new Error('aborted');
  const out: string[] = [];
  const err: string[] = [];
  const start = performance.now();
  const proc = spawnShell(command, {
    ...opts,
    onLine: (l, s) => {
      (s === 'stdout' ? out : err).push(l);
      opts.onLine?.(l, s);
    },
  });
  let timedOut = false;
  let aborted = false;
  const timer = opts.timeoutMs ? setTimeout(() => ((timedOut = true), void proc.stop(opts.killGraceMs ?? 1000)), opts.timeoutMs) : undefined;
  const onAbort = () => ((aborted = true), void proc.stop(opts.killGraceMs ?? 1000));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const r = await proc.exited;
  const ms = performance.now() - start;
  if (timer) clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onAbort);
  // The shell may exit while a grandchild it backgrounded lives on: leave nothing behind.
  if (groupAlive(proc.pid)) await stopGroup(proc.pid, 500);
  liveGroups.delete(proc.pid);
  return {
    exitCode: r.exitCode ?? (timedOut ? 124 : 128),
    stdout: out.join('\n'),
    stderr: err.join('\n'),
    ms,
    timedOut,
    aborted,
  };
}
