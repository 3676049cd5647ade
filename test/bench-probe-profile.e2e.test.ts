import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './fixtures/repo.js';
// The built probe: its runner is the compiled dist/probes/bench/runner.js beside it.
import { createProbe } from '../dist/probes/index.js';
import { probeContext } from '../dist/harness/measure/probe-context.js';

/** The `bench` probe's CPU profile and one sample, with the harness's real context and real processes. */
describe('bench probe: cpuProfile', () => {
  it('writes a .cpuprofile once per commit as an artifact, and samples from a plain JavaScript file', async () => {
    const dir = tempDir('pb-bench-');
    writeFileSync(join(dir, 'b.bench.mjs'), `export function spin() { let s = 0; for (let i = 0; i < 1e5; i++) s += i; return s; }\n`);
    const events: { type: string; kind?: string; path?: string }[] = [];
    const ctx = probeContext({
      cwd: dir, sha: 'a'.repeat(40), env: process.env as Record<string, string>, signal: new AbortController().signal,
      logFile: join(dir, 'probe.log'), artifactsDir: join(dir, 'artifacts'), emit: (e) => events.push(e as never),
    });
    const raw = { kind: 'bench', file: 'b.bench.mjs', task: 'spin', metric: 'p99', time: 20, iterations: 5 };
    const { probe } = createProbe('spin', { ...raw, cpuProfile: true });
    await probe.prepare!(ctx);
    await probe.prepare!(ctx); // a second block of the same commit: no second profile
    const artifacts = events.filter((e) => e.type === 'artifact');
    expect(artifacts).toHaveLength(1);
    expect(artifacts[0].kind).toBe('cpuprofile');
    expect(existsSync(artifacts[0].path!)).toBe(true);
    expect(JSON.parse(readFileSync(artifacts[0].path!, 'utf8')).nodes.length).toBeGreaterThan(0);
    const s = await probe.sample(ctx);
    expect(s.value).toBeGreaterThan(0);
    expect(Object.keys(s.details ?? {}).sort()).toEqual(['mean', 'p75']);
  }, 60_000);
});
