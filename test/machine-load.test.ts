import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cpuWindow,
  descendsFrom,
  isLoaded,
  machineLoad,
  parseCpuList,
  ownPids,
  parseProcStat,
  treeTicks,
  type ProcTimes,
} from '../src/harness/process/machine-load.js';

// Bars well under a core: a loaded CI runner may give a spinner only part of one.
const SOME_OF_A_CORE = 0.2;
const SPIN = `"${process.execPath}" -e "for(;;);"`;
const hasProc = existsSync('/proc/stat');

// Each in its own process group, so that killing the group also ends what it started, however the test ends.
const started: ChildProcess[] = [];
function shell(script: string): ChildProcess {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  return child;
}
afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* ended already */
    }
  }
});

/** The pid a shell echoes; rejects rather than waits for the suite's timeout. */
function echoedPid(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pid echoed')), 10_000);
    child.stdout!.once('data', (data: Buffer) => {
      clearTimeout(timer);
      resolve(Number(String(data).trim()));
    });
  });
}

const times = (ppid: number, withReaped: number): ProcTimes => ({ name: 'x', ppid, ticks: withReaped, withReaped });

describe('how busy the machine is besides perfbisect', () => {
  it('counts a process as its own by its chain of parents, however deep', () => {
    const procs = new Map([
      [10, { ppid: 1 }], // perfbisect
      [11, { ppid: 10 }], // sh -c 'npm install'
      [12, { ppid: 11 }], // npm
      [20, { ppid: 1 }], // another user's build
      [21, { ppid: 20 }],
    ]);
    const ours = [10, 11, 12, 20, 21, 99].map((pid) => descendsFrom(pid, procs, new Set([10])));
    expect(ours).toEqual([true, true, true, false, false, false]);
  });

  it('keeps the ticks of its own children that ended within the window, by what their parent reaped', () => {
    const roots = new Set([10]);
    const ticks = (before: Map<number, ProcTimes>, after: Map<number, ProcTimes>) =>
      treeTicks(before, after, ownPids(before, after, roots));
    // A child started and reaped inside the window: gone from /proc, its 80 ticks in its parent's cutime.
    expect(ticks(new Map([[10, times(1, 100)]]), new Map([[10, times(1, 180)]]))).toBe(80);
    // A child alive before, reaped since: only its 30 ticks within the window, not its 50 before too.
    const before = new Map([[10, times(1, 100)], [11, times(10, 50)], [20, times(1, 500)]]);
    const after = new Map([[10, times(1, 180)], [20, times(1, 900)]]);
    expect(ticks(before, after)).toBe(30);
    // A child left to init when its parent ended (a build's daemon) is still ours: its 100 and our 10.
    const orphaned = new Map([[10, times(1, 20)], [11, times(1, 600)]]);
    expect(ownPids(new Map([[10, times(1, 10)], [11, times(10, 500)]]), orphaned, roots)).toEqual(new Set([10, 11]));
    expect(ticks(new Map([[10, times(1, 10)], [11, times(10, 500)]]), orphaned)).toBe(110);
    // A pid taken by a new process since: the new one's ticks, not a negative difference.
    const reused = new Map([[10, times(1, 10)], [11, times(10, 40)]]);
    expect(ticks(new Map([[10, times(1, 10)], [11, times(10, 500)]]), reused)).toBe(40);
  });

  it('measures the window by the ticks the CPUs saw go by, over the CPUs it may run on', () => {
    const stat = (cpu0: number[], cpu1: number[]) =>
      parseProcStat(
        [
          `cpu  ${cpu0.map((ticks, at) => ticks + cpu1[at]).join(' ')} 0 0`,
          `cpu0 ${cpu0.join(' ')} 0 0`,
          `cpu1 ${cpu1.join(' ')} 0 0`,
          'intr 12345 0 0',
          'ctxt 678',
        ].join('\n'),
      );
    // user nice system idle iowait irq softirq steal; a 300 ms timer that fired after 600 ms (60 ticks).
    const before = stat([100, 0, 0, 1000, 0, 0, 0, 0], [200, 0, 0, 1000, 0, 0, 0, 0]);
    const after = stat([130, 0, 0, 1030, 0, 0, 0, 0], [255, 0, 0, 1000, 5, 0, 0, 0]);
    expect(after.get('cpu1')).toEqual({ busy: 255, total: 1260 });
    expect(cpuWindow(before, after)).toEqual({ busy: 85, elapsed: 60, counted: 2 });
    expect(cpuWindow(before, after, new Set([1]))).toEqual({ busy: 55, elapsed: 60, counted: 1 });
    // CPUs allowed that /proc/stat does not list (a CPU list of another numbering): the machine's.
    expect(cpuWindow(before, after, new Set([6, 7]))).toEqual({ busy: 85, elapsed: 60, counted: 2 });
    expect(cpuWindow(before, before)).toBeUndefined();
  });

  it('reads the CPUs it may run on from a kernel CPU list, and nothing from anything else', () => {
    expect([...parseCpuList('0-3,8,10-11\n')!]).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('5')).toEqual(new Set([5]));
    for (const text of ['', 'ff', '3-1', '0-3,,4']) expect(parseCpuList(text)).toBeUndefined();
  });

  it.skipIf(!hasProc)('does not list its own grandchildren (a command under sh) among the busy processes', async () => {
    const grandchild = await echoedPid(shell(`${SPIN} & echo $!; wait`));
    const machine = await machineLoad(1000);
    expect(machine.busy.map((proc) => proc.pid)).not.toContain(grandchild);
    // Counted as ours instead (so the line above is not passed by a spinner that got no CPU).
    expect(machine.own!).toBeGreaterThan(SOME_OF_A_CORE);
  });

  it.skipIf(!hasProc)('counts its own work as its own, not as other work', async () => {
    // Our own spinning child is perfbisect's work (a build ahead). (Other work may run beside this test:
    // only what is ours is certain.)
    shell(`exec ${SPIN}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const machine = await machineLoad(1000);
    expect(machine.others).toBeDefined();
    expect(machine.own!).toBeGreaterThan(SOME_OF_A_CORE);
  });

  it.skipIf(!hasProc)('counts as its own the children that start and end within the window', async () => {
    // Short shells one after another, each spinning some 30 ms: at either snapshot at most one is alive.
    shell(`while :; do sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'; done`);
    const machine = await machineLoad(1000);
    expect(machine.own!).toBeGreaterThan(SOME_OF_A_CORE);
  });

  it.skipIf(!hasProc)('counts what another process takes as other work', async () => {
    // Started under a shell that exits, so that it is not our descendant.
    const other = shell(`${SPIN} >/dev/null 2>&1 & echo $!`);
    await echoedPid(other);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const machine = await machineLoad(1000, new Set([process.pid]));
    expect(machine.others!).toBeGreaterThan(SOME_OF_A_CORE);
  });

  it('says a machine is busy by other work where /proc tells, by the load average only where it does not', () => {
    const base = { cores: 2, busy: [] };
    expect(isLoaded({ ...base, load: 5.4, others: 0.1 })).toBe(false);
    expect(isLoaded({ ...base, load: 0.3, others: 0.9 })).toBe(true);
    expect(isLoaded({ ...base, load: 5.4 })).toBe(true);
    expect(isLoaded({ ...base, load: 0.3, busy: [{ pid: 1, name: 'x', cpu: 0.95 }], others: 0.95 })).toBe(true);
  });

  it('asks more of other work on a big machine before calling it busy: a quarter of the cores', () => {
    const big = { cores: 32, load: 0, busy: [] };
    expect(isLoaded({ ...big, others: 0.9 })).toBe(false);
    expect(isLoaded({ ...big, others: 7.5 })).toBe(false);
    expect(isLoaded({ ...big, others: 8 })).toBe(true);
    expect(isLoaded({ cores: 1, load: 0, busy: [], others: 0.5 })).toBe(true);
  });
});
