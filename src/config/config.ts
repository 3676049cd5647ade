import * as v from 'valibot';
import { UsageError } from '../errors.js';
import type { ProbeConfig } from '../probes/index.js';
import { isObject, parseConfig, strict, strMap, text } from './schema.js';

const probe = v.custom<ProbeConfig>(
  isObject,
  "must be an object with a kind, like { kind: 'command', run: 'node bench.js' }",
);
const needsProbes = "must name at least one probe, like probes: { bench: { kind: 'command', run: 'node bench.js' } }";

/**
 * probes.config.ts, as users write it. Each probe is checked by its kind's schema (src/probes/) when
 * it is used, so a config with a probe for another machine still runs the others.
 */
export const configSchema = strict({
  build: v.pipe(
    v.optional(text()),
    v.description("run at each commit before probing, in the commit's worktree (like `'npm ci && npm run build'`)"),
  ),
  install: v.pipe(
    v.optional(text()),
    v.description(
      'dependency install before the build, once per distinct lockfile (reused across commits): a command like ' +
        "`'npm ci'`, or `'auto'` for the lockfile's package manager (npm, pnpm, yarn)",
    ),
  ),
  env: v.pipe(v.optional(strMap()), v.description('environment for every build and probe process')),
  probes: v.pipe(
    v.record(v.string(), probe, needsProbes),
    v.check((probes) => Object.keys(probes).length > 0, needsProbes),
    v.description('the probes by name (`--probe <name>`); the fields of each kind are in its docs'),
  ),
});

export type UserConfig = v.InferInput<typeof configSchema>;
export type ValidConfig = v.InferOutput<typeof configSchema>;

/**
 * Typed identity: an editor and `tsc` check probes.config.ts against every probe kind's fields.
 * Works without perfbisect installed in the project.
 */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

export function validateConfig(raw: unknown, file: string): ValidConfig {
  if (isObject(raw) && isObject(raw.default) && !('probes' in raw)) raw = raw.default;
  if (!isObject(raw))
    throw new UsageError(`${file} must export a config object: export default defineConfig({ probes: { ... } })`);
  return parseConfig(configSchema, raw, 'config');
}
