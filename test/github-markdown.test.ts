import { describe, expect, it } from 'vitest';
import { md, mdCode, mdFence } from '../src/report/escape.js';
import { fitBody, ghTitle, hasMarker, hiddenMarker } from '../src/report/github-markdown.js';

/** Text a hostile commit could carry into a comment: every construct GitHub Markdown would act on. */
const hostile =
  '**bold** _em_ [click](https://evil.example) ![x](y.png) <img src=x onerror=alert(1)> <!-- a | b | ' +
  '@octocat #12 octo/repo#3 GH-9 $x^2$ ~~gone~~ &amp; `code` \x1b[31mred\x1b[0m \u202egnp.exe\nsecond line';
/** What acts wherever it stands in a line; `&` only where it starts an entity (`&amp;`). */
const actsAnywhere = /[\\`*_[\]<#|~$]|&(?=#?\w+;)/y;

/** Every character that acts anywhere in a line is backslash-escaped (the escape itself included). */
function allEscaped(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else {
      actsAnywhere.lastIndex = i;
      if (actsAnywhere.test(s)) return false;
    }
  }
  return true;
}

describe('GitHub Markdown escaping of repository text', () => {
  it('leaves no Markdown, HTML, mention, reference, control sequence or bidi override active', () => {
    const t = md(hostile);
    expect(allEscaped(t), t).toBe(true);
    expect(t).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\n]/);
    // GitHub finds mentions and references after rendering: a zero-width space breaks them, a backslash does not.
    expect(t).toContain('@\u200boctocat');
    expect(t).toContain('\\#\u200b12');
    expect(t).toContain('repo\\#\u200b3');
    expect(t).toContain('GH-\u200b9');
    expect(t).not.toMatch(/@[a-z]/);
    // Readable text stays readable.
    expect(t.replace(/\\(.)/g, '$1').replace(/\u200b/g, '')).toBe(
      '**bold** _em_ [click](https://evil.example) ![x](y.png) <img src=x onerror=alert(1)> <!-- a | b | @octocat #12 octo/repo#3 GH-9 ' +
        '$x^2$ ~~gone~~ &amp; `code` red gnp.exe second line',
    );
  });

  it('keeps a line from starting a list, a heading or a quote, and cuts long text', () => {
    const lines: [string, string][] = [
      ['1. first', '1\\. first'],
      ['- item', '\\- item'],
      ['# title', '\\# title'],
      ['> quote', '\\> quote'],
      ['+ item', '\\+ item'],
      ['  === ', '\\=== '],
      ['---', '\\---'],
      ['    indented', 'indented'],
      // A marker that acts only with a blank after it, or alone on its line, is left as written elsewhere.
      ['-Wall is on', '-Wall is on'],
      ['+1 for this', '+1 for this'],
      ['1.2.3: bump', '1.2.3: bump'],
      ['2) second', '2\\) second'],
    ];
    for (const [text, escaped] of lines) expect(md(text), text).toBe(escaped);
    expect(md('x'.repeat(300), 50)).toHaveLength(50);
    expect(md('plain words, commas: fine.')).toBe('plain words, commas: fine.');
    // What acts only at a line's start, or beside an escaped bracket, stays as written elsewhere.
    expect(md('fix(parser): mixed-in a+b=c! {x} & 1.5 -> done')).toBe('fix(parser): mixed-in a+b=c! {x} & 1.5 -> done');
  });

  it('puts names in a code span whose fence outgrows any backticks inside; in tables | stays escaped', () => {
    expect(mdCode('src/a.js')).toBe('`src/a.js`');
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`edge`')).toBe('`` `edge` ``');
    expect(mdCode('a|b', { inTable: true })).toBe('`a\\|b`');
    expect(mdCode('line\nbreak @octocat')).toBe('`line break @octocat`');
    expect(mdCode('')).toBe('');
  });

  it('fences a command with more backticks than it holds', () => {
    expect(mdFence('echo ```hi```', 'sh')).toEqual(['````sh', 'echo ```hi```', '````']);
    expect(mdFence('ls')).toEqual(['```', 'ls', '```']);
  });

  it('titles are one plain line within 256 characters', () => {
    expect(ghTitle('a\nb\x1b[1m c')).toBe('a b c');
    expect(ghTitle('y'.repeat(400))).toHaveLength(256);
  });

  it('markers cannot be closed or forged by a probe name, and are found only at the top of a body', () => {
    const m = hiddenMarker('bisect', { probe: 'p99 --> <b>', culprit: 'abc' });
    expect(m).toBe('<!-- perfbisect:bisect probe=p99_-_b_ culprit=abc -->');
    expect(hasMarker(`${m}\nbody`, m)).toBe(true);
    expect(hasMarker(`> quoted\n${m}`, m)).toBe(false);
    expect(hasMarker(null, m)).toBe(false);
  });

  it('cuts a body over GitHub\'s limit at a line, keeping the top', () => {
    const body = fitBody(['<!-- m -->', ...Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(30)}`)], 10_000);
    expect(body.length).toBeLessThanOrEqual(10_000);
    expect(body.startsWith('<!-- m -->')).toBe(true);
    expect(body).toMatch(/cut to fit GitHub's size limit/);
  });
});
