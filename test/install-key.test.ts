import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ignoreScriptsHint, installKey } from '../src/harness/build/installs.js';
import { tempDir } from './fixtures/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = tempDir('pb-key-');
  dirs.push(dir);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe('the install key', () => {
  const cmd = 'python3 -m venv .venv && .venv/bin/pip install .';

  it("follows a Python project's own metadata when it pins nothing else", () => {
    const a = installKey(project({ 'pyproject.toml': '[project]\ndependencies = ["a==1"]\n' }), cmd);
    const b = installKey(project({ 'pyproject.toml': '[project]\ndependencies = ["a==2"]\n' }), cmd);
    expect(a).not.toBe(b);
    expect(installKey(project({ 'pyproject.toml': '[project]\ndependencies = ["a==1"]\n' }), cmd)).toBe(a);
  });

  it('follows the pinned list where there is one, not the metadata beside it', () => {
    const a = installKey(project({ 'requirements.txt': 'a==1\n', 'pyproject.toml': 'x = 1\n' }), cmd);
    const b = installKey(project({ 'requirements.txt': 'a==1\n', 'pyproject.toml': 'x = 2\n' }), cmd);
    const c = installKey(project({ 'requirements.txt': 'a==2\n', 'pyproject.toml': 'x = 1\n' }), cmd);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('the --ignore-scripts advice', () => {
  it('is given only where the flag can simply be added, with what it also skips', () => {
    expect(ignoreScriptsHint('npm ci')).toMatch(/^if --build makes them, --install "npm ci --ignore-scripts" .*native addons \(node-gyp\) will not build$/);
    expect(ignoreScriptsHint('pnpm install --frozen-lockfile')).toContain('"pnpm install --frozen-lockfile --ignore-scripts"');
    // Yarn 2+ rejects the flag; a compound command would take it in the wrong place; given already.
    expect(ignoreScriptsHint('yarn install')).toBeUndefined();
    expect(ignoreScriptsHint('npm ci && npm run gen')).toBeUndefined();
    expect(ignoreScriptsHint('cd web && npm ci')).toBeUndefined();
    expect(ignoreScriptsHint('npm ci --ignore-scripts')).toBeUndefined();
    for (const command of ['npm ci\nnode gen.js', 'npm ci --workspace "@app/web"', 'npm ci # pinned', "npm ci -w 'a b'"])
      expect(ignoreScriptsHint(command)).toBeUndefined();
  });
});
