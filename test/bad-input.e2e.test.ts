import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { FixtureRepo, linearRepo, listDirs, repoState, tempDir } from './fixtures/repo.js';

const { repo } = linearRepo({ commits: 3, regressAt: [2] });
repo.git('branch', 'other', 'good');
repo.git('checkout', '-q', 'other');
repo.commit('diverged');
repo.git('checkout', '-q', 'main');
afterAll(() => repo.cleanup());

const cases: { name: string; args: string[]; config?: string; code: number; says: RegExp }[] = [
  { name: 'no --good', args: ['--bad', 'bad', '--', 'true'], code: 2, says: /--good <ref> is required/ },
  { name: 'nothing to measure', args: ['--good', 'good'], code: 2, says: /say what to measure/ },
  { name: 'unknown ref', args: ['--good', 'v9.9', '--', 'true'], code: 2, says: /--good v9\.9: no such commit/ },
  { name: 'equal refs', args: ['--good', 'bad', '--bad', 'bad', '--', 'true'], code: 2, says: /are the same commit/ },
  { name: 'reversed refs', args: ['--good', 'bad', '--bad', 'good', '--', 'true'], code: 2, says: /Swap them/ },
  { name: 'good not an ancestor', args: ['--good', 'other', '--bad', 'bad', '--', 'true'], code: 2, says: /merge-base/ },
  { name: 'probe and command', args: ['--good', 'good', '--probe', 'x', '--', 'true'], code: 2, says: /not both/ },
  { name: 'no config', args: ['--good', 'good', '--probe', 'x'], code: 2, says: /no probes\.config\.ts/ },
  { name: 'unknown probe', args: ['--good', 'good', '--probe', 'nope'], config: `export default { probes: { bench: { kind: 'command', run: 'true' } } }`, code: 2, says: /no probe named 'nope'.*bench/ },
  { name: 'unknown kind', args: ['--good', 'good', '--probe', 'b'], config: `export default { probes: { b: { kind: 'kaboom' } } }`, code: 2, says: /probes\.b\.kind "kaboom" is not a probe kind/ },
  { name: 'typo in a field', args: ['--good', 'good', '--probe', 'b'], config: `export default { probes: { b: { kind: 'command', rnu: 'x' } } }`, code: 2, says: /probes\.b\.rnu is not a known field/ },
  {
    name: 'config syntax error', args: ['--good', 'good', '--probe', 'b'],
    config: `export default { probes: {\n  rps: { kind: 'http', start: 'node s.js' url: 'x' } } };\n`,
    code: 2, says: /probes\.config\.ts:2:\d+ could not be loaded: ParseError: Unexpected token, expected ","$/m,
  },
  { name: 'bad threshold', args: ['--good', 'good', '--threshold', 'lots', '--', 'true'], code: 2, says: /--threshold lots/ },
  { name: 'bad samples', args: ['--good', 'good', '--min-samples', '30', '--max-samples', '10', '--', 'true'], code: 2, says: /--max-samples 10 is below/ },
  { name: 'too few samples to decide', args: ['--good', 'good', '--max-samples', '3', '--', 'true'], code: 2, says: /--max-samples 3 is too few .* at least 5 samples a side/ },
  { name: 'nonsense budget', args: ['--good', 'good', '--budget', 'soon', '--', 'true'], code: 2, says: /--budget soon: give the minutes/ },
  { name: 'unknown metric', args: ['--good', 'good', '--metric', 'joules', '--', 'true'], code: 2, says: /--metric joules: give wall or cpu/ },
  { name: 'not a repository', args: ['--good', 'good', '--repo', '/', '--', 'true'], code: 2, says: /not inside a git repository/ },
  { name: 'unknown option', args: ['--goood', 'x'], code: 2, says: /unknown option/ },
  {
    name: "a command's option without --", args: ['--good', 'good', '--threshold', '5', 'env', '-u', 'X', 'python3', 'b.py'],
    code: 2, says: /unknown option '-u' \(it follows env, which starts a command: put the command to measure after --, like: perfbisect --good A --bad B -- env -u X python3 b\.py\)/,
  },
  {
    name: "a command's option that looks like one of ours, without --", args: ['--good', 'good', 'node', '--prof', 'b.js', '--bad', 'bad'],
    code: 2, says: /unknown option '--prof' \(it follows node, which starts a command: .* -- node --prof b\.js\)\. See/,
  },
  {
    name: 'malformed --dep-repo', args: ['--good', 'good', '--dep-repo', 'left-pad', '--', 'true'],
    code: 2, says: /--dep-repo left-pad: give a package and its repository/,
  },
  {
    name: '--dep-repo of a package no lockfile holds',
    args: ['--good', 'good', '--dep-repo', 'left-pad=.', '--', 'true'],
    code: 2, says: /no package named 'left-pad' at good or bad/,
  },
  {
    name: '--dep-repo with --no-deps', args: ['--good', 'good', '--no-deps', '--dep-repo', 'left-pad=.', '--', 'true'],
    code: 2, says: /--dep-repo needs the descent/,
  },
  { name: 'good does not build', args: ['--good', 'good', '--build', 'exit 7', '--', 'true'], code: 2, says: /--good good does not build/ },
  {
    name: 'good does not install',
    args: ['--good', 'good', '--install', 'echo no registry >&2; exit 3', '--', 'true'],
    code: 2, says: /--good good does not install: the install crashed: the install exited with code 3; output: "no registry"\. Fix the --install command/,
  },
  // The build's log (quoted in the error's tail) carries colours, a window title and a hyperlink.
  {
    name: 'good does not build, with escape sequences in its log',
    args: ['--good', 'good', '--build', "printf '\\033[31mboom\\033]0;pwned\\007 \\033]8;;http://x\\033\\\\link\\n'; exit 7", '--', 'true'],
    code: 2, says: /--good good does not build.*\n {2}\| boom +link/s,
  },
  // notes/1.txt exists from the first commit after good on: only good fails, and the error must name good.
  { name: 'good cannot be measured', args: ['--good', 'good', '--bad', 'bad', '--', 'test', '-f', 'notes/1.txt'], code: 2, says: /--good good cannot be measured/ },
  {
    name: 'a dependency the checkout lacks',
    args: ['--good', 'good', '--bad', 'bad', '--', 'node', '-e', "require('left-pad')"],
    // Node's stack and details object follow the line that names the module: the tail still shows it.
    code: 2, says: /cannot be measured.*a dependency is missing.*--install auto.*set NODE_PATH to that node_modules\).*\n {2}\| Error: Cannot find module 'left-pad'\n {2}\| …\n/s,
  },
  {
    name: "a server that dies for a dependency the checkout lacks",
    args: ['--good', 'good', '--bad', 'bad', '--probe', 'rps'],
    config: `export default { probes: { rps: { kind: 'http', start: "node -e \\"require('koa-compose')\\"", url: 'http://127.0.0.1:{port}/' } } };\n`,
    code: 2, says: /cannot be measured: the server crashed.*a dependency is missing.*--install auto.*\n {2}\| Error: Cannot find module 'koa-compose'\n/s,
  },
  {
    name: 'a program not on PATH',
    args: ['--good', 'good', '--bad', 'bad', '--', 'pb-no-such-program', '--fast'],
    // Named as the user's own shell would name it: no word of the timing wrapper's shell and line.
    code: 2, says: /cannot be measured.*\(command not found: pb-no-such-program is not on PATH here;.*output: "(sh: 1: )?pb-no-such-program: (command )?not found"/,
  },
  {
    name: 'a benchmark that fails at good',
    args: ['--good', 'good', '--bad', 'bad', '--', 'node', '-e', 'process.exit(1)'],
    code: 2, says: /cannot be measured.*exited with code 1 \(if a non-zero exit is normal for it.*a benchmark that exits non-zero on a wrong answer is saying this commit breaks it\)/s,
  },
  {
    name: 'a script that is not committed (Node)',
    args: ['--good', 'good', '--bad', 'bad', '--', 'node', 'uncommitted-bench.js'],
    code: 2, says: /cannot be measured.*\(uncommitted-bench\.js is not in this commit's checkout, where the command runs: commit it, or give its absolute path/s,
  },
  {
    name: 'a script that is not committed (Python)',
    args: ['--good', 'good', '--bad', 'bad', '--', 'python3', 'uncommitted_bench.py'],
    code: 2, says: /cannot be measured.*\(uncommitted_bench\.py is not in this commit's checkout, where the command runs/s,
  },
  {
    name: 'a Python module the checkout lacks',
    args: ['--good', 'good', '--bad', 'bad', '--', 'python3', '-c', 'import no_such_module_here'],
    code: 2, says: /cannot be measured.*a Python module is missing.*--install "python3 -m venv \.venv.*PYTHONPATH/s,
  },
];

describe('bad input: one line that says what to do, its exit code, nothing left behind', () => {
  for (const c of cases) {
    it(c.name, async () => {
      let dir = repo.dir;
      if (c.config) {
        const { repo: r2 } = linearRepo({ commits: 2, regressAt: [] });
        r2.write({ 'probes.config.ts': c.config });
        dir = r2.dir;
      }
      const before = repoState(dir);
      const cache = tempDir('pb-cache-');
      const r = await runCli(c.args, { cwd: dir, cache });
      expect(r.exitCode, r.all).toBe(c.code);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('  |'));
      expect(lines.length, r.stderr).toBe(1);
      expect(r.stderr).toMatch(c.says);
      expect(r.all).not.toContain('\x1b');
      expect(repoState(dir)).toEqual(before);
      expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    });
  }
});

describe('an endpoint that does not install while the other one still does', () => {
  it('stops the run at once, and the other install with it', async () => {
    const bad = repo.git('rev-parse', 'bad');
    const markers = tempDir('pb-marker-');
    const marker = join(markers, 'good-installed');
    // bad's install fails at once; good's would take half a minute.
    const install = `if [ "$(git rev-parse HEAD)" = ${bad} ]; then echo no registry >&2; exit 3; fi; sleep 31.4; touch ${marker}`;
    const cache = tempDir('pb-cache-');
    const before = repoState(repo.dir);
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--install', install, '--', 'true'], { cwd: repo.dir, cache });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/--bad bad does not install: the install crashed: the install exited with code 3/);
    // The run did not wait for good's install, and stopped it.
    expect(existsSync(marker)).toBe(false);
    expect((await execa('pgrep', ['-f', 'sleep 31.4'], { reject: false })).stdout).toBe('');
    expect(repoState(repo.dir)).toEqual(before);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    rmSync(markers, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });
});

describe('a repository git cannot check out', () => {
  it('ends with one line naming the object git could not read, exit 4, nothing left behind', async () => {
    // A file of every commit whose object is gone, as in a damaged clone or one without its large files.
    const broken = new FixtureRepo();
    broken.commit('initial', { 'data.bin': 'kept outside git\n', 'a.txt': '0\n' });
    broken.tag('good');
    for (let i = 1; i <= 3; i++) broken.commit(`change ${i}`, { 'a.txt': `${i}\n` });
    broken.tag('bad');
    const blob = broken.git('rev-parse', 'bad:data.bin');
    rmSync(join(broken.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const before = repoState(broken.dir);
    const cache = tempDir('pb-cache-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--', 'true'], { cwd: broken.dir, cache });
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`git cannot check out [0-9a-f]{10}: unable to read sha1 file of data\\.bin \\(${blob}\\)\\. The repository lacks objects .*'git fsck'`));
    expect(repoState(broken.dir)).toEqual(before);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    broken.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });
});

describe('help and version', () => {
  it('prints usage with the exit codes', async () => {
    const r = await runCli(['--help'], { cwd: repo.dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--good <ref>');
    expect(r.stdout).toContain('Exit codes');
  });
  it('prints the version', async () => {
    const r = await runCli(['--version'], { cwd: repo.dir });
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

