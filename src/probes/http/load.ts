/**
 * One short autocannon load run and its figures. autocannon's own histogram holds whole
 * milliseconds (a fast loopback server reads p99 = 0 or 1 ms), so every response's fractional
 * time is recorded from the 'response' event and the percentiles are computed here.
 */
import type autocannon from 'autocannon';
import { quantileSorted, sorted } from '../../stats/summary.js';

export interface LoadRequest {
  method?: string;
  /** Path (with query) on the server, like '/api/tasks?limit=10'. */
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Relative share of this request in the mix (default 1). */
  weight?: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds of load, unless `amount` (a fixed number of requests) is given. */
  duration?: number;
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: LoadRequest[];
  /** Seconds before a request counts as a timeout error. */
  timeout?: number;
  signal?: AbortSignal;
}

/** The figures of one run: latencies in ms, rates as fractions of all requests. */
export interface LoadFigures {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  'p99.9': number;
  mean: number;
  rps: number;
  errorRate: number;
  non2xxRate: number;
  requests: number;
  connections: number;
}

export const latencyMetrics = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'mean'] as const;

/**
 * autocannon cycles through `requests` in order on every connection, so a weighted mix becomes
 * a sequence in which each request appears `weight / gcd` times, interleaved.
 */
export function weightedSequence(reqs: LoadRequest[]): LoadRequest[] {
  const ws = reqs.map((r) => Math.max(1, Math.round(r.weight ?? 1)));
  const g = ws.reduce((a, b) => gcd(a, b));
  const left = ws.map((w) => w / g);
  const out: LoadRequest[] = [];
  while (left.some((n) => n > 0)) {
    left.forEach((n, i) => {
      if (n > 0) {
        out.push(reqs[i]);
        left[i]--;
      }
    });
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const times: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  const requests = options.requests?.length
    ? weightedSequence(options.requests).map(({ weight: _w, ...r }) => ({
        ...r,
        method: (r.method ?? options.method ?? 'GET') as autocannon.Request['method'],
      }))
    : undefined;
  let onAbort = () => {};
  // Loaded on first use: autocannon costs a quarter of a second at start-up, which only load probes need.
  const { default: load } = await import('autocannon');
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = load(
      {
        url: options.url,
        connections: options.connections,
        ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 2 }),
        method: (options.method ?? 'GET') as autocannon.Request['method'],
        headers: options.headers,
        body: options.body,
        ...(requests ? { requests } : {}),
        timeout: options.timeout ?? 10,
        // autocannon only notices the end of a run on its sampling tick (default 1 s): a 0.5 s run
        // would last 1 s. A short tick makes a run last what was asked.
        sampleInt: 50,
      } as autocannon.Options,
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      times.push(responseTime);
      if (statusCode < 200 || statusCode > 299) non2xx++;
    });
    onAbort = () => (instance as unknown as { stop(): void }).stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  }).finally(() => options.signal?.removeEventListener('abort', onAbort));
  const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
  const s = sorted(times);
  const q = (p: number) => (s.length ? quantileSorted(s, p) : NaN);
  const errors = (result.errors ?? 0) + (result.timeouts ?? 0);
  const attempted = s.length + errors;
  return {
    p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), 'p99.9': q(0.999),
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
    rps: s.length / seconds,
    errorRate: attempted ? errors / attempted : 0,
    non2xxRate: s.length ? non2xx / s.length : 0,
    requests: s.length,
    connections: options.connections,
  };
}
