/** Fields most probe kinds share, each with its meaning for the docs tables. */
import * as v from 'valibot';
import { num, oneOf, strMap, text } from '../config/schema.js';

export const buildField = v.pipe(
  v.optional(text()),
  v.description("build command for this probe (replaces the config's top-level `build`)"),
);

export const envField = v.pipe(v.optional(strMap()), v.description("extra environment for the probe's processes"));

export const timeoutField = v.pipe(
  v.optional(num({ min: 0.001 })),
  v.description('seconds: a run past it is stopped and reported as too slow, never as a crash'),
);

/** A run's limit from `timeoutField`, for `exec`: without one, the harness's hang guard applies (`guard`). */
export const timeoutMs = (cfg: { timeout?: number }): number | undefined =>
  cfg.timeout ? cfg.timeout * 1000 : undefined;

export const betterField = (meaning: string) =>
  v.pipe(v.optional(oneOf(['lower', 'higher'] as const)), v.description(meaning));
