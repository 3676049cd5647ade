import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest start first, so the workers end together instead of one running
 * a long file alone at the end. Vitest orders by the last run's durations where it has them; a clean
 * clone (CI) has none and runs files in name order, which left about a minute of one worker idle.
 * The list: the slowest files of a fresh-clone run (2026-12-04, evening), longest first. A file not in it runs
 * after them, in Vitest's order; a name that no longer matches a file is simply not found.
 */
const slowest = [
  'speed.e2e', 'bisect.e2e', 'fleet-local.e2e', 'drift.e2e', 'deps-registry.e2e', 'verdict-cost.e2e',
  'load-http.e2e', 'fleet-github', 'reuse-trust.e2e', 'bench-probe.e2e', 'fleet-kubernetes', 'load-k6.e2e',
  'burst.e2e', 'bad-input.e2e', 'deps-package.e2e', 'evidence-node.e2e', 'run-log.e2e', 'folder.e2e',
  'pytest-benchmark-probe.e2e', 'load-event-loop-artillery.e2e', 'cost.e2e', 'queries-probe.e2e',
];

const rank = (f: TestSpecification) => {
  const i = slowest.findIndex((name) => /[\\/]test[\\/]([^\\/]+)\.test\.tsx?$/.exec(f.moduleId)?.[1] === name);
  return i < 0 ? slowest.length : i;
};

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const inOrder = await super.sort(files);
    return inOrder
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
