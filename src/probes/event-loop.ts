import * as v from 'valibot';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommitFailure } from '../errors.js';
import { bool, num, oneOf, strict } from '../config/schema.js';
import { loadCheck, loadEntries } from './http/config.js';
import { measuredLoad, startLoaded } from './http.js';
import { buildField } from './fields.js';
import { serverEntries, serverSlot, type StartedServer } from './server.js';
import type { Probe, ProbeContext, ProbeKind, Sample } from './types.js';

const loopMetrics = ['p50', 'p90', 'p99', 'max', 'mean', 'blocks'] as const;

export const eventLoopSchema = v.pipe(
  strict({
    kind: v.literal('event-loop'),
    metric: v.pipe(
      v.optional(oneOf(loopMetrics), 'p99'),
      v.description(
        'event-loop delay `p50`, `p90`, `p99`, `max`, `mean` (ms), or `blocks` (delays over `blockThreshold`)',
      ),
    ),
    build: buildField,
    blockThreshold: v.pipe(
      v.optional(num({ min: 1 }), 50),
      v.description('a delay over this many ms counts as a block'),
    ),
    blockStacks: v.pipe(
      v.optional(bool(), true),
      v.description('sample the stacks that block (V8 profiler at 10 ms during the load)'),
    ),
    ...serverEntries,
    ...loadEntries,
  }),
  loadCheck(),
);

export type EventLoopProbeConfig = v.InferOutput<typeof eventLoopSchema>;

interface LoopReport {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  blocks: number;
  longestBlock: number;
  blockStacks?: BlockStack[];
}

export interface BlockStack {
  /** Innermost first: "name file:line". */
  frames: string[];
  samples: number;
}

/**
 * What a commit's event-loop-blocks.json holds (artifact kind 'event-loop-blocks'): the stacks sampled inside blocks,
 * over all its samples.
 */
export interface LoopBlocksFile {
  blockMs: number;
  blocks: number;
  stacks: BlockStack[];
}

/** The preload module, compiled next to this file. */
const preload = new URL('./event-loop/preload.js', import.meta.url).href;

/**
 * Event-loop delay of a Node server under load: the app is started with a small preloaded module
 * (NODE_OPTIONS=--import) that records perf_hooks.monitorEventLoopDelay during each load run.
 */
export const eventLoopProbe: ProbeKind<typeof eventLoopSchema> = {
  kind: 'event-loop',
  describe: 'start a Node app with a preloaded monitor, load it: event-loop delay p99/max or blocks',
  schema: eventLoopSchema,
  create(cfg): Probe {
    const controls = new WeakMap<StartedServer, number>();
    const start = async (ctx: ProbeContext) => {
      const port = await ctx.freePort();
      const nodeOptions = [cfg.env?.NODE_OPTIONS ?? ctx.env.NODE_OPTIONS, `--import=${preload}`]
        .filter(Boolean)
        .join(' ');
      const s = await startLoaded(ctx, cfg, {
        NODE_OPTIONS: nodeOptions,
        PERFBISECT_LOOP_PORT: String(port),
        PERFBISECT_LOOP_BLOCK_MS: String(cfg.blockThreshold),
        PERFBISECT_LOOP_STACKS: cfg.blockStacks ? '1' : '0',
      });
      controls.set(s, port);
      return s;
    };
    const servers = serverSlot(start);
    const seen = new Map<string, LoopBlocksFile>();
    /**
     * Stacks add up over a commit's samples; the file is rewritten after each, so an interrupted run keeps what it
     * saw.
     */
    const keepStacks = async (ctx: ProbeContext, loop: LoopReport) => {
      const first = !seen.has(ctx.sha);
      const f = seen.get(ctx.sha) ?? { blockMs: cfg.blockThreshold, blocks: 0, stacks: [] };
      f.blocks += loop.blocks;
      for (const b of loop.blockStacks ?? []) {
        const same = f.stacks.find((x) => x.frames.join('\n') === b.frames.join('\n'));
        if (same) same.samples += b.samples;
        else f.stacks.push({ frames: b.frames, samples: b.samples });
      }
      f.stacks.sort((a, b) => b.samples - a.samples);
      f.stacks = f.stacks.slice(0, 10);
      seen.set(ctx.sha, f);
      const file = join(ctx.artifactsDir, 'event-loop-blocks.json');
      await ctx.writeFile!(file, JSON.stringify(f, null, 2) + '\n');
      if (first) ctx.artifact('event-loop-blocks', file);
    };
    return {
      kind: 'event-loop',
      deterministic: false,
      build: cfg.build,
      metric:
        cfg.metric === 'blocks'
          ? { name: `event-loop blocks over ${cfg.blockThreshold} ms`, unit: '', better: 'lower' }
          : { name: `event-loop delay ${cfg.metric}`, unit: 'ms', better: 'lower' },
      prepare: (ctx) => servers.prepare(ctx),
      sample: (ctx) =>
        servers.use(ctx, async (s): Promise<Sample> => {
          const control = `http://127.0.0.1:${controls.get(s)}`;
          await ask(ctx, s, `${control}/reset`);
          const load = await measuredLoad(ctx, cfg, s);
          const loop = (await ask(ctx, s, `${control}/report`)) as LoopReport;
          if (cfg.blockStacks) await keepStacks(ctx, loop);
          return {
            value: loop[cfg.metric],
            details: {
              loopP50: loop.p50,
              loopP99: loop.p99,
              loopMax: loop.max,
              loopBlocks: loop.blocks,
              p50: load.p50,
              p99: load.p99,
              rps: load.rps,
            },
          };
        }),
      teardown: (ctx) => servers.stop(ctx),
    };
  },
};

/** A request to the preloaded monitor; no answer means the app is not a Node process we could preload. */
async function ask(ctx: ProbeContext, s: StartedServer, url: string): Promise<unknown> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return await r.json();
  } catch {
    s.check('during the load');
    throw new CommitFailure(
      'server',
      `the event-loop monitor did not answer: is the start command a Node.js process that reads NODE_OPTIONS and listens on PORT? (the monitor is ${fileURLToPath(preload)})`,
      ctx.logFile,
      s.tail(),
    );
  }
}
