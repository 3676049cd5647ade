import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { artifactJson, bundleRepo, probesConfig } from './fixtures/bundle-queries-heap.js';
import { listDirs, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';
import type { BundleSizes } from '../src/probes/bundle.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('bundle probe end to end', () => {
  it('finds the commit that pulled in a big module, with per-file and per-module evidence', async () => {
    const { repo, shas } = bundleRepo({ commits: 7, regressAt: 5 });
    cleanups.push(() => repo.cleanup());
    repo.write({ 'probes.config.ts': probesConfig(`size: { kind: 'bundle', build: 'node build.js', files: ['dist/**/*.js'], compression: 'gzip', metric: 'total' }`) });
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'size', '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[5]);
    expect(result.probe.deterministic).toBe(true);
    const before = artifactJson<BundleSizes>(result.runDir, shas[4], 'bundle-sizes');
    const after = artifactJson<BundleSizes>(result.runDir, shas[5], 'bundle-sizes');
    expect(before.files.map((f) => f.file)).toEqual(['dist/app.js', 'dist/vendor.js']);
    expect(after.files[0].gzip).toBeGreaterThan(before.files[0].gzip + 5000);
    expect(after.files[0].brotli).toBeLessThan(after.files[0].raw);
    expect(after.value).toBe(after.files[0].gzip + after.files[1].gzip);
    // The source map attributes the growth to the new module.
    expect(Object.keys(before.sources['dist/app.js'])).toEqual(['src/a.js', 'src/b.js', '[unmapped]']);
    expect(after.sources['dist/app.js']['src/charts.js']).toBeGreaterThan(15_000);
    // The writeup says it too: the file that grew and the module that made it grow.
    const writeup = readFileSync(join(result.runDir, 'writeup.md'), 'utf8');
    expect(writeup).toMatch(/What the probe saw at `[0-9a-f]+`[\s\S]*`dist\/app\.js`[\s\S]*`src\/charts\.js` \(new\)/);
  });

  it('names only the big jump, not the few bytes other commits add beside it', async () => {
    // A bundle of a few hundred bytes grows by ~20 KB at one commit and by 13 bytes (~9%) at four others.
    const { repo, shas } = bundleRepo({ commits: 10, regressAt: 6, tinyAt: [2, 4, 8, 9] });
    cleanups.push(() => repo.cleanup());
    repo.write({ 'probes.config.ts': probesConfig(`size: { kind: 'bundle', build: 'node build.js', files: ['dist/**/*.js'], compression: 'none', metric: 'total' }`) });
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'size', '--no-profile', '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[6]]);
    // The minimum step it looks for is stated, and is far above a few bytes of a bundle this size.
    expect(result.decisions.minStep * result.endpoints.good.median).toBeGreaterThan(100);
    expect(readFileSync(join(result.runDir, 'writeup.md'), 'utf8')).toMatch(/steps smaller than .* are not split out/i);
  });

  it('gives a one-line error naming the field for config mistakes, and leaves nothing behind', async () => {
    const { repo } = bundleRepo({ commits: 2, regressAt: 1 });
    cleanups.push(() => repo.cleanup());
    const cases: [string, RegExp][] = [
      [`size: { kind: 'bundle' }`, /probes\.size\.files is required/],
      [`size: { kind: 'bundle', files: 'dist/*.js', compression: 'zstd' }`, /probes\.size\.compression must be one of 'none', 'gzip', 'brotli'/],
      [`size: { kind: 'bundle', files: ['dist/*.js'], preset: 'vite' }`, /probes\.size\.preset and probes\.size\.files both given/],
    ];
    for (const [probe, msg] of cases) {
      repo.write({ 'probes.config.ts': probesConfig(probe) });
      const cache = tempDir('pb-cache-');
      const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'size'], { cwd: repo.dir, cache });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    }
    // Patterns that match nothing at the good endpoint: it cannot be measured, and the error says why.
    repo.write({ 'probes.config.ts': probesConfig(`size: { kind: 'bundle', build: 'node build.js', files: ['build/**/*.js'] }`) });
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'size'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/cannot be measured: the probe failed: no build output matches build\/\*\*\/\*\.js/);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });
});
