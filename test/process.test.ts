import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runShell, spawnShell } from '../src/harness/process/process.js';
import { runTimed } from '../src/harness/process/timed-run.js';
import { tempDir } from './fixtures/repo.js';

/** Alive and not a zombie (a sandbox's init may never reap what it inherits). Linux: /proc. */
const running = (pid: number) =>
  existsSync(`/proc/${pid}/stat`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
/** A shell line that backgrounds a long sleep (its pid in bg.pid) and waits on another. */
const lingering = 'sleep 30 & echo $! > bg.pid; sleep 30';
const backgrounded = (dir: string) => Number(readFileSync(join(dir, 'bg.pid'), 'utf8'));

describe('processes in their own group', () => {
  const linux = it.runIf(process.platform === 'linux');

  it('logs and reports each output line of a command run to completion', async () => {
    const dir = tempDir('pb-proc-');
    const log = join(dir, 'build.log');
    const seen: string[] = [];
    const r = await runShell("printf 'one\\ntwo'; echo err >&2; exit 4", {
      cwd: dir, env, logFile: log, onLine: (line, from) => seen.push(`${from}:${line}`),
    });
    expect(r).toMatchObject({ exitCode: 4, stdout: 'one\ntwo', stderr: 'err', timedOut: false, aborted: false });
    expect(seen.sort()).toEqual(['stderr:err', 'stdout:one', 'stdout:two']);
    const logged = readFileSync(log, 'utf8').split('\n');
    expect(logged[0]).toBe(`$ printf 'one\\ntwo'; echo err >&2; exit 4`);
    expect(logged.slice(1).sort()).toEqual(['', 'err', 'one', 'two']);
  });

  linux('stops the whole group at the timeout', async () => {
    const dir = tempDir('pb-proc-');
    const r = await runShell(lingering, { cwd: dir, env, timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, aborted: false });
    expect(r.exitCode).not.toBe(0);
    expect(running(backgrounded(dir))).toBe(false);
  });

  linux('stops the whole group on abort, for a build and for a timed probe run', async () => {
    for (const run of [runShell, runTimed]) {
      const dir = tempDir('pb-proc-');
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 300);
      const r = await run(lingering, { cwd: dir, env, signal: abort.signal });
      expect(r).toMatchObject({ aborted: true, timedOut: false });
      expect(running(backgrounded(dir))).toBe(false);
    }
  });

  linux('leaves nothing behind a command that exits while its child lives on', async () => {
    const dir = tempDir('pb-proc-');
    const r = await runShell('sleep 30 >/dev/null 2>&1 & echo $! > bg.pid', { cwd: dir, env });
    expect(r.exitCode).toBe(0);
    expect(running(backgrounded(dir))).toBe(false);
  });

  linux('keeps a server running until it is stopped, then stops its group', async () => {
    const dir = tempDir('pb-proc-');
    const server = spawnShell(`${lingering}`, { cwd: dir, env });
    await new Promise((r) => setTimeout(r, 300));
    const bg = backgrounded(dir);
    expect(running(bg)).toBe(true);
    await server.stop(500);
    expect(running(bg)).toBe(false);
    expect(running(server.pid)).toBe(false);
  });
});
