import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // End-to-end tests spawn real builds and measurements; two cores cannot run many at once without noise.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
