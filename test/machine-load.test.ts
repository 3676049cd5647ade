import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendsFrom, machineLoad } from '../src/harness/process/machine-load.js';

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
});
