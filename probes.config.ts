/**
 * Example probes.config.ts: copy it to the root of the repository you bisect and keep the probes
 * you need. `perfbisect --good v1.2 --bad HEAD --probe <name>` picks one by name. Every kind is
 * listed in the README ("Probe kinds") with its doc page; test/example-config.test.ts checks that
 * this file loads and that every probe in it is valid.
 */
import { defineConfig } from 'perfbisect';

export default defineConfig({
  // Run at every commit, in that commit's own worktree, before it is measured.
  build: 'npm ci && npm run build',
  probes: {
    // Wall time of a command (lower is better).
    bench: { kind: 'command', run: 'node dist/bench.js' },
    // A number the command prints: the first group of `pattern`, from its last match.
    ops: {
      kind: 'command',
      run: 'node dist/bench.js',
      metric: { name: 'ops/s', better: 'higher', pattern: 'ops/s: ([0-9.]+)' },
    },
    // Or a field of a JSON last line: {"ms": 12.3}.
    parse: {
      kind: 'command',
      run: 'node dist/parse-bench.js',
      metric: { name: 'parse time', unit: 'ms', better: 'lower', field: 'ms' },
    },

    // The on-call case: start the app on a free port (PORT, {port}), load it with autocannon, take P99 (docs/load-
    // probes.md).
    p99: {
      kind: 'http',
      start: 'node dist/server.js',
      url: 'http://127.0.0.1:{port}/api/tasks',
      metric: 'p99',
      connections: 50,
      duration: 10,
    },
    rps: {
      kind: 'http',
      start: 'node dist/server.js',
      url: 'http://127.0.0.1:{port}/api/tasks',
      metric: 'rps',
      connections: 50,
      duration: 10,
    },
    // Your k6 script or Artillery scenario against the started app (k6 is not shipped: k6Path or PATH).
    k6: {
      kind: 'k6',
      start: 'node dist/server.js',
      url: 'http://127.0.0.1:{port}/',
      script: 'tests/load/api-load-test.js',
      metric: 'http_req_duration.p(99)',
    },
    art: {
      kind: 'artillery',
      start: 'node dist/server.js',
      url: 'http://127.0.0.1:{port}/',
      script: 'load.yml',
      metric: 'http.response_time.p99',
    },
    // Event-loop delay of a Node server under load, with the stacks that block it.
    loop: {
      kind: 'event-loop',
      start: 'node dist/server.js',
      url: 'http://127.0.0.1:{port}/api/tasks',
      metric: 'p99',
    },

    // Your own benchmarks (docs/benchmark-probes.md).
    tiny: { kind: 'bench', file: 'bench/parse.bench.ts', task: 'parse small', metric: 'mean' },
    decode: { kind: 'go-bench', package: './internal/codec', bench: 'BenchmarkDecode', metric: 'ns/op' },
    tokens: { kind: 'pytest-benchmark', test: 'tests/test_perf.py::test_tokenize', metric: 'median' },

    // What CPU timing misses (docs/bundle-queries-heap.md): bytes shipped, queries per request, leaks.
    size: { kind: 'bundle', files: ['dist/**/*.js'], compression: 'gzip', metric: 'total' },
    queries: {
      kind: 'queries',
      start: 'node dist/server.js',
      url: 'http://127.0.0.1:{port}/api/tasks',
      requests: 20,
      database: { setup: 'npm run db:migrate && npm run db:seed' },
    },
    heap: { kind: 'heap', scenario: 'scripts/heap-scenario.js', iterations: 20000 },
  },
});
