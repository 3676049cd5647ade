import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteArg, quoteArgs } from '../src/shell-quote.js';

describe('shell quoting', () => {
  it('gives sh back every argument as it was', () => {
    const args = ['plain', 'two words', "it's", '$HOME', '`date`', 'a;b', '*', '', 'new\nline', 'p99=1.5'];
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${quoteArgs(args)}`], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(args);
  });

  it('leaves words that need no quotes readable', () => {
    expect(quoteArg('src/app.js')).toBe('src/app.js');
    expect(quoteArg('--out=a,b')).toBe('--out=a,b');
    expect(quoteArg('a b')).toBe("'a b'");
  });
});
