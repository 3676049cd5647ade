/**
 * Speed benchmark: perfbisect beside a hand-run `git bisect run` loop over the same probe,
 * on a fixture repository with a real npm install of a few seconds (local file: dependencies with
 * many files, no network) and a build of a few seconds, side by side in one run, printed as ratios.
 *
 *   node_modules/.bin/jiti bench/speed.ts [--quick] [--seeds]
 *
 * --seeds: only the install strategies (how a cached node_modules gets into a worktree), timed.
 *
 * Rows: the hand loop (npm ci + build + 5 timed runs per commit, blame by the midpoint of the good and
 * bad medians, as the accuracy benchmark's baseline); perfbisect's first run; the same bisect again; a run killed at
 * the halfway point plus its --resume; and the first run with --jobs 1 (builds beside measurement).
 */
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../src/stats/summary.js';
import type * as TreeCopy from '../src/harness/build/tree-copy.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const now = () => performance.now() / 1000;

interface Cost {
  wallSeconds: number;
  builds: number;
  samples: number;
  cachedBlocks: number;
  buildSeconds?: number;
  measureSeconds?: number;
  installs?: number;
  installsReused?: number;
  buildsRestored?: number;
  overheadSeconds?: number;
  savedSeconds?: number;
  perCommit: Record<string, { measure: number; cached: boolean }>;
}

const sh = (cwd: string, cmd: string) => execFileSync('sh', ['-c', cmd], { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });

/** A repository: a dependency of `files` small modules, a 2-second build, the regression at `at`. */
function fixture(commits: number, at: number, lockChangeAt: number, files: number): { dir: string; culprit: string } {
  const dir = join(tmpdir(), `pb-speed-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  sh(dir, 'git init -q -b main && git config commit.gpgsign false');
  const dep = (name: string) => {
    const d = join(dir, 'deps', name);
    mkdirSync(join(d, 'lib'), { recursive: true });
    writeFileSync(join(d, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(d, 'index.js'), `module.exports = ${files};\n`);
    for (let i = 0; i < files; i++) writeFileSync(join(d, 'lib', `m${i}.js`), `module.exports = ${i};\n`.repeat(20));
    // A tarball: npm extracts it into node_modules (a link would make the install free).
    sh(join(dir, 'deps'), `tar czf ${name}.tgz -C ${name} . && rm -rf ${name}`);
  };
  dep('lib-a');
  dep('lib-b');
  const write = (i: number) => {
    const deps: Record<string, string> = { 'lib-a': 'file:deps/lib-a.tgz', ...(i >= lockChangeAt ? { 'lib-b': 'file:deps/lib-b.tgz' } : {}) };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: deps }, null, 2));
    // A build that keeps a core busy for 2 s, as real builds do: building beside a measurement
    // (--jobs 1) then competes with it for the CPU, and the noise column shows what that costs.
    writeFileSync(join(dir, 'build.sh'), "#!/bin/sh\ntimeout 2 sh -c 'while :; do :; done' || true\nmkdir -p dist && cp src/work.sh dist/work.sh\n");
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'work.sh'), `#!/bin/sh\nsleep ${i >= at ? 0.3 : 0.1}\n`);
    writeFileSync(join(dir, '.gitignore'), 'node_modules\ndist\n');
    writeFileSync(join(dir, 'notes.txt'), `change ${i}\n`);
  };
  let culprit = '';
  for (let i = 0; i <= commits; i++) {
    write(i);
    if (i === 0 || i === lockChangeAt) sh(dir, 'npm install --package-lock-only --no-audit --no-fund --prefer-offline >/dev/null 2>&1');
    sh(dir, `git add -A && git commit -q -m "change ${i}"`);
    if (i === 0) sh(dir, 'git tag good');
    if (i === at) culprit = sh(dir, 'git rev-parse HEAD').trim();
  }
  sh(dir, 'git tag bad');
  return { dir, culprit };
}

