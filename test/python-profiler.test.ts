import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pythonProfilerEnv } from '../src/harness/profilers/python-profiler.js';
import { tempDir } from './fixtures/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => execFileSync('rm', ['-rf', d])));

/** The first of these that runs, if any: old history is often bisected with the interpreter of its day. */
function interpreter(candidates: string[]): string | undefined {
  return candidates.find((c) => {
    try {
      execFileSync(c, ['-c', 'pass'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

const pyenv = process.env.PYENV_ROOT ?? join(process.env.HOME ?? '/root', '.pyenv');
const pyenv2 = existsSync(join(pyenv, 'versions'))
  ? readdirSync(join(pyenv, 'versions')).filter((v) => v.startsWith('2.')).map((v) => join(pyenv, 'versions', v, 'bin', 'python'))
  : [];
const python2 = interpreter(['python2.7', 'python2', ...pyenv2]);

/** Run a script under `python` with the profiler's environment; the functions its JSON names. */
function profiled(
  python: string,
  modules: Record<string, string> = {},
  body = 'def busy_loop(n):\n    return sum(i * i for i in range(n))\n\nbusy_loop(20000)\n',
): { functions: string[]; files: string[]; ownSiteRan: boolean } {
  const dir = tempDir('pb-pyprof-');
  dirs.push(dir);
  // A sitecustomize of the machine's own, which ours shadows and must still run.
  const own = join(dir, 'own-site');
  execFileSync('mkdir', ['-p', own]);
  writeFileSync(join(own, 'sitecustomize.py'), `import os\nopen(os.path.join(${JSON.stringify(dir)}, 'own-ran'), 'w').close()\n`);
  const script = join(dir, 'work.py');
  writeFileSync(script, body);
  for (const [f, text] of Object.entries(modules)) {
    execFileSync('mkdir', ['-p', join(dir, f, '..')]);
    writeFileSync(join(dir, f), text);
  }
  const out = join(dir, 'prof');
  const env = pythonProfilerEnv(dir, own)(out);
  execFileSync(python, [script], { env: { ...process.env, ...env } });
  const files = existsSync(out) ? readdirSync(out) : [];
  const json = files.find((f) => f.endsWith('.pstats.json'));
  const functions = json
    ? (JSON.parse(readFileSync(join(out, json), 'utf8')) as { functions: unknown[][] }).functions.map((f) => String(f[2]))
    : [];
  return { functions, files, ownSiteRan: existsSync(join(dir, 'own-ran')) };
}

describe('the Python profiler (sitecustomize)', () => {
  it('profiles a Python 3 process, writes pstats and its JSON, and still runs the sitecustomize it shadows', () => {
    const r = profiled('python3');
    expect(r.functions).toContain('busy_loop');
    expect(r.files.some((f) => f.endsWith('.pstats'))).toBe(true);
    expect(r.ownSiteRan).toBe(true);
  });

  it('keeps profiling through pytest-benchmark pausing profilers around the timed code', () => {
    // The same pause and resume as pytest_benchmark.fixture.PauseInstrumentation, from a module of that name.
    const r = profiled('python3', {
      'pytest_benchmark/__init__.py': '',
      'pytest_benchmark/fixture.py':
        'import sys\ndef timed(fn, n):\n    prev = sys.getprofile()\n    sys.setprofile(None)\n    try:\n        return fn(n)\n' +
        '    finally:\n        if prev:\n            sys.setprofile(prev)\n',
    }, 'import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\nfrom pytest_benchmark.fixture import timed\n' +
      'def busy_loop(n):\n    return sum(i * i for i in range(n))\n\ntimed(busy_loop, 20000)\n');
    expect(r.functions).toContain('busy_loop');
  });

  it.skipIf(!python2)('profiles a Python 2.7 process the same way (old history needs the old interpreter)', () => {
    const r = profiled(python2!);
    expect(r.functions).toContain('busy_loop');
    expect(r.files.some((f) => f.endsWith('.pstats'))).toBe(true);
    expect(r.ownSiteRan).toBe(true);
  });
});
