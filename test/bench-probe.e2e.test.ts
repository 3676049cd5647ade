import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, listDirs, repoState, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

/**
 * The `bench` probe (tinybench) on a real Node repository: `parse()` blocks the thread for `ms`
 * (Atomics.wait, so CPU load barely moves it); the planted regression quadruples it.
 */
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
vi.setConfig({ testTimeout: 400_000 });

const lib = (ms: number) => ({
  'src/parse.js': `export function parse(s) {\n  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});\n  return s.length;\n}\n`,
});
// TypeScript, plain task functions keyed by task name (names may have spaces).
const benchFile = {
  'bench/parse.bench.ts': `import { parse } from '../src/parse.js';\nconst input: string = 'a small input';\nexport default { 'parse small': (): number => parse(input) };\n`,
};
// The same in JavaScript, which the runner loads natively: TypeScript goes through jiti, half a second or
// more of every run on a busy machine. The tests that are not about TypeScript use it.
const jsBenchFile = {
  'bench/parse.bench.js': `import { parse } from '../src/parse.js';\nconst input = 'a small input';\nexport default { 'parse small': () => parse(input) };\n`,
};
const config = (file: string) => ({
  'probes.config.ts': `export default { probes: { parse: { kind: 'bench', file: ${JSON.stringify(file)}, task: 'parse small', metric: 'mean', time: 20, iterations: 5 } } };\n`,
});
const fast = ['--min-samples', '5', '--max-samples', '20', '--warmup', '0', '--no-profile'];

/**
 * commits 0..n; `benchAt(i)` says whether the bench file (TypeScript, or `js`) exists at commit i; regression
 * (2 ms → 8 ms) at `regressAt`.
 */
function nodeRepo(n: number, regressAt: number, benchAt: (i: number) => boolean, js = false) {
  const bench = js ? jsBenchFile : benchFile;
  const r = new FixtureRepo();
  cleanups.push(() => r.cleanup());
  const shas: string[] = [];
  for (let i = 0; i <= n; i++) {
    const files: Record<string, string> = { 'package.json': '{ "type": "module" }\n', ...(i === 0 || i === regressAt ? lib(i >= regressAt ? 8 : 2) : { [`notes/${i}.txt`]: `${i}\n` }) };
    if (benchAt(i)) Object.assign(files, bench);
    else if (i > 0 && benchAt(i - 1)) r.git('rm', '-q', Object.keys(bench)[0]);
    shas.push(r.commit(i === regressAt ? `change ${i}: slower parse` : `change ${i}`, files));
  }
  r.tag('good', shas[0]);
  r.tag('bad', shas[n]);
  return { repo: r, shas };
}

