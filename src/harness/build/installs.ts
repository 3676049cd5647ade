import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { hashOf } from '../store/fingerprint.js';
import { readEntry, writeEntry } from '../store/folder-entry.js';
import { copyTree, treeStamp } from './tree-copy.js';

/**
 * Dependency installs, paid once per distinct lockfile. The key is what decides the installed
 * tree: every lockfile's content, the install settings beside them, the runtime, the platform and
 * the install command. A worktree that still holds a key's modules unchanged is reused as is;
 * another worktree is seeded from the cached tree by a copy (a copy-on-write clone where the file
 * system has one), so nothing written into one worktree's node_modules reaches the cache or
 * another worktree.
 */
export type PackageManager = 'npm' | 'pnpm' | 'yarn';

/** Files whose content decides what an install produces, in the repository root. */
const lockfileNames = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'go.sum',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
];

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
  if (
    existsSync(join(dir, 'package-lock.json')) ||
    existsSync(join(dir, 'npm-shrinkwrap.json')) ||
    existsSync(join(dir, 'package.json'))
  )
    return 'npm';
  return undefined;
}

/**
 * The install command for `install: 'auto'`: the lockfile's package manager, offline-first
 * against its shared cache, never touching the network for what the cache has.
 */
export function autoInstallCommand(dir: string): string | undefined {
  const m = detectManager(dir);
  const hasLock = existsSync(join(dir, 'package-lock.json')) || existsSync(join(dir, 'npm-shrinkwrap.json'));
  if (m === 'npm')
    return hasLock
      ? 'npm ci --prefer-offline --no-audit --no-fund'
      : 'npm install --prefer-offline --no-audit --no-fund --no-save';
  if (m === 'pnpm') return 'pnpm install --frozen-lockfile --prefer-offline';
  if (m === 'yarn') return 'yarn install --frozen-lockfile --prefer-offline';
  return undefined;
}

/**
 * Whether the command starts with an npm, pnpm or Yarn install, which makes an existing
 * node_modules match the manifest (adds, changes and removes packages): a tree seeded from another
 * lockfile's install then ends as this one's would.
 */
export function reconciles(command: string): boolean {
  return /^\s*(npm\s+(ci|install|i)|pnpm\s+(install|i)|yarn(\s+install)?)(\s|$)/.test(command);
}

/**
 * Advice for an install whose scripts build what --build builds too: npm and pnpm take
 * --ignore-scripts (Yarn 2+ does not), and only a single command can simply be given one more flag.
 * It skips the dependencies' own install scripts too, which a native addon needs: said with it.
 */
export function ignoreScriptsHint(command: string): string | undefined {
  // Shell syntax, quotes or a comment would put the flag in the wrong place or break the quoted suggestion.
  if (!/^\s*p?npm\s/.test(command) || !reconciles(command) || /[;&|<>`$()\n"'\\#]/.test(command)) return undefined;
  if (command.includes('--ignore-scripts')) return undefined;
  return (
    `if --build makes them, --install "${command.trim()} --ignore-scripts" stops every install building them too; ` +
    "it also skips the dependencies' install scripts, so native addons (node-gyp) will not build"
  );
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

/** Settings files beside the lockfile that change what an install writes. */
const installSettings = ['.npmrc', '.yarnrc', '.yarnrc.yml', '.pnpmfile.cjs', 'pnpm-workspace.yaml'];
/** Fields of the root package.json that run code or change resolution during an install. */
const installFields = ['overrides', 'resolutions', 'pnpm', 'patchedDependencies', 'workspaces'];
const installScripts = ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish'];

/** The root package.json's fields that act during an install (its lockfile does not record them). */
function installManifest(dir: string): unknown {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return null;
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const scripts = (pkg.scripts ?? {}) as Record<string, unknown>;
    return { fields: installFields.map((f) => pkg[f] ?? null), scripts: installScripts.map((s) => scripts[s] ?? null) };
  } catch {
    return readFileSync(file, 'utf8');
  }
}

/** Every file under `dir` with its content hash (patch-package's patches/ folder). */
function folderHashes(dir: string): [string, string][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .map((f) => [f.slice(dir.length + 1), hashOf(readFileSync(f, 'utf8'))]);
}

export function installKey(dir: string, command: string): string {
  const files = [...lockfilesIn(dir), ...installSettings.filter((f) => existsSync(join(dir, f)))];
  // Without a lockfile, package.json decides what npm installs; without a pinned Python list, the
  // project's own metadata decides what pip installs.
  const hasLockfile = files.some((f) => /lock|shrinkwrap/.test(f));
  if (!hasLockfile && existsSync(join(dir, 'package.json'))) files.push('package.json');
  if (!files.some((f) => /^(requirements.*\.txt|poetry\.lock|uv\.lock|Pipfile\.lock)$/.test(f)))
    files.push(...['pyproject.toml', 'setup.py', 'setup.cfg'].filter((f) => existsSync(join(dir, f))));
  // Version 2: entries written before installs were copied (not hardlinked) may have been rewritten in place.
  // Version 3: earlier entries may list node_modules for an install that wrote none (seeded empty).
  return hashOf({
    v: 3, files: files.map((f) => [f, hashOf(readFileSync(join(dir, f), 'utf8'))]), manifest: installManifest(dir),
    patches: folderHashes(join(dir, 'patches')), node: process.version, platform: platform(), arch: arch(), command,
  });
}

/**
 * The state of a worktree's installed folders, to tell whether anything (a build, a probe, a
 * postinstall run again) rewrote them since they were installed or seeded. Tool caches that
 * validate their own entries (node_modules/.cache) are left out.
 */
export function installStamp(dir: string, dirs: readonly string[]): string {
  return hashOf(dirs.map((d) => treeStamp(join(dir, d), ['.cache']) ?? null));
}

export interface InstallEntry {
  key: string;
  command: string;
  seconds: number;
  dirs: string[];
  time: string;
}

/**
 * installs/<key>/: the installed folders and meta.json. Written to a temp name and renamed, so a crash leaves no half
 * entry.
 */
export class InstallCache {
  constructor(private readonly root: string) {}

  get(key: string): InstallEntry | undefined {
    return readEntry<InstallEntry>(join(this.root, key));
  }

  async seed(key: string, worktree: string, entry: InstallEntry, signal?: AbortSignal): Promise<void> {
    for (const d of entry.dirs) {
      const from = join(this.root, key, d);
      if (existsSync(from)) await copyTree(from, join(worktree, d), 'system', signal);
    }
  }

  async save(key: string, worktree: string, entry: Omit<InstallEntry, 'key' | 'time'>, signal?: AbortSignal): Promise<void> {
    await writeEntry(join(this.root, key), async (tmp) => {
      for (const d of entry.dirs)
        if (existsSync(join(worktree, d))) await copyTree(join(worktree, d), join(tmp, d), 'system', signal);
    }, { ...entry, key, time: new Date().toISOString() });
  }
}
