import { describe, expect, it } from 'vitest';
import { blockStacks } from '../src/probes/event-loop/preload.js';
import { renderLoopEvidence } from '../src/report/evidence/event-loop.js';

const frame = (id: number, functionName: string, url: string, lineNumber: number, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber },
  children,
});

describe('event-loop block stacks', () => {
  // root → handler (server.js:10) → blockLoop (server.js:3); idle and a node: internal frame beside them.
  const profile = {
    nodes: [frame(1, '(root)', '', 0, [2, 4, 5]), frame(2, 'handler', 'file:///app/server.js', 9, [3]), frame(3, 'blockLoop', 'file:///app/server.js', 2), frame(4, '(idle)', '', 0), frame(5, 'emit', 'node:events', 500)],
    startTime: 0,
    // 10 ms apart: samples at 10..100 ms.
    samples: [4, 3, 3, 3, 4, 5, 2, 3, 4, 4],
    timeDeltas: Array(10).fill(10_000),
  };

  it('keeps the stacks sampled inside a block, innermost first, without pseudo-frames or Node internals', () => {
    // A block from 15 to 45 ms and one from 65 to 85 ms (relative to the profile's start at t0 = 1000).
    const s = blockStacks(profile, [[1015, 1045], [1065, 1085]], 1000);
    expect(s).toEqual([
      { frames: ['blockLoop /app/server.js:3', 'handler /app/server.js:10'], samples: 4 },
      { frames: ['handler /app/server.js:10'], samples: 1 },
    ]);
  });

  it('finds nothing outside the blocks', () => {
    expect(blockStacks(profile, [], 1000)).toEqual([]);
  });

  it('renders the stacks with the count at the baseline, and says so when none was sampled', () => {
    const after = { blockMs: 50, blocks: 6, stacks: [{ frames: ['blockLoop /app/server.js:3', 'handler /app/server.js:10'], samples: 12 }] };
    const md = renderLoopEvidence({ blockMs: 50, blocks: 0, stacks: [] }, after).join('\n');
    expect(md).toContain('Event-loop blocks over 50 ms: 0 before, 6 at the culprit.');
    expect(md).toContain('| `blockLoop /app/server.js:3` ← `handler /app/server.js:10` | 12 | 0 |');
    expect(renderLoopEvidence(undefined, { ...after, stacks: [] }).join('\n')).toContain('No JavaScript stack was sampled');
  });
});
