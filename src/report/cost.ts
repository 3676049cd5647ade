import { fmtDuration, short } from './format.js';
import type { CommitCost, RunCost, RunResult } from './result.js';

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The run's cost in one line, for the end of the terminal output and the writeup. */
export function costSummary(co: RunCost): string {
  return (
    `${fmtDuration(co.wallSeconds)} wall, ${count(co.builds, 'build')} (${fmtDuration(co.buildSeconds)}), ` +
    `${count(co.samples, 'probe run')} (${fmtDuration(co.measureSeconds)})` +
    // Profiling runs the probe too, under a profiler, and is not counted among the probe runs.
    (co.profileSeconds ? `, profiling ${fmtDuration(co.profileSeconds)} (--no-profile skips it)` : '') +
    (co.cachedBlocks ? `, ${co.cachedBlocks} measurement blocks reused from the cache` : '')
  );
}

/** What happened to one commit besides its own work: reuses, and what ran in the background. */
function notes(c: CommitCost): string {
  return [
    c.cached && 'samples from the cache',
    c.buildCached && 'build restored',
    c.installReused && 'install reused',
    c.installedAhead && 'installed ahead',
    c.builtAhead && 'built ahead',
  ].filter(Boolean).join(', ');
}

/**
 * "Where the time went": the writeup's per-commit breakdown of the wall time. Only
 * commits that were measured (or replayed) or built (or restored) have a row: a commit merely
 * checked out by a guess of the search cost nothing worth a line.
 */
export function costSection(r: RunResult): string[] {
  const co = r.cost;
  const worked = (c: CommitCost) => c.measure > 0 || c.cached || c.build > 0 || !!c.buildCached;
  const rows = Object.entries(co.perCommit).filter(([, c]) => worked(c));
  if (rows.length === 0) return [];
  // Installs run ahead for commits the search then did not measure: counted, but they have no row.
  const unused = Object.values(co.perCommit).filter((c) => !worked(c) && c.installedAhead).length;
  const s = (v?: number) => (!v ? '–' : v < 1 ? `${Math.round(v * 1000)} ms` : fmtDuration(v));
  const L = ['#### Where the time went', ''];
  const parts = [
    `${fmtDuration(co.wallSeconds)} wall`,
    `${co.installs ?? 0} installs` +
      (co.installsReused ? ` and ${co.installsReused} copies from the install cache` : '') +
      (unused ? ` (${unused} of them ahead, in the background, for commits the search then did not need)` : ''),
    `${co.builds} builds${co.buildsRestored ? ` (${co.buildsRestored} restored from the build cache)` : ''}`,
    `${co.cachedBlocks} blocks replayed`,
    ...(co.profileSeconds
      ? [`profiling the culprit${r.culprits.length > 1 ? 's' : ''} ${s(co.profileSeconds)}`]
      : []),
    `perfbisect's own overhead ${s(co.overheadSeconds)}`,
    co.savedSeconds
      ? `reusing installs, builds and measured blocks saved ${s(co.savedSeconds)} (what redoing them for each commit would have cost)`
      : 'nothing reused saved time',
  ];
  L.push(parts.join(', ') + '.', '');
  L.push('| Commit | Checkout | Install | Build | Probe start | Measure | Overhead | Saved | Notes |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const [sha, c] of rows) {
    const times = [c.checkout, c.install, c.build, c.server, c.measure, c.overhead, c.saved].map(s);
    L.push(`| \`${short(sha)}\` | ${times.join(' | ')} | ${notes(c) || '–'} |`);
  }
  L.push(
    '',
    "Each row is that commit's own time: an install's includes saving it to the install cache, and commits " +
      'prepared side by side (or ahead, while another was measured) overlap, so the columns can add up to ' +
      'more than the wall time.',
    '',
  );
  return L;
}
