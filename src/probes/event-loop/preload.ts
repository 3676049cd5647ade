/**
 * Preloaded into the app (NODE_OPTIONS=--import) by the event-loop probe. In the process that
 * listens on $PORT (not an `npm start` wrapper in front of it), it records the event-loop delay
 * with perf_hooks.monitorEventLoopDelay, counts blocks over $PERFBISECT_LOOP_BLOCK_MS with a timer
 * drift check, and answers on 127.0.0.1:$PERFBISECT_LOOP_PORT: GET /reset starts a window,
 * GET /report returns the window's figures as JSON (milliseconds). Its handles are unref'd, so it
 * never keeps the app alive. Plain Node APIs only: it runs inside someone else's program.
 *
 * With PERFBISECT_LOOP_STACKS=1 it also says what blocked: V8's sampling profiler runs during the
 * window at a coarse 10 ms interval (cheap: a block over 50 ms still gets several samples), and the
 * report carries the stacks sampled inside each block, heaviest first. Off while the evidence step
 * profiles the app itself (PERFBISECT_CPU_PROF_DIR): one profiler per process.
 */
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Stacks (innermost first, at most 6 frames of JavaScript) sampled inside the given windows (ms since `t0`). */
export function blockStacks(
  profile: Profile,
  windows: [number, number][],
  t0: number,
  top = 3,
): { frames: string[]; samples: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map<string, { frames: string[]; samples: number }>();
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] / 1000;
    const at = t0 + t;
    if (!windows.some(([a, b]) => at >= a && at <= b)) continue;
    const frames: string[] = [];
    for (
      let id: number | undefined = profile.samples[i];
      id !== undefined && frames.length < 6;
      id = parent.get(id)
    ) {
      const f = byId.get(id)!.callFrame;
      if (!f.url || f.url.startsWith('node:')) continue; // V8's pseudo-frames ((idle), (program), GC) and Node's internals
      frames.push(`${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\//, '')}:${f.lineNumber + 1}`);
    }
    if (!frames.length) continue;
    const key = frames.join('\n');
    const c = counts.get(key) ?? { frames, samples: 0 };
    c.samples++;
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => b.samples - a.samples).slice(0, top);
}

const controlPort = Number(process.env.PERFBISECT_LOOP_PORT);
const appPort = Number(process.env.PORT);
const blockMs = Number(process.env.PERFBISECT_LOOP_BLOCK_MS) || 50;
const key = Symbol.for('perfbisect.event-loop');
const g = globalThis as unknown as Record<symbol, boolean>;

if (controlPort && !g[key]) {
  g[key] = true;
  const h = monitorEventLoopDelay({ resolution: 5 });
  let blocks = 0;
  let longest = 0;
  const tickMs = 10;
  let last = performance.now();
  const stacks = process.env.PERFBISECT_LOOP_STACKS === '1' && !process.env.PERFBISECT_CPU_PROF_DIR;
  let session: Session | undefined;
  let t0 = 0;
  let windows: [number, number][] = [];
  const profile = (on: boolean, done: (p?: Profile) => void) => {
    if (!stacks) return done();
    if (!session) {
      session = new Session();
      session.connect();
      session.post('Profiler.enable');
      session.post('Profiler.setSamplingInterval', { interval: 10_000 });
    }
    const s = session;
    s.post('Profiler.stop', (_e, r) => {
      if (on) {
        s.post('Profiler.start', () => (t0 = performance.now()));
        windows = [];
      }
      done((r as { profile?: Profile } | undefined)?.profile);
    });
  };
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = now - last - tickMs;
    if (lag > blockMs) {
      blocks++;
      if (windows.length < 200) windows.push([last + tickMs, now]);
    }
    last = now;
    if (lag > longest) longest = lag;
  }, tickMs);
  timer.unref();
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    h.enable();
    const control: Server = createServer((req, res) => {
      if (req.url === '/reset') {
        h.reset();
        blocks = 0;
        longest = 0;
        profile(true, () => res.end('{}'));
        return;
      }
      const ms = (ns: number) => ns / 1e6;
      const figures = {
        pid: process.pid,
        samples: h.count,
        p50: ms(h.percentile(50)),
        p90: ms(h.percentile(90)),
        p99: ms(h.percentile(99)),
        max: ms(h.max),
        mean: ms(h.mean),
        blocks,
        longestBlock: longest,
        blockMs,
      };
      profile(false, (p) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ...figures, blockStacks: p ? blockStacks(p, windows, t0) : [] }));
      });
    });
    control.on('error', () => undefined); // another process of the app already answers
    control.listen(controlPort, '127.0.0.1');
    control.unref();
  };
  // Start once this process listens on the app's port: the wrapper processes in front of it stay quiet.
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    this.once('listening', () => {
      const a = this.address();
      if (!appPort || (typeof a === 'object' && a && a.port === appPort)) start();
    });
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
}
