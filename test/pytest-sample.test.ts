import { describe, expect, it } from 'vitest';
import { pytestSample } from '../src/probes/pytest-benchmark.js';

describe('a pytest-benchmark test that pytest does not find', () => {
  const stderr = 'ERROR: not found: /work/bench/test_md.py::test_nope\n(no match in any of [<Module test_md.py>])\n';
  const sha = 'a06659b622aa';
  it('outside the repository: check the path, since no --good brings it', () => {
    const e = (() => {
      try {
        pytestSample('', stderr, 4, { test: '/work/bench/test_md.py::test_nope' } as never, { sha });
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e?.message).toMatch(/does not exist at commit a06659b622: check the path and the test's name \(\/work\/bench\/test_md\.py is an absolute path, the same file at every commit/);
    expect(e?.message).not.toMatch(/--good/);
  });
  it('in the repository: a --good after it was added', () => {
    expect(() => pytestSample('', stderr, 4, { test: 'tests/test_md.py::test_nope' } as never, { sha })).toThrow(
      /use a --good after it was added/,
    );
  });
});
