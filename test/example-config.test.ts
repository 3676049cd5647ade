import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/harness/config/loader.js';
import { createProbe, probeKinds } from '../src/probes/index.js';

/** The example at the repository's root is what new users copy: it must load and every probe must be valid. */
describe('the example probes.config.ts', () => {
  it('loads through defineConfig and validates every probe, one of each kind', async () => {
    const cfg = await loadConfig(fileURLToPath(new URL('../probes.config.ts', import.meta.url)));
    const kinds = new Set<string>();
    for (const [name, raw] of Object.entries(cfg.probes)) {
      const { probe } = createProbe(name, raw);
      kinds.add(probe.kind);
    }
    expect([...kinds].sort()).toEqual(Object.keys(probeKinds).sort());
    expect(cfg.probes.p99).toMatchObject({ kind: 'http', metric: 'p99' });
  });
});
