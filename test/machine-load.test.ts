import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendsFrom, isLoaded, machineLoad } from '../src/harness/process/machine-load.js';

describe('how busy the machine is besides perfbisect', () => {
  it('counts a process as its own by its chain of parents, however deep', () => {
    const procs = new Map([
      [10, { ppid: 1 }], // perfbisect
      [11, { ppid: 10 }], // sh -c 'npm install'
      [12, { ppid: 11 }], // npm
      [20, { ppid: 1 }], // another user's build
      [21, { ppid: 20 }],
    ]);
    const ours = [10, 11, 12, 20, 21, 99].map((p) => descendsFrom(p, procs, new Set([10])));
    expect(ours).toEqual([true, true, true, false, false, false]);
  });

  it('does not list its own grandchildren (a command under sh) among the busy processes', async () => {
    const sh = spawn('sh', ['-c', `"${process.execPath}" -e "for(;;);" & echo $!; wait`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = await new Promise<number>((resolve) => sh.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    try {
      const m = await machineLoad(1000);
      expect(m.busy.map((b) => b.pid)).not.toContain(grandchild);
    } finally {
      process.kill(grandchild, 'SIGKILL');
      sh.kill('SIGKILL');
    }
  });

  it('counts other work by what it takes now, not by a load average that still holds our own builds', async () => {
    // Our own spinning child is perfbisect's work (a build ahead): counted as ours, not as other work.
    // (Other work may run beside this test: only what is ours is certain.)
    const own = spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const m = await machineLoad(1000);
      expect(m.others).toBeDefined();
      expect(m.own!).toBeGreaterThan(0.4);
    } finally {
      own.kill('SIGKILL');
    }
    // Another process spinning (started under a shell that exits, so it is not our descendant) is.
    const other = spawn('sh', ['-c', `"${process.execPath}" -e "for(;;);" >/dev/null 2>&1 & echo $!`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((resolve) => other.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    try {
      await new Promise((r) => setTimeout(r, 200));
      const m = await machineLoad(1000, new Set([process.pid]));
      expect(m.others!).toBeGreaterThan(0.4);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('says a machine is busy by other work where /proc tells, by the load average only where it does not', () => {
    const base = { cores: 2, busy: [] };
    expect(isLoaded({ ...base, load: 5.4, others: 0.1 })).toBe(false);
    expect(isLoaded({ ...base, load: 0.3, others: 0.9 })).toBe(true);
    expect(isLoaded({ ...base, load: 5.4 })).toBe(true);
    expect(isLoaded({ ...base, load: 0.3, busy: [{ pid: 1, name: 'x', cpu: 0.95 }], others: 0.95 })).toBe(true);
  });
});
