import { describe, expect, it } from 'vitest';
import { CommitFailure, errorLine, missingDependencyHint, tailLines } from '../src/errors.js';

describe("an error's log tail", () => {
  it("keeps Node's line that names the error when its stack and details object push it out", () => {
    const stack = Array.from({ length: 7 }, (_, i) => `    at f${i} (x.js:${i})`);
    const out = [
      'node:internal/modules/cjs/loader:1228', '  throw err;', '  ^', '',
      "Error: Cannot find module 'left-pad'", 'Require stack:', '- /x/[eval]', ...stack,
      "  code: 'MODULE_NOT_FOUND',", '  requireStack: [', "    '/x/[eval]'", '  ]', '}', '', 'Node.js v20.20.2',
    ].join('\n');
    const tail = tailLines(out);
    expect(tail).toHaveLength(10);
    expect(tail.slice(0, 2)).toEqual(["Error: Cannot find module 'left-pad'", '…']);
    expect(tail.at(-1)).toBe('Node.js v20.20.2');
  });

  it('is empty for a process that printed nothing, so an error quotes no blank line', () => {
    expect(tailLines('')).toEqual([]);
    expect(tailLines('\n  \n')).toEqual([]);
  });

  it('leaves a tail that is not a stack alone, and does not fetch an old error from far above', () => {
    const log = ['Error: retrying fetch', ...Array.from({ length: 50 }, (_, i) => `    at f${i} (x.js:1)`), 'sh: 1: foo: not found'];
    expect(tailLines(log.join('\n'))).toEqual(log.slice(-10));
    const plain = ['TypeError: one', 'building', 'step 1', 'step 2', 'done', 'exit 1'];
    expect(tailLines(plain.join('\n'), 3)).toEqual(plain.slice(-3));
  });

  it("quotes the line that says why in a skipped commit's one line, not npm's or make's epilogue", () => {
    const npm = ['> x@1.0.0 build', '> tsc', '', "src/a.ts(3,7): error TS2322: Type 'string' is not assignable", 'npm error Lifecycle script `build` failed with error:', 'npm error code 2', 'npm error command sh -c tsc'];
    expect(errorLine(npm)).toBe("src/a.ts(3,7): error TS2322: Type 'string' is not assignable");
    const make = ['cc -O2 -c lz.c', "lz.c:12:5: error: 'x' undeclared", 'make: *** [Makefile:3: lz.o] Error 1'];
    expect(errorLine(make)).toBe("lz.c:12:5: error: 'x' undeclared");
    expect(errorLine(["Error: Cannot find module 'left-pad'", '…', '    at f (x.js:1)', 'Node.js v20.20.2'])).toBe("Error: Cannot find module 'left-pad'");
    expect(errorLine([])).toBeUndefined();
    // npm that could not reach a host: only its own lines, and the one that says why is quoted.
    const offline = [
      'npm error code ENOTFOUND', 'npm error syscall getaddrinfo', 'npm error errno ENOTFOUND',
      'npm error network request to https://github.com/ariya/esprima/tarball/49a2ecc failed, reason: getaddrinfo ENOTFOUND github.com',
      'npm error network This is a problem related to network connectivity.',
      'npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log',
    ];
    expect(errorLine(offline)).toBe(offline[3]);
    expect(errorLine(['npm error code E404', 'npm error 404 Not Found - GET http://127.0.0.1:4873/nope - no such package'])).toMatch(/404 Not Found/);
    const f = new CommitFailure('build', '`npm run build` exited with code 2', undefined, npm);
    expect(f.summary()).toBe(`the build failed: \`npm run build\` exited with code 2; output: "${npm[3]}"`);
    expect(new CommitFailure('probe', '`sh x` exited with code 3').summary()).toBe('the probe failed: `sh x` exited with code 3');
    expect(new CommitFailure('probe', 'x', undefined, ['y'.repeat(300)]).summary().length).toBeLessThan(200);
  });
});

describe('the hint for a missing dependency', () => {
  it('names NODE_PATH only where require() reads it', () => {
    const required = "Error: Cannot find module 'left-pad'\nRequire stack:\n- /x/[eval]\n  code: 'MODULE_NOT_FOUND',";
    expect(missingDependencyHint(required)).toMatch(/--install auto .*set NODE_PATH/);
    const imported = "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /x/a.mjs";
    expect(missingDependencyHint(imported)).toMatch(/--install auto/);
    expect(missingDependencyHint(imported)).not.toMatch(/NODE_PATH/);
    const go = 'main.go:3:8: cannot find package "github.com/x/y" in any of:';
    expect(missingDependencyHint(go)).not.toMatch(/NODE_PATH/);
  });

  it('names a script missing from the checkout by its path in the repository', () => {
    const node = "Error: Cannot find module '/home/u/.cache/perfbisect/worktrees/20261205T091035-3a81bde-e781b18/slot-0/bench/bench.js'";
    expect(missingDependencyHint(node)).toMatch(/^bench\/bench\.js is not in this commit's checkout/);
    const python = "python3: can't open file '/tmp/elsewhere/bench.py': [Errno 2] No such file or directory";
    expect(missingDependencyHint(python)).toMatch(/^bench\.py is not in this commit's checkout/);
  });
});
