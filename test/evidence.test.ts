import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { changedFileFor, mapParentLine, parseUnifiedDiff } from '../src/evidence/changes.js';
import { alignToCulprit, compareProfiles, hotChangedLines, ownCode, profileNoise } from '../src/evidence/compare.js';
import { aggregateV8, PROFILER_PRELOAD, relativeFile, type CpuProfile } from '../src/evidence/cpuprofile.js';
import { buildEvidence } from '../src/evidence/evidence.js';
import { renderDiffFlameGraph } from '../src/evidence/flamegraph.js';
import { emptyAggregate, fnKey } from '../src/evidence/types.js';
import { absentBefore, changeNote, renderEvidence } from '../src/report/evidence.js';
import { aggregatePprof } from '../src/evidence/pprof.js';

const root = '/wt/abc';
const frame = (
  id: number,
  functionName: string,
  file: string,
  line0: number,
  children: number[] = [],
  positionTicks?: { line: number; ticks: number }[],
) => ({
  id,
  callFrame: { functionName, url: file ? `file://${root}/${file}` : '', lineNumber: line0, columnNumber: 0 },
  children,
  ...(positionTicks ? { positionTicks } : {}),
});

/** A profile with `counts` samples (1 ms each) on the given leaf nodes. */
function profile(nodes: CpuProfile['nodes'], counts: Record<number, number>): CpuProfile {
  const samples = Object.entries(counts).flatMap(([id, n]) => Array<number>(n).fill(Number(id)));
  return { nodes, startTime: 0, endTime: samples.length * 1000, samples, timeDeltas: samples.map(() => 1000) };
}

// Parent: main -> work (src/work.js:2). Culprit: main -> work (now at :3) -> checksum (src/checksum.js:2, new file).
const parentProfile = () => profile([frame(1, '(root)', '', -1, [2, 5]), frame(2, 'main', 'bench.js', 0, [3]), frame(3, 'work', 'src/work.js', 1, [], [{ line: 4, ticks: 80 }]), frame(5, '(idle)', '', -1)], { 2: 20, 3: 80, 5: 500 });
const culpritProfile = () =>
  profile(
    [frame(1, '(root)', '', -1, [2]), frame(2, 'main', 'bench.js', 0, [3]), frame(3, 'work', 'src/work.js', 2, [4], [{ line: 5, ticks: 80 }]), frame(4, 'checksum', 'src/checksum.js', 1, [], [{ line: 3, ticks: 300 }])],
    { 2: 20, 3: 80, 4: 300 },
  );

const diff = `diff --git a/src/checksum.js b/src/checksum.js
new file mode 100644
--- /dev/null
+++ b/src/checksum.js
@@ -0,0 +1,4 @@
+// helper
+function checksum(x) {
+  for (let k = 0; k < 60; k++) x = x * 31;
+}
diff --git a/src/work.js b/src/work.js
--- a/src/work.js
+++ b/src/work.js
@@ -0,0 +1 @@
+const { checksum } = require('./checksum.js');
@@ -5,0 +7 @@ function work(n) {
+    acc ^= checksum(acc);
`;

