import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { lockFormatFor } from '../../deps/lockfiles.js';
import { manifestRequirements } from '../../deps/manifest.js';
import { UsageError } from '../../errors.js';
import { isUrl } from './descent.js';
import type { Repo } from '../git/git.js';

/** `--dep-repo name=path|url`, repeatable: the repositories of dependencies, for the commit level. */
export function parseDepRepos(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = eq > 0 ? v.slice(0, eq).trim() : '';
    const where = eq > 0 ? v.slice(eq + 1).trim() : '';
    if (!name || !where || !/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) {
      throw new UsageError(
        `--dep-repo ${v}: give a package and its repository, like --dep-repo left-pad=../left-pad ` +
          'or --dep-repo left-pad=https://github.com/left-pad/left-pad.git',
      );
    }
    if (!isUrl(where) && !existsSync(resolve(where))) {
      throw new UsageError(
        `--dep-repo ${v}: ${where} does not exist. Give a local clone of ${name}'s repository or its git URL.`,
      );
    }
    out[name] = isUrl(where) ? where : resolve(where);
  }
  return out;
}

/** Fail before measuring when a --dep-repo names a package no lockfile at good or bad holds. */
export async function checkDepRepoNames(repo: Repo, commits: string[], names: string[]): Promise<void> {
  if (!names.length) return;
  const known = new Set<string>();
  const lockfiles = new Set<string>();
  for (const sha of commits) {
    const files = (await repo.raw(['ls-tree', '-r', '--name-only', sha]))
      .split('\n')
      .filter((f) => f && !f.includes('node_modules/') && lockFormatFor(f));
    for (const f of files) {
      lockfiles.add(f);
      const format = lockFormatFor(f)!;
      try {
        const lock = format.parse(await repo.raw(['show', `${sha}:${f}`]));
        for (const n of format.versions(lock).keys()) known.add(n);
      } catch {
        /* an unreadable lockfile is reported by the descent itself */
      }
      const manifest = f.replace(/[^/]+$/, 'package.json');
      try {
        for (const n of Object.keys(manifestRequirements(await repo.raw(['show', `${sha}:${manifest}`])))) known.add(n);
      } catch {
        /* no package.json beside it */
      }
    }
  }
  for (const name of names) {
    if (known.has(name)) continue;
    const where = lockfiles.size ? [...lockfiles].join(', ') : 'no lockfile';
    const close = [...known].filter((k) => k.includes(name) || name.includes(k)).slice(0, 3);
    throw new UsageError(
      `--dep-repo ${name}=…: no package named '${name}' at good or bad (read ${where})` +
        `${close.length ? `; did you mean ${close.join(', ')}?` : ''}.`,
    );
  }
}
