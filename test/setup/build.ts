/**
 * Global setup of the e2e project: the tests run the CLI as users do (node dist/cli.js) and spawn the
 * probes' compiled helpers (runners, preloads), so they build dist/ from the current source first.
 * `tsc -b` rebuilds when any source is newer than its output or an output is missing, and checks in
 * about two seconds when nothing changed. `npm ci` (prepare) and `npm run build` build with `tsc -b` as
 * well: `tsc -p` writes no build info, and this check would then rebuild everything on a fresh clone (20 s
 * of a core).
 */
import { execa } from 'execa';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default async function buildDist(): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = performance.now();
  const r = await execa(process.execPath, [tsc, '-b', 'tsconfig.json'], { cwd: root, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`the e2e tests need a build, and tsc failed:\n${r.all}`);
  console.log(`e2e: dist/ is built from the source (tsc -b, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
