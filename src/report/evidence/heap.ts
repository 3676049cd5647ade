import type { HeapDiffRow } from '../../probes/heap/snapshot-diff.js';
import { signedBytes } from './cell.js';
import { mdCode } from '../escape.js';

export interface HeapDiffFile {
  before: string;
  after: string;
  constructors: HeapDiffRow[];
}

/**
 * The heap evidence at a culprit: the constructors whose object counts grew most over the culprit's
 * run (from two heap snapshots), against the same figure at the parent, and links to the snapshots.
 * Pure: two heap-diff.json in, Markdown lines out.
 */
export function renderHeapEvidence(parent: HeapDiffFile | undefined, culprit: HeapDiffFile, top = 10): string[] {
  const prev = new Map((parent?.constructors ?? []).map((c) => [c.name, c]));
  const L = [
    'Objects that piled up over the measured iterations at the culprit (heap snapshot after the warm-up vs after the last iteration):',
    '',
    '| Constructor | Count before | Count after | Δ count | Δ self size | Δ count at the parent |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of culprit.constructors.slice(0, top)) {
    L.push(
      `| ${mdCode(c.name, { inTable: true })} | ${c.before} | ${c.after} | +${c.countDelta} | ${signedBytes(c.sizeDelta)} | ${parent ? `+${prev.get(c.name)?.countDelta ?? 0}` : '–'} |`,
    );
  }
  L.push(
    '',
    `Snapshots (open in Chrome DevTools → Memory → Load, then Comparison): [before](${encodeURI(culprit.before)}), [after](${encodeURI(culprit.after)}).`,
    '',
  );
  return L;
}
