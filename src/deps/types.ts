/**
 * Lockfiles as plain data: what resolved to which version, and how to move some packages from one
 * lockfile's state to another's without moving the rest. Pure: text in, text out, no git, no npm.
 */

/** A package manager's lockfile format; all three resolve packages from the npm registry. */
export type LockFormatId = 'npm' | 'pnpm' | 'yarn';

/** The lockfile could not be read or changed: the descent stops there and says why. */
export class LockfileError extends Error {}

export interface LockFormat<L = unknown> {
  id: LockFormatId;
  parse(text: string): L;
  serialize(lock: L): string;
  /** Every resolved version of every package (by the name it is required under). */
  versions(lock: L): Map<string, Set<string>>;
  /** Names the project's own manifests require directly. */
  direct(lock: L): Set<string>;
  /**
   * `old` with the packages named in `names` (and what only they need) as `neu` has them: the
   * entries, and the project's requirements of them.
   */
  apply(old: L, neu: L, names: ReadonlySet<string>): L;
  /** Requirements the lockfile does not satisfy, as name pairs ('' is the project itself). */
  broken(lock: L): Edge[];
  /** Pairs of names that declare each other as peers (they must move together). */
  peers(lock: L): Edge[];
  /** Packages installed from somewhere other than a registry (a tarball, git, a folder): name → source. */
  sources(lock: L): Map<string, string>;
  /** Files inside the repository the lockfile installs from (`file:` tarballs), relative to it. */
  localFiles(lock: L): string[];
  /** Folders (relative to the lockfile, '' for its own) whose package.json the lockfile covers. */
  importers(lock: L): string[];
}

export interface Edge {
  from: string;
  to: string;
}

/** One package whose resolved versions differ between two lockfiles. */
export interface PackageChange {
  name: string;
  /** Versions before and after, sorted; empty when added or removed. */
  from: string[];
  to: string[];
  /** Required by the project itself (package.json), not only by other packages. */
  direct: boolean;
}

/** Packages that move together (peers, or requirements one side cannot meet without the other). */
export interface UpgradeGroup {
  names: string[];
  changes: PackageChange[];
  /** Why the names move together, for the writeup; empty for a single package. */
  reason?: string;
}
