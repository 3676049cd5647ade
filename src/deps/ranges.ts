import { semver as loadSemver } from '../lazy-modules.js';

/**
 * Whether an installed version meets a requirement as npm reads it: a semver range (loose, like
 * npm), an `npm:` alias's range, a dist-tag or `*`. Specs that name a source rather than a range
 * (file:, git, http, link:, workspace:) are met by whatever the lockfile resolved them to.
 */
export function depSatisfied(version: string, spec: string): boolean {
  const semver = loadSemver();
  let range = spec.trim();
  const alias = /^npm:(?:@[^/]+\/)?[^@]+@(.*)$/.exec(range);
  if (alias) range = alias[1];
  else if (range.startsWith('npm:')) return true;
  if (range === '' || range === '*' || range === 'latest') return true;
  if (/^(file|link|git|git\+\w+|https?|github|workspace|portal|patch):/.test(range) || range.includes('/')) return true;
  if (semver.validRange(range, { loose: true }) === null) return true; // a dist-tag: whatever it meant then
  return semver.satisfies(version, range, { loose: true, includePrerelease: true });
}

/** Versions in semver order (unparsable ones last, as given). */
export function sortVersions(vs: Iterable<string>): string[] {
  const semver = loadSemver();
  const list = [...vs];
  const ok = list.filter((v) => semver.valid(v, { loose: true })).sort((a, b) => semver.compare(a, b, { loose: true }));
  return [...ok, ...list.filter((v) => !semver.valid(v, { loose: true }))];
}

/**
 * Published versions after `from` up to and including `to`, in order: the candidates for the
 * first slow version. Pre-releases count only when `from` or `to` is one (users rarely ran them).
 */
export function versionsBetween(published: readonly string[], from: string, to: string): string[] {
  const semver = loadSemver();
  const loose = { loose: true };
  if (!semver.valid(from, loose) || !semver.valid(to, loose)) return [];
  const pre = !!semver.prerelease(from, loose) || !!semver.prerelease(to, loose);
  // A downgrade is walked from the newer version down to the older one.
  const down = semver.gt(from, to, loose);
  const inside = published.filter((v) => {
    if (!semver.valid(v, loose) || (!pre && semver.prerelease(v, loose) && v !== to)) return false;
    return down
      ? semver.lt(v, from, loose) && semver.gte(v, to, loose)
      : semver.gt(v, from, loose) && semver.lte(v, to, loose);
  });
  const list = sortVersions(new Set(inside));
  return down ? list.reverse() : list;
}
