/**
 * The cost figures add up: rows only for commits measured or built, profiling as its own line and
 * never profiled again on a replay, counters present as 0, and every culprit number saying which
 * samples it comes from.
 */
import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../src/report/result.js';
import { runCli } from './fixtures/cli.js';
import { nodeEvidenceRepo } from './fixtures/evidence-repos.js';
import { listDirs, tempDir } from './fixtures/repo.js';
import { costSection, costSummary } from '../src/report/cost.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;

/** The rows of the writeup's "Where the time went" table: commit → its Notes cell. */
function costRows(markdown: string): Map<string, string> {
  const at = markdown.indexOf('#### Where the time went');
  const rows = markdown.slice(at).split('\n').filter((l) => /^\| `[0-9a-f]{10}` \|/.test(l));
  return new Map(rows.map((l) => [l.slice(3, 13), l.split('|').at(-2)!.trim()]));
}

describe('where the time went (the table)', () => {
  it('has a row per commit measured or built, and says "ahead" only of what ran ahead', () => {
    const sha = (c: string) => c.repeat(40);
    const perCommit = {
      [sha('a')]: { checkout: 0.1, build: 0, measure: 2, cached: false },
      // Guessed by the search, checked out, then not needed: no row.
      [sha('b')]: { checkout: 0.1, build: 0, measure: 0, cached: false, ahead: true },
      // Prepared ahead, but its install was reused and its build restored: nothing ran ahead.
      [sha('c')]: { checkout: 0.1, build: 0.01, measure: 1, cached: false, ahead: true, buildCached: true, installReused: true },
      [sha('d')]: { checkout: 0.1, build: 3, install: 2, measure: 1, cached: false, ahead: true, builtAhead: true, installedAhead: true },
    };
    const cost = {
      wallSeconds: 10,
      builds: 1,
      buildSeconds: 3,
      samples: 9,
      measureSeconds: 4,
      cachedBlocks: 0,
      perCommit,
      installs: 1,
      profileSeconds: 1.5,
    };
    const md = costSection({ cost, culprits: [{}] } as unknown as RunResult).join('\n');
    const rows = costRows(md);
    expect([...rows.keys()]).toEqual([sha('a'), sha('c'), sha('d')].map((s) => s.slice(0, 10)));
    expect(rows.get(sha('c').slice(0, 10))).toBe('build restored, install reused');
    expect(rows.get(sha('d').slice(0, 10))).toBe('installed ahead, built ahead');
    expect(md).toContain('1 installs, 1 builds, 0 blocks replayed, profiling the culprit 1.5 s, ');
    // The one-line cost names the profiling too: it runs the probe, and is not among the probe runs.
    expect(costSummary(cost)).toBe('10 s wall, 1 build (3.0 s), 9 probe runs (4.0 s), profiling 1.5 s (--no-profile skips it)');
    expect(costSummary({ ...cost, profileSeconds: 0 })).toBe('10 s wall, 1 build (3.0 s), 9 probe runs (4.0 s)');
    // Per-commit times of commits prepared side by side overlap: the table says so rather than a sum.
    expect(md).toContain('so the columns can add up to more than the wall time.');
    // An install run ahead for a commit never measured is counted, and said to have no row.
    const unused = { ...perCommit, [sha('e')]: { checkout: 0.1, build: 0, install: 4, measure: 0, cached: false, ahead: true, installedAhead: true } };
    const md2 = costSection({ cost: { ...cost, perCommit: unused, installs: 2 }, culprits: [{}] } as unknown as RunResult).join('\n');
    expect(costRows(md2).has(sha('e').slice(0, 10))).toBe(false);
    expect(md2).toContain('2 installs (1 of them ahead, in the background, for commits the search then did not need), 1 builds');
    const copied = { ...unused, [sha('f')]: { checkout: 0.1, build: 0, install: 1, measure: 0, cached: false, ahead: true, installedAhead: true, installReused: true } };
    const md3 = costSection({ cost: { ...cost, perCommit: copied, installs: 2, installsReused: 1 }, culprits: [{}] } as unknown as RunResult).join('\n');
    expect(md3).toContain('2 installs and 1 copies from the install cache (2 of them ahead, in the background, for commits the search then did not need)');
  });
});

