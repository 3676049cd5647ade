import { describe, expect, it } from 'vitest';
import { commandCautions } from '../src/probes/command-cautions.js';

const none = () => undefined;

describe('cautions about a command line, said before measuring', () => {
  it('a Python script outside the checkout, with nothing pointing Python at the checkout', () => {
    const [c] = commandCautions("python3 /tmp/bench/cc.py 50", {}, none);
    expect(c).toMatch(/^python3 runs \/tmp\/bench\/cc\.py from outside the checkout: .*PYTHONPATH=\. perfbisect/);
    // A relative PYTHONPATH entry resolves in the checkout, from the environment or the command.
    expect(commandCautions('python3 /tmp/bench/cc.py', { PYTHONPATH: 'src' }, none)).toEqual([]);
    expect(commandCautions("env PYTHONPATH=. python3 -X importtime /tmp/b.py", {}, none).some((x) => x.includes('outside the checkout'))).toBe(false);
    // An absolute one does not (it may even be the user's own checkout).
    expect(commandCautions('python3 /tmp/b.py', { PYTHONPATH: '/home/me/repo' }, none)).toHaveLength(1);
    // A script in the checkout, a module or inline code: Python finds the checkout's code.
    expect(commandCautions('python3 bench.py', {}, none)).toEqual([]);
    expect(commandCautions('python3 -m timeit -s "import x" "x.f()"', {}, none)).toEqual([]);
    expect(commandCautions("node /tmp/bench.js", {}, none)).toEqual([]);
  });

  it('PYTHONPATH or NODE_OPTIONS set inside the command: the culprit would get no profile', () => {
    const c = commandCautions('env PYTHONPATH=src python3 bench.py', {}, none);
    expect(c).toEqual([expect.stringMatching(/^the command sets PYTHONPATH itself: .*so Python is not profiled there; set it outside perfbisect instead \(PYTHONPATH=… perfbisect …\)$/)]);
    expect(commandCautions("NODE_OPTIONS=--max-old-space-size=4096 node bench.js", {}, none)[0]).toMatch(/sets NODE_OPTIONS itself: .*so Node\.js is not profiled/);
  });

  it('PYTHONDONTWRITEBYTECODE inherited, unless the command unsets it', () => {
    const env = { PYTHONDONTWRITEBYTECODE: '1' };
    expect(commandCautions('python3 bench.py', env, none)).toEqual([expect.stringMatching(/^PYTHONDONTWRITEBYTECODE is set: every run compiles/)]);
    expect(commandCautions('env -u PYTHONDONTWRITEBYTECODE python3 bench.py', env, none)).toEqual([]);
    expect(commandCautions('node bench.js', env, none)).toEqual([]);
  });

  it('a pyenv shim on the PATH, not for the interpreter itself', () => {
    const which = (p: string) => `/root/.pyenv/shims/${p}`;
    expect(commandCautions('python3.11 bench.py', {}, which)).toEqual([expect.stringMatching(/^python3\.11 is a pyenv shim here \(\/root\/\.pyenv\/shims\/python3\.11\).*\$\(pyenv which python3\.11\)/)]);
    expect(commandCautions('/root/.pyenv/versions/3.11.9/bin/python3 bench.py', {}, which)).toEqual([]);
  });

  it('looks at every simple command of a line', () => {
    expect(commandCautions('make -s && python3 /abs/b.py || true', {}, none)).toHaveLength(1);
  });
});
