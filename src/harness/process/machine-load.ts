import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/** How busy the machine is besides perfbisect: the load average, and the processes using a core. */
export interface MachineLoad {
  cores: number;
  /** One-minute load average (0 where the platform has none). */
  load: number;
  /**
   * Other processes (not perfbisect's or its descendants') using at least half a core over the
   * sampling window (Linux only).
   */
  busy: { pid: number; name: string; cpu: number }[];
  /**
   * Cores' worth of CPU the machine spent on anything but perfbisect over the sampling window (Linux
   * only): short-lived processes and another guest's steal included, which `busy` misses, and none of
   * perfbisect's own work, which the load average still holds for a minute after its builds.
   */
  others?: number;
  /** The same for perfbisect and its descendants (Linux only). */
  own?: number;
}

/** Sample the machine for `windowMs`: /proc where there is one, the load average everywhere. */
export async function machineLoad(
  windowMs = 300,
  own: ReadonlySet<number> = new Set([process.pid]),
): Promise<MachineLoad> {
  const cores = availableParallelism();
  const load = loadavg()[0];
  const before = cpuTimes();
  const busyBefore = machineBusyTicks();
  if (!before) return { cores, load, busy: [] };
  await new Promise((r) => setTimeout(r, windowMs));
  const after = cpuTimes() ?? new Map();
  const busyAfter = machineBusyTicks();
  const ticksPerSecond = 100; // USER_HZ on Linux
  const seconds = windowMs / 1000;
  const busy: MachineLoad['busy'] = [];
  // perfbisect's own work is not the machine's load: its children and theirs (an install's npm under sh).
  const roots = new Set([...own, process.pid]);
  let ownTicks = 0;
  for (const [pid, a] of after) {
    const b = before.get(pid);
    // A process of ours that started inside the window spent all its ticks there.
    if (descendsFrom(pid, after, roots)) {
      ownTicks += a.ticks - (b?.ticks ?? 0);
      continue;
    }
    if (!b) continue;
    const cpu = (a.ticks - b.ticks) / ticksPerSecond / seconds;
    if (cpu >= 0.5) busy.push({ pid, name: a.name, cpu });
  }
  busy.sort((x, y) => y.cpu - x.cpu);
  const others =
    busyBefore !== undefined && busyAfter !== undefined
      ? Math.max(0, (busyAfter - busyBefore - ownTicks) / ticksPerSecond / seconds)
      : undefined;
  const ours = ownTicks / ticksPerSecond / seconds;
  return { cores, load, busy: busy.slice(0, 3), ...(others !== undefined ? { others, own: ours } : {}) };
}

/** Ticks every core spent busy since boot (user, nice, system, irq, softirq, steal); undefined without /proc. */
function machineBusyTicks(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  } catch {
    return undefined;
  }
}

/** Whether `pid` is one of `roots` or runs under one of them, by its chain of parents. */
export function descendsFrom(
  pid: number,
  procs: ReadonlyMap<number, { ppid: number }>,
  roots: ReadonlySet<number>,
): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; p = procs.get(p)?.ppid ?? 0, hops++) if (roots.has(p)) return true;
  return false;
}

/** utime + stime of every process, in clock ticks; undefined without /proc. */
function cpuTimes(): Map<number, { name: string; ppid: number; ticks: number }> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const out = new Map<number, { name: string; ppid: number; ticks: number }>();
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // The name is in parentheses and may itself hold spaces or parentheses: split after the last ')'.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      out.set(Number(p), { name, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

/**
 * A machine busy enough to say so: another process using most of a core, or other work using half a
 * core in all; where /proc cannot tell, a load average above 70% of the cores (which then also counts
 * perfbisect's own builds of the last minute).
 */
export function isLoaded(m: MachineLoad): boolean {
  if (m.busy.some((b) => b.cpu >= 0.8)) return true;
  return m.others !== undefined ? m.others >= 0.5 : m.load > 0.7 * m.cores;
}
