import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../src/events.js';
import { asArgv, runTimed, timingMode, wrapperFigures } from '../src/harness/process/timed-run.js';
import { tempDir } from './fixtures/repo.js';

/** Alive and not a zombie (a sandbox's init may never reap what it inherits). Linux: /proc. */
const running = (pid: number) => existsSync(`/proc/${pid}/stat`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };

describe('timing a probe run', () => {
  it('reads the wrapper report: the children\'s user + system time and the two clock readings', () => {
    expect(wrapperFigures('0m0.001s 0m0.000s\n0m0.367s 0m0.012s\n1796143728.750356 1796143729.133213\n')).toEqual({
      wallMs: expect.closeTo(382.857, 2),
      cpuMs: expect.closeTo(379, 6),
    });
    // A locale with a decimal comma, and a command that ended the wrapper itself (no report).
    expect(wrapperFigures('0m0,001s 0m0,000s\n0m1,500s 0m0,500s\n10,5 12,5')?.cpuMs).toBeCloseTo(2000, 6);
    expect(wrapperFigures('')).toBeUndefined();
  });

  it('starts a command without a shell only when it has no shell syntax', () => {
    expect(asArgv("node 'my bench.js' --runs=3")).toEqual(['node', 'my bench.js', '--runs=3']);
    expect(asArgv('node bench.js | tee log')).toBeUndefined();
    expect(asArgv('NODE_ENV=production node bench.js')).toBeUndefined();
    expect(asArgv('node $SCRIPT')).toBeUndefined();
  });

  it('times a CPU-bound command, counts the CPU of what it started, keeps its exit code, and logs its output after the run', async () => {
    const dir = tempDir('pb-timed-');
    const log = join(dir, 'probe.log');
    const busy = `node -e "let s=0; for (let i = 0; i < 3e7; i++) s += i; console.log('spun')"`;
    const r = await runTimed(`${busy}; echo done >&2`, { cwd: dir, env, logFile: log });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('spun');
    expect(readFileSync(log, 'utf8')).toContain('spun\ndone\n');
    const slept = await runTimed('sleep 0.3', { cwd: dir, env });
    expect(slept.ms).toBeGreaterThanOrEqual(290);
    if (timingMode().kind === 'bash5') {
      // CPU time counts work, not waiting: the busy loop's is many times the sleep's, whatever the load.
      expect(r.cpuMs!).toBeGreaterThan(10 * (slept.cpuMs! + 1));
      expect(r.cpuMs!).toBeLessThan(r.ms * 2.5);
      expect(slept.cpuMs!).toBeLessThan(slept.ms / 3);
    }
    expect((await runTimed('exit 3', { cwd: dir, env })).exitCode).toBe(3);
  });

  it.runIf(process.platform === 'linux')('stops a command and everything it started at the timeout', async () => {
    const dir = tempDir('pb-timed-');
    const r = await runTimed('sleep 30 & echo $! > bg.pid; sleep 30', { cwd: dir, env, timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).not.toBe(0);
    const bg = Number(readFileSync(join(dir, 'bg.pid'), 'utf8'));
    expect(running(bg)).toBe(false); // the backgrounded sleep is gone too
  });
});

describe('views hold their redraws while a sample is timed', () => {
  it('runs deferred work only when the timing ends', () => {
    const events = new EventStream();
    const ran: string[] = [];
    events.whenQuiet(() => ran.push('idle'));
    events.hush(true);
    events.whenQuiet(() => ran.push('during'));
    expect(ran).toEqual(['idle']);
    events.hush(false);
    expect(ran).toEqual(['idle', 'during']);
  });
});
