import type { DependencyDescent, DependencyFinding, DescentLevel } from '../deps/result.js';
import { changeLabel } from '../deps/upgrades.js';
import { fmtP, fmtRatio, short } from './format.js';
import { termText } from './escape.js';

/** "left-pad 1.1.0 → 1.3.0; first slow version 1.2.1; commit 1a2b3c4d5e make it faster" (plain text). */
export function dependencyLine(d: DependencyFinding): string {
  const parts = [`${d.name} ${d.from} → ${d.to}`];
  if (d.group && d.group.length > 1) parts[0] += ` (moves with ${d.group.filter((n) => n !== d.name).join(', ')})`;
  if (d.firstBadVersion) parts.push(`first slow version ${d.firstBadVersion}`);
  if (d.commit) parts.push(`commit ${short(d.commit)}${d.commitSubject ? ` ${d.commitSubject}` : ''}`);
  return termText(parts.join('; '));
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const levelNames: Record<DescentLevel['level'], string> = { package: 'Package', version: 'Version', commit: 'Commit' };
const what: Record<DescentLevel['level'], string> = {
  package: 'upgrade groups',
  version: 'published versions',
  commit: 'commits',
};

/**
 * The writeup's section for a culprit whose change touched a lockfile: what was found at each level,
 * and where it stopped.
 */
export function dependencySection(
  c: { dependency?: DependencyFinding; descent?: DependencyDescent },
  md: (s: string) => string,
): string[] {
  const d = c.descent;
  if (!d) return [];
  const L = ['#### Inside the dependency change', ''];
  if (c.dependency) L.push(`**${md(dependencyLine(c.dependency))}**`, '');
  if (d.changes.length) {
    const shown = d.changes.slice(0, 12).map((x) => `\`${md(changeLabel(x))}\`${x.direct ? '' : ' (transitive)'}`);
    L.push(
      `${md(d.lockfile)}: ${plural(d.changes.length, 'package')} changed (${shown.join(', ')}` +
        `${d.changes.length > 12 ? ', …' : ''}), in ${plural(d.groups, 'upgrade group')}.`,
      '',
    );
  }
  if (d.levels.length) {
    L.push('| Level | Bisected | Measured | Found | Change |', '|---|---|---|---|---|');
    for (const l of d.levels) {
      const change =
        l.ratio !== undefined
          ? `${fmtRatio(l.ratio)}${l.ci ? ` [${fmtRatio(l.ci[0])}, ${fmtRatio(l.ci[1])}]` : ''}` +
            `${l.p !== undefined ? ` ${fmtP(l.p)}` : ''}`
          : '';
      L.push(
        `| ${levelNames[l.level]} | ${l.candidates} ${what[l.level]} | ${l.measured} | ` +
          `${l.found ? md(l.found) : '–'} | ${change} |`,
      );
    }
    L.push('');
  }
  for (const other of d.others ?? [])
    L.push(
      `Also slower on its own: ${md(dependencyLine(other))}${other.ratio ? ` (${fmtRatio(other.ratio)})` : ''}.`,
      '',
    );
  const deepest = d.levels.length ? d.levels[d.levels.length - 1].level : undefined;
  if (d.stopped)
    L.push(
      `Went as far as ${deepest ? `the ${deepest} level` : 'listing the changes'} and stopped: ${md(d.stopped)}.`,
      '',
    );
  L.push(
    "Each level measured the culprit's parent with the upgrades applied (synthetic commits), " +
      'with the same probe, interleaving and statistics as the bisect.',
    '',
  );
  return L;
}
