/**
 * k6 cannot be installed on these machines (no Debian or npm package ships the binary). So the
 * process handling (PATH lookup, BASE_URL, --summary-export, exit code 99 for failed thresholds) is
 * tested with a stand-in `k6` executable that loads the real fixture server and writes a summary
 * export; the summary parsing on the documented shapes is in k6-summary.test.ts.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { tempDir } from './fixtures/repo.js';
import { processesUnder, serverRepo } from './fixtures/servers.js';
import type { RunResult } from '../src/report/result.js';
import { onLinux } from './fixtures/platform.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/**
 * A stand-in for the k6 binary: checks the arguments perfbisect passes, sends 5 warm-up and 20 measured
 * sequential GETs to $BASE_URL/api/tasks, and writes a --summary-export file with the measured durations. With
 * STANDIN_THRESHOLD it reports a failed threshold and exits 99, as k6 does; at the commit STANDIN_HANG_SHA names
 * it never ends. The GETs go through node:http, not fetch: loading fetch's client adds a tenth of a second or
 * more to every run on a busy machine (and 20 times that to the hang guard).
 */
const standIn = `#!/usr/bin/env node
const fs = require('node:fs');
const a = process.argv.slice(2);
const head = require('node:child_process').execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim();
if (head === process.env.STANDIN_HANG_SHA) setInterval(() => {}, 1000);
else {
if (a[0] !== 'run') { console.error('stand-in k6: expected "run", got ' + a[0]); process.exit(107); }
const out = a[a.indexOf('--summary-export') + 1];
const stats = a[a.indexOf('--summary-trend-stats') + 1];
const e = a[a.indexOf('-e') + 1];
const script = a[a.length - 1];
if (!fs.existsSync(script)) { console.error('stand-in k6: no script ' + script); process.exit(107); }
if (!stats.includes('p(99)') || e !== 'BASE_URL=' + process.env.BASE_URL) { console.error('stand-in k6: bad args ' + a.join(' ')); process.exit(107); }
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true });
const get = () => new Promise((ok, fail) => http.get(process.env.BASE_URL + '/api/tasks', { agent }, (r) => { r.resume(); r.on('end', ok); }).on('error', fail));
(async () => {
  const d = [];
  for (let i = 0; i < 5; i++) await get(); // its own warm-up
  for (let i = 0; i < 20; i++) { const t = performance.now(); await get(); d.push(performance.now() - t); }
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
}
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

/**
 * good, then `commits` commits; the last makes every 10th request wait `spikeMs`. The stand-in's requests are
 * sequential, so any 20 measured ones hold exactly two spikes: its p95 (the second slowest of 20) is a spike's.
 */
function k6Repo(extra = '', spikeMs = 150, commits = 2) {
  const script = "import http from 'k6/http';\nexport default function () { http.get(`${__ENV.BASE_URL}/api/tasks`); }\n";
  const { repo, shas } = serverRepo({ commits, at: { [commits]: { spikeMs, spikeEvery: 10 } }, config: k6Config(extra), files: { 'tests/load/api.js': script } });
  cleanups.push(() => repo.cleanup());
  return { repo, shas };
}

describe.runIf(onLinux)('k6 probe with a stand-in k6 executable [Linux: processes from /proc]', () => {
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
    // The culprit's p95 is the 150 ms spike's.
    expect(result.culprit!.details!.after.p95).toBeGreaterThan(125);
    expect(processesUnder(cache)).toEqual([]);
  });

  it('reports failed thresholds as a warning, or fails the commit with failOnThresholds', async () => {
    // Adjacent commits: only the endpoints are measured, which is all the warning needs (the culprit search
    // itself is the test above).
    const { repo, shas } = k6Repo('', 150, 1);
    const bin = standInBin();
    const env = { PATH: `${bin}:${process.env.PATH}`, STANDIN_THRESHOLD: '1' };
    const out = tempDir('pb-out-');
    const sampling = ['--min-samples', '5', '--max-samples', '12', '--no-profile'];
    const bisect = ['--good', 'good', '--bad', 'bad', '--probe', 'k6', ...sampling];
    const r = await runCli([...bisect, '--json', join(out, 'r.json')], { cwd: repo.dir, env });
    // Failed thresholds are a warning: the commits are measured and the culprit found all the same.
    expect(r.exitCode, r.all).toBe(0);
    expect((JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult).culprit?.sha).toBe(shas[1]);
    expect(r.all).toContain('warning: ');
    expect(r.all).toContain('k6 thresholds failed: http_req_duration: p(99)<1');

    const strict = k6Repo(', failOnThresholds: true', 150, 1);
    const cache = tempDir('pb-cache-');
    const s = await runCli(bisect, { cwd: strict.repo.dir, env, cache });
    expect(s.exitCode, s.all).toBe(2);
    expect(s.stderr).toContain('cannot be measured: the probe failed: k6 thresholds failed: http_req_duration: p(99)<1');
    expect(processesUnder(cache)).toEqual([]);
  });

  it('stops a k6 run that never ends with the hang guard, skips that commit as too slow, and leaves no process', async () => {
    // Short spikes keep bad's longest run, and with it the guard (20 times that), short.
    const { repo, shas } = k6Repo('', 60);
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'k6', '--min-samples', '5', '--max-samples', '12', '--no-profile', '--json', join(out, 'r.json')], {
      cwd: repo.dir, cache, env: { PATH: `${standInBin()}:${process.env.PATH}`, STANDIN_HANG_SHA: shas[1], PERFBISECT_HANG_GUARD_FLOOR: '2' },
    });
    expect(r.exitCode, r.all).toBe(3);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.suspects).toEqual([shas[1], shas[2]]);
    const skipped = result.commits.find((c) => c.sha === shas[1]);
    expect(skipped?.verdict).toBe('skipped');
    expect(skipped?.reason).toMatch(/ran past the hang guard \(20× the longest run so far, at least 2 s; .*\) and was stopped after [\d.]+ s/);
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
