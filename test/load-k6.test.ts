/**
 * k6 cannot be installed on these machines (no Debian or npm package ships the binary). So: the
 * summary parsing is tested on summaries in the two shapes k6 documents, and the process handling
 * (PATH lookup, BASE_URL, --summary-export, exit code 99 for failed thresholds) with a stand-in
 * `k6` executable that loads the real fixture server and writes a summary export.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseK6Metric, readK6Summary } from '../src/probes/k6/summary.js';
import { runCli } from './fixtures/cli.js';
import { tempDir } from './fixtures/repo.js';
import { processesUnder, serverRepo } from './fixtures/servers.js';
import type { RunResult } from '../src/report/result.js';
import { onLinux } from './fixtures/platform.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/** `k6 run --summary-export=…` output (the legacy export format; thresholds true = failed). */
const exported = {
  root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: {}, checks: {} },
  metrics: {
    http_req_duration: { avg: 12.5, min: 1.1, med: 9.8, max: 250.3, 'p(90)': 20.1, 'p(95)': 31.4, 'p(99)': 201.7, 'p(99.9)': 249.8, thresholds: { 'p(95)<500': false, 'p(99)<100': true } },
    'http_req_duration{expected_response:true}': { avg: 12.4, min: 1.1, med: 9.7, max: 250.3, 'p(90)': 20, 'p(95)': 31, 'p(99)': 200 },
    http_reqs: { count: 400, rate: 195.3 },
    http_req_failed: { passes: 2, fails: 398, value: 0.005, thresholds: { 'rate<0.01': false } },
    vus: { value: 4, min: 4, max: 4 },
    checkout_time: { avg: 3, min: 1, med: 2.5, max: 9, 'p(90)': 7, 'p(95)': 8, 'p(99)': 8.9 },
    orders: { count: 17, rate: 8.5 },
  },
};

/** The same run as handleSummary() gets it (`values`, thresholds `{ ok }`). */
const handleSummaryData = {
  metrics: {
    http_req_duration: { type: 'trend', contains: 'time', values: { avg: 12.5, min: 1.1, med: 9.8, max: 250.3, 'p(90)': 20.1, 'p(95)': 31.4, 'p(99)': 201.7 }, thresholds: { 'p(99)<100': { ok: false } } },
    http_reqs: { type: 'counter', contains: 'default', values: { count: 400, rate: 195.3 } },
    http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.005, passes: 2, fails: 398 } },
  },
};

