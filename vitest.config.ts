import { defineConfig } from 'vitest/config';
import SlowFirst from './test/setup/slow-first.js';

/** End-to-end tests: the built CLI on fixture repositories, real servers, toolchains and browsers. */
const e2e = ['test/**/*.e2e.test.{ts,tsx}'];

export default defineConfig({
  test: {
    // A hang guard, not a speed check: a test that runs two bisects took over 120 s with a core kept busy.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // End-to-end tests spawn real builds and measurements; two cores cannot run many at once without noise.
    maxWorkers: 2,
    fileParallelism: true,
    sequence: { sequencer: SlowFirst },
    projects: [
      // The source itself, in seconds: `npm run test:unit`.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.{ts,tsx}'], exclude: e2e } },
      // `npm run test:e2e`; the global setup builds dist/ from the source first.
      { extends: true, test: { name: 'e2e', include: e2e, globalSetup: ['test/setup/build.ts'] } },
    ],
  },
});
