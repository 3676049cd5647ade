/**
 * Preloaded into the app (NODE_OPTIONS=--import) by the event-loop probe. In the process that
 * listens on $PORT (not an `npm start` wrapper in front of it), it records the event-loop delay
 * with perf_hooks.monitorEventLoopDelay, counts blocks over $PERFBISECT_LOOP_BLOCK_MS with a timer
 * drift check, and answers on 127.0.0.1:$PERFBISECT_LOOP_PORT: GET /reset starts a window,
 * GET /report returns the window's figures as JSON (milliseconds). Its handles are unref'd, so it
 * never keeps the app alive. Plain Node APIs only: it runs inside someone else's program.
 */
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

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
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = now - last - tickMs;
    last = now;
    if (lag > blockMs) blocks++;
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
        res.end('{}');
        return;
      }
      const ms = (ns: number) => ns / 1e6;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        pid: process.pid, samples: h.count,
        p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean),
        blocks, longestBlock: longest, blockMs,
      }));
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