describe('k6 summary parsing (documented formats)', () => {
  it('splits a metric spec into metric and stat', () => {
    expect(parseK6Metric('http_req_duration.p(99)')).toEqual({ metric: 'http_req_duration', stat: 'p(99)' });
    expect(parseK6Metric('http_req_duration.p(99.9)')).toEqual({ metric: 'http_req_duration', stat: 'p(99.9)' });
    expect(parseK6Metric('http_req_duration{expected_response:true}.p(95)')).toEqual({ metric: 'http_req_duration{expected_response:true}', stat: 'p(95)' });
    expect(parseK6Metric('http_reqs.rate')).toEqual({ metric: 'http_reqs', stat: 'rate' });
    expect(parseK6Metric('orders')).toEqual({ metric: 'orders' });
  });

  it.each([
    ['http_req_duration.p(99)', 201.7],
    ['http_req_duration.p(99.9)', 249.8],
    ['http_req_duration.med', 9.8],
    ['http_req_duration.p(50)', 9.8],
    ['http_req_duration{expected_response:true}.p(95)', 31],
    ['http_reqs.rate', 195.3],
    ['http_reqs', 400],
    ['http_req_failed.rate', 0.005],
    ['http_req_failed', 0.005],
    ['vus.max', 4],
    ['checkout_time.avg', 3],
    ['orders.count', 17],
  ])('reads %s from a --summary-export file', (spec, value) => {
    expect(readK6Summary(exported, parseK6Metric(spec)).value).toBe(value);
  });

  it('reads the handleSummary shape and the writeup figures', () => {
    const f = readK6Summary(handleSummaryData, parseK6Metric('http_req_duration.p(99)'));
    expect(f.value).toBe(201.7);
    expect(f.details).toMatchObject({ p50: 9.8, p95: 31.4, p99: 201.7, rps: 195.3, errorRate: 0.005 });
    expect(readK6Summary(handleSummaryData, parseK6Metric('http_req_failed.rate')).value).toBe(0.005);
  });

  it('reports failed thresholds in both shapes (the export writes true for a failed one)', () => {
    expect(readK6Summary(exported, parseK6Metric('http_reqs.rate')).failedThresholds).toEqual(['http_req_duration: p(99)<100']);
    expect(readK6Summary(handleSummaryData, parseK6Metric('http_reqs.rate')).failedThresholds).toEqual(['http_req_duration: p(99)<100']);
  });

  it('names what is missing', () => {
    expect(() => readK6Summary(exported, parseK6Metric('nope.p(99)'))).toThrow(/k6 reported no metric "nope" \(it has: http_req_duration/);
    expect(() => readK6Summary(exported, parseK6Metric('http_reqs.p(99)'))).toThrow(`k6's metric "http_reqs" has no "p(99)" (it has: count, rate)`);
    expect(() => readK6Summary({}, parseK6Metric('http_reqs'))).toThrow('no "metrics" object');
  });
});

/**
 * A stand-in for the k6 binary: checks the arguments perfbisect passes, sends 5 warm-up and 20 measured
 * sequential GETs to $BASE_URL/api/tasks, and writes a --summary-export file with the measured durations. With
 * STANDIN_THRESHOLD it reports a failed threshold and exits 99, as k6 does.
 */
const standIn = `#!/usr/bin/env node
const fs = require('node:fs');
const a = process.argv.slice(2);
if (a[0] !== 'run') { console.error('stand-in k6: expected "run", got ' + a[0]); process.exit(107); }
const out = a[a.indexOf('--summary-export') + 1];
const stats = a[a.indexOf('--summary-trend-stats') + 1];
const e = a[a.indexOf('-e') + 1];
const script = a[a.length - 1];
if (!fs.existsSync(script)) { console.error('stand-in k6: no script ' + script); process.exit(107); }
if (!stats.includes('p(99)') || e !== 'BASE_URL=' + process.env.BASE_URL) { console.error('stand-in k6: bad args ' + a.join(' ')); process.exit(107); }
(async () => {
  const d = [];
  for (let i = 0; i < 5; i++) await (await fetch(process.env.BASE_URL + '/api/tasks')).text(); // its own warm-up
  for (let i = 0; i < 20; i++) { const t = performance.now(); const r = await fetch(process.env.BASE_URL + '/api/tasks'); await r.text(); d.push(performance.now() - t); }
  d.sort((x, y) => x - y);
  const q = (p) => d[Math.min(d.length - 1, Math.ceil(p * d.length) - 1)];
  const failed = !!process.env.STANDIN_THRESHOLD;
  fs.writeFileSync(out, JSON.stringify({ metrics: {
    http_req_duration: { avg: d.reduce((s, x) => s + x, 0) / d.length, min: d[0], med: q(0.5), max: d[d.length - 1], 'p(90)': q(0.9), 'p(95)': q(0.95), 'p(99)': q(0.99), 'p(99.9)': q(0.999), thresholds: { 'p(99)<1': failed } },
    http_reqs: { count: d.length, rate: 100 },
  } }));
  console.log('stand-in k6: 20 requests');
  process.exit(failed ? 99 : 0);
})();
`;

function standInBin(): string {
  const bin = tempDir('pb-k6bin-');
  writeFileSync(join(bin, 'k6'), standIn);
  chmodSync(join(bin, 'k6'), 0o755);
  return bin;
}

const k6Config = (extra = '') => `export default { probes: {
  k6: { kind: 'k6', start: 'node server.js', script: 'tests/load/api.js', metric: 'http_req_duration.p(95)', url: 'http://127.0.0.1:{port}/api/tasks'${extra} },
} };\n`;

function k6Repo(extra = '') {
  const script = "import http from 'k6/http';\nexport default function () { http.get(`${__ENV.BASE_URL}/api/tasks`); }\n";
  const { repo, shas } = serverRepo({ commits: 2, at: { 2: { spikeMs: 300, spikeEvery: 5 } }, config: k6Config(extra), files: { 'tests/load/api.js': script } });
  cleanups.push(() => repo.cleanup());
  return { repo, shas };
}

describe.runIf(onLinux)('k6 probe with a stand-in k6 executable [Linux: processes from /proc]', { timeout: 240_000 }, () => {
  it('runs the script against the started server at each commit and finds the tail-latency culprit', async () => {
    const { repo, shas } = k6Repo();
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'k6', '--min-samples', '5', '--max-samples', '12', '--no-profile', '--json', join(out, 'r.json')], {
      cwd: repo.dir, cache, env: { PATH: `${standInBin()}:${process.env.PATH}` },
    });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    expect(result.probe.metric).toEqual({ name: 'http_req_duration.p(95)', unit: 'ms', better: 'lower' });
    expect(result.culprit!.details!.after.p95).toBeGreaterThan(250);
    expect(processesUnder(cache)).toEqual([]);
  });

  it('reports failed thresholds as a warning, or fails the commit with failOnThresholds', async () => {
    const { repo } = k6Repo();
    const bin = standInBin();
    const env = { PATH: `${bin}:${process.env.PATH}`, STANDIN_THRESHOLD: '1' };
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'k6', '--min-samples', '3', '--max-samples', '6', '--no-profile'], { cwd: repo.dir, env });
    expect([0, 1, 3], r.all).toContain(r.exitCode);
    expect(r.all).toContain('warning: ');
    expect(r.all).toContain('k6 thresholds failed: http_req_duration: p(99)<1');

    const strict = k6Repo(', failOnThresholds: true');
    const cache = tempDir('pb-cache-');
    const s = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'k6', '--min-samples', '3', '--max-samples', '6', '--no-profile'], { cwd: strict.repo.dir, env, cache });
    expect(s.exitCode, s.all).toBe(2);
    expect(s.stderr).toContain('cannot be measured: the probe failed: k6 thresholds failed: http_req_duration: p(99)<1');
    expect(processesUnder(cache)).toEqual([]);
  });

  it('says k6 is missing and how to point at one (k6Path), exit 4, nothing left behind', async () => {
    const { repo } = k6Repo();
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'k6'], { cwd: repo.dir, cache, env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toContain("k6 is not on PATH: install it (https://grafana.com/docs/k6/latest/set-up/install-k6/; there is no npm package of the binary) or point perfbisect at it with k6Path: '/path/to/k6' in probes.k6.");
    expect(processesUnder(cache)).toEqual([]);

    const bad = k6Repo(", k6Path: '/opt/nowhere/k6'");
    const r2 = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'k6'], { cwd: bad.repo.dir });
    expect(r2.exitCode, r2.all).toBe(4);
    expect(r2.stderr).toContain('probes.k6.k6Path /opt/nowhere/k6 is not an executable k6');
  });

  it('rejects config mistakes in one line, exit 2', async () => {
    for (const [extra, msg] of [
      [", better: 'faster'", "invalid config: probes.k6.better must be one of 'lower', 'higher', got \"faster\""],
      [', failOnThresholds: 1', 'invalid config: probes.k6.failOnThresholds must be true or false'],
      [", k6path: 'x'", 'invalid config: probes.k6.k6path is not a known field'],
    ]) {
      const { repo } = k6Repo(extra);
      const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'k6'], { cwd: repo.dir });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
  });
});
