import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

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
   * Cores' worth of CPU spent on anything but perfbisect over the sampling window, on the CPUs perfbisect
   * may run on (Linux only): short-lived processes and another guest's steal included, which `busy` misses,
   * and none of perfbisect's own work, which the load average still holds for a minute after its builds.
   */
  others?: number;
  /** The same for perfbisect and its descendants, those that ended within the window included (Linux only). */
  own?: number;
}

/** A process in /proc: its CPU time, and that of the children it has waited for, in clock ticks. */
export interface ProcTimes {
  name: string;
  ppid: number;
  /** utime + stime. */
  ticks: number;
  /** utime + stime + cutime + cstime. */
  withReaped: number;
}

/** One CPU's counters in /proc/stat, in clock ticks since boot. */
export interface CpuTicks {
  /** user, nice, system, irq, softirq, steal. */
  busy: number;
  /** The same, idle and iowait. */
  total: number;
}

// USER_HZ on Linux; only for the wall clock, where /proc/stat cannot say how long the window was.
const TICKS_PER_SECOND = 100;

/** Sample the machine for `windowMs`: /proc where there is one, the load average everywhere. */
export async function machineLoad(
  windowMs = 300,
  own: ReadonlySet<number> = new Set([process.pid]),
): Promise<MachineLoad> {
  const cores = availableParallelism();
  const load = loadavg()[0];
  const allowed = allowedCpus();
  const startedAt = performance.now();
  const before = cpuTimes();
  const statBefore = readProcStat();
  if (!before) return { cores, load, busy: [] };
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const endedAt = performance.now();
  const after = cpuTimes() ?? new Map<number, ProcTimes>();
  const statAfter = readProcStat();
  const window = statBefore && statAfter ? cpuWindow(statBefore, statAfter, allowed) : undefined;
  // A timer may fire late on a busy machine: the window is what the CPUs counted, else what the clock saw.
  const elapsed = window?.elapsed ?? ((endedAt - startedAt) / 1000) * TICKS_PER_SECOND;
  // perfbisect's own work is not the machine's load: its children and theirs (an install's npm under sh).
  const roots = new Set([...own, process.pid]);
  const ours = ownPids(before, after, roots);
  const busy: MachineLoad['busy'] = [];
  for (const [pid, now] of after) {
    const then = before.get(pid);
    if (!then || ours.has(pid)) continue;
    const cpu = (now.ticks - then.ticks) / elapsed;
    if (cpu >= 0.5 && mayShare(pid, allowed)) busy.push({ pid, name: now.name, cpu });
  }
  busy.sort((left, right) => right.cpu - left.cpu);
  if (!window) return { cores, load, busy: busy.slice(0, 3) };
  const ownTicks = treeTicks(before, after, ours);
  // In our cores' units: a job given 2 cores' quota of a 32-CPU host is crowded when half the host is busy.
  const scale = cores / window.counted;
  const others = (Math.max(0, window.busy - ownTicks) / window.elapsed) * scale;
  return { cores, load, busy: busy.slice(0, 3), others, own: (ownTicks / window.elapsed) * scale };
}

/**
 * perfbisect's processes: those of its tree at the second snapshot, and those that were at the first and
 * still run, though a parent that ended since left them to init (a build's daemon).
 */
export function ownPids(
  before: ReadonlyMap<number, { ppid: number }>,
  after: ReadonlyMap<number, { ppid: number }>,
  roots: ReadonlySet<number>,
): Set<number> {
  const out = new Set<number>();
  for (const pid of before.keys()) if (descendsFrom(pid, before, roots)) out.add(pid);
  for (const pid of after.keys()) if (descendsFrom(pid, after, roots)) out.add(pid);
  return out;
}

/**
 * Clock ticks perfbisect's processes (`ours`: ownPids) spent between two snapshots. A child that ended
 * inside the window took its ticks with it, but whoever of ours waited for it holds its whole life as
 * cutime + cstime: counted there, less what it had spent by the first snapshot, counted then. Still
 * missed: a child auto-reaped by a parent ignoring SIGCHLD, whose times the kernel drops. A child ended
 * but not yet waited for is not: a zombie keeps its times in /proc.
 */
export function treeTicks(
  before: ReadonlyMap<number, ProcTimes>,
  after: ReadonlyMap<number, ProcTimes>,
  ours: ReadonlySet<number>,
): number {
  let ticks = 0;
  for (const pid of ours) {
    const [then, now] = [before.get(pid), after.get(pid)];
    if (now) {
      // A pid used again by a new process since: all of the new one's ticks are in the window.
      ticks += then && now.withReaped >= then.withReaped ? now.withReaped - then.withReaped : now.withReaped;
    } else if (then) {
      ticks -= then.withReaped;
    }
  }
  // Negative only when a child of ours was reaped by another process: none of ours is then the better guess.
  return Math.max(0, ticks);
}

