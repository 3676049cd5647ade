import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, listDirs, repoState, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

/**
 * The `go-bench` probe on a real Go module (no dependencies, so `go test` works offline):
 * Decode sleeps, and the planted regression triples the sleep (sleeps barely move with CPU load).
 */
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
vi.setConfig({ testTimeout: 300_000 });

const codec = (ms: number) => ({
  'internal/codec/codec.go': `package codec\n\nimport "time"\n\n// Decode stands for real work.\nfunc Decode(b []byte) int {\n\ttime.Sleep(${ms} * time.Millisecond)\n\treturn len(b)\n}\n`,
});
const benchTest = {
  'internal/codec/codec_test.go': `package codec\n\nimport "testing"\n\nfunc BenchmarkDecode(b *testing.B) {\n\tbuf := make([]byte, 64)\n\tfor i := 0; i < b.N; i++ {\n\t\tDecode(buf)\n\t}\n}\n`,
};
const config = (extra = '') => ({
  'probes.config.ts': `export default { probes: { decode: { kind: 'go-bench', package: './internal/codec', bench: 'BenchmarkDecode', metric: 'ns/op', count: 5, benchtime: '5x'${extra} } } };\n`,
});
const fast = ['--min-samples', '5', '--max-samples', '20', '--warmup', '0', '--no-profile'];

function goRepo(n: number, regressAt: number, benchFrom = 0) {
  const r = new FixtureRepo();
  cleanups.push(() => r.cleanup());
  const shas: string[] = [];
  for (let i = 0; i <= n; i++) {
    const files: Record<string, string> = i === 0 ? { 'go.mod': 'module example.com/fixture\n\ngo 1.19\n', ...codec(5) } : i === regressAt ? codec(15) : { [`notes/${i}.txt`]: `${i}\n` };
    if (i === benchFrom) Object.assign(files, benchTest);
    shas.push(r.commit(i === regressAt ? `change ${i}: slower decode` : `change ${i}`, files));
  }
  r.tag('good', shas[0]);
  r.tag('bad', shas[n]);
  return { repo: r, shas };
}

describe('go-bench probe', () => {
  it('bisects a Go module to the planted regression and shows a benchstat-style comparison', async () => {
    const { repo, shas } = goRepo(2, 1);
    repo.write(config());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'decode', ...fast, '--json', join(out, 'r.json'), '--report', join(out, 'w.md')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[1]);
    expect(result.probe).toMatchObject({ kind: 'go-bench', metric: { name: 'ns/op', unit: 'ns', better: 'lower' } });
    expect(result.culprit!.change.ratio).toBeGreaterThan(1.8);
    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain('### Benchmark comparison');
    expect(md).toContain('| decode | before ns/op | after ns/op | delta |');
    expect(md).toMatch(/\| good → bad \| [\d.]+ ms ± (\d+%|∞) \| [\d.]+ ms ± (\d+%|∞) \| \+\d+\.\d+% \(p=0\.\d+ n=\d+\+\d+\) \|/);
    expect(md).toContain(`→ ${shas[1].slice(0, 10)} |`);
  });

  it('skips a commit whose package does not compile as one that could not be built, and names the error', async () => {
    // The regression at 4; commit 2, the first midpoint, leaves a variable unused (a compile error in Go), 3 fixes it.
    const broken = 'package codec\n\nfunc helper() int {\n\tc := 1\n\treturn 2\n}\n';
    const fixed = 'package codec\n\nfunc helper() int {\n\treturn 2\n}\n';
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    repo.commit('initial', { 'go.mod': 'module example.com/fixture\n\ngo 1.19\n', ...codec(5), ...benchTest });
    repo.tag('good');
    repo.commit('change 1', { 'notes/1.txt': '1\n' });
    const broke = repo.commit('change 2: helper', { 'internal/codec/helper.go': broken });
    repo.commit('change 3: fix the helper', { 'internal/codec/helper.go': fixed });
    const culprit = repo.commit('change 4: slower decode', codec(15));
    repo.commit('change 5', { 'notes/5.txt': '5\n' });
    repo.tag('bad');
    repo.write(config());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'decode', ...fast, '--json', join(out, 'r.json')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(culprit);
    const skipped = result.commits.find((c) => c.sha === broke);
    expect(skipped?.verdict, r.all).toBe('skipped');
    expect(skipped?.reason).toMatch(/Go package \.\/internal\/codec does not compile at commit [0-9a-f]{10}: internal\/codec\/helper\.go:4:2: .*declared (and|but) not used/);
  });

  it('errors at the good end when the benchmark does not exist there, leaving nothing behind', async () => {
    const { repo, shas } = goRepo(2, 2, 1);
    repo.write(config());
    const before = repoState(repo.dir);
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'decode', ...fast], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    const line = r.stderr.split('\n').find((l) => l.includes('no benchmark'));
    expect(line, r.all).toContain(`no benchmark BenchmarkDecode in package ./internal/codec at commit ${shas[0].slice(0, 10)}`);
    expect(line).toContain('use a --good after it was added');
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    expect(repoState(repo.dir)).toEqual(before);
  });

  it('rejects config mistakes with one line naming the field', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    repo.commit('a');
    repo.commit('b');
    const cache = tempDir('pb-cache-');
    for (const [cfg, msg] of [
      [`bench: 'Decode'`, "probes.decode.bench must name a benchmark function like 'BenchmarkDecode'"],
      [`bench: 'BenchmarkDecode', benchtime: 'fast'`, "probes.decode.benchtime must be a duration like '200ms' or a count like '100x'"],
      [`bench: 'BenchmarkDecode', count: 0`, 'probes.decode.count must be at least 1'],
    ]) {
      repo.write({ 'probes.config.ts': `export default { probes: { decode: { kind: 'go-bench', ${cfg} } } };\n` });
      const r = await runCli(['--good', 'HEAD~1', '--bad', 'HEAD', '--probe', 'decode'], { cwd: repo.dir, cache });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });
});
