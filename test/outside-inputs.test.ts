import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outsideInputs, outsidePart, shellWords } from '../src/harness/store/outside-inputs.js';
import { tempDir } from './fixtures/repo.js';

const dir = tempDir('pb-outside-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH };

describe('what a probe reads from outside the commit', () => {
  const script = join(dir, 'bench.js');
  const input = join(dir, 'input.json');
  writeFileSync(script, 'console.log(1)\n');
  writeFileSync(input, '[1]\n');
  mkdirSync(join(dir, 'folder'));

  it('names the files its command names by absolute path, flags and variables included, and the program it starts', () => {
    const out = outsideInputs({ command: `node ${script} --data=${input} ${join(dir, 'folder')} ${join(dir, 'missing.js')} rel.js` }, env);
    expect(Object.keys(out)).toContain(script);
    expect(Object.keys(out)).toContain(input);
    expect(Object.keys(out).some((k) => /\/node$/.test(k))).toBe(true);
    // A folder, a file that does not exist and a path inside the worktree are not outside inputs.
    expect(Object.keys(out)).not.toContain(join(dir, 'folder'));
    expect(Object.keys(out)).not.toContain(join(dir, 'missing.js'));
    expect(Object.keys(out).some((k) => k.endsWith('rel.js'))).toBe(false);
  });

  it('reads a command line as the shell does: quotes, a path with spaces, operators', () => {
    expect(shellWords(`sh -c 'node "/tmp/My Bench/b.js" && cat x' > /tmp/out.txt 2>/tmp/err|tee /tmp/log`)).toEqual([
      'sh', '-c', 'node "/tmp/My Bench/b.js" && cat x', '>', '/tmp/out.txt', '2>', '/tmp/err', '|', 'tee', '/tmp/log',
    ]);
    expect(shellWords(`a&&b --data='/tmp/x y' c\\ d`)).toEqual(['a', '&&', 'b', '--data=/tmp/x y', 'c d']);
  });

  it('stamps a script whose path has spaces, and not what the command writes or a field that is one word', () => {
    const spaced = join(dir, 'My Bench');
    mkdirSync(spaced);
    writeFileSync(join(spaced, 'b.js'), '1\n');
    const out = join(dir, 'out.txt');
    writeFileSync(out, 'an earlier run\n');
    const keys = Object.keys(outsideInputs({ run: `node '${join(spaced, 'b.js')}' > ${out}`, metric: 'wall', also: `node ${script} | tee ${out}` }, env));
    expect(keys).toContain(join(spaced, 'b.js'));
    expect(keys).toContain(script);
    expect(keys).not.toContain(out);
    expect(keys.some((k) => k.endsWith('/wall'))).toBe(false);
  });

  it('finds a path inside a quoted shell command line', () => {
    expect(Object.keys(outsideInputs({ command: `sh -c 'node ${script} && cat "${input}"'` }, env))).toEqual(expect.arrayContaining([script, input]));
  });

  it('changes when the script is edited, and not when nothing changed', () => {
    const def = { command: `node '${script}'` };
    const before = outsideInputs(def, env);
    expect(outsideInputs(def, env)).toEqual(before);
    writeFileSync(script, 'console.log(2)\n');
    expect(outsideInputs(def, env)[script]).not.toBe(before[script]);
  });

  it('includes the variables that change what Node.js, Python and Go load, and only those', () => {
    const out = outsideInputs({ command: 'true' }, { NODE_PATH: '/opt/lib', GOMAXPROCS: '2', TERM: 'xterm' });
    expect(out).toEqual({ $NODE_PATH: '/opt/lib', $GOMAXPROCS: '2' });
  });

  it('follows what an outside script loads beside it: JavaScript helpers, its package manifest, Python modules', () => {
    const bench = join(dir, 'js-bench');
    mkdirSync(join(bench, 'lib'), { recursive: true });
    writeFileSync(join(bench, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(bench, 'package-lock.json'), '{}\n');
    writeFileSync(join(bench, 'main.mjs'), `import { a } from './lib/a.js';\nimport x from 'lodash';\nconst b = await import("./b");\n`);
    writeFileSync(join(bench, 'lib', 'a.ts'), `export * from '../c.cjs';\n`);
    writeFileSync(join(bench, 'b.js'), '1\n');
    writeFileSync(join(bench, 'c.cjs'), `module.exports = require('./main.mjs');\n`);
    writeFileSync(join(bench, 'unused.js'), '1\n');
    const keys = Object.keys(outsideInputs({ command: `node ${join(bench, 'main.mjs')}` }, env));
    for (const f of ['main.mjs', 'lib/a.ts', 'b.js', 'c.cjs', 'package.json', 'package-lock.json']) expect(keys).toContain(join(bench, f));
    expect(keys).not.toContain(join(bench, 'unused.js'));

    const py = join(dir, 'py-bench');
    mkdirSync(join(py, 'pkg'), { recursive: true });
    writeFileSync(join(py, 'bench.py'), 'import os, helpers\nfrom pkg import thing\nimport numpy as np\n');
    writeFileSync(join(py, 'helpers.py'), 'from .pkg.thing import x\n');
    writeFileSync(join(py, 'pkg', '__init__.py'), '');
    writeFileSync(join(py, 'pkg', 'thing.py'), 'x = 1\n');
    const pyKeys = Object.keys(outsideInputs({ command: `python3 ${join(py, 'bench.py')}` }, env));
    for (const f of ['helpers.py', 'pkg/__init__.py', 'pkg/thing.py']) expect(pyKeys).toContain(join(py, f));

    // An edited helper is a new measurement.
    const before = outsideInputs({ command: `node ${join(bench, 'main.mjs')}` }, env);
    writeFileSync(join(bench, 'lib', 'a.ts'), `export * from '../c.cjs';\nexport const slower = 1;\n`);
    expect(outsideInputs({ command: `node ${join(bench, 'main.mjs')}` }, env)).not.toEqual(before);
  });

  it('adds nothing to a key when the probe reads nothing from outside', () => {
    expect(outsidePart(outsideInputs({ command: 'sh work.sh', metric: 'wall' }, {}))).toEqual({});
  });
});
