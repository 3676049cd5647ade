import { UsageError } from '../errors.js';
import { fail, isObject, noUnknownKeys, str, strMap } from './validate.js';

/** probes.config.ts, as users write it. Probe fields are validated by their kind (src/probes/). */
export interface UserConfig {
  /** Run at each commit before probing, in the commit's worktree (for example 'npm ci && npm run build'). */
  build?: string;
  /**
   * Dependency install run before the build, once per distinct lockfile (reused across commits):
   * a command like 'npm ci', or 'auto' for the lockfile's package manager (npm, pnpm, yarn).
   */
  install?: string;
  /** Environment for every build and probe process. */
  env?: Record<string, string>;
  probes: Record<string, { kind: string; [key: string]: unknown }>;
}

/** Typed identity: lets an editor check probes.config.ts. Works without perfbisect installed in the project. */
export function defineConfig<T extends UserConfig>(config: T): T {
  return config;
}

export interface ValidConfig {
  build?: string;
  install?: string;
  env?: Record<string, string>;
  probes: Record<string, Record<string, unknown>>;
}

export function validateConfig(raw: unknown, file: string): ValidConfig {
  if (isObject(raw) && isObject(raw.default) && !('probes' in raw)) raw = raw.default;
  if (!isObject(raw)) throw new UsageError(`${file} must export a config object: export default defineConfig({ probes: { ... } })`);
  noUnknownKeys(raw, 'config', ['build', 'install', 'env', 'probes']);
  const probes = raw.probes;
  if (!isObject(probes) || Object.keys(probes).length === 0) {
    fail('config.probes', "must name at least one probe, like probes: { bench: { kind: 'command', run: 'node bench.js' } }");
  }
  return { build: str(raw, 'build', 'config'), install: str(raw, 'install', 'config'), env: strMap(raw, 'env', 'config'), probes: probes as Record<string, Record<string, unknown>> };
}
