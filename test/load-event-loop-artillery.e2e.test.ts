import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { probeContext } from '../src/harness/measure/probe-context.js';
import { createProbe } from '../src/probes/index.js';
import { readArtilleryReport } from '../src/probes/artillery/report.js';
import type { RunEvent } from '../src/events.js';
import { runCli } from './fixtures/cli.js';
import { tempDir } from './fixtures/repo.js';
import { processesUnder, serverRepo } from './fixtures/servers.js';
import { artifactJson } from './fixtures/bundle-queries-heap.js';
import type { LoopBlocksFile } from '../src/probes/event-loop.js';
import type { RunResult } from '../src/report/result.js';
import { onLinux } from './fixtures/platform.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe.runIf(onLinux)('event-loop probe (a preloaded monitor in the real server) [Linux: processes from /proc]', () => {
  it('finds the commit that blocks the event loop on every 10th request', async () => {
    // 30 requests a sample: 3 blocks of 300 ms at the culprit against none before it.
    const cfg = `export default { probes: {
      loop: { kind: 'event-loop', start: 'node server.js', url: 'http://127.0.0.1:{port}/api/tasks', metric: 'blocks', blockThreshold: 150, connections: 2, amount: 30, warmup: 0.2 },
    } };\n`;
    const { repo, shas } = serverRepo({ commits: 2, at: { 2: { blockMs: 300, blockEvery: 10 } }, config: cfg });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'loop', '--min-samples', '4', '--max-samples', '8', '--no-profile', '--json', join(out, 'r.json')], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    expect(result.culprit!.details!.after.loopMax).toBeGreaterThan(250);
    // The stacks sampled inside the blocks name the function that blocks, in the artifact and the writeup.
    const blocks = artifactJson<LoopBlocksFile>(result.runDir, shas[2], 'event-loop-blocks');
    expect(blocks.blocks).toBeGreaterThan(0);
    // Sampling at 10 ms now and then puts the request handler that calls it on top (seen once in five
    // full runs of the suite), so the check is that the heaviest stacks name it, not that it is first.
    expect(blocks.stacks.flatMap((st) => st.frames)).toContainEqual(expect.stringMatching(/^blockLoop \S*server\.js:\d+$/));
    const writeup = readFileSync(join(result.runDir, 'writeup.md'), 'utf8');
    expect(writeup).toMatch(/Where the loop was blocked[\s\S]*`blockLoop \S*server\.js:\d+`/);
    expect(processesUnder(cache)).toEqual([]);
  });

  it('says so when the app is not a Node process the monitor can be preloaded into', async () => {
    const cfg = `export default { probes: {
      loop: { kind: 'event-loop', start: 'exec python3 -m http.server --bind 127.0.0.1 $PORT', url: 'http://127.0.0.1:{port}/', amount: 10, warmup: 0 },
    } };\n`;
    const { repo } = serverRepo({ commits: 1, at: {}, config: cfg });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'loop'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain('the event-loop monitor did not answer: is the start command a Node.js process that reads NODE_OPTIONS and listens on PORT?');
    expect(processesUnder(cache)).toEqual([]);
  });
});

/**
 * Artillery is an optional peer (~590 MB): it is installed on demand into its own tool folder by
 * scripts/install-artillery.sh (the browser download script denied), never into this project.
 */
function installArtillery(): string | undefined {
  try {
    const script = fileURLToPath(new URL('../scripts/install-artillery.sh', import.meta.url));
    return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 }).trim().split('\n').pop();
  } catch (e) {
    console.warn(`artillery probe: SKIPPED the real Artillery run: installing artillery@2.0.21 failed (${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

const scenario = `config:
  target: "http://127.0.0.1:9"
  phases:
    - duration: 1
      arrivalRate: 10
scenarios:
  - flow:
      - get:
          url: "/api/tasks"
`;

describe.runIf(onLinux)('artillery probe [Linux: processes from /proc]', () => {
  const bin = installArtillery();

  it.skipIf(!bin)('runs a real short scenario against the started server and reads its JSON report', async () => {
    const { repo } = serverRepo({ commits: 1, at: {}, config: 'export default { probes: {} };\n', files: { 'load.yml': scenario } });
    cleanups.push(() => repo.cleanup());
    const run = tempDir('pb-run-');
    const { probe } = createProbe('art', { kind: 'artillery', start: 'node server.js', script: 'load.yml', metric: 'http.response_time.p99', artilleryPath: bin, url: 'http://127.0.0.1:{port}/api/tasks' });
    expect(probe.metric).toEqual({ name: 'http.response_time.p99', unit: 'ms', better: 'lower' });
    const events: RunEvent[] = [];
    const ctx = probeContext({ cwd: repo.dir, sha: 'f'.repeat(40), env: process.env as Record<string, string>, signal: new AbortController().signal, logFile: join(run, 'probe.log'), artifactsDir: join(run, 'artifacts'), emit: (e) => events.push(e) });
    await probe.prepare!(ctx);
    let s;
    try {
      s = await probe.sample(ctx);
    } finally {
      await probe.teardown!(ctx);
    }
    expect(processesUnder(repo.dir)).toEqual([]);
    const reports = readdirSync(join(run, 'artifacts')).filter((f) => f.startsWith('artillery-report-'));
    expect(reports).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(run, 'artifacts', reports[0]), 'utf8'));
    // 1 s at 10 arrivals/s: 10 requests, all answered by the fixture server.
    expect(report.aggregate.counters['http.requests']).toBe(10);
    expect(report.aggregate.counters['http.codes.200']).toBe(10);
    expect(s.value).toBe(report.aggregate.summaries['http.response_time'].p99);
    expect(s.details).toMatchObject({ errorRate: 0, non2xxRate: 0 });
    expect(s.details!.p50).toBe(report.aggregate.summaries['http.response_time'].median);
    expect(readArtilleryReport(report, 'http.codes.200').value).toBe(10);
    expect(readArtilleryReport(report, 'http.response_time.p99.9').value).toBe(report.aggregate.summaries['http.response_time'].p999);
    expect(() => readArtilleryReport(report, 'http.response_time.p42')).toThrow(/Artillery reported no metric "http.response_time.p42" \(it has: .*http.response_time.p99/);
  });

  it('says Artillery is missing and how to install it, exit 4, nothing left behind', async () => {
    const cfg = `export default { probes: { art: { kind: 'artillery', start: 'node server.js', script: 'load.yml' } } };\n`;
    const { repo } = serverRepo({ commits: 1, at: {}, config: cfg, files: { 'load.yml': scenario } });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'art'], { cwd: repo.dir, cache, env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toContain('Artillery is not installed: add it to the project (npm install -D artillery@2.0.21, the newest for Node 20), install it globally (npm install -g artillery@2.0.21), or set artilleryPath');
    expect(processesUnder(cache)).toEqual([]);
    expect(existsSync(join(repo.dir, 'node_modules'))).toBe(false);
  });
});
