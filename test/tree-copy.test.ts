/**
 * Copies of installed trees work without GNU tools: with the system's cp (GNU's --reflink, macOS's
 * clonefile), with Node's copy where cp is another one or fails, and the copy shares nothing
 * writable with its source.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { copyTree, treeStamp } from '../src/harness/build/tree-copy.js';
import { writeEntry } from '../src/harness/store/folder-entry.js';
import { tempDir } from './fixtures/repo.js';

// A fresh process (the cp on its PATH is looked up once per process) runs the source through jiti.
const root = fileURLToPath(new URL('..', import.meta.url));
const copyInProcess = (from: string, to: string, env: NodeJS.ProcessEnv) =>
  execFileSync(join(root, 'node_modules/.bin/jiti'), [join(root, 'test/fixtures/copy-tree.ts'), from, to], { env });

/** A small node_modules: a file, an executable, a relative symlink (as .bin has), an old mtime. */
function tree(): string {
  const root = join(tempDir('pb-tree-'), 'node_modules');
  mkdirSync(join(root, 'dep', 'lib'), { recursive: true });
  mkdirSync(join(root, '.bin'));
  writeFileSync(join(root, 'dep', 'index.js'), 'module.exports = 1;\n');
  writeFileSync(join(root, 'dep', 'lib', 'cli.js'), '#!/usr/bin/env node\n');
  chmodSync(join(root, 'dep', 'lib', 'cli.js'), 0o755);
  symlinkSync('../dep/lib/cli.js', join(root, '.bin', 'dep'));
  utimesSync(join(root, 'dep', 'index.js'), new Date('2020-01-01'), new Date('2020-01-01'));
  return root;
}

function expectSameTree(from: string, to: string): void {
  expect(readFileSync(join(to, 'dep', 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
  expect(readlinkSync(join(to, '.bin', 'dep'))).toBe('../dep/lib/cli.js');
  expect(statSync(join(to, 'dep', 'lib', 'cli.js')).mode & 0o777).toBe(0o755);
  expect(statSync(join(to, 'dep', 'index.js')).mtimeMs).toBe(statSync(join(from, 'dep', 'index.js')).mtimeMs);
  // Not a hardlink: a write in place to the copy leaves the source as it was.
  expect(lstatSync(join(to, 'dep', 'index.js')).ino).not.toBe(lstatSync(join(from, 'dep', 'index.js')).ino);
  writeFileSync(join(to, 'dep', 'index.js'), 'module.exports = 2;\n');
  expect(readFileSync(join(from, 'dep', 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
}

describe('copies of installed trees', () => {
  it('with the system cp and with Node alone: the same tree, nothing shared', async () => {
    for (const method of ['system', 'node'] as const) {
      const from = tree();
      const to = join(tempDir('pb-copy-'), 'node_modules');
      await copyTree(from, to, method);
      const stamp = treeStamp(to);
      expect(treeStamp(to)).toBe(stamp);
      expectSameTree(from, to);
      // A file rewritten in place changes the stamp: that is how a rewritten install is noticed.
      expect(treeStamp(to)).not.toBe(stamp);
    }
  });

  it('falls back to Node when the cp on PATH is not GNU or fails', () => {
    for (const fake of ['echo "cp (BSD)"; exit 1', 'case "$1" in --version) echo "cp (GNU coreutils) 9"; exit 0;; esac; exit 1']) {
      const bin = tempDir('pb-bin-');
      writeFileSync(join(bin, 'cp'), `#!/bin/sh\n${fake}\n`);
      chmodSync(join(bin, 'cp'), 0o755);
      const from = tree();
      const to = join(tempDir('pb-copy-'), 'node_modules');
      copyInProcess(from, to, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
      expectSameTree(from, to);
    }
  });
});

describe('an interrupted copy', () => {
  it('stops at Ctrl-C, and a cache entry being filled leaves nothing half-written', async () => {
    const stop = new AbortController();
    stop.abort();
    const to = join(tempDir('pb-tree-'), 'node_modules');
    await expect(copyTree(tree(), to, 'system', stop.signal)).rejects.toThrow('aborted');
    const folder = join(tempDir('pb-entry-'), 'entry');
    await expect(writeEntry(folder, (tmp) => copyTree(tree(), join(tmp, 'node_modules'), 'system', stop.signal), {})).rejects.toThrow('aborted');
    expect(readdirSync(dirname(folder))).toEqual([]);
  });
});
