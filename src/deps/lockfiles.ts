import { npmLock } from './npm-lock.js';
import { pnpmLock } from './pnpm-lock.js';
import type { LockFormat } from './types.js';
import { yarnLock } from './yarn-lock.js';

/** Lockfiles the descent reads, by file name. go.sum and Python locks are not read yet. */
// Each format parses to its own lock type; callers pass a format's parse result only back to that format.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const byName: Record<string, LockFormat<any>> = {
  'package-lock.json': npmLock,
  'npm-shrinkwrap.json': npmLock,
  'pnpm-lock.yaml': pnpmLock,
  'yarn.lock': yarnLock,
};

/** Lockfiles of other ecosystems: a culprit that changes only these is named, not descended into. */
const unread = [
  'go.sum',
  'go.mod',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'Cargo.lock',
  'Gemfile.lock',
  'composer.lock',
];

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lockFormatFor(path: string): LockFormat<any> | undefined {
  return byName[base(path)];
}

/** The changed files that are lockfiles: those read, and those of ecosystems not read yet. */
export function lockfilesAmong(files: readonly string[]): { read: string[]; unread: string[] } {
  return {
    read: files.filter((f) => byName[base(f)]),
    unread: files.filter((f) => unread.includes(base(f)) || /^requirements.*\.txt$/.test(base(f))),
  };
}

/** The folder a repository path is in ('' at the root). */
export const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/** `dir` joined with a relative path, '' standing for the root. */
export const joinPath = (dir: string, rel: string) => [dir, rel].filter(Boolean).join('/');
