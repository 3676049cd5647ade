import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { artifactJson, heapRepo, probesConfig, runArtifacts } from './fixtures/bundle-queries-heap.js';
import { tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import { diffSnapshots, slope, type HeapDiffRow } from '../src/probes/heap/snapshot-diff.js';
import { renderHeapEvidence } from '../src/report/evidence/heap.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('heap probe end to end', () => {
  it('finds the leaking commit, with two heap snapshots and a constructor diff', async () => {
    const { repo, shas } = heapRepo({ commits: 6, regressAt: 3 });
    cleanups.push(() => repo.cleanup());
    repo.write({ 'probes.config.ts': probesConfig(`heap: { kind: 'heap', scenario: 'scenario.mjs', iterations: 5000 }`) });
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'heap', '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[3]);
    const snaps = runArtifacts(result.runDir).filter((a) => a.sha === shas[3] && a.kind === 'heap-snapshot').map((a) => a.path);
    expect(snaps).toHaveLength(2);
    for (const s of snaps) {
      expect(s).toMatch(/-(before|after)\.heapsnapshot$/);
      expect(JSON.parse(readFileSync(s, 'utf8')).snapshot.meta.node_fields).toContain('self_size');
    }
    type Diff = { constructors: HeapDiffRow[] };
    const leaky = artifactJson<Diff>(result.runDir, shas[3], 'heap-diff').constructors;
    // Among the constructors that grew most (its label strings grow alongside it).
    expect(leaky.slice(0, 3).map((c) => c.name)).toContain('LeakyEntry');
    expect(leaky.find((c) => c.name === 'LeakyEntry')!.countDelta).toBeGreaterThanOrEqual(4500);
    const clean = artifactJson<Diff>(result.runDir, shas[2], 'heap-diff').constructors;
    expect(clean.find((c) => c.name === 'LeakyEntry')?.countDelta ?? 0).toBeLessThan(100);
    expect(readFileSync(join(result.runDir, 'writeup.md'), 'utf8')).toMatch(/What the probe saw[\s\S]*\| `LeakyEntry` \|/);
  });

  it('rejects a scenario that is not a JavaScript module, and one that cannot run', async () => {
    const { repo } = heapRepo({ commits: 2, regressAt: 1 });
    cleanups.push(() => repo.cleanup());
    repo.write({ 'probes.config.ts': probesConfig(`heap: { kind: 'heap', scenario: 'scenario.ts' }`) });
    let r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'heap'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/probes\.heap\.scenario must be a JavaScript module/);
    repo.write({ 'probes.config.ts': probesConfig(`heap: { kind: 'heap', scenario: 'missing.mjs', iterations: 100 }`) });
    r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'heap'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/cannot be measured: the probe crashed: the heap scenario missing\.mjs exited with code 1/);
  });

  it('diffs real heap snapshots (from the built runner in a small child process) by constructor', async () => {
    const dir = tempDir('pb-heap-');
    // Each Kept holds about 600 bytes: 3000 of them stand well clear of the few hundred KB the heap
    // moves by between checkpoints whatever the scenario does.
    const scenario = [
      'class Kept { constructor(i) { this.i = i; this.pad = new Array(64).fill(i); } }',
      'const keep = [];',
      'export default (i) => { keep.push(new Kept(i)); };',
    ].join('\n');
    writeFileSync(join(dir, 's.mjs'), scenario);
    const runner = fileURLToPath(new URL('../dist/probes/heap/runner.js', import.meta.url));
    const args = ['--expose-gc', runner, 's.mjs', '3000', '3', join(dir, 'h')];
    const out = execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
    type RunnerOutput = { points: [number, number][]; snapshots: string[] };
    const { points, snapshots } = JSON.parse(out.trim().split('\n').pop()!) as RunnerOutput;
    expect(points.map((p) => p[0])).toEqual([0, 1000, 2000, 3000]);
    expect(slope(points) * 1000).toBeGreaterThan(10_000);
    const [before, after] = snapshots.map((file) => JSON.parse(readFileSync(file, 'utf8')));
    const rows = diffSnapshots(before, after);
    rmSync(dir, { recursive: true, force: true });
    expect(rows.find((r) => r.name === 'Kept')?.countDelta).toBe(3000);
    const files = { before: '/x/a b.heapsnapshot', after: '/x/b.heapsnapshot' };
    const md = renderHeapEvidence(undefined, { ...files, constructors: rows }).join('\n');
    expect(md).toMatch(/\| `Kept` \| 1000 \| 4000 \| \+3000 \|/);
    expect(md).toContain('[before](/x/a%20b.heapsnapshot)');
  });
});
