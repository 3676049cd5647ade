import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, listDirs, repoState, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

/**
 * The `pytest-benchmark` probe on a real Python package: tokenize() sleeps, and the planted
 * regression triples the sleep. Needs an interpreter with pytest-benchmark (scripts/ci-deps.sh).
 */
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
vi.setConfig({ testTimeout: 420_000 });

const tok = (ms: number) => ({ 'tok/__init__.py': `import time\n\n\ndef tokenize(s):\n    time.sleep(${ms / 1000})\n    return s.split()\n` });
const perfTest = { 'tests/test_perf.py': `from tok import tokenize\n\n\ndef test_tokenize(benchmark):\n    benchmark(tokenize, "a b c")\n` };
const config = (extra = '') => ({
  'probes.config.ts':
    `export default { probes: { tokens: { kind: 'pytest-benchmark', test: 'tests/test_perf.py::test_tokenize', metric: 'median', ` +
    `args: ['--benchmark-min-rounds=5', '--benchmark-max-time=0.02']${extra} } } };\n`,
});
const fast = ['--min-samples', '5', '--max-samples', '20', '--warmup', '0', '--no-profile'];

function pyRepo(n: number, regressAt: number, testFrom = 0) {
  const r = new FixtureRepo();
  cleanups.push(() => r.cleanup());
  const shas: string[] = [];
  for (let i = 0; i <= n; i++) {
    const files: Record<string, string> = i === 0 ? { 'tests/__init__.py': '', ...tok(2) } : i === regressAt ? tok(6) : { [`notes/${i}.txt`]: `${i}\n` };
    if (i === testFrom) Object.assign(files, perfTest);
    shas.push(r.commit(i === regressAt ? `change ${i}: slower tokenize` : `change ${i}`, files));
  }
  r.tag('good', shas[0]);
  r.tag('bad', shas[n]);
  return { repo: r, shas };
}

describe('pytest-benchmark probe', () => {
  it('bisects a Python package to the planted regression, saying which interpreter it used', async () => {
    // Adjacent commits: one pytest run takes seconds, so only the endpoints are measured.
    const { repo, shas } = pyRepo(1, 1);
    repo.write(config());
    const before = repoState(repo.dir);
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'tokens', ...fast, '--json', join(out, 'r.json'), '--report', join(out, 'w.md')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[1]);
    expect(result.probe).toMatchObject({ kind: 'pytest-benchmark', metric: { name: 'median time', unit: 'ms', better: 'lower' } });
    expect(result.culprit!.change.ratio).toBeGreaterThan(1.8);
    expect(r.all).toMatch(/pytest-benchmark [\d.]+ with \/\S*python/);
    expect(readFileSync(join(out, 'w.md'), 'utf8')).toContain('| tokens | before median time | after median time | delta |');
    // pytest-benchmark's own machine info (py-cpuinfo in a subprocess) and git commit info are skipped.
    const report = JSON.parse(readFileSync(join(result.runDir, 'artifacts', shas[1].slice(0, 12), 'pytest-benchmark.json'), 'utf8'));
    expect(report.machine_info).not.toHaveProperty('cpu');
    expect(report.commit_info).toEqual({});
    expect(repoState(repo.dir)).toEqual(before);
  });

  it('errors at the good end when the test does not exist there', async () => {
    const { repo, shas } = pyRepo(2, 2, 1);
    repo.write(config());
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'tokens', ...fast], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    const line = r.stderr.split('\n').find((l) => l.includes('does not exist'));
    expect(line, r.all).toContain(`test tests/test_perf.py::test_tokenize does not exist at commit ${shas[0].slice(0, 10)}`);
    expect(line).toContain('use a --good after it was added');
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('names the missing package when the interpreter has no pytest-benchmark', async () => {
    const { repo } = pyRepo(1, 1);
    const bin = tempDir('pb-bin-');
    const fake = join(bin, 'python3');
    writeFileSync(fake, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'pytest_benchmark\'" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    repo.write(config(`, python: ${JSON.stringify(fake)}`));
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'tokens', ...fast], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(4);
    const line = r.stderr.split('\n').find((l) => l.includes('pytest-benchmark is not installed'));
    expect(line, r.all).toContain(`pytest-benchmark is not installed for ${fake}: install Debian's python3-pytest-benchmark`);
    expect(line).toContain('probes.tokens.python');
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('rejects config mistakes with one line naming the field', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    repo.commit('a');
    repo.commit('b');
    repo.write({ 'probes.config.ts': `export default { probes: { tokens: { kind: 'pytest-benchmark', test: 't.py::x', metric: 'p99' } } };\n` });
    const r = await runCli(['--good', 'HEAD~1', '--bad', 'HEAD', '--probe', 'tokens'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("probes.tokens.metric must be one of 'min', 'median', 'mean', 'max', 'stddev', 'iqr', 'ops'");
  });
});
