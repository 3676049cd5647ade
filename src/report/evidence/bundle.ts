import type { BundleSizes } from '../../probes/bundle.js';
import { fmtBytes } from '../format.js';
import { signedBytes } from './cell.js';
import { mdCode } from '../escape.js';

/**
 * The bundle evidence at a culprit: per-file sizes before and after (the metric's compression),
 * then, from source maps, the source modules whose bytes grew. Pure: two bundle-sizes.json in,
 * Markdown lines out.
 */
export function renderBundleEvidence(
  before: BundleSizes,
  after: BundleSizes,
  options: { top?: number } = {},
): string[] {
  const key = after.compression === 'none' ? 'raw' : after.compression;
  const label = after.compression === 'none' ? 'bytes' : after.compression;
  const a = new Map(before.files.map((f) => [f.file, f]));
  const b = new Map(after.files.map((f) => [f.file, f]));
  const names = [...new Set([...a.keys(), ...b.keys()])];
  const rows = names
    .map((n) => ({ n, x: a.get(n)?.[key], y: b.get(n)?.[key] }))
    .map((r) => ({ ...r, d: (r.y ?? 0) - (r.x ?? 0) }))
    .sort((p, q) => Math.abs(q.d) - Math.abs(p.d) || p.n.localeCompare(q.n));
  const sum = (m: Map<string, { raw: number; gzip: number; brotli: number }>) =>
    [...m.values()].reduce((s, f) => s + f[key], 0);
  const L = [`| File | Before (${label}) | After (${label}) | Δ |`, '|---|---:|---:|---:|'];
  for (const r of rows.slice(0, options.top ?? 20)) {
    const note = r.x === undefined ? ' (new)' : r.y === undefined ? ' (removed)' : '';
    L.push(
      `| ${mdCode(r.n, { inTable: true })}${note} | ${r.x === undefined ? '–' : fmtBytes(r.x)} | ${r.y === undefined ? '–' : fmtBytes(r.y)} | ${signedBytes(r.d)} |`,
    );
  }
  if (rows.length > (options.top ?? 20)) L.push(`| … ${rows.length - (options.top ?? 20)} more files | | | |`);
  L.push(`| **total** | ${fmtBytes(sum(a))} | ${fmtBytes(sum(b))} | ${signedBytes(sum(b) - sum(a))} |`, '');
  const grew = moduleGrowth(before, after).slice(0, options.top ?? 10);
  if (grew.length) {
    L.push(
      'Source modules that grew (raw bytes in the output, attributed through source maps):',
      '',
      '| Module | In | Before | After | Δ |',
      '|---|---|---:|---:|---:|',
    );
    for (const g of grew)
      L.push(
        `| ${mdCode(g.module, { inTable: true })}${g.before === 0 ? ' (new)' : ''} | ${mdCode(g.file, { inTable: true })} | ${fmtBytes(g.before)} | ${fmtBytes(g.after)} | ${signedBytes(g.after - g.before)} |`,
      );
    L.push('');
  }
  return L;
}

/** Source modules whose attributed bytes grew, largest growth first. */
export function moduleGrowth(
  before: BundleSizes,
  after: BundleSizes,
): { file: string; module: string; before: number; after: number }[] {
  const out: { file: string; module: string; before: number; after: number }[] = [];
  for (const [file, mods] of Object.entries(after.sources ?? {})) {
    const prev = before.sources?.[file] ?? {};
    for (const [module, bytes] of Object.entries(mods)) {
      const was = prev[module] ?? 0;
      if (bytes > was) out.push({ file, module, before: was, after: bytes });
    }
  }
  return out.sort((p, q) => q.after - q.before - (p.after - p.before));
}
