import { defineConfig } from 'vitest/config';
import SlowFirst from './test/setup/slow-first.js';

/** End-to-end tests: the built CLI on fixture repositories, real servers, toolchains and browsers. */
const e2e = ['test/**/*.e2e.test.{ts,tsx}'];

export default defineConfig({
  test: {
    // A hang guard, not a speed check: a test that runs two bisects took over 120 s with a core kept busy.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Three files at once on two cores: most end-to-end tests wait on sleeping fixture programs, servers and
    // installs (with two workers the suite kept 1.3 of 2 cores busy); the third took fresh-clone runs from
    // 818-879 s to 789-830 s, every test passing. Their effects are sized to stay certain under that load.
    maxWorkers: 3,
    fileParallelism: true,
    sequence: { sequencer: SlowFirst },
    // Every temp dir a test file made is removed after it (test/fixtures/repo.ts).
    setupFiles: ['test/setup/temp-dirs.ts'],
    projects: [
      // The source itself, in seconds: `npm run test:unit`.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.{ts,tsx}'], exclude: e2e } },
      // `npm run test:e2e`; the global setup builds dist/ from the source first.
      { extends: true, test: { name: 'e2e', include: e2e, globalSetup: ['test/setup/build.ts'] } },
    ],
  },
});
