import { manifestRequirements, patchManifest } from './manifest.js';
import { dirOf, joinPath, lockFormatFor } from './lockfiles.js';
import { sortVersions } from './ranges.js';
import { LockfileError, type LockFormat, type LockFormatId, type PackageChange, type UpgradeGroup } from './types.js';

/** The lockfile and manifests of the culprit's parent (`older`) and of the culprit (`newer`). */
export interface UpgradeInput {
  /** Repository path of the lockfile. */
  lockfile: string;
  older: string;
  newer: string;
  /** Every package.json the culprit changed, and the lockfile folder's own (changed or not). */
  manifests: { path: string; older: string; newer: string }[];
}

export interface UpgradeStep {
  group: UpgradeGroup;
  label: string;
  /** Repository paths and their text after this step (and every step before it). */
  files: Record<string, string>;
  /** Repository paths of local tarballs the lockfile installs from at this step. */
  localFiles: string[];
}

export interface UpgradePlan {
  format: LockFormatId;
  lockfile: string;
  changes: PackageChange[];
  groups: UpgradeGroup[];
  /** One step per group, in order: step k applies groups 0..k on the parent. */
  steps: UpgradeStep[];
  /** Packages the culprit installs from somewhere other than a registry: name → source. */
  sources: Record<string, string>;
}

/** Packages whose resolved versions differ, by name. */
export function packageChanges(
  older: Map<string, Set<string>>,
  newer: Map<string, Set<string>>,
  direct: Set<string>,
): PackageChange[] {
  const names = [...new Set([...older.keys(), ...newer.keys()])].sort((a, b) => a.localeCompare(b, 'en'));
  const out: PackageChange[] = [];
  for (const name of names) {
    const from = sortVersions(older.get(name) ?? []);
    const to = sortVersions(newer.get(name) ?? []);
    if (from.join() !== to.join()) out.push({ name, from, to, direct: direct.has(name) });
  }
  return out;
}

/** `left-pad 1.1.0 → 1.3.0`, `+left-pad 1.3.0`, `-left-pad 1.1.0`. */
export function changeLabel(c: PackageChange): string {
  if (!c.from.length) return `+${c.name} ${c.to.join(', ')}`;
  if (!c.to.length) return `-${c.name} ${c.from.join(', ')}`;
  return `${c.name} ${c.from.join(', ')} → ${c.to.join(', ')}`;
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): boolean {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra === rb) return false;
    this.parent.set(rb < ra ? ra : rb, rb < ra ? rb : ra);
    return true;
  }
}

function parseBoth<L>(format: LockFormat<L>, input: UpgradeInput): [L, L] {
  const parse = (text: string, which: string) => {
    try {
      return format.parse(text);
    } catch (e) {
      throw new LockfileError(`${input.lockfile} at the ${which}: ${(e as Error).message}`);
    }
  };
  const older = parse(input.older, "culprit's parent");
  const newer = parse(input.newer, 'culprit');
  // yarn.lock does not hold the project's own requirements: they come from package.json.
  if (format.id === 'yarn') {
    const root = input.manifests.find((m) => m.path === joinPath(dirOf(input.lockfile), 'package.json'));
    (older as { direct: Record<string, string> }).direct = root ? manifestRequirements(root.older) : {};
    (newer as { direct: Record<string, string> }).direct = root ? manifestRequirements(root.newer) : {};
  }
  return [older, newer];
}

/**
 * The upgrades of a lockfile change as a chain: packages that must move together in one group
 * (declared peers, and any pair where moving one alone leaves a requirement unmet), groups in
 * name order, and the files after each step.
 */
export function planUpgrades(input: UpgradeInput): UpgradePlan {
  const format = lockFormatFor(input.lockfile);
  if (!format) throw new LockfileError(`${input.lockfile} is not a lockfile perfbisect reads`);
  const [older, newer] = parseBoth(format, input);
  const changes = packageChanges(
    format.versions(older),
    format.versions(newer),
    new Set([...format.direct(older), ...format.direct(newer)]),
  );
  const changed = new Set(changes.map((c) => c.name));
  const uf = new UnionFind();
  const why = new Map<string, string>();
  for (const e of [...format.peers(older), ...format.peers(newer)]) {
    if (changed.has(e.from) && changed.has(e.to) && uf.union(e.from, e.to))
      why.set(`${e.from}|${e.to}`, `${e.from} has ${e.to} as a peer`);
  }
  const groupsNow = () => {
    const by = new Map<string, string[]>();
    for (const c of changes) by.set(uf.find(c.name), [...(by.get(uf.find(c.name)) ?? []), c.name]);
    return [...by.values()].sort((a, b) => a[0].localeCompare(b[0], 'en'));
  };
  // Requirements already unmet at either end are not ours to fix.
  const known = new Set([...format.broken(older), ...format.broken(newer)].map((e) => `${e.from}|${e.to}`));
  for (let merged = true; merged;) {
    merged = false;
    const groups = groupsNow();
    const names = new Set<string>();
    for (const g of groups.slice(0, -1)) {
      g.forEach((n) => names.add(n));
      for (const e of format.broken(format.apply(older, newer, names))) {
        if (known.has(`${e.from}|${e.to}`) || !changed.has(e.from) || !changed.has(e.to)) continue;
        if (uf.union(e.from, e.to)) {
          why.set(`${e.from}|${e.to}`, `${e.from}'s requirement of ${e.to} is met only when both move`);
          merged = true;
        }
      }
      if (merged) break;
    }
  }
  const byName = new Map(changes.map((c) => [c.name, c]));
  const groups: UpgradeGroup[] = groupsNow().map((names) => {
    const reasons = [...why.entries()].filter(([k]) => names.includes(k.split('|')[0])).map(([, v]) => v);
    return {
      names,
      changes: names.map((n) => byName.get(n)!),
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    };
  });
  const steps: UpgradeStep[] = [];
  const moving = new Set<string>();
  const dir = dirOf(input.lockfile);
  for (const group of groups) {
    group.names.forEach((n) => moving.add(n));
    const lock = format.apply(older, newer, moving);
    const files: Record<string, string> = { [input.lockfile]: format.serialize(lock) };
    for (const m of input.manifests) files[m.path] = patchManifest(m.older, m.newer, moving);
    steps.push({
      group,
      label: group.changes.map(changeLabel).join(', '),
      files,
      localFiles: format.localFiles(lock).map((f) => joinPath(dir, f)),
    });
  }
  return {
    format: format.id,
    lockfile: input.lockfile,
    changes,
    groups,
    steps,
    sources: Object.fromEntries(format.sources(newer)),
  };
}
