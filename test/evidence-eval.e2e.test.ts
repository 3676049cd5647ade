/**
 * Evidence for code without a file: functions built with eval or new Function are located by
 * name and source text in the culprit's changed files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attributeEvaluated, definitionsOf, locateEvaluated } from '../src/evidence/eval-code.js';
import { emptyAggregate, fnKey, type ProfileAggregate } from '../src/evidence/types.js';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { nodeEvalEvidenceRepo } from './fixtures/evidence-repos.js';
import { tempDir } from './fixtures/repo.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

function profileOf(
  fns: { function: string; file: string; line: number; self: number; lines?: [number, number][] }[],
): ProfileAggregate {
  const agg = emptyAggregate('v8');
  for (const f of fns) {
    const key = fnKey(f);
    agg.fns.set(key, { function: f.function, file: f.file, line: f.line, self: f.self, total: f.self });
    agg.totalMs += f.self;
    if (f.lines) {
      agg.fnLines.set(key, new Map(f.lines));
      for (const [line, ms] of f.lines) agg.lines.set(`${f.file}:${line}`, { file: f.file, line, self: ms });
    }
  }
  return agg;
}

describe('locating evaluated functions (pure)', () => {
  const sources = new Map([
    ['src/render.js', 'function render(n) {\n  return n;\n}\nconst helper = (x) => x;\nconst o = {\n  draw(a) {\n    return a;\n  },\n};\n'],
    ['src/other.js', 'exports.draw = function (b) {\n  return b;\n};\n'],
  ]);

  it('finds declarations, assignments, arrows and methods by name', () => {
    expect(definitionsOf('render', sources)).toEqual([{ file: 'src/render.js', line: 1 }]);
    expect(definitionsOf('helper', sources)).toEqual([{ file: 'src/render.js', line: 4 }]);
    expect(definitionsOf('draw', sources)).toEqual([{ file: 'src/render.js', line: 6 }, { file: 'src/other.js', line: 1 }]);
    expect(definitionsOf('rend', sources)).toEqual([]);
  });

  it("moves an evaluated function to its file, with its lines shifted by new Function's wrapper", () => {
    // new Function puts two lines before the body: render's line 1 is line 3 of the evaluated text.
    const agg = profileOf([
      { function: 'render', file: '', line: 3, self: 50, lines: [[4, 50]] },
      { function: 'draw', file: '', line: 8, self: 5 },
      { function: 'draw', file: '', line: 40, self: 5 },
      { function: '(anonymous)', file: '', line: 9, self: 5 },
      { function: 'main', file: 'bench.js', line: 1, self: 5 },
    ]);
    const where = locateEvaluated(agg, sources);
    expect(where.get(fnKey({ function: 'render', file: '', line: 3 }))).toEqual({ file: 'src/render.js', line: 1, offset: -2 });
    // draw is defined twice: the definition two lines above the evaluated line is the one.
    expect(where.get(fnKey({ function: 'draw', file: '', line: 8 }))).toEqual({ file: 'src/render.js', line: 6, offset: -2 });
    expect(where.has(fnKey({ function: 'draw', file: '', line: 40 }))).toBe(false);
    expect(where.has(fnKey({ function: '(anonymous)', file: '', line: 9 }))).toBe(false);
    const moved = attributeEvaluated(agg, where);
    expect(moved.fns.get(fnKey({ function: 'render', file: 'src/render.js', line: 1 }))).toMatchObject({ self: 50, evaluated: true });
    expect(moved.lines.get('src/render.js:2')?.self).toBe(50);
    expect(moved.lines.get(':4')?.self).toBe(0);
    expect(moved.fns.get(fnKey({ function: 'main', file: 'bench.js', line: 1 }))?.evaluated).toBeUndefined();
  });
});

describe('evidence at a culprit in code run through new Function', () => {
  it('names the function the culprit added, where its source is: "added by this commit in src/render.js:2"', async () => {
    const { repo, shas } = nodeEvalEvidenceRepo();
    cleanups.push(() => repo.cleanup());
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--probe', 'work', '--min-samples', '5', '--max-samples', '12', '--json', join(out, 'r.json'), '--report', join(out, 'w.md')], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    expect(result.culprit?.sha).toBe(shas[2]);
    const ev = result.evidence![0];
    const checksum = ev.top.find((t) => t.function === 'checksum');
    expect(checksum, JSON.stringify(ev.top, null, 1)).toMatchObject({ file: 'src/render.js', line: 2, inChange: 'added', evaluated: true, new: true });
    expect(ev.top[0].function).toBe('checksum');
    // render() exists at both commits; the culprit changed its loop.
    const render = [...ev.top, ...ev.shrank].find((t) => t.function === 'render');
    if (render) expect(render).toMatchObject({ file: 'src/render.js', inChange: 'modified', evaluated: true });
    const md = readFileSync(join(out, 'w.md'), 'utf8');
    expect(md).toContain('added by this commit in src/render.js:2');
    expect(md).not.toMatch(/`checksum`[^\n]*\((native|evaluated code)\)/);
    expect(r.stdout).toMatch(/evidence \w+ #1: checksum src\/render\.js:2 \+[\d.]+ pts of the time, added by this commit/);
  }, 300_000);
});
