/**
 * How often the evidence's top entry is the planted function. Builds the Node and Python fixtures of
 * test/fixtures/evidence-repos.ts (a helper added in another file, called in the hot loop) and runs
 * only the evidence step (profile parent and culprit, diff, tie to the change) `--runs` times each,
 * on the real interpreters. Not part of the tests: it takes minutes on a loaded machine.
 *
 *   node_modules/.bin/jiti bench/evidence.ts --runs 10
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectEvidence } from '../src/harness/drivers/evidence-run.js';
import { Repo } from '../src/harness/git/git.js';
import { createProbe } from '../src/probes/index.js';
import { median } from '../src/stats/summary.js';
import { nodeEvidenceRepo, pythonEvidenceRepo, pythonExe } from '../test/fixtures/evidence-repos.js';

export async function evidenceSection(argv: readonly string[]): Promise<boolean> {
  const k = argv.indexOf('--runs');
  const runs = k >= 0 ? Number(argv[k + 1]) : argv.includes('--quick') ? 3 : 10;
  let ok = true;
  for (const [lang, make, run, file] of [
    ['node', nodeEvidenceRepo, 'node bench.js', 'src/checksum.js'],
    ['python', pythonEvidenceRepo, `${pythonExe} bench.py`, 'src/checksum.py'],
  ] as const) {
    const { repo, shas } = make();
    const work = mkdtempSync(join(tmpdir(), 'pb-bench-evidence-'));
    try {
      const r = await Repo.open(repo.dir);
      // Plain git worktrees of the fixture (the bisect's own Worktrees need a run; this measures only the evidence
      // step).
      const prepare = async (sha: string) => {
        const dir = join(work, sha.slice(0, 12));
        try {
          execFileSync('git', ['worktree', 'add', '--detach', '-q', dir, sha], { cwd: repo.dir, stdio: 'ignore' });
        } catch {
          /* already there */
        }
        return dir;
      };
      const metric = { name: 'ms', field: 'ms', unit: 'ms', better: 'lower' };
      const { probe } = createProbe('work', { kind: 'command', run, metric });
      let hits = 0;
      const noise: number[] = [];
      const seconds: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const [ev] = await collectEvidence({
          culprits: [{ sha: shas[2], parent: shas[1] }],
          probe,
          prepare,
          repo: r,
          runDir: join(work, `run-${i}`),
          signal: new AbortController().signal,
          emit: () => undefined,
        });
        seconds.push((performance.now() - t0) / 1000);
        const top = ev.top[0];
        if (top?.function === 'checksum' && top.file === file && top.inChange === 'added') hits++;
        else
          console.log(
            `  ${lang} run ${i + 1}: top was ${top ? `${top.function} ${top.file}:${top.line} ${top.inChange}` : 'empty'}${ev.note ? ` (${ev.note})` : ''}`,
          );
        noise.push(ev.noise ?? NaN);
      }
      const noiseFloor = `noise floor median ${median(noise).toFixed(1)} pts`;
      const perStep = `${median(seconds).toFixed(1)} s per evidence step`;
      const found = `top entry is the planted helper, marked added, in ${hits}/${runs} runs`;
      console.log(`${lang}: ${found}; ${noiseFloor}; ${perStep}`);
      if (hits < runs * 0.9) ok = false;
    } finally {
      repo.cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  }
  return ok;
}

if (process.argv[1]?.endsWith('evidence.ts')) {
  evidenceSection(process.argv.slice(2)).then((ok) => process.exit(ok ? 0 : 1));
}
