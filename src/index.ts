/** The package's public API: what probes.config.ts imports, and the types of the result JSON. */
export { defineConfig, type UserConfig } from './config/config.js';
export type { RunResult, ResultCulprit, ResultCommit, ResultChange } from './report/result.js';
export type { RunEvent } from './events.js';
export type { Probe, ProbeKind, ProbeContext, Sample, MetricInfo } from './probes/types.js';
