import type { LockFormatId, PackageChange } from './types.js';

/**
 * What the descent into a culprit's dependency changes found, as the result JSON carries it on
 * the culprit (docs/result-schema.md, "culprit.dependency").
 */
export type DepLevel = 'package' | 'version' | 'commit';

export interface DependencyFinding {
  /** The package registry's ecosystem, as OSV names it: "npm" for npm, pnpm and Yarn lockfiles. */
  ecosystem: 'npm';
  name: string;
  from: string;
  to: string;
  /** Packages that moved with it as one group (peers, or requirements that need each other). */
  group?: string[];
  /** The first published version between from and to that is slow, and the one before it. */
  firstBadVersion?: string;
  lastGoodVersion?: string;
  /** The commit of the package's repository (--dep-repo) that made it slow. */
  commit?: string;
  commitSubject?: string;
  /** The change this finding carries at its deepest level (median after / before). */
  ratio?: number;
}

export interface DescentLevel {
  level: DepLevel;
  /** What was bisected: upgrade groups, published versions or repository commits. */
  candidates: number;
  /** Candidates measured (the two ends included). */
  measured: number;
  /** The label of what was found, e.g. "left-pad 1.1.0 → 1.3.0" or "1.2.1". */
  found?: string;
  /** median(after) / median(before) at the found step, with its interval and p. */
  ratio?: number;
  ci?: [number, number];
  p?: number;
}

export interface DependencyDescent {
  /** The package manager whose lockfile was read (absent when none could be). */
  manager?: LockFormatId;
  lockfile: string;
  /** Every package whose resolved versions changed, direct and transitive. */
  changes: PackageChange[];
  groups: number;
  levels: DescentLevel[];
  /** Further packages found slow beside `dependency` (several steps at the package level). */
  others?: DependencyFinding[];
  /** Why the descent went no deeper, when it stopped before the commit level. */
  stopped?: string;
}
