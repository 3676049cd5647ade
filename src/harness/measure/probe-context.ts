import { appendFileSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { ProbeTooSlow, tailLines } from '../../errors.js';
import type { RunEvent } from '../../events.js';
import type { ProbeContext, RunningProcess } from '../../probes/types.js';
import { freePort } from '../services/free-port.js';
import { spawnShell } from '../process/process.js';
import { runTimed } from '../process/timed-run.js';

interface CommitEffects {
  cwd: string;
  sha: string;
  env: Record<string, string>;
  signal: AbortSignal;
  logFile: string;
  artifactsDir: string;
  emit: (e: RunEvent) => void;
  /** The hang guard for a run the probe gives no timeout (Measurer.guard). */
  guard?: HangGuard;
}

/** The limit of a run the probe gives no timeout (ms; undefined before any run finished), and what a stop calls it. */
export interface HangGuard {
  ms: () => number | undefined;
  text: string;
}

/** The effects a probe may use for one commit, each logged, bounded and cleaned up by the harness. */
export function probeContext(options: CommitEffects): ProbeContext {
  const { cwd, sha, env, signal, logFile, artifactsDir, emit } = options;
  return {
    cwd,
    sha,
    env,
    signal,
    logFile,
    artifactsDir,
    exec: async (command, opts = {}) => {
      const guarded = opts.timeoutMs === undefined && opts.guard ? options.guard?.ms() : undefined;
      const timeoutMs = opts.timeoutMs ?? guarded;
      const r = await runTimed(command, { cwd, env: { ...env, ...opts.env }, logFile, timeoutMs, signal });
      // Stopped at its timeout: too slow, which every probe reports as such (never as an exit code).
      if (r.timedOut && !r.aborted && timeoutMs) {
        const limit = guarded !== undefined ? options.guard?.text : undefined;
        throw new ProbeTooSlow(command, timeoutMs, logFile, tailLines(r.stderr || r.stdout), limit);
      }
      return r;
    },
    log: (line) => appendFileSync(logFile, line + '\n'),
    spawn: (command, opts = {}) =>
      startProcess(command, { cwd, env: { ...env, ...opts.env }, logFile, signal, sha, emit }),
    freePort,
    warn: (message) => emit({ type: 'warning', message: `${sha.slice(0, 10)}: ${message}` }),
    note: (message) => emit({ type: 'warning', message, note: true }),
    artifact: (kind, path) => {
      mkdirSync(artifactsDir, { recursive: true });
      emit({ type: 'artifact', sha, kind, path });
    },
    glob: async (patterns) =>
      (await glob(patterns, { cwd, onlyFiles: true, dot: false, expandDirectories: false })).sort(),
    readFile: (path) => readFile(resolve(cwd, path)),
    writeFile: async (path, data) => {
      mkdirSync(dirname(resolve(cwd, path)), { recursive: true });
      await writeFile(resolve(cwd, path), data);
    },
  };
}

function startProcess(command: string, options: Omit<CommitEffects, 'artifactsDir'>): RunningProcess {
  const lines: string[] = [];
  const listeners: ((l: string) => void)[] = [];
  const p = spawnShell(command, {
    cwd: options.cwd,
    env: options.env,
    logFile: options.logFile,
    onLine: (l) => {
      lines.push(l);
      if (lines.length > 200) lines.shift();
      for (const fn of listeners) fn(l);
      options.emit({ type: 'output', sha: options.sha, stage: 'server', line: l });
    },
  });
  const onAbort = () => void p.stop(500);
  options.signal.addEventListener('abort', onAbort, { once: true });
  const exited = p.exited.then((r) => {
    options.signal.removeEventListener('abort', onAbort);
    return r.exitCode ?? undefined;
  });
  return {
    pid: p.pid,
    exited,
    tail: (n = 20) => lines.slice(-n),
    onLine: (fn) => void listeners.push(fn),
    stop: (graceMs) => p.stop(graceMs),
  };
}
