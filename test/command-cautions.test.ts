import { describe, expect, it } from 'vitest';
import { commandCautions } from '../src/probes/command-cautions.js';

const none = () => undefined;

describe('cautions about a command line, said before measuring', () => {
  it('a Python script outside the checkout, with nothing pointing Python at the checkout', () => {
    const [c] = commandCautions("python3 /tmp/bench/cc.py 50", {}, { which: none });
    expect(c).toMatch(/^python3 runs \/tmp\/bench\/cc\.py from outside the checkout: .*as in PYTHONPATH=\. perfbisect/);
    expect(commandCautions('python3 ~/bench/cc.py', {}, { which: none })).toHaveLength(1);
    // An empty entry is the current folder; -E and -I make Python ignore PYTHONPATH.
    expect(commandCautions('python3 /tmp/b.py', { PYTHONPATH: '/opt/lib:' }, { which: none })).toEqual([]);
    expect(commandCautions('python3 -I /tmp/b.py', { PYTHONPATH: 'src' }, { which: none })).toHaveLength(1);
    // A relative PYTHONPATH entry resolves in the checkout, from the environment or the command.
    expect(commandCautions('python3 /tmp/bench/cc.py', { PYTHONPATH: 'src' }, { which: none })).toEqual([]);
    expect(commandCautions("env PYTHONPATH=. python3 -X importtime /tmp/b.py", {}, { which: none }).some((x) => x.includes('outside the checkout'))).toBe(false);
    // An absolute one does not (it may even be the user's own checkout).
    expect(commandCautions('python3 /tmp/b.py', { PYTHONPATH: '/home/me/repo' }, { which: none })).toHaveLength(1);
    // A script in the checkout, a module or inline code: Python finds the checkout's code.
    expect(commandCautions('python3 bench.py', {}, { which: none })).toEqual([]);
    expect(commandCautions('python3 -m timeit -s "import x" "x.f()"', {}, { which: none })).toEqual([]);
    expect(commandCautions("node /tmp/bench.js", {}, { which: none })).toEqual([]);
  });

  it('PYTHONPATH or NODE_OPTIONS set inside the command: the culprit would get no profile', () => {
    const c = commandCautions('env PYTHONPATH=src python3 bench.py', {}, { which: none });
    expect(c).toEqual([expect.stringMatching(/^the command sets PYTHONPATH itself: .*so Python is not profiled there; set it outside perfbisect instead \(PYTHONPATH=… perfbisect …\)$/)]);
    expect(commandCautions("NODE_OPTIONS=--max-old-space-size=4096 node bench.js", {}, { which: none })[0]).toMatch(/sets NODE_OPTIONS itself: .*so Node\.js is not profiled/);
    // Keeping the outer value keeps the profiler's hook; without profiling there is nothing to lose.
    expect(commandCautions('PYTHONPATH=src:$PYTHONPATH python3 bench.py', {}, { which: none })).toEqual([]);
    expect(commandCautions('PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH} python3 bench.py', {}, { which: none })).toEqual([]);
    expect(commandCautions('NODE_OPTIONS="$NODE_OPTIONS --max-old-space-size=4096" node b.js', {}, { which: none })).toEqual([]);
    expect(commandCautions('env PYTHONPATH=src python3 bench.py', {}, { which: none, profiling: false })).toEqual([]);
  });

  it('PYTHONDONTWRITEBYTECODE inherited, unless the command unsets it', () => {
    const env = { PYTHONDONTWRITEBYTECODE: '1' };
    expect(commandCautions('python3 bench.py', env, { which: none })).toEqual([expect.stringMatching(/^PYTHONDONTWRITEBYTECODE is set: every run compiles/)]);
    expect(commandCautions('env -u PYTHONDONTWRITEBYTECODE python3 bench.py', env, { which: none })).toEqual([]);
    expect(commandCautions('env -i PATH=/usr/bin python3 bench.py', env, { which: none })).toEqual([]);
    expect(commandCautions('node bench.js', env, { which: none })).toEqual([]);
  });

  it('a pyenv shim on the PATH, not for the interpreter itself', () => {
    const which = (p: string) => `/root/.pyenv/shims/${p}`;
    expect(commandCautions('python3.11 bench.py', {}, { which })).toEqual([expect.stringMatching(/^python3\.11 is a pyenv shim here \(\/root\/\.pyenv\/shims\/python3\.11\).*\$\(pyenv which python3\.11\)/)]);
    expect(commandCautions('/root/.pyenv/versions/3.11.9/bin/python3 bench.py', {}, { which })).toEqual([]);
  });

  it('looks at every simple command of a line', () => {
    expect(commandCautions('make -s && python3 /abs/b.py || true', {}, { which: none })).toHaveLength(1);
    expect(commandCautions('make -s\npython3 /abs/b.py', {}, { which: none })).toHaveLength(1);
  });
});