describe('evidence: pure parts', () => {
  it("does not take a dependency's file of the same name for the repository's", () => {
    const changes = parseUnifiedDiff(`diff --git a/index.js b/index.js\n--- a/index.js\n+++ b/index.js\n@@ -57 +57 @@\n-x\n+var out = '';\n`);
    expect(changedFileFor(changes, 'index.js')).toBeDefined();
    expect(changedFileFor(changes, '/wt/slot-1/index.js')).toBeDefined();
    for (const dep of ['node_modules/get-intrinsic/index.js', '/usr/lib/python3/site-packages/index.js', 'vendor/x/index.js'])
      expect(changedFileFor(changes, dep), dep).toBeUndefined();
  });

  it('reads the lines a diff added and maps parent lines to the culprit', () => {
    const c = parseUnifiedDiff(diff);
    expect(c.get('src/checksum.js')?.newFile).toBe(true);
    expect(c.get('src/checksum.js')?.added.get(2)).toBe('function checksum(x) {');
    expect([...c.get('src/work.js')!.added.keys()]).toEqual([1, 7]);
    expect(mapParentLine(c, 'src/work.js', 2)).toBe(3);
    expect(mapParentLine(c, 'src/work.js', 5)).toBe(6);
    expect(mapParentLine(c, 'src/work.js', 6)).toBe(8);
    expect(mapParentLine(c, 'other.js', 6)).toBe(6);
  });

  it('aggregates a V8 profile: self and total per function, lines, idle left out, paths relative to the worktree', () => {
    const a = aggregateV8([[culpritProfile()]], [root]);
    expect(a.runs).toBe(1);
    expect(a.totalMs).toBeCloseTo(400);
    const work = [...a.fns.values()].find((f) => f.function === 'work')!;
    expect(work).toMatchObject({ file: 'src/work.js', line: 3 });
    expect(work.self).toBeCloseTo(80);
    expect(work.total).toBeCloseTo(380);
    expect(a.lines.get('src/checksum.js:3')?.self).toBeCloseTo(300);
    expect(aggregateV8([[parentProfile()]], [root]).totalMs).toBeCloseTo(100);
    expect(relativeFile('node:internal/x', [root])).toBe('node:internal/x');
  });

  it("leaves out the profiler preload's own frames, which run in every profiled process", () => {
    const preload = { id: 6, callFrame: { functionName: 'write', url: `file:///cache/runs/r1/evidence/abc/${PROFILER_PRELOAD}`, lineNumber: 20 }, children: [] };
    const p = culpritProfile();
    p.nodes[0].children = [2, 6];
    const a = aggregateV8([[profile([...p.nodes, preload], { 2: 20, 3: 80, 4: 300, 6: 7 })]], [root]);
    expect(a.totalMs).toBeCloseTo(400);
    expect([...a.fns.values()].map((f) => f.function)).not.toContain('write');
  });

  it('ranks the added helper first, tied to the change, and the unchanged-but-shifted caller as modified', () => {
    const changes = parseUnifiedDiff(diff);
    const before = alignToCulprit(aggregateV8([[parentProfile()], [parentProfile()]], [root]), changes);
    const after = aggregateV8([[culpritProfile()], [culpritProfile()]], [root]);
    const { top, shrank } = compareProfiles(before, after, changes, { noise: 1 });
    expect(top[0]).toMatchObject({ function: 'checksum', file: 'src/checksum.js', line: 2, inChange: 'added', new: true });
    expect(top[0].delta).toBeCloseTo(75);
    expect(top[0].deltaMs).toBeCloseTo(300);
    // work kept its 80 ms: only its share fell, as checksum's grew. That is not shrinking.
    expect(shrank.find((r) => r.function === 'work')).toBeUndefined();
    const less = compareProfiles(after, before, changes, { noise: 1 }).shrank;
    expect(less.find((r) => r.function === 'checksum')).toMatchObject({ selfBefore: 300, selfAfter: 0 });
    expect(hotChangedLines(after, changes)[0]).toMatchObject({ file: 'src/checksum.js', line: 3 });
  });

  it('names the changed caller of a hot function the culprit did not change', () => {
    // The culprit changed work's loop (line 7) so it calls an old, unchanged helper far more often.
    const d = `diff --git a/src/work.js b/src/work.js\n--- a/src/work.js\n+++ b/src/work.js\n@@ -7 +7 @@\n-    x();\n+    for (let j = 0; j < 9; j++) x();\n`;
    const nodes = [frame(1, '(root)', '', -1, [2]), frame(2, 'work', 'src/work.js', 1, [3], [{ line: 7, ticks: 10 }]), frame(3, 'helper', 'src/h.js', 0)];
    const changes = parseUnifiedDiff(d);
    const before = aggregateV8([[profile(nodes, { 2: 10, 3: 10 })]], [root]);
    const after = aggregateV8([[profile(nodes, { 2: 10, 3: 90 })]], [root]);
    const { top } = compareProfiles(before, after, changes, { noise: 1 });
    expect(top[0]).toMatchObject({ function: 'helper', inChange: false, calledFrom: { function: 'work', file: 'src/work.js', line: 2 } });
    // It is the caller that changed, not the row's function.
    expect(changeNote(top[0])).toBe('called from `work` (src/work.js:2), which this commit changed');
    // A profile without function start lines (Go 1.19's pprof): the file alone, not ":0".
    const noLine = { ...top[0], calledFrom: { function: 'finalizeList', file: 'block.go', line: 0 } };
    expect(changeNote(noLine)).toBe('called from `finalizeList` (block.go), which this commit changed');
    // Absent from the parent's profile: new only where the commit added it.
    expect(absentBefore({ ...top[0], new: true })).toBe(' (no samples at the parent)');
    expect(absentBefore({ ...top[0], new: true, inChange: 'added' })).toBe(' (new)');
    expect(absentBefore(top[0])).toBe('');
    // The changed line carries 10% of the time: quoted as carrying the cost, unless that is below the floor.
    expect(hotChangedLines(after, changes).map((l) => l.line)).toEqual([7]);
    expect(hotChangedLines(after, changes, 8, 0.2)).toEqual([]);
  });

  it('names the changed function a slower caller calls, where the change made the caller do more', () => {
    // The culprit rewrote a string scanner (scan, lines 2-4): the scanner got faster, but what it now
    // returns makes its caller's loop (search, line 9) run longer. Nothing slower is changed or under a change.
    const d = `diff --git a/src/p.js b/src/p.js\n--- a/src/p.js\n+++ b/src/p.js\n@@ -2,3 +2,3 @@\n-a\n-b\n-c\n+  for (const c of s) {\n+    if (c === q) return i;\n+  }\n`;
    const nodes = (scanTicks: number) => [
      frame(1, '(root)', '', -1, [2]),
      frame(2, 'search', 'src/p.js', 7, [3], [{ line: 9, ticks: 10 }]),
      frame(3, 'scan', 'src/p.js', 0, [], [{ line: 3, ticks: scanTicks }]),
    ];
    const changes = parseUnifiedDiff(d);
    const before = aggregateV8([[profile(nodes(60), { 2: 20, 3: 60 })]], [root]);
    const after = aggregateV8([[profile(nodes(40), { 2: 70, 3: 40 })]], [root]);
    const ev = buildEvidence({ culprit: 'c', parent: 'p', before: { all: before, halves: [before, before] }, after: { all: after, halves: [after, after] }, changes });
    expect(ev.top[0]).toMatchObject({ function: 'search', inChange: false, calls: { function: 'scan', file: 'src/p.js', line: 1 } });
    expect(ev.top[0].calledFrom).toBeUndefined();
    expect(changeNote(ev.top[0])).toBe('calls `scan` (src/p.js:1), which this commit changed: what it returns may make this function do more');
    expect(ev.shrank[0]).toMatchObject({ function: 'scan', inChange: 'modified' });
    // Tied to the change through the callee: the "no slower function is one this commit changed" quote is not given.
    expect(ev.added).toBeUndefined();

    // A changed function further down (main -> parse -> scan) is not one main calls: main's growth is not tied to it.
    const deep = [
      frame(1, '(root)', '', -1, [2]),
      frame(2, 'main', 'src/main.js', 0, [3]),
      frame(3, 'parse', 'src/parse.js', 0, [4]),
      frame(4, 'scan', 'src/p.js', 0, [], [{ line: 3, ticks: 40 }]),
    ];
    const b2 = aggregateV8([[profile(deep, { 2: 20, 3: 10, 4: 40 })]], [root]);
    const a2 = aggregateV8([[profile(deep, { 2: 70, 3: 10, 4: 40 })]], [root]);
    const ev2 = buildEvidence({ culprit: 'c', parent: 'p', before: { all: b2, halves: [b2, b2] }, after: { all: a2, halves: [a2, a2] }, changes });
    expect(ev2.top[0]).toMatchObject({ function: 'main', inChange: false });
    expect(ev2.top[0].calls).toBeUndefined();
  });

  it('names the nearest own function a slower native one ran under, and quotes a change no function holds', () => {
    // The culprit changed a pattern (a constant); the time grows in the native matcher the tokenizer calls.
    // A changelog and a lockfile sort first in the diff: the code is quoted first, the lockfile never.
    const d =
      `diff --git a/CHANGES b/CHANGES\n--- a/CHANGES\n+++ b/CHANGES\n@@ -1,0 +2 @@\n+- faster comments\n` +
      `diff --git a/package-lock.json b/package-lock.json\n--- a/package-lock.json\n+++ b/package-lock.json\n@@ -3 +3 @@\n-  "v": 1\n+  "v": 2\n` +
      `diff --git a/src/patterns.js b/src/patterns.js\n--- a/src/patterns.js\n+++ b/src/patterns.js\n@@ -1 +1 @@\n-export const WS = /\\s*/;\n+export const WS = /\\s*(?:x.*?y\\s*)*/;\n`;
    const nodes = [frame(1, '(root)', '', -1, [2]), frame(2, 'main', 'bench.js', 0, [3]), frame(3, 'tokenize', 'src/lexer.js', 9, [4]), frame(4, 'exec', '', 0)];
    const changes = parseUnifiedDiff(d);
    const side = (n: number) => aggregateV8([[profile(nodes, { 2: 5, 3: 20, 4: n })]], [root]);
    const ev = buildEvidence({ culprit: 'c', parent: 'p', before: { all: side(10), halves: [side(10), side(10)] }, after: { all: side(200), halves: [side(200), side(200)] }, changes });
    // main holds all of exec's time too (V8 counts callers at any depth): the nearer tokenize is named.
    expect(ev.top[0]).toMatchObject({ function: 'exec', file: '', inChange: false, under: { function: 'tokenize', file: 'src/lexer.js', line: 10 } });
    expect(ev.added).toEqual([
      { file: 'src/patterns.js', line: 1, text: 'export const WS = /\\s*(?:x.*?y\\s*)*/;' },
      { file: 'CHANGES', line: 2, text: '- faster comments' },
    ]);
    expect(ev.addedTotal).toBe(2);
    const md = renderEvidence([ev]).join('\n');
    expect(md).toContain('under `tokenize` (src/lexer.js:10)');
    expect(md).toContain('What it added, from the diff');
    expect(md).toContain('# src/patterns.js:1');
    expect(md).toContain('+export const WS = /\\s*(?:x.*?y\\s*)*/;');
    // Cut quotes say so, and lines apart in one file get a header each.
    expect(md).not.toContain('lasts about a set time');
    expect(renderEvidence([{ ...ev, fixedTime: true }]).join('\n')).toContain(
      "Times are per probe run, and each lasts about a set time whatever the code's speed",
    );
    const cut = renderEvidence([{ ...ev, added: [{ file: 'a.js', line: 1, text: 'x' }, { file: 'a.js', line: 5, text: 'y' }], addedTotal: 12 }]).join('\n');
    expect(cut).toContain('from the diff (the first 2 of 12 lines):');
    expect(cut).toContain('# a.js:1\n+x\n# a.js:5\n+y');
    // Where a slower function is tied to the change, nothing is quoted beside it.
    const tied = parseUnifiedDiff(`diff --git a/src/lexer.js b/src/lexer.js\n--- a/src/lexer.js\n+++ b/src/lexer.js\n@@ -12 +12 @@\n-  a();\n+  b();\n`);
    const ev2 = buildEvidence({ culprit: 'c', parent: 'p', before: { all: side(10), halves: [side(10), side(10)] }, after: { all: side(200), halves: [side(200), side(200)] }, changes: tied });
    expect(ev2.top[0].calledFrom?.function).toBe('tokenize');
    expect(ev2.top[0].under).toBeUndefined();
    expect(ev2.added).toBeUndefined();
  });

  it('says garbage collection that grew is allocation, and quotes the change', () => {
    const d = `diff --git a/src/out.js b/src/out.js\n--- a/src/out.js\n+++ b/src/out.js\n@@ -3 +3 @@\n-  parts.push(x);\n+  s += x;\n`;
    const nodes = [frame(1, '(root)', '', -1, [2, 3]), frame(2, 'main', 'bench.js', 0), frame(3, '(garbage collector)', '', -1)];
    const side = (gc: number) => aggregateV8([[profile(nodes, { 2: 100, 3: gc })]], [root]);
    const ev = buildEvidence({ culprit: 'c', parent: 'p', before: { all: side(5), halves: [side(5), side(5)] }, after: { all: side(80), halves: [side(80), side(80)] }, changes: parseUnifiedDiff(d) });
    expect(ev.top[0].function).toBe('(garbage collector)');
    expect(changeNote(ev.top[0])).toBe('reclaiming memory: the code allocates more');
    const md = renderEvidence([ev]).join('\n');
    expect(md).toContain('the time grew most in garbage collection: the code allocates more');
    expect(md).toContain('+  s += x;');
  });

  it('names the nearest own caller on each path (V8), and climbs through library callers (cProfile)', () => {
    // main -> A -> B -> exec, and main -> B, busy with work of its own: B is the nearest, though A has less
    // time in all.
    const nodes = [
      frame(1, '(root)', '', -1, [2]), frame(2, 'main', 'bench.js', 0, [3, 5]), frame(3, 'A', 'src/a.js', 0, [4]),
      frame(4, 'B', 'src/b.js', 0, [6]), frame(5, 'B', 'src/b.js', 0), frame(6, 'exec', '', 0),
    ];
    const side = (n: number) => aggregateV8([[profile(nodes, { 2: 5, 5: 400, 6: n })]], [root]);
    const { top } = compareProfiles(side(5), side(200), parseUnifiedDiff(''), { noise: 1 });
    expect(top.find((r) => r.function === 'exec')?.under).toEqual({ function: 'B', file: 'src/b.js', line: 1 });

    // cProfile (direct callers only): the native match is called by the standard library's re.match,
    // which the repository's tokenize calls.
    const cp = (ms: number) => {
      const a = emptyAggregate('cprofile');
      const fn = (f: string, file: string, line: number, self: number) =>
        a.fns.set(fnKey({ function: f, file, line }), { function: f, file, line, self, total: self });
      fn('tokenize', 'lexer.py', 10, 10);
      fn('match', '/usr/lib/python3.11/re.py', 160, 1);
      fn("<method 'match'>", '', 0, ms);
      a.callers.set(fnKey({ function: "<method 'match'>", file: '', line: 0 }), new Map([[fnKey({ function: 'match', file: '/usr/lib/python3.11/re.py', line: 160 }), ms]]));
      a.callers.set(fnKey({ function: 'match', file: '/usr/lib/python3.11/re.py', line: 160 }), new Map([[fnKey({ function: 'tokenize', file: 'lexer.py', line: 10 }), ms + 1]]));
      a.totalMs = 11 + ms;
      a.runs = 1;
      return a;
    };
    const py = compareProfiles(cp(5), cp(200), parseUnifiedDiff(''), { noise: 1 }).top;
    expect(py.find((r) => r.function === "<method 'match'>")?.under).toEqual({ function: 'tokenize', file: 'lexer.py', line: 10 });
    // Not the repository's own: runtime internals, versioned module paths, vendored code.
    for (const f of ['<frozen importlib._bootstrap>', '<autogenerated>', 'github.com/x/y@v1.2.3/z.go', 'vendor/x/y.go', 'node:internal/x'])
      expect(ownCode(f), f).toBe(false);
    expect(ownCode('pygments/lexer.py')).toBe(true);
  });

  it('climbs past unchanged own frames to the changed module code that builds a slow pattern (cProfile)', () => {
    // pyparsing's shape: helpers.py's top-level code (changed at line 700) builds a Regex; its __init__
    // (core.py, unchanged) compiles the pattern in the standard library's re, where the time goes.
    const fnAt = (f: string, file: string, line: number) => ({ function: f, file, line });
    const parse = fnAt('_parse', '/usr/lib/python3.11/re/_parser.py', 449);
    const comp = fnAt('compile', '/usr/lib/python3.11/re/__init__.py', 226);
    const init = fnAt('__init__', 'pyparsing/core.py', 3050);
    const mod = fnAt('<module>', 'pyparsing/helpers.py', 1);
    const helper = fnAt('delimited_list', 'pyparsing/helpers.py', 10);
    const later = fnAt('one_of', 'pyparsing/helpers.py', 40);
    const cp = (ms: number) => {
      const a = emptyAggregate('cprofile');
      for (const [f, self] of [[parse, ms], [comp, 1], [init, 1], [mod, 2], [helper, 1], [later, 1]] as const)
        a.fns.set(fnKey(f), { ...f, self, total: self });
      a.callers.set(fnKey(parse), new Map([[fnKey(comp), ms]]));
      a.callers.set(fnKey(comp), new Map([[fnKey(init), ms + 1]]));
      a.callers.set(fnKey(init), new Map([[fnKey(mod), ms + 2]]));
      a.totalMs = 6 + ms;
      a.runs = 1;
      return a;
    };
    // git's hunk header quotes the nearest line at the first column above the hunk.
    const diffAt = (line: number, context: string, added: string) =>
      parseUnifiedDiff(`diff --git a/pyparsing/helpers.py b/pyparsing/helpers.py\n--- a/pyparsing/helpers.py\n+++ b/pyparsing/helpers.py\n@@ -${line} +${line} @@ ${context}\n-x = 1\n+${added}\n`);
    const row = (diff: ReturnType<typeof parseUnifiedDiff>) =>
      compareProfiles(cp(5), cp(200), diff, { noise: 1 }).top.find((r) => r.function === '_parse');
    const atModule = row(diffAt(700, 'def one_of(strs):', 'x = Regex(r"a(b|c)*")'));
    expect(atModule?.calledFrom).toEqual({ function: '<module>', file: 'pyparsing/helpers.py', line: 1 });
    expect(atModule?.under).toEqual({ function: '__init__', file: 'pyparsing/core.py', line: 3050 });
    expect(changeNote(atModule!)).toBe(
      'under `__init__` (pyparsing/core.py:3050), called from `<module>` (pyparsing/helpers.py:1), which this commit changed',
    );
    // The indented continuation of a module-level statement is module code too.
    expect(row(diffAt(701, 'cpp_style_comment = Combine(', '    Regex(r"/\\*(?:[^*]|\\*(?!/))*")'))?.calledFrom?.function).toBe('<module>');
    // The body of a function the hunk itself adds is that function's, not the module's.
    const added = parseUnifiedDiff(
      'diff --git a/pyparsing/helpers.py b/pyparsing/helpers.py\n--- a/pyparsing/helpers.py\n+++ b/pyparsing/helpers.py\n' +
        '@@ -5,0 +6,3 @@ import re\n+def helper(data):\n+    total = 0\n+    return total\n',
    );
    expect(row(added)?.calledFrom).toBeUndefined();
    // A change inside a function the path does not pass through is not the module's code.
    const inHelper = row(diffAt(12, 'def delimited_list(expr):', '    return x'));
    expect(inHelper?.calledFrom).toBeUndefined();
    expect(inHelper?.under?.function).toBe('__init__');
  });

  it('measures noise between halves of one commit and hides differences within it', () => {
    const changes = parseUnifiedDiff('');
    const a = aggregateV8([[culpritProfile()]], [root]);
    const b = aggregateV8([[profile(culpritProfile().nodes, { 2: 20, 3: 100, 4: 280 })]], [root]);
    expect(profileNoise(a, b)).toBeCloseTo(5);
    const ev = buildEvidence({ culprit: 'c', parent: 'p', before: { all: a, halves: [a, b] }, after: { all: b, halves: [a, b] }, changes });
    expect(ev.noise).toBeCloseTo(5);
    expect(ev.top).toEqual([]);
    expect(renderEvidence([ev]).join('\n')).toContain('No function');
  });

  it('takes the noise floor from the side with samples enough to measure it', () => {
    const changes = parseUnifiedDiff('');
    const a = aggregateV8([[culpritProfile()]], [root]);
    const b = aggregateV8([[profile(culpritProfile().nodes, { 2: 20, 3: 100, 4: 280 })]], [root]);
    // A parent with one sample a half, each in a different function: its "noise" would be 100 points.
    const thin = (n: number) => aggregateV8([[profile(culpritProfile().nodes, { [n]: 1 })]], [root]);
    const ev = buildEvidence({ culprit: 'c', parent: 'p', before: { all: thin(2), halves: [thin(2), thin(3)] }, after: { all: b, halves: [a, b] }, changes });
    expect(thin(2).samples).toBe(1);
    expect(ev.noise).toBeCloseTo(5);
  });

  it('draws a differential flame graph as standalone SVG with escaped names', () => {
    const nodes = culpritProfile().nodes.map((n) => (n.id === 4 ? { ...n, callFrame: { ...n.callFrame, functionName: '<check&sum>' } } : n));
    const after = aggregateV8([[profile(nodes, { 2: 20, 3: 80, 4: 300 })]], [root]);
    const before = aggregateV8([[parentProfile()]], [root]);
    const svg = renderDiffFlameGraph(before, after, { title: 't' });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('&lt;check&amp;sum&gt;');
    expect(svg).toContain('parent no samples');
    expect(svg).not.toMatch(/<check/);
    expect(svg).toContain('fill="rgb(255,60,60)"');
  });

  it('folds Go CPU profiles (pprof protobuf): inlined frames, preemption billed to the caller', () => {
    // The shape Go 1.19 writes for a culprit that added checksum() (inlined into Work) in checksum.go:
    // samples are [count, CPU nanoseconds] on locations listed leaf first; a location's lines hold the
    // inlined function first, the one it was inlined into last.
    const strings = new StringTable();
    const fn = (id: number, name: string, file: string) =>
      new PprofFunction({ id, name: strings.dedup(name), filename: strings.dedup(file) });
    const functions = [
      fn(1, 'example.com/gob.checksum', `${root}/checksum.go`),
      fn(2, 'example.com/gob.Work', `${root}/work.go`),
      fn(3, 'testing.(*B).runN', '/usr/lib/go-1.19/src/testing/benchmark.go'),
      fn(4, 'runtime.asyncPreempt', '/usr/lib/go-1.19/src/runtime/preempt_amd64.s'),
    ];
    const at = (id: number, ...lines: [number, number][]) =>
      new Location({ id, line: lines.map(([functionId, line]) => new Line({ functionId, line })) });
    const locations = [at(1, [1, 6], [2, 7]), at(2, [3, 193]), at(4, [4, 7]), at(5, [1, 6], [2, 7]), at(6, [2, 5])];
    const goProfile = (samples: [number[], number][]) =>
      gzipSync(
        new Profile({
          sampleType: [
            new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
            new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
          ],
          sample: samples.map(([locationId, ms]) => new Sample({ locationId, value: [ms / 10, ms * 1e6] })),
          location: locations,
          function: functions,
          stringTable: strings,
        }).encode(),
      );
    const raw = (checksumMs: number) => goProfile([[[1, 2], checksumMs], [[4, 5, 2], 290], [[6, 2], 50]]);
    const a = aggregatePprof([[raw(300)]], [root]);
    const byName = (n: string) => [...a.fns.values()].find((f) => f.function === n)!;
    expect(a.totalMs).toBeCloseTo(640);
    expect(byName('example.com/gob.checksum')).toMatchObject({ file: 'checksum.go', self: 590, total: 590 });
    expect(byName('example.com/gob.Work')).toMatchObject({ file: 'work.go', self: 50, total: 640 });
    expect([...a.fns.values()].some((f) => f.function === 'runtime.asyncPreempt')).toBe(false);
    const changes = parseUnifiedDiff(`diff --git a/checksum.go b/checksum.go\nnew file mode 100644\n--- /dev/null\n+++ b/checksum.go\n@@ -0,0 +1,10 @@\n+package gob\n`);
    const before = aggregatePprof([[goProfile([[[6, 2], 50]])]], [root]);
    const { top } = compareProfiles(before, a, changes, { noise: 1 });
    expect(top[0]).toMatchObject({ function: 'example.com/gob.checksum', file: 'checksum.go', inChange: 'added', new: true });
  });
});

