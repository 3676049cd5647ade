import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, repoState, tempDir } from './fixtures/repo.js';

/** A package in a folder of a monorepo: its script sleeps 40 ms, 200 ms from the culprit on. */
function monorepo(): { repo: FixtureRepo; culprit: string } {
  const repo = new FixtureRepo();
  const work = (ms: number) => ({ 'packages/app/work.sh': `sleep ${ms / 1000}\n` });
  repo.commit('root only', { 'README.md': 'a monorepo\n' });
  repo.tag('before-app');
  repo.commit('add the app', work(40));
  repo.tag('good');
  repo.commit('unrelated', { 'packages/other/x.txt': '1\n' });
  const culprit = repo.commit('slow the app down', work(200));
  repo.commit('unrelated again', { 'packages/other/x.txt': '2\n' });
  repo.tag('bad');
  return { repo, culprit };
}

describe('started in a folder of the repository: the probe and the build run in that folder of each checkout', () => {
  const { repo, culprit } = monorepo();
  const app = join(repo.dir, 'packages', 'app');
  afterAll(() => repo.cleanup());

  it('finds the culprit with a relative command, builds there, and says where it ran', async () => {
    const out = tempDir('pb-out-');
    const before = repoState(repo.dir);
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--no-profile', '--build', 'touch built.txt', '--json', join(out, 'r.json'),
        '--', 'sh', '-c', 'test -f built.txt && sh work.sh'],
      { cwd: app, env: { NODE_PATH: '/opt/shared libs/node_modules' } },
    );
    expect(r.exitCode, r.all).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'));
    expect(res.culprits.map((c: { sha: string }) => c.sha)).toEqual([culprit]);
    // The variables that change what the programs load are part of the command to rerun.
    expect(res.reproduce).toMatch(/^cd packages\/app && NODE_PATH='\/opt\/shared libs\/node_modules' (\w+=\S+ )*perfbisect --good good --bad bad /);
    expect(r.all).toMatch(/the command runs in packages\/app\/ of each checkout, as started/);
    // The build ran in the worktrees, not in the user's checkout.
    expect(readdirSync(app)).toEqual(['work.sh']);
    expect(repoState(repo.dir)).toEqual(before);
  }, 120_000);

  it('a --good without the folder: one line, exit 2, naming the folder', async () => {
    const r = await runCli(['--good', 'before-app', '--bad', 'bad', '--no-profile', '--', 'sh', 'work.sh'], { cwd: app });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(
      /--good before-app cannot be measured: .*the folder packages\/app\/, where perfbisect was started and the probe runs, is not in this commit/,
    );
  }, 60_000);

  it('the same command from the root runs at the root, where the script is not', async () => {
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--', 'sh', 'work.sh'], { cwd: repo.dir });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/--good good cannot be measured/);
  }, 60_000);

  it('a fleet from a folder: one line, exit 2, since its jobs run at the root', async () => {
    const r = await runCli(['--good', 'good', '--runner', 'local', '--runners', '2', '--', 'sh', 'work.sh'], { cwd: app });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/a fleet's jobs run at the repository's root, and this was started in packages\/app\//);
  });

  it('a named probe runs at the root, where probes.config.ts gives its commands', async () => {
    const config = join(tempDir('pb-config-'), 'probes.config.ts');
    writeFileSync(config, `export default { probes: { work: { kind: 'command', run: 'sh packages/app/work.sh' } } };\n`);
    const out = tempDir('pb-out-');
    const r = await runCli(
      ['--good', 'good', '--bad', 'bad', '--no-profile', '--probe', 'work', '--config', config, '--json', join(out, 'r.json')],
      { cwd: app },
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')).culprits.map((c: { sha: string }) => c.sha)).toEqual([culprit]);
    expect(r.all).not.toMatch(/runs in packages\/app\//);
  }, 120_000);

  it('keeps samples measured in the folder apart from those measured at the root', async () => {
    const cache = tempDir('pb-cache-');
    const run = async (cwd: string) => {
      const out = tempDir('pb-out-');
      const args = ['--good', 'good', '--bad', 'bad', '--no-profile', '--json', join(out, 'r.json'), '--', 'sh', '-c', 'sleep 0.03'];
      const r = await runCli(args, { cwd, cache });
      // No step here: found, none, undecided, or (where a busy machine faked one at the endpoints) a
      // located pair that beside each other is no culprit, ambiguous: each writes the result.
      expect([0, 1, 3, 6], r.all).toContain(r.exitCode);
      return JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')).cost.cachedBlocks as number;
    };
    expect(await run(repo.dir)).toBe(0);
    // The same command from the folder runs elsewhere: nothing of the root's run is replayed.
    expect(await run(app)).toBe(0);
    // Again from the folder: its own blocks are.
    expect(await run(app)).toBeGreaterThan(0);
  }, 120_000);

  it('from a folder git does not track, runs at the root as before', async () => {
    const scratch = join(repo.dir, 'scratch');
    mkdirSync(scratch, { recursive: true });
    writeFileSync(join(repo.dir, '.git', 'info', 'exclude'), 'scratch/\n');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--', 'sh', 'packages/app/work.sh'], { cwd: scratch });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).not.toMatch(/runs in scratch/);
  }, 120_000);
});