const probe = 'test -e node_modules/lib-a/index.js && sh dist/work.sh';

/** The hand-run loop people write: git bisect run with npm ci, the build, and 5 timed runs per commit. */
async function handLoop(repo: string): Promise<{ seconds: number; culprit: string }> {
  const clone = `${repo}-hand`;
  rmSync(clone, { recursive: true, force: true });
  sh(tmpdir(), `git clone -q ${repo} ${clone}`);
  const median = `t() { s=$(date +%s%N); ${probe}; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }; for i in 1 2 3 4 5; do t; done | sort -n | sed -n 3p`;
  const measure = (ref: string) => Number(sh(clone, `git checkout -q ${ref} && npm ci --prefer-offline --no-audit --no-fund >/dev/null 2>&1 && sh build.sh && ${median}`).trim());
  const t0 = now();
  const mid = (measure('good') + measure('bad')) / 2;
  writeFileSync(join(clone, '..', `hand-${process.pid}.sh`), `#!/bin/sh\nnpm ci --prefer-offline --no-audit --no-fund >/dev/null 2>&1 || exit 125\nsh build.sh || exit 125\nm=$(${median})\n[ "$m" -lt ${Math.round(mid)} ]\n`);
  sh(clone, `git bisect start bad good >/dev/null && git bisect run sh ${join(clone, '..', `hand-${process.pid}.sh`)} > bisect.log 2>&1 || true`);
  const culprit = /^([0-9a-f]{40}) is the first bad commit/m.exec(readFileSync(join(clone, 'bisect.log'), 'utf8'))?.[1] ?? '';
  const seconds = now() - t0;
  rmSync(clone, { recursive: true, force: true });
  return { seconds, culprit };
}

async function perfbisect(
  repo: string,
  cache: string,
  extra: string[] = [],
  killAfterBlocks?: number,
): Promise<{ seconds: number; cost?: Cost; culprit?: string; noise?: number; code: number | undefined }> {
  const json = join(cache, `r-${Date.now()}.json`);
  // --no-profile: the hand loop explains nothing either (the evidence step is measured in bench/evidence.ts).
  const args = [
    cli,
    '--good',
    'good',
    '--bad',
    'bad',
    '--install',
    'auto',
    '--build',
    'sh build.sh',
    '--no-profile',
    '--json',
    json,
    ...extra,
    '--',
    'sh',
    '-c',
    probe,
  ];
  const t0 = now();
  const child = execa('node', args, {
    cwd: repo,
    reject: false,
    env: { ...process.env, CI: 'true', PERFBISECT_CACHE_DIR: cache },
    stdin: 'ignore',
  });
  if (killAfterBlocks !== undefined) {
    while (blocks(cache).length < killAfterBlocks && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
  }
  const r = await child;
  const seconds = now() - t0;
  if (!existsSync(json)) return { seconds, code: r.exitCode };
  const res = JSON.parse(readFileSync(json, 'utf8')) as Result;
  return { seconds, cost: res.cost, culprit: res.culprit?.sha, noise: noiseOf(res), code: r.exitCode };
}

interface Result {
  cost: Cost;
  culprit: { sha: string } | null;
  commits: { summary: { median: number; spread: number; n: number } }[];
}

/** The run's measurement noise: the median over measured commits of spread / median. */
function noiseOf(r: Result): number | undefined {
  const measured = r.commits.filter((c) => c.summary.n > 1 && c.summary.median > 0);
  const cvs = measured.map((c) => c.summary.spread / c.summary.median);
  return cvs.length ? median(cvs) : undefined;
}

function blocks(cache: string): string[] {
  const dir = join(cache, 'samples');
  if (!existsSync(dir)) return [];
  return execFileSync('sh', ['-c', `cat ${dir}/*.jsonl 2>/dev/null || true`], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { key: string }).key);
}

