import { fmtDuration, short } from './format.js';
import type { RunResult } from './result.js';

/** "Where the time went": the writeup's per-commit breakdown of the wall time (issue 10). */
export function costSection(r: RunResult): string[] {
  const co = r.cost;
  const rows = Object.entries(co.perCommit);
  if (rows.length === 0) return [];
  const s = (v?: number) => (!v ? '–' : v < 1 ? `${Math.round(v * 1000)} ms` : fmtDuration(v));
  const L = ['#### Where the time went', ''];
  const parts = [
    `${fmtDuration(co.wallSeconds)} wall`,
    `${co.installs ?? 0} installs${co.installsReused ? ` (${co.installsReused} reused)` : ''}`,
    `${co.builds} builds${co.buildsRestored ? ` (${co.buildsRestored} restored from the build cache)` : ''}`,
    `${co.cachedBlocks} blocks replayed`,
    `perfbisect's own overhead ${s(co.overheadSeconds)}`,
    `the caches saved ${s(co.savedSeconds)}`,
  ];
  L.push(parts.join(', ') + '.', '');
  L.push('| Commit | Checkout | Install | Build | Server start | Measure | Overhead | Saved | Reused |', '|---|---|---|---|---|---|---|---|---|');
  for (const [sha, c] of rows) {
    const reused = [c.cached && 'samples', c.buildCached && 'build', c.installReused && 'install', c.ahead && 'built ahead'].filter(Boolean).join(', ');
    L.push(`| \`${short(sha)}\` | ${s(c.checkout)} | ${s(c.install)} | ${s(c.build)} | ${s(c.server)} | ${s(c.measure)} | ${s(c.overhead)} | ${s(c.saved)} | ${reused || '–'} |`);
  }
  L.push('');
  return L;
}
