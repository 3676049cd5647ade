/**
 * Real processes on this machine: a fixture repository whose CPU-bound program gets ~10% slower at
 * one commit, bisected several times by the built CLI. Real machines are noisier than any model,
 * so this is the figure to trust; the simulated grid (accuracy.ts) covers the breadth.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixtureRepo, tempDir } from '../test/fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const program = (n: number) => `let s = 0;\nfor (let i = 0; i < ${n}; i++) s += Math.sqrt(i) * Math.sin(i);\nconsole.log(s > 0 ? 'ok' : 'ok');\n`;

// Node's start-up (~50-100 ms) is part of every run's wall time: the loop must dominate it and grow
// by a bit more than 10% for the whole run to be ~10% slower (1.5M iterations were only ~3% of it).
export function makeCpuRepo(commits: number, at: number, work = 4_000_000, factor = 1.13) {
  const r = new FixtureRepo();
  const shas = [r.commit('initial', { 'work.js': program(work) })];
  r.tag('good');
  for (let i = 1; i <= commits; i++) {
    shas.push(i === at ? r.commit(`change ${i}: slower loop`, { 'work.js': program(Math.round(work * factor)) }) : r.commit(`change ${i}`, { [`n/${i}`]: `${i}` }));
  }
  r.tag('bad');
  return { repo: r, shas };
}

export async function runRealAccuracy(flags: string[]): Promise<boolean> {
  const quick = flags.includes('--quick');
  const runs = quick ? 1 : 3;
  const commits = quick ? 12 : 32;
  console.log(`\n## Real processes: ~10% CPU regression, ${commits} commits, ${runs} bisect(s)\n`);
  let exact = 0;
  let totalSeconds = 0;
  let totalSamples = 0;
  for (let k = 0; k < runs; k++) {
    const at = 3 + ((k * 11) % (commits - 4));
    const { repo, shas } = makeCpuRepo(commits, at);
    const cache = tempDir('pb-bench-cache-');
    const out = join(cache, 'r.json');
    const t0 = Date.now();
    try {
      execFileSync('node', [cli, '--good', 'good', '--bad', 'bad', '--no-cache', '--no-profile', '--json', out, '--', 'node', 'work.js'], {
        cwd: repo.dir, env: { ...process.env, CI: 'true', PERFBISECT_CACHE_DIR: cache }, stdio: 'ignore',
      });
    } catch {
      /* exit 1/3 are outcomes, read below */
    }
    const seconds = (Date.now() - t0) / 1000;
    let line: string;
    try {
      const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      const ok = r.culprits.length === 1 && r.culprits[0].sha === shas[at];
      if (ok) exact++;
      totalSamples += r.cost.samples;
      line = `run ${k + 1}: planted at ${at}, status ${r.status}, culprit ${r.culprit ? shas.indexOf(r.culprit.sha) : '–'}` +
        ` ${ok ? 'EXACT' : 'WRONG'}; endpoints ${((r.endpoints.change.ratio - 1) * 100).toFixed(1)}%, threshold ${(r.threshold.value * 100).toFixed(1)}%, ${r.cost.samples} runs, ${seconds.toFixed(0)} s`;
    } catch {
      line = `run ${k + 1}: no result (${seconds.toFixed(0)} s)`;
    }
    totalSeconds += seconds;
    console.log(line);
    repo.cleanup();
    rmSync(cache, { recursive: true, force: true });
  }
  console.log(`\nexact culprit ${exact}/${runs}; mean ${(totalSeconds / runs).toFixed(0)} s and ${(totalSamples / runs).toFixed(0)} probe runs per bisect`);
  return exact === runs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  runRealAccuracy(process.argv.slice(2)).then((ok) => process.exit(ok ? 0 : 1));
}