/**
 * How a cached node_modules gets into a worktree, each way timed on the fixture's installed tree
 * (median of 3): installing again, the copy perfbisect makes (the system cp with its clone flag,
 * which is a copy-on-write clone on Btrfs/XFS/APFS and a copy elsewhere), the same copy by Node
 * alone (the fallback without GNU or macOS cp), a hardlink copy for reference (what earlier
 * versions did: fast, but a file rewritten in place changes every copy), and the stat stamp that
 * tells whether a worktree's node_modules was rewritten since its install.
 */
async function seedStrategies(repo: string): Promise<{ files: number; seconds: Record<string, number> }> {
  const { copyTree, treeStamp } = (await import(new URL('../dist/harness/build/tree-copy.js', import.meta.url).href)) as typeof TreeCopy;
  const d = `${repo}-seed`;
  rmSync(d, { recursive: true, force: true });
  sh(tmpdir(), `git clone -q ${repo} ${d}`);
  const nm = join(d, 'node_modules');
  const to = join(d, '..', `nm-copy-${process.pid}`);
  const drop = () => rmSync(to, { recursive: true, force: true });
  const ways: [string, () => unknown, (() => void)?][] = [
    ['npm ci (offline-first)', () => sh(d, 'npm ci --prefer-offline --no-audit --no-fund >/dev/null 2>&1')],
    ['npm install into a full tree', () => sh(d, 'npm install --no-save --prefer-offline --no-audit --no-fund >/dev/null 2>&1')],
    ['copy (system cp, clone where possible)', () => copyTree(nm, to, 'system'), drop],
    ['copy (Node cpSync fallback)', () => copyTree(nm, to, 'node'), drop],
    ['hardlinks (cp -al, unsafe, reference)', () => sh(d, `cp -al node_modules ${to}`), drop],
    ['stamp check (stat every file)', () => treeStamp(nm, ['.cache'])],
  ];
  // Round robin, so a machine that gets busier during the bench slows every way alike.
  const times = new Map<string, number[]>();
  for (let round = 0; round < 3; round++) {
    for (const [name, fn, after] of ways) {
      const t0 = now();
      await fn();
      times.set(name, [...(times.get(name) ?? []), now() - t0]);
      after?.();
    }
  }
  const seconds = Object.fromEntries([...times].map(([k, t]) => [k, t.sort((a, b) => a - b)[1]]));
  const files = Number(sh(d, 'find node_modules -type f | wc -l').trim());
  rmSync(d, { recursive: true, force: true });
  return { files, seconds };
}

