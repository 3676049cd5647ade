import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { artifactJson, leakyServerRepo, probesConfig, runArtifacts } from './fixtures/bundle-queries-heap.js';
import { tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import type { HeapDiffRow } from '../src/probes/heap/snapshot-diff.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('heap probe, server form, end to end', () => {
  it('finds the commit whose server keeps every request, sampling heap after GC across requests', async () => {
    // One commit between good and bad keeps the run short: every sample starts a server.
    const { repo, shas } = leakyServerRepo({ commits: 1, regressAt: 1 });
    cleanups.push(() => repo.cleanup());
    repo.write({ 'probes.config.ts': probesConfig(`heap: { kind: 'heap', start: 'node server.mjs', url: 'http://127.0.0.1:{port}/session', iterations: 200, checkpoints: 4 }`) });
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'heap', '--min-samples', '6', '--max-samples', '10', '--warmup', '0', '--no-profile', '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[1]);
    expect(result.probe.deterministic).toBe(false);
    expect(result.probe.metric.name).toBe('heap retained per 1k requests');
    // ~2 KB kept per request at the culprit; the good side's figure is GC noise, which a loaded
    // machine makes larger (3.4× seen), so only "several times more" is certain.
    expect(result.culprit!.change.ratio).toBeGreaterThan(2);
    expect(runArtifacts(result.runDir).filter((a) => a.sha === shas[1] && a.kind === 'heap-snapshot')).toHaveLength(2);
    const diff = artifactJson<{ constructors: HeapDiffRow[] }>(result.runDir, shas[1], 'heap-diff').constructors;
    expect(diff.find((c) => c.name === 'SessionRecord')?.countDelta).toBeGreaterThanOrEqual(200);
  }, 240_000);
});
