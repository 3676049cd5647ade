/**
 * Example probes.config.ts: copy it to the root of the repository you bisect and keep the probes
 * you need. `perfbisect --good v1.2 --bad HEAD --probe <name>` picks one by name.
 * Every kind and field is documented in the README ("Probes").
 */
import { defineConfig } from 'perfbisect';

export default defineConfig({
  // Run at every commit, in that commit's own worktree, before it is measured.
  build: 'npm ci && npm run build',
  probes: {
    // Wall time of a command (lower is better).
    bench: { kind: 'command', run: 'node dist/bench.js' },
    // A number the command prints: the first group of `pattern`, from its last match.
    ops: { kind: 'command', run: 'node dist/bench.js', metric: { name: 'ops/s', better: 'higher', pattern: 'ops/s: ([0-9.]+)' } },
    // Or a field of a JSON last line: {"ms": 12.3}.
    parse: { kind: 'command', run: 'node dist/parse-bench.js', metric: { name: 'parse time', unit: 'ms', better: 'lower', field: 'ms' } },
  },
});
