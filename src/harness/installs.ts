import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { hashOf } from './fingerprint.js';

/**
 * Dependency installs, paid once per distinct lockfile. The key is what decides the installed
 * tree: every lockfile's content, the runtime, the platform and the install command. A worktree
 * that already holds a key's modules is reused as is; another worktree is seeded from the cached
 * tree (hardlinks, as pnpm's store does: seconds for trees where `npm ci` takes tens of seconds).
 */
export type PackageManager = 'npm' | 'pnpm' | 'yarn';

/** Files whose content decides what an install produces, in the repository root. */
const lockfileNames = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'go.sum', 'poetry.lock', 'uv.lock', 'Pipfile.lock'];

export function lockfilesIn(dir: string): string[] {
  const names = lockfileNames.filter((f) => existsSync(join(dir, f)));
  // requirements.txt, requirements-dev.txt, …
  for (const f of readdirSync(dir)) if (/^requirements.*\.txt$/.test(f)) names.push(f);
  return names.sort();
}

/** The package manager a lockfile belongs to; npm when package.json has no lockfile. */
export function detectManager(dir: string): PackageManager | undefined {
  if (existsSync(join(dir, 'pnpm-lock.yaml'))) return 'pnpm';
  if (existsSync(join(dir, 'yarn.lock'))) return 'yarn';
  if (existsSync(join(dir, 'package-lock.json')) || existsSync(join(dir, 'npm-shrinkwrap.json')) || existsSync(join(dir, 'package.json'))) return 'npm';
  return undefined;
}

/**
 * The install command for `install: 'auto'`: the lockfile's package manager, offline-first
 * against its shared cache, never touching the network for what the cache has.
 */
export function autoInstallCommand(dir: string): string | undefined {
  const m = detectManager(dir);
  const hasLock = existsSync(join(dir, 'package-lock.json')) || existsSync(join(dir, 'npm-shrinkwrap.json'));
  if (m === 'npm') return hasLock ? 'npm ci --prefer-offline --no-audit --no-fund' : 'npm install --prefer-offline --no-audit --no-fund --no-save';
  if (m === 'pnpm') return 'pnpm install --frozen-lockfile --prefer-offline';
  if (m === 'yarn') return 'yarn install --frozen-lockfile --prefer-offline';
  return undefined;
}

/** The same command, for a worktree that already holds modules: reconcile instead of deleting them. */
export function reconcileCommand(command: string): string {
  return command.replace(/\bnpm ci\b/, 'npm install --no-save');
}

/**
 * What installs write into a worktree: kept when a worktree is cleaned for the next commit (an
 * install reconciles them, or the install cache restores them) and never part of a build's output.
 * Anything else untracked is removed before every build.
 */
export const dependencyFolders = ['node_modules', '.venv', 'venv', '.yarn', '.pnp.cjs', '.pnp.loader.mjs'] as const;

/** Folders an install writes, which can be cached and seeded. Other ecosystems keep their own caches. */
export function installDirs(dir: string): string[] {
  return detectManager(dir) ? ['node_modules'] : [];
}

export function installKey(dir: string, command: string): string {
  const files = lockfilesIn(dir);
  // Without a lockfile, package.json decides what npm installs.
  if (!files.some((f) => /lock|shrinkwrap/.test(f)) && existsSync(join(dir, 'package.json'))) files.push('package.json');
  return hashOf({ v: 1, files: files.map((f) => [f, hashOf(readFileSync(join(dir, f), 'utf8'))]), node: process.version, platform: platform(), arch: arch(), command });
}

/** How a cached tree is put into a worktree. `cp -al` shares inodes (instant, no disk); copy is the safe fallback. */
export type SeedStrategy = 'hardlink' | 'copy';

export function seedStrategy(): SeedStrategy {
  return process.env.PERFBISECT_SEED === 'copy' ? 'copy' : 'hardlink';
}

export async function copyTree(from: string, to: string, strategy: SeedStrategy): Promise<void> {
  rmSync(to, { recursive: true, force: true });
  if (strategy === 'hardlink') {
    const r = await execa('cp', ['-al', from, to], { reject: false });
    if (r.exitCode === 0) return;
    rmSync(to, { recursive: true, force: true }); // another filesystem: fall back to a copy
  }
  await execa('cp', ['-a', '--reflink=auto', from, to]);
}

export interface InstallEntry {
  key: string;
  command: string;
  seconds: number;
  dirs: string[];
  time: string;
}

/** installs/<key>/: the installed folders and meta.json. Written to a temp name and renamed, so a crash leaves no half entry. */
export class InstallCache {
  constructor(private readonly root: string) {}

  get(key: string): InstallEntry | undefined {
    const f = join(this.root, key, 'meta.json');
    if (!existsSync(f)) return undefined;
    try {
      const e = JSON.parse(readFileSync(f, 'utf8')) as InstallEntry;
      const now = new Date();
      utimesSync(join(this.root, key), now, now); // least recently used is evicted first
      return e;
    } catch {
      return undefined;
    }
  }

  async seed(key: string, worktree: string, entry: InstallEntry): Promise<void> {
    for (const d of entry.dirs) {
      if (existsSync(join(this.root, key, d))) await copyTree(join(this.root, key, d), join(worktree, d), seedStrategy());
    }
  }

  async save(key: string, worktree: string, entry: Omit<InstallEntry, 'key' | 'time'>): Promise<void> {
    const final = join(this.root, key);
    if (existsSync(join(final, 'meta.json'))) return;
    const tmp = `${final}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const d of entry.dirs) if (existsSync(join(worktree, d))) await copyTree(join(worktree, d), join(tmp, d), seedStrategy());
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify({ ...entry, key, time: new Date().toISOString() }));
    try {
      rmSync(final, { recursive: true, force: true });
      renameSync(tmp, final);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}
