import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { npmLock, type NpmLock } from '../../deps/npm-lock.js';
import { joinPath } from '../../deps/lockfiles.js';

/**
 * npm, as the descent needs it: the versions the configured registry publishes, and a lockfile
 * that pins one package to one version (or a tarball), resolved by npm itself in a checkout.
 * Registry and credentials are whatever the project's .npmrc, the user's config and the
 * environment say, as for the user's own `npm install`.
 */
export class NpmDependencyError extends Error {}

const quiet = ['--no-audit', '--no-fund', '--loglevel=error'];

function firstError(e: unknown): string {
  const r = e as { stderr?: string; shortMessage?: string; message: string };
  const lines = (r.stderr ?? '')
    .split('\n')
    .map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim())
    .filter(Boolean);
  const code = lines.find((l) => /^code /.test(l));
  const text = lines.find((l) => !/^(code |A complete log|$)/.test(l));
  return [code, text].filter(Boolean).join(': ') || r.shortMessage || r.message;
}

export interface NpmRun {
  env: Record<string, string>;
  signal: AbortSignal;
  timeoutMs?: number;
}

/** Every version the registry publishes of `name` (npm view), oldest first as the registry lists them. */
export async function publishedVersions(dir: string, name: string, npm: NpmRun): Promise<string[]> {
  try {
    const r = await execa('npm', ['view', name, 'versions', '--json', ...quiet], {
      cwd: dir,
      env: npm.env,
      extendEnv: false,
      cancelSignal: npm.signal,
      timeout: npm.timeoutMs ?? 120_000,
    });
    const v = JSON.parse(r.stdout || '[]') as string[] | string;
    return Array.isArray(v) ? v : [v];
  } catch (e) {
    throw new NpmDependencyError(`npm view ${name} versions: ${firstError(e)}`);
  }
}

/**
 * In a checkout at `lockDir` (the lockfile's folder): require `name` at `spec` wherever a
 * package.json requires it directly, else through `overrides`, and let npm update the lockfile
 * alone (no install, no scripts). Returns the repository paths it changed, with their text.
 */
export async function pinPackage(
  npm: NpmRun & { checkout: string; lockDir: string; lockfile: string; name: string; spec: string },
): Promise<Record<string, string>> {
  const dir = join(npm.checkout, npm.lockDir);
  const lockPath = join(npm.checkout, npm.lockfile);
  const lock = npmLock.parse(readFileSync(lockPath, 'utf8')) as NpmLock;
  const fields = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
  const changed: string[] = [];
  for (const importer of npmLock.importers(lock)) {
    const rel = joinPath(joinPath(npm.lockDir, importer), 'package.json');
    const file = join(npm.checkout, rel);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const m = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
    let hit = false;
    for (const f of fields) {
      if (m[f]?.[npm.name] !== undefined) {
        m[f]![npm.name] = npm.spec;
        hit = true;
      }
    }
    if (importer === '' && !hit && !npmLock.direct(lock).has(npm.name)) {
      m.overrides = { ...(m.overrides ?? {}), [npm.name]: npm.spec };
      hit = true;
    }
    if (!hit) continue;
    const indent = /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
    writeFileSync(file, JSON.stringify(m, null, indent) + (text.endsWith('\n') ? '\n' : ''));
    changed.push(rel);
  }
  try {
    await execa('npm', ['install', '--package-lock-only', '--ignore-scripts', ...quiet], {
      cwd: dir,
      env: npm.env,
      extendEnv: false,
      cancelSignal: npm.signal,
      timeout: npm.timeoutMs ?? 300_000,
    });
  } catch (e) {
    throw new NpmDependencyError(`npm could not resolve ${npm.name}@${npm.spec}: ${firstError(e)}`);
  }
  const out: Record<string, string> = {};
  for (const rel of [...changed, npm.lockfile]) out[rel] = readFileSync(join(npm.checkout, rel), 'utf8');
  return out;
}

/** `npm pack` of a package folder (its prepack/prepare scripts run, as for a publish): the tarball's path. */
export async function packFolder(dir: string, dest: string, npm: NpmRun): Promise<string> {
  try {
    const r = await execa('npm', ['pack', '--json', '--pack-destination', dest, ...quiet], {
      cwd: dir,
      env: npm.env,
      extendEnv: false,
      cancelSignal: npm.signal,
      timeout: npm.timeoutMs ?? 300_000,
    });
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string }[];
    return join(dest, info[0].filename.replace(/^@/, '').replace(/\//, '-'));
  } catch (e) {
    throw new NpmDependencyError(`npm pack failed: ${firstError(e)}`);
  }
}