/**
 * Whether a process may run on a CPU we may run on (its Cpus_allowed_list against ours): a job pinned to
 * other CPUs of a big machine is no competitor. Where either is unknown, it may.
 */
function mayShare(pid: number, allowed: ReadonlySet<number> | undefined): boolean {
  if (!allowed) return true;
  try {
    const line = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const theirs = line ? parseCpuList(line[1]) : undefined;
    return !theirs || [...theirs].some((cpu) => allowed.has(cpu));
  } catch {
    return true;
  }
}

/**
 * Busy ticks between two reads of /proc/stat, and the ticks one CPU saw go by meanwhile, over the CPUs
 * perfbisect may run on: /proc/stat is the host's, so in a container pinned to a few cores or a job
 * given some of a big machine's, the rest are someone else's and no business of ours. Where the allowed
 * CPUs are unknown or none has a line, the machine's; undefined when no CPU was counted.
 */
export function cpuWindow(
  before: ReadonlyMap<string, CpuTicks>,
  after: ReadonlyMap<string, CpuTicks>,
  allowed?: ReadonlySet<number>,
): { busy: number; elapsed: number; counted: number } | undefined {
  // Only CPUs online at both reads: one taken offline meanwhile has no line to subtract.
  const perCpu = [...after.keys()].filter((key) => /^cpu\d+$/.test(key) && before.has(key));
  const mine = allowed ? perCpu.filter((key) => allowed.has(Number(key.slice(3)))) : [];
  const delta = (key: string) => {
    const [then, now] = [before.get(key)!, after.get(key)!];
    return { busy: now.busy - then.busy, total: now.total - then.total };
  };
  let busy = 0;
  let total = 0;
  let counted = 0;
  if (mine.length > 0) {
    for (const key of mine) {
      const change = delta(key);
      busy += change.busy;
      total += change.total;
    }
    counted = mine.length;
  } else if (before.has('cpu') && after.has('cpu') && perCpu.length > 0) {
    ({ busy, total } = delta('cpu'));
    counted = perCpu.length;
  }
  if (counted === 0 || total <= 0) return undefined;
  return { busy, elapsed: total / counted, counted };
}

/** The `cpu` and `cpuN` lines of /proc/stat's text, by their names. */
export function parseProcStat(text: string): Map<string, CpuTicks> {
  const out = new Map<string, CpuTicks>();
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (!/^cpu\d*$/.test(key)) continue;
    // guest and guest_nice, past steal, are already in user and nice.
    const [user, nice, system, idle, iowait, irq, softirq, steal] = rest.map(Number);
    const busy = user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
    const total = busy + idle + (iowait ?? 0);
    if (Number.isFinite(total)) out.set(key, { busy, total });
  }
  return out;
}

/** A kernel CPU list (`0-3,8,10-11`) as the CPUs it names; undefined where it is not one. */
export function parseCpuList(text: string): Set<number> | undefined {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) return undefined;
    const [first, last] = [Number(range[1]), Number(range[2] ?? range[1])];
    if (last < first) return undefined;
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return cpus.size > 0 ? cpus : undefined;
}

/** The CPUs this process may run on (Cpus_allowed_list); undefined where /proc cannot say. */
function allowedCpus(): Set<number> | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const line = /^Cpus_allowed_list:\s*(.*)$/m.exec(status);
    return line ? parseCpuList(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** /proc/stat's CPU lines; undefined without /proc. */
function readProcStat(): Map<string, CpuTicks> | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
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
  for (let at = pid, hops = 0; at > 1 && hops < 64; at = procs.get(at)?.ppid ?? 0, hops++) {
    if (roots.has(at)) return true;
  }
  return false;
}

/** CPU times of every process, in clock ticks; undefined without /proc. */
function cpuTimes(): Map<number, ProcTimes> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  const out = new Map<number, ProcTimes>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The name is in parentheses and may itself hold spaces or parentheses: split after the last ')'.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      // From field 3 (state) on: field n of proc(5) is fields[n - 3].
      const fields = stat.slice(close + 2).split(' ').map(Number);
      const [utime, stime, cutime, cstime] = fields.slice(11, 15);
      const ticks = utime + stime;
      out.set(Number(pid), { name, ppid: fields[1], ticks, withReaped: ticks + cutime + cstime });
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

/** How much of the machine other work may take before it is busy: half a core, or a quarter of the cores. */
export function othersBar(cores: number): number {
  return Math.max(0.5, 0.25 * cores);
}

/**
 * A machine busy enough to say so: another process using most of a core, or other work using half a
 * core in all (a quarter of the cores on a big machine, where half a core is lost in the noise); where
 * /proc cannot tell, a load average above 70% of the cores (which then also counts perfbisect's own
 * builds of the last minute).
 */
export function isLoaded(machine: MachineLoad): boolean {
  if (machine.busy.some((proc) => proc.cpu >= 0.8)) return true;
  const { others, load, cores } = machine;
  return others !== undefined ? others >= othersBar(cores) : load > 0.7 * cores;
}