describe('bench probe (tinybench)', () => {
  it('finds the culprit from a TypeScript benchmark file, one fresh process per sample', async () => {
    const { repo, shas } = nodeRepo(2, 1, () => true);
    repo.write(config('bench/parse.bench.ts'));
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'parse', ...fast, '--json', join(out, 'r.json'), '--report', join(out, 'w.md')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[1]);
    expect(result.probe).toMatchObject({ kind: 'bench', metric: { name: 'mean latency', unit: 'ms', better: 'lower' } });
    expect(result.culprit!.change.ratio).toBeGreaterThan(1.8);
    expect(readFileSync(join(out, 'w.md'), 'utf8')).toContain('P99 latency');
  });

  it('errors at the good end when the file does not exist there, and a file kept outside the repository fixes it', async () => {
    // Adjacent commits keep it short: only the endpoints are measured.
    const { repo, shas } = nodeRepo(1, 1, (i) => i >= 1, true);
    repo.write(config('bench/parse.bench.js'));
    const before = repoState(repo.dir);
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'parse', ...fast], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    const line = r.stderr.split('\n').find((l) => l.includes('does not exist'));
    // (The harness names the block's target as the endpoint; the probe names the commit it failed at.)
    expect(line, r.all).toContain(`cannot be measured: the probe failed: benchmark file bench/parse.bench.js does not exist at commit ${shas[0].slice(0, 10)}`);
    expect(line).toContain('use a --good after the file was added');
    expect(line).toContain('outside the repository');
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    expect(repoState(repo.dir)).toEqual(before);

    // The same benchmark kept outside the repository, as a configured Bench, imports each commit's code.
    const outside = tempDir('pb-benchfile-');
    const file = join(outside, 'parse.bench.ts');
    writeFileSync(
      file,
      `import { Bench } from 'tinybench';\nimport { join } from 'node:path';\nimport { pathToFileURL } from 'node:url';\n` +
        `const { parse } = await import(pathToFileURL(join(process.env.PERFBISECT_WORKTREE!, 'src/parse.js')).href);\n` +
        `export const bench = new Bench({ time: 20, iterations: 5, warmupIterations: 1 });\nbench.add('parse small', () => parse('x')).add('other', () => 1);\n`,
    );
    repo.write(config(file));
    const out = tempDir('pb-out-');
    const ok = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'parse', ...fast, '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(ok.exitCode, ok.all).toBe(0);
    expect((JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult).culprit?.sha).toBe(shas[1]);
  });

  it('skips a commit in the middle where the file is missing, and names it among the suspects', async () => {
    // The file is gone at commit 1, exactly where the regression lands: the culprit cannot be pinned.
    const { repo, shas } = nodeRepo(2, 1, (i) => i !== 1, true);
    repo.write(config('bench/parse.bench.js'));
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'parse', ...fast, '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(3);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('ambiguous');
    expect(result.suspects).toEqual([shas[1], shas[2]]);
    const skipped = result.commits.find((c) => c.sha === shas[1]);
    expect(skipped?.verdict).toBe('skipped');
    expect(skipped?.reason).toContain(`does not exist at commit ${shas[1].slice(0, 10)}`);
  });

  it('stops a benchmark that hangs with the hang guard, skips that commit as too slow, and leaves no process', async () => {
    // Commit 2 waits forever; commit 3 finishes again, slower (8 ms): the step lies at 2 or 3. The guard is
    // 20 times the longest run: a JavaScript benchmark file keeps the runs, and so the guard, short.
    const r0 = new FixtureRepo();
    cleanups.push(() => r0.cleanup());
    const hang = { 'src/parse.js': 'export function parse(s) {\n  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n  return s.length;\n}\n' };
    const files = [
      { 'package.json': '{ "type": "module" }\n', ...lib(2), ...jsBenchFile, ...config('bench/parse.bench.js') },
      { 'notes/1.txt': '1\n' },
      hang,
      lib(8),
      { 'notes/4.txt': '4\n' },
    ];
    const shas = files.map((f, i) => r0.commit(`change ${i}`, f));
    r0.tag('good', shas[0]);
    r0.tag('bad', shas[4]);
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'parse', ...fast, '--json', join(out, 'r.json')], {
      cwd: r0.dir,
      env: { PERFBISECT_HANG_GUARD_FLOOR: '2' },
    });
    expect(r.exitCode, r.all).toBe(3);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('ambiguous');
    expect(result.suspects).toEqual([shas[2], shas[3]]);
    const skipped = result.commits.find((c) => c.sha === shas[2]);
    expect(skipped?.verdict).toBe('skipped');
    expect(skipped?.reason).toMatch(/ran past the hang guard \(20× the longest run so far, at least 2 s; .*\) and was stopped after [\d.]+ s/);
    // The stopped benchmark's whole process tree is gone (only this file's tests run parse.bench.js).
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('parse.bench.js'))).toEqual([]);
  });

  it('rejects config mistakes with one line naming the field', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    repo.commit('a');
    repo.commit('b');
    repo.write({ 'probes.config.ts': `export default { probes: { parse: { kind: 'bench', file: 'b.ts', task: 't', metric: 'median' } } };\n` });
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'HEAD~1', '--bad', 'HEAD', '--probe', 'parse'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("probes.parse.metric must be one of 'mean', 'p75', 'p99', 'throughput'");
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    repo.write({ 'probes.config.ts': `export default { probes: { parse: { kind: 'bench', file: 'b.ts' } } };\n` });
    const r2 = await runCli(['--good', 'HEAD~1', '--bad', 'HEAD', '--probe', 'parse'], { cwd: repo.dir, cache });
    expect(r2.exitCode, r2.all).toBe(2);
    expect(r2.stderr).toContain('probes.parse.task is required');
  });
});
