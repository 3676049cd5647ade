import { describe, expect, it } from 'vitest';
import { tailLines } from '../src/errors.js';

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
});
