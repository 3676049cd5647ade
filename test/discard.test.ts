import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discard } from '../src/harness/git/worktrees.js';
import { tempDir } from './fixtures/repo.js';

describe('discarding a worktree without waiting for it', () => {
  it('moves the folder out of the way at once, and a background rm empties the trash', async () => {
    const cache = tempDir('pb-discard-');
    const dir = join(cache, 'worktrees', 'w1');
    mkdirSync(join(dir, 'node_modules', 'a'), { recursive: true });
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, 'node_modules', 'a', `${i}.js`), 'x');
    discard(dir, join(cache, 'trash'));
    expect(existsSync(dir)).toBe(false);
    const deadline = Date.now() + 30_000;
    while (readdirSync(join(cache, 'trash')).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(join(cache, 'trash'))).toEqual([]);
  });
});
