import type { LoopBlocksFile } from '../../probes/event-loop.js';
import { mdCode } from '../escape.js';

/**
 * The event-loop evidence at a culprit: the stacks V8's sampler caught inside blocks of the loop
 * (over `blockMs`), heaviest first, beside how often the same stack blocked at the baseline.
 * Pure: two event-loop-blocks.json in, Markdown lines out.
 */
export function renderLoopEvidence(before: LoopBlocksFile | undefined, after: LoopBlocksFile, top = 5): string[] {
  const L = [
    `Event-loop blocks over ${after.blockMs} ms: ${before ? `${before.blocks} before, ` : ''}${after.blocks} at the culprit.`,
    '',
  ];
  if (!after.stacks.length)
    return [
      ...L,
      'No JavaScript stack was sampled inside the blocks (the time went to native code, GC or I/O callbacks).',
      '',
    ];
  const was = new Map((before?.stacks ?? []).map((s) => [s.frames.join('\n'), s.samples]));
  L.push(
    'Where the loop was blocked (stacks sampled every 10 ms inside the blocks, innermost frame first):',
    '',
    '| Stack | Samples at the culprit | Before |',
    '|---|---:|---:|',
  );
  for (const s of after.stacks.slice(0, top)) {
    L.push(
      `| ${s.frames.map((f) => mdCode(f, { inTable: true })).join(' ← ')} | ${s.samples} | ${before ? (was.get(s.frames.join('\n')) ?? 0) : '–'} |`,
    );
  }
  L.push('');
  return L;
}