export async function speedSection(argv: readonly string[]): Promise<boolean> {
  const quick = argv.includes('--quick');
  const commits = quick ? 8 : 16;
  const { dir: repo, culprit } = fixture(
    commits,
    Math.round(commits * 0.7),
    Math.round(commits * 0.4),
    quick ? 800 : 3000,
  );
  const caches: string[] = [];
  const freshCache = () => {
    const c = join(tmpdir(), `pb-speed-cache-${process.pid}-${caches.length}`);
    rmSync(c, { recursive: true, force: true });
    caches.push(c);
    return c;
  };
  try {
    console.log(`fixture: ${commits} commits, install of 2 tarball dependencies (${quick ? 800 : 3000} files each), 2 s build, regression 0.1 s → 0.3 s`);
    const seeds = await seedStrategies(repo);
    console.log(`install strategies, node_modules of ${seeds.files} files (seconds, median of 3):`);
    for (const [k, v] of Object.entries(seeds.seconds)) console.log(`  ${k.padEnd(42)} ${v.toFixed(3)}`);
    if (argv.includes('--seeds')) return true;

    const hand = await handLoop(repo);
    const cache = freshCache();
    const first = await perfbisect(repo, cache);
    const second = await perfbisect(repo, cache);
    const killCache = freshCache();
    const half = Math.max(2, Math.round(blocks(cache).length / 2));
    const killed = await perfbisect(repo, killCache, [], half);
    const before = blocks(killCache);
    const resumed = await resumeRun(repo, killCache);
    const after = blocks(killCache);
    const jobs1 = await perfbisect(repo, freshCache(), ['--jobs', '1']);

    const noise = (n?: number) => (n === undefined ? '' : `${(n * 100).toFixed(1)}%`);
    const row = (name: string, s: number, ok: boolean | string, n = '') => console.log(`${name.padEnd(34)} ${s.toFixed(1).padStart(7)} s  ${(s / hand.seconds).toFixed(2).padStart(6)}×  ${ok.toString().padEnd(7)}  ${n}`);
    console.log('\n' + 'run'.padEnd(34) + '    wall   vs hand  culprit  noise (median spread/median of a commit)');
    row('hand-run git bisect run loop', hand.seconds, hand.culprit === culprit ? 'right' : `WRONG (${hand.culprit.slice(0, 10) || 'none'})`);
    row('perfbisect, first run', first.seconds, first.culprit === culprit ? 'right' : 'WRONG', noise(first.noise));
    row('perfbisect, same bisect again', second.seconds, second.culprit === culprit ? 'right' : 'WRONG');
    row('perfbisect, killed halfway + resume', killed.seconds + resumed.seconds, resumed.culprit === culprit ? 'right' : 'WRONG');
    row('perfbisect, first run, --jobs 1', jobs1.seconds, jobs1.culprit === culprit ? 'right' : 'WRONG', noise(jobs1.noise));

    const c = first.cost!;
    // Where the first run's time went, against the hand loop's 5 runs per commit.
    console.log(`\nfirst run: ${c.samples} probe runs (${(c.measureSeconds ?? 0).toFixed(1)} s measuring), ${c.builds} builds (${(c.buildSeconds ?? 0).toFixed(1)} s), ${c.installs} installs; the hand loop ran the probe 5 times per commit`);
    const measured = Object.values(c.perCommit).filter((x) => x.measure > 0).length;
    const overhead = (c.overheadSeconds ?? 0) / Math.max(1, measured);
    const checks: [string, boolean, string][] = [
      ['overhead per commit < 200 ms', overhead < 0.2, `${Math.round(overhead * 1000)} ms over ${measured} commits`],
      ['one install per distinct lockfile (2)', c.installs === 2, `${c.installs} installs, ${c.installsReused ?? 0} reused`],
      ['second run ≤ 5% of the first', second.seconds <= 0.05 * first.seconds, `${((100 * second.seconds) / first.seconds).toFixed(1)}%`],
      ['resumed run measures no block twice', new Set(after).size === after.length && (resumed.cost?.cachedBlocks ?? -1) === before.length, `${before.length} blocks before the kill, ${resumed.cost?.cachedBlocks} replayed, ${after.length - before.length} new`],
      ['≤ 1.5× the hand loop', first.seconds <= 1.5 * hand.seconds, `${(first.seconds / hand.seconds).toFixed(2)}×`],
    ];
    console.log('');
    for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
    return checks.every(([, ok]) => ok);
  } finally {
    rmSync(repo, { recursive: true, force: true });
    for (const c of caches) rmSync(c, { recursive: true, force: true });
  }
}

async function resumeRun(repo: string, cache: string) {
  const t0 = now();
  const r = await execa('node', [cli, '--resume'], { cwd: repo, reject: false, env: { ...process.env, CI: 'true', PERFBISECT_CACHE_DIR: cache }, stdin: 'ignore' });
  const seconds = now() - t0;
  const runs = execFileSync('sh', ['-c', `ls -t ${cache}/runs/*/result.json | head -1`], { encoding: 'utf8' }).trim();
  const res = JSON.parse(readFileSync(runs, 'utf8')) as { cost: Cost; culprit: { sha: string } | null };
  return { seconds, cost: res.cost, culprit: res.culprit?.sha, code: r.exitCode };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  speedSection(process.argv.slice(2)).then((ok) => (process.exitCode = ok ? 0 : 1));
}
