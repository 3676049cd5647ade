/** One load run against a real in-process node:http server on 127.0.0.1: request mix, rates, sub-ms latency. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, weightedSequence } from '../src/probes/http/load.js';
import { loadSample } from '../src/probes/http.js';

let server: Server;
let base = '';
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-test'] ?? ''} ${body}`);
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('http load run', () => {
  it('interleaves a weighted request mix', () => {
    const a = { path: '/a', weight: 4 };
    const b = { path: '/b', weight: 2 };
    const c = { path: '/c' };
    expect(weightedSequence([a, b]).map((r) => r.path)).toEqual(['/a', '/b', '/a']);
    expect(weightedSequence([a, b, c]).map((r) => r.path)).toEqual(['/a', '/b', '/c', '/a', '/b', '/a', '/a']);
  });

  it('sends the method, headers and body of each request in the mix, and counts non-2xx answers', async () => {
    seen.length = 0;
    const f = await runLoad({
      url: base, connections: 1, amount: 40,
      requests: [
        { method: 'POST', path: '/tasks', headers: { 'x-test': 'yes' }, body: '{"t":1}', weight: 3 },
        { path: '/fail', weight: 1 },
      ],
    });
    expect(f.requests).toBe(40);
    expect(seen.filter((s) => s === 'POST /tasks yes {"t":1}').length).toBe(30);
    expect(seen.filter((s) => s.startsWith('GET /fail')).length).toBe(10);
    expect(f.non2xxRate).toBeCloseTo(0.25, 5);
    expect(f.errorRate).toBe(0);
    // Fractional milliseconds: a loopback answer is far below autocannon's 1 ms resolution.
    expect(Number.isInteger(f.p50)).toBe(false);
    expect(f.p50).toBeLessThanOrEqual(f.p99);
    const s = loadSample(f, 'non2xxRate');
    expect(s.value).toBeCloseTo(25, 5);
    expect(Object.keys(s.details!).sort()).toEqual(['connections', 'errorRate', 'mean', 'non2xxRate', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'rps'].sort());
  });

  it('counts refused connections as errors', async () => {
    const f = await runLoad({ url: 'http://127.0.0.1:9/', connections: 1, duration: 0.3, timeout: 1 });
    expect(f.requests).toBe(0);
    expect(f.errorRate).toBe(1);
  });
});
