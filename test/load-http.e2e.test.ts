import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { listDirs, tempDir } from './fixtures/repo.js';
import { processesUnder, serverRepo } from './fixtures/servers.js';
import type { RunResult } from '../src/report/result.js';
import { onLinux } from './fixtures/platform.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

// Bounded load: 40 requests per sample (a fixed count, so slow responses are never cut off at the
// end of a timed run; 2 of them spiked where every 20th waits, still 5% against the 1% a p99 rests
// on; autocannon gives each connection its share of the amount, so spikes can queue up on one), a
// short warm-up, few samples. The planted effects are huge (400 ms waits on every 20th request, 8 ms
// of CPU a request): on a loaded two-core machine a fast server's p99 alone wanders up to 100 ms.
// Throughput keeps 100 requests a sample: over 40 it varies too much a sample to show a commit the same as
// good within the few samples allowed.
const load = (readyTimeout = 5, amount = 40) =>
  `start: 'node server.js', url: 'http://127.0.0.1:{port}/api/tasks', connections: 4, amount: ${amount}, warmup: 0.2, readyTimeout: ${readyTimeout}`;
const probes = (readyTimeout?: number) => `export default { probes: {
  p99: { kind: 'http', ${load(readyTimeout)}, metric: 'p99' },
  rps: { kind: 'http', ${load(readyTimeout, 100)}, metric: 'rps' },
} };\n`;
const config = probes();
// The evidence step (profiling the server) is tested in evidence-*.e2e: skipped here.
const fast = ['--min-samples', '5', '--max-samples', '12', '--no-profile'];

async function bisect(repoDir: string, probe: string, extra: string[] = []) {
  const cache = tempDir('pb-cache-');
  const out = tempDir('pb-out-');
  const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', probe, '--json', join(out, 'r.json'), '--report', join(out, 'w.md'), ...fast, ...extra], { cwd: repoDir, cache });
  const read = () => JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
  return { r, cache, read, writeup: () => readFileSync(join(out, 'w.md'), 'utf8') };
}

