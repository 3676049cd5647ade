import type { BundleSizes } from '../../probes/bundle.js';
import type { LoopBlocksFile } from '../../probes/event-loop.js';
import { short } from '../format.js';
import { renderBundleEvidence } from './bundle.js';
import { renderLoopEvidence } from './event-loop.js';
import { renderHeapEvidence, type HeapDiffFile } from './heap.js';
import { renderQueriesEvidence, type StatementsFile } from './queries.js';

/** What a probe left in one commit's artifacts folder that explains its number (docs/bundle-queries-heap.md). */
export interface ProbeArtifacts {
  bundle?: BundleSizes;
  statements?: StatementsFile;
  explain?: string;
  heapDiff?: HeapDiffFile;
  loopBlocks?: LoopBlocksFile;
}

export interface ProbeEvidenceItem {
  culprit: string;
  baseline: string;
  before: ProbeArtifacts;
  after: ProbeArtifacts;
}

/**
 * The probe's own evidence at each culprit, in the "Why it is slower" section beside the profile
 * diff: which bundle files and source modules grew, which statements now run once per row, which
 * constructors pile up. Pure.
 */
export function renderProbeEvidence(items: ProbeEvidenceItem[]): string[] {
  const L: string[] = [];
  for (const it of items) {
    const part: string[] = [];
    const { before: b, after: a } = it;
    if (a.bundle && b.bundle) part.push(...renderBundleEvidence(b.bundle, a.bundle));
    if (a.statements && b.statements)
      part.push(...renderQueriesEvidence(b.statements, a.statements, { before: b.explain, after: a.explain }));
    if (a.heapDiff) part.push(...renderHeapEvidence(b.heapDiff, a.heapDiff));
    if (a.loopBlocks) part.push(...renderLoopEvidence(b.loopBlocks, a.loopBlocks));
    if (!part.length) continue;
    L.push(`#### What the probe saw at \`${short(it.culprit)}\` (against \`${short(it.baseline)}\`)`, '', ...part);
  }
  return L;
}

export function hasProbeEvidence(a: ProbeArtifacts): boolean {
  return Boolean(a.bundle || a.statements || a.heapDiff || a.loopBlocks);
}
