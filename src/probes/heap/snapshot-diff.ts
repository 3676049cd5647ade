/**
 * A heap snapshot diff like Chrome DevTools' "Comparison" view, reduced to what a writeup needs:
 * per constructor, how many objects and bytes (self size) the second snapshot holds more than the
 * first. Pure: parsed .heapsnapshot JSON in, rows out.
 */
import { median } from '../../stats/summary.js';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] } };
  nodes: number[];
  strings: string[];
}

export interface ConstructorCount {
  count: number;
  size: number;
}

export interface HeapDiffRow {
  name: string;
  before: number;
  after: number;
  countDelta: number;
  sizeDelta: number;
}

/** Object counts and self sizes by constructor name (object nodes by name; others by their type). */
export function countByConstructor(s: HeapSnapshot): Map<string, ConstructorCount> {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const out = new Map<string, ConstructorCount>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + fType]];
    if (type === 'hidden' || type === 'synthetic' || type === 'code' || type === 'object shape') continue;
    const name = type === 'object' || type === 'native' ? s.strings[s.nodes[i + fName]] : `(${type})`;
    const c = out.get(name) ?? { count: 0, size: 0 };
    c.count++;
    c.size += s.nodes[i + fSize];
    out.set(name, c);
  }
  return out;
}

/** Constructors whose counts grew most between two snapshots (largest growth first). */
export function diffSnapshots(before: HeapSnapshot, after: HeapSnapshot, top = 15): HeapDiffRow[] {
  const a = countByConstructor(before);
  const b = countByConstructor(after);
  const rows: HeapDiffRow[] = [];
  for (const [name, c] of b) {
    const p = a.get(name) ?? { count: 0, size: 0 };
    if (c.count > p.count || c.size > p.size)
      rows.push({ name, before: p.count, after: c.count, countDelta: c.count - p.count, sizeDelta: c.size - p.size });
  }
  return rows.sort((x, y) => y.countDelta - x.countDelta || y.sizeDelta - x.sizeDelta).slice(0, top);
}

/**
 * Theil–Sen slope of y over x: the median of the pairwise slopes. GC leaves the odd checkpoint
 * hundreds of KB high (a lazily built cache, a late finalizer); a least-squares fit would read that
 * as a leak, the median does not.
 */
export function slope(points: readonly (readonly [number, number])[]): number {
  const s: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j][0] - points[i][0];
      if (dx !== 0) s.push((points[j][1] - points[i][1]) / dx);
    }
  }
  return s.length === 0 ? 0 : median(s);
}
