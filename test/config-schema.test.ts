import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/config.js';
import { fieldTables, tablesIn, withFieldTables } from '../src/config/field-docs.js';
import { createProbe } from '../src/probes/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const url = 'http://127.0.0.1:{port}/';

/** The one-line error a config gives, or 'no error'. */
function mistake(check: () => unknown): string {
  try {
    check();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}
const probeMistake = (raw: unknown) => mistake(() => createProbe('p', raw));

describe('probe config schemas', () => {
  // The validated config is part of every sample's cache key: the same config must keep the same bytes.
  it('normalizes a config to the same JSON, defaults filled in and in a fixed order', () => {
    const normalized = (raw: unknown) => JSON.stringify(createProbe('p', raw).config);
    expect(normalized({ run: 'node bench.js', timeout: 3, metric: { name: 'ops', pattern: 'ops: ([0-9]+)' } })).toBe(
      '{"kind":"command","run":"node bench.js","timeout":3,' +
        '"metric":{"name":"ops","better":"lower","unit":"","pattern":"ops: ([0-9]+)"}}',
    );
    const http = { kind: 'http', start: 's', url, method: 'post', body: { a: 1 }, requests: [{ path: '/x' }] };
    expect(normalized(http)).toBe(
      `{"kind":"http","metric":"p99","start":"s","url":"${url}","connections":10,"method":"POST",` +
        '"body":"{\\"a\\":1}","warmup":1,"requests":[{"path":"/x"}]}',
    );
    expect(normalized({ kind: 'k6', start: 's', script: 'a.js', metric: 'http_reqs.rate' })).toBe(
      '{"kind":"k6","script":"a.js","metric":"http_reqs.rate","better":"higher","unit":"","start":"s"}',
    );
    expect(normalized({ kind: 'bundle', preset: 'vite' })).toBe(
      '{"kind":"bundle","files":["dist/assets/**/*.js","dist/assets/**/*.css"],"compression":"gzip","metric":"total"}',
    );
    expect(normalized({ kind: 'heap', start: 'node s.js', url, env: { A: '1' } })).toBe(
      `{"kind":"heap","server":{"start":"node s.js","env":{"A":"1"},"url":"${url}"},"iterations":2000,` +
        '"checkpoints":10,"noiseFloor":1024,"deterministic":false,"snapshots":true,"env":{"A":"1"}}',
    );
  });

  it("says before measuring that a go-bench metric go test does not print must come from b.ReportMetric", () => {
    const cautions = (metric?: string) => createProbe('get', { kind: 'go-bench', bench: 'BenchmarkGet', metric }).probe.cautions?.({}, { profiling: true });
    expect(cautions()).toEqual([]);
    expect(cautions('allocs/op')).toEqual([]);
    expect(cautions('ns/opp')).toEqual([
      "probes.get.metric 'ns/opp' is not one of go test's own units (ns/op, B/op, allocs/op, MB/s): " +
        'BenchmarkGet must report it with b.ReportMetric, or the first measurement fails',
    ]);
  });

  it('names the field of the first mistake in one line, a misspelled field first', () => {
    expect(probeMistake({ kind: 'command', rnu: 'x' })).toBe(
      'invalid config: probes.p.rnu is not a known field (known: kind, run, build, env, timeout, metric)',
    );
    expect(probeMistake({ run: 'x', metric: { name: 'n', pattern: 'a' } })).toBe(
      'invalid config: probes.p.metric.pattern needs a capture group around the number, like "ops/s: ([0-9.]+)"',
    );
    expect(probeMistake({ run: 'x', metric: 'p99' })).toMatch(
      /^invalid config: probes\.p\.metric must be 'wall', 'cpu', or an object/,
    );
    expect(probeMistake({ run: 'x', env: { A: 1 } })).toBe('invalid config: probes.p.env.A must be a string, got 1');
    expect(probeMistake({ kind: 'http', start: 's', url, ready: 'http://127.0.0.1:8080/health' })).toMatch(
      /^invalid config: probes\.p\.ready needs \{port\} where the port goes, like 'http:\/\/127\.0\.0\.1:\{port\}\/health'/,
    );
    expect(probeMistake({ kind: 'http', start: 's', url, requests: [{ path: '/a', wieght: 1 }] })).toBe(
      'invalid config: probes.p.requests[0].wieght is not a known field (known: method, path, headers, body, weight)',
    );
    expect(probeMistake({ kind: 'go-bench', bench: 'BenchmarkX', count: 101 })).toBe(
      'invalid config: probes.p.count must be at most 100, got 101',
    );
    expect(probeMistake({ kind: 'heap', start: 'n', url, iterations: 5 })).toBe(
      'invalid config: probes.p.iterations must be at least 10, got 5',
    );
    expect(probeMistake({ kind: 'toString' })).toMatch(
      /^invalid config: probes\.p\.kind "toString" is not a probe kind/,
    );
    // null reads as absent, as in a config assembled from JSON.
    expect(probeMistake({ run: 'x', build: null, timeout: null })).toBe('no error');
  });

  it('checks the top level of probes.config.ts', () => {
    const topMistake = (raw: unknown) => mistake(() => validateConfig(raw, 'probes.config.ts'));
    expect(topMistake({ prbes: {} })).toBe(
      'invalid config: config.prbes is not a known field (known: build, install, env, probes)',
    );
    expect(topMistake({ probes: {} })).toMatch(/^invalid config: config\.probes must name at least one probe/);
    const wrapped = { default: { build: 'make', probes: { b: { run: 'x' } } } };
    expect(validateConfig(wrapped, 'probes.config.ts')).toEqual(wrapped.default);
  });
});

describe('the docs tables of config fields', () => {
  const docs = readdirSync(`${root}docs`).filter((f) => f.endsWith('.md'));
  const files = ['README.md', ...docs.map((f) => `docs/${f}`)];
  const texts = Object.fromEntries(files.map((f) => [f, readFileSync(`${root}${f}`, 'utf8')]));

  it('are what the schemas say (npm run docs:fields rewrites them)', () => {
    for (const [file, text] of Object.entries(texts)) expect(withFieldTables(text), file).toBe(text);
  });

  it('show every probe kind, the server fields and the top level once each', () => {
    const shown = Object.values(texts).flatMap(tablesIn).sort();
    expect(shown).toEqual(Object.keys(fieldTables).sort());
  });
});