describe('where the time went', () => {
  it('adds up: measured or built commits only, profiling on its own line, not repeated by a replay', async () => {
    const { repo, shas } = nodeEvidenceRepo(3, 5);
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    const out = tempDir('pb-out-');
    // One step in the range: --one-step spares the verdicts ruling out a further one beside it.
    const args = (json: string) => ['--good', 'good', '--bad', 'bad', '--probe', 'work', '--build', 'mkdir -p dist && cp src/*.js dist/', '--one-step', '--min-samples', '5', '--max-samples', '12', '--json', join(out, json)];
    const first = await runCli(args('1.json'), { cwd: repo.dir, cache });
    expect(first.exitCode, first.all).toBe(0);
    const r1 = readJson(join(out, '1.json'));
    expect(r1.culprit?.sha).toBe(shas[3]);
    const co = r1.cost;
    // Counters are numbers even when nothing of the kind happened.
    expect(co.installs).toBe(0);
    expect(co.installsReused).toBe(0);
    expect(co.profileSeconds).toBeGreaterThan(0);
    // The parts never exceed the whole: the work, the profiling and the overhead fit in the wall time.
    expect(co.overheadSeconds! + co.profileSeconds!).toBeLessThanOrEqual(co.wallSeconds + 1e-6);
    const md1 = readFileSync(join(r1.runDir, 'writeup.md'), 'utf8');
    expect(md1).toMatch(/profiling the culprit [\d.]+ (ms|s)/);
    const rows = costRows(md1);
    const measuredOrBuilt = Object.entries(co.perCommit)
      .filter(([, c]) => c.measure > 0 || c.cached || c.build > 0 || c.buildCached)
      .map(([s]) => s.slice(0, 10));
    expect([...rows.keys()].sort()).toEqual(measuredOrBuilt.sort());
    for (const c of r1.commits) expect(rows.has(c.sha.slice(0, 10)), c.sha).toBe(true);
    for (const [sha, notes] of rows) {
      const c = Object.entries(co.perCommit).find(([s]) => s.startsWith(sha))![1];
      expect(notes.includes('installed ahead')).toBe(!!c.installedAhead);
      expect(notes.includes('built ahead')).toBe(!!c.builtAhead);
    }
    // Each culprit number says which samples it uses.
    const apart = r1.culprits[0].sideBySide === false;
    expect(md1).toMatch(
      apart
        ? /all \d+ samples of `[0-9a-f]{10}` and \d+ of the culprit, taken at different times/
        : /\d+ samples of `[0-9a-f]{10}` and \d+ of the culprit, from the blocks that measured them side by side/,
    );
    expect(typeof r1.culprits[0].sideBySide).toBe('boolean');
    expect(md1).toContain('| Median (all samples) |');
    expect(first.stdout).toMatch(/^verdict [0-9a-f]{10} \w+.*\(n=\d+, this verdict's blocks\)/m);
    const beside = apart ? 'sized from all samples of it and of' : 'measured beside';
    const more = apart ? ', taken at different times \\(fewer than 5 side by side: enough to show it slower, too few to size it\\)' : '';
    expect(first.stdout).toMatch(
      new RegExp(`^culprit [0-9a-f]{40} .* \\(${beside} (its parent [0-9a-f]{10}|[0-9a-f]{10}, not its parent: the nearest commit shown good)${more}\\)$`, 'm'),
    );

    // As if the first run had found the machine busy: its noise line, in its log, says so.
    const log1 = join(r1.runDir, 'events.jsonl');
    const busy = { loaded: true, cores: 2, load: 2.1, others: 1, busy: [{ name: 'node', pid: 4242, cpu: 1.05 }] };
    writeFileSync(log1, readFileSync(log1, 'utf8').split('\n').map((l) => {
      if (!l.includes('"type":"noise"')) return l;
      const e = JSON.parse(l);
      return JSON.stringify({ ...e, noise: { ...e.noise, ...busy } });
    }).join('\n'));

    // The same bisect again: every block replayed, and the evidence too (no profiling, no build).
    const second = await runCli(args('2.json'), { cwd: repo.dir, cache });
    expect(second.exitCode, second.all).toBe(0);
    const r2 = readJson(join(out, '2.json'));
    expect(r2.cost.samples).toBe(0);
    expect(r2.cost.builds).toBe(0);
    expect(r2.cost.profileSeconds).toBe(0);
    // The time the verdicts to come would take is the earlier run's, as it timed its runs: what --budget fits to.
    expect(r2.noise).toMatchObject({ replayed: true });
    expect(r2.noise!.minutes).toBeGreaterThan(0);
    expect(second.stdout).toMatch(/^noise .*; about [^;]+ for the \d+ verdicts to come \(the endpoints' samples are an earlier run's/m);
    expect(second.stdout).not.toContain('profiling culprit');
    // Said once, so that a rerun meant to measure the machine as it is now is not a silent replay.
    expect(second.stdout.match(/^measured blocks come from the cache: .*\(--no-cache measures afresh\)$/gm)).toHaveLength(1);
    // ... naming the run that measured them, and that it found the machine busy.
    expect(second.stdout).toContain(
      `measured blocks come from the cache: run ${r1.runId} measured these commits with this probe, while the machine was busy ` +
        '(other work used 1.0 of 2 cores; node (pid 4242, 105% of a core)) (--no-cache measures afresh)',
    );
    expect(first.stdout).not.toContain('measured blocks come from the cache');
    expect(second.stdout).toContain(`evidence ${shas[3].slice(0, 10)}: from the cache`);
    expect(r2.evidence?.[0].top.map((t) => t.function)).toEqual(r1.evidence?.[0].top.map((t) => t.function));
    expect(readFileSync(r2.evidence![0].after!, 'utf8')).toBe(readFileSync(r1.evidence![0].after!, 'utf8'));
    expect(r2.evidence![0].after!.startsWith(r2.runDir)).toBe(true);
    expect(readFileSync(join(r2.runDir, 'writeup.md'), 'utf8')).not.toMatch(/profiling the culprit/);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);

    // The same trees under other commits (a rebased branch): the stored evidence is replayed, under
    // this history's names, not the ones it was profiled under.
    const copy = tempDir('pb-rebased-');
    await execa('git', ['clone', '-q', repo.dir, copy]);
    await execa('git', ['filter-branch', '-f', '--env-filter', 'export GIT_AUTHOR_NAME=Rebased', '--tag-name-filter', 'cat', '--', '--all'], {
      cwd: copy, env: { FILTER_BRANCH_SQUELCH_WARNING: '1' },
    });
    const renamed = (await execa('git', ['rev-list', '--reverse', 'HEAD'], { cwd: copy })).stdout.split('\n');
    expect(renamed[3]).not.toBe(shas[3]);
    const third = await runCli(args('3.json'), { cwd: copy, cache });
    expect(third.exitCode, third.all).toBe(0);
    const r3 = readJson(join(out, '3.json'));
    expect(r3.culprit?.sha).toBe(renamed[3]);
    expect(third.stdout).toContain(`evidence ${renamed[3].slice(0, 10)}: from the cache`);
    expect(r3.evidence?.[0]).toMatchObject({ culprit: renamed[3], parent: renamed[2] });
    const md3 = readFileSync(join(r3.runDir, 'writeup.md'), 'utf8');
    for (const old of shas) expect(md3).not.toContain(old.slice(0, 10));

    // --no-cache profiles again, and its profile takes the stored one's place, as its samples do: a
    // later replay shows what the last measurement found, not the first.
    const fourth = await runCli([...args('4.json'), '--no-cache'], { cwd: repo.dir, cache });
    expect(fourth.exitCode, fourth.all).toBe(0);
    const r4 = readJson(join(out, '4.json'));
    expect(fourth.stdout).toContain('profiling culprit');
    const fifth = await runCli(args('5.json'), { cwd: repo.dir, cache });
    expect(fifth.exitCode, fifth.all).toBe(0);
    const r5 = readJson(join(out, '5.json'));
    expect(fifth.stdout).toContain(`evidence ${shas[3].slice(0, 10)}: from the cache`);
    const profile = (r: typeof r1) => readFileSync(r.evidence![0].after!, 'utf8');
    expect(profile(r4)).not.toBe(profile(r1));
    expect(profile(r5)).toBe(profile(r4));
  }, 400_000);
});