describe.runIf(onLinux)('http probe end to end (autocannon against a real server per commit) [Linux: processes from /proc]', () => {
  it('finds the commit that adds a tail-latency spike: median unchanged, p99 many times worse', async () => {
    const { repo, shas } = serverRepo({ commits: 2, at: { 2: { spikeMs: 400, spikeEvery: 20 } }, config });
    cleanups.push(() => repo.cleanup());
    const { r, cache, read, writeup } = await bisect(repo.dir, 'p99');
    expect(r.exitCode, r.all).toBe(0);
    const result = read();
    expect(result.culprit?.sha).toBe(shas[2]);
    const d = result.culprit!.details!;
    expect(d.after.p99 / d.before.p99).toBeGreaterThan(2.5);
    // The median of a few-millisecond server wanders by multiples of itself under load (3× on a busy CI
    // host); unchanged means it moved by a small part of what the tail moved by.
    expect(d.after.p50 - d.before.p50).toBeLessThan((d.after.p99 - d.before.p99) / 4);
    const md = writeup();
    for (const label of ['P50 latency', 'P95 latency', 'p99 latency (median)', 'Requests/s', 'Error rate']) expect(md).toContain(label);
    // The metric is given once, as its median; the load's setting has no unit and no before/after delta.
    expect(md).not.toMatch(/^\| P99 latency \|/m);
    expect(md).toMatch(/^\| Connections \(load setting\) \| 4 \|$/m);
    expect(md).not.toMatch(/^\| Connections \(load setting\) \| 4 \| 4/m);
    expect(processesUnder(cache)).toEqual([]);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('finds the commit where throughput drops (rps, higher is better)', async () => {
    const { repo, shas } = serverRepo({ commits: 2, at: { 2: { busyMs: 8 } }, config });
    cleanups.push(() => repo.cleanup());
    const { r, cache, read, writeup } = await bisect(repo.dir, 'rps');
    expect(r.exitCode, r.all).toBe(0);
    const result = read();
    expect(result.probe.metric.better).toBe('higher');
    expect(writeup()).toContain('| requests/s (median) |');
    expect(writeup()).not.toContain('| Requests/s |');
    expect(result.culprit?.sha).toBe(shas[2]);
    expect(result.culprit!.change.ratio).toBeLessThan(0.7);
    expect(processesUnder(cache)).toEqual([]);
  });

  it('skips a commit whose server never gets ready and one that crashes mid-load, leaving no process', async () => {
    const { repo, shas } = serverRepo({
      commits: 3,
      at: { 1: { noListen: true }, 2: { crashAfter: 50 }, 3: { spikeMs: 400, spikeEvery: 20 } },
      // The commit that never listens is given up on at readyTimeout: 3 s is still several times a
      // server's start on a busy machine.
      config: probes(3),
    });
    cleanups.push(() => repo.cleanup());
    const { r, cache, read } = await bisect(repo.dir, 'p99');
    const result = read();
    // The spike starts at 3; 1 and 2 cannot be measured, so the culprit is among 1..3: ambiguous.
    expect(r.exitCode, r.all).toBe(3);
    const skipped = result.commits.filter((c) => c.verdict === 'skipped').map((c) => c.sha);
    expect(skipped.length, r.all).toBeGreaterThan(0);
    for (const s of skipped) expect([shas[1], shas[2]]).toContain(s);
    expect(result.suspects).toEqual([shas[1], shas[2], shas[3]]);
    expect(result.commits.find((c) => c.sha === shas[2])?.reason ?? '').toMatch(/exited with code 3 during the (warm-up )?load|no request/);
    expect(processesUnder(cache)).toEqual([]);
  });

  it('stops at an endpoint whose server exits before it is ready, with the server output, exit 2', async () => {
    const { repo } = serverRepo({ commits: 2, at: { 2: { noListen: true, exitCode: 7 } }, config });
    cleanups.push(() => repo.cleanup());
    const { r, cache } = await bisect(repo.dir, 'p99');
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/--bad bad cannot be measured: the server crashed: the server \(`node server.js`\) exited with code 7 before it was ready/);
    expect(r.stderr).toContain('fatal: config missing');
    expect(processesUnder(cache)).toEqual([]);
  });

  it('times out a server that never answers at an endpoint, naming readyTimeout', async () => {
    const cfg = `export default { probes: { p99: { kind: 'http', start: 'node server.js', url: 'http://127.0.0.1:{port}/', readyTimeout: 1, amount: 50 } } };\n`;
    const { repo } = serverRepo({ commits: 1, at: {}, base: { noListen: true }, config: cfg });
    cleanups.push(() => repo.cleanup());
    const { r, cache } = await bisect(repo.dir, 'p99');
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain('did not answer at http://127.0.0.1:');
    expect(r.stderr).toContain('raise readyTimeout');
    expect(processesUnder(cache)).toEqual([]);
  });

  it('leaves no server behind on Ctrl-C', async () => {
    const { repo } = serverRepo({ commits: 3, at: { 2: { spikeMs: 400, spikeEvery: 20 } }, config });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const child = runCli(['--good', 'good', '--bad', 'bad', '--probe', 'p99', '--min-samples', '5', '--max-samples', '60'], { cwd: repo.dir, cache });
    // Interrupted while a verdict measures (past the endpoints), with its server up.
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    const measuring = () => /^measure (?!.*\[endpoints\])/m.test(out) && processesUnder(cache).some((p) => p.includes('server.js'));
    while (!measuring() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(processesUnder(cache).some((p) => p.includes('server.js'))).toBe(true);
    await new Promise((res) => setTimeout(res, 300));
    // Ctrl-C in a terminal signals the whole foreground group: the server too, at once.
    for (const p of processesUnder(cache).filter((l) => l.includes('server.js'))) process.kill(Number(p.split(' ')[0]), 'SIGINT');
    await new Promise((res) => setTimeout(res, 20));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(130);
    expect(processesUnder(cache)).toEqual([]);
    // The server stopped by the interrupt is not a commit that crashed.
    expect(r.stdout).not.toMatch(/^skip /m);
  });

  it.each([
    [{ kind: 'http', url: 'http://127.0.0.1:{port}/' }, 'invalid config: probes.bad.start is required (a string)'],
    [{ kind: 'http', start: 'node server.js', url: '127.0.0.1:{port}/' }, "invalid config: probes.bad.url must be an http(s) url like 'http://127.0.0.1:{port}/api'"],
    [{ kind: 'http', start: 'node server.js', url: 'http://127.0.0.1:3000/' }, "invalid config: probes.bad.url needs {port} where the port goes, like 'http://127.0.0.1:{port}/api' (each server is given a free port in PORT), got \"http://127.0.0.1:3000/\""],
    [{ kind: 'http', start: 'node server.js', url: 'http://127.0.0.1:{port}/', metric: 'p98' }, "invalid config: probes.bad.metric must be one of 'p50', 'p90', 'p95', 'p99', 'p99.9', 'mean', 'rps', 'errorRate', 'non2xxRate', got \"p98\""],
    [{ kind: 'http', start: 'node server.js', url: 'http://127.0.0.1:{port}/', connections: 0 }, 'invalid config: probes.bad.connections must be at least 1, got 0'],
    [{ kind: 'http', start: 'node server.js', url: 'http://127.0.0.1:{port}/', amount: 10, duration: 1 }, 'invalid config: probes.bad.amount and duration exclude each other'],
    [{ kind: 'http', start: 'node server.js', url: 'http://127.0.0.1:{port}/', requests: [{ path: 'api' }] }, 'invalid config: probes.bad.requests[0].path must start with /'],
    [{ kind: 'http', start: 'node server.js', url: 'http://127.0.0.1:{port}/', conections: 5 }, 'invalid config: probes.bad.conections is not a known field'],
  ])('rejects a config mistake in one line, exit 2, nothing left behind: %j', async (probe, message) => {
    const cfg = `export default { probes: { bad: ${JSON.stringify(probe)} } };\n`;
    const { repo } = serverRepo({ commits: 1, at: {}, config: cfg });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'bad'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    expect(processesUnder(cache)).toEqual([]);
  });
});
