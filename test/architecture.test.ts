import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from '../scripts/import-graph.js';
import { tempDir } from './fixtures/repo.js';

/** The pure core: decisions from numbers, no git, processes or files (README, Development). */
const pure = ['src/bisect/', 'src/stats/', 'src/drift/', 'src/evidence/', 'src/deps/'];
const effects = ['node:child_process', 'child_process', 'node:fs', 'node:fs/promises', 'execa', 'simple-git'];

describe('the import graph of src/', () => {
  const graph = importGraph('src');

  it('reads the whole source tree', () => {
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.edges.get('src/cli.ts')!.length).toBeGreaterThan(0);
  });

  it('has no import cycles', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('keeps the pure core free of the harness and of processes and files', () => {
    const offences = graph.files.filter((file) => pure.some((dir) => file.startsWith(dir))).flatMap((file) => [
      ...graph.edges.get(file)!.filter((dep) => dep.startsWith('src/harness/')).map((dep) => `${file} -> ${dep}`),
      ...graph.specifiers.get(file)!.filter((spec) => effects.includes(spec)).map((spec) => `${file} -> ${spec}`),
    ]);
    expect(offences).toEqual([]);
  });
});

describe('the cycle finder', () => {
  it('finds a cycle through three files and a file importing itself, and nothing in a chain', () => {
    const root = tempDir('pb-cycles-');
    try {
      const dir = join(root, 'src');
      mkdirSync(join(dir, 'sub'), { recursive: true });
      writeFileSync(join(dir, 'a.ts'), "import { b } from './sub/b.js';\nexport const a = b;\n");
      writeFileSync(join(dir, 'sub', 'b.ts'), "import type { C } from '../c.js';\nexport const b = 1 as C;\n");
      writeFileSync(join(dir, 'c.ts'), "export type C = number;\nexport const c = import('./a.js');\n");
      writeFileSync(join(dir, 'self.ts'), "export * from './self.js';\n");
      writeFileSync(join(dir, 'chain.ts'), "import './a.js';\nimport 'node:fs';\n");
      expect(importCycles(importGraph(dir))).toEqual([['src/a.ts', 'src/c.ts', 'src/sub/b.ts'], ['src/self.ts']]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
