/**
 * The run log is the record: `perfbisect report` rebuilds a run's result JSON and writeup from its
 * runs/<id>/events.jsonl alone, byte for byte, and --resume feeds the interrupted run's blocks back
 * to the engine from it (no sample store needed), writing where the options given with it say.
 */
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, runCli } from './fixtures/cli.js';
import { linearRepo, listDirs, tempDir } from './fixtures/repo.js';
import type { RunEvent } from '../src/events.js';
import type { RunResult } from '../src/report/result.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/** The planted regression is 3× on a 100 ms sleep: a few samples decide it even on a loaded machine. */
const fast = ['--min-samples', '5', '--max-samples', '12'];
const read = (f: string) => readFileSync(f, 'utf8');
const logOf = (runDir: string) =>
  read(join(runDir, 'events.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
const blocksIn = (file: string) =>
  existsSync(file) ? read(file).split('\n').filter((l) => l.includes('"type":"block"')).length : 0;

describe('the run log is the record', () => {
  // Change 4 does not build (skipped), change 6 is the culprit: the writeup has a skip, a build and details.
  const { repo, shas } = linearRepo({
    commits: 8,
    regressAt: [6],
    baseMs: 100,
    extra: (i) => ({
      'build.sh': i === 4 ? '#!/bin/sh\necho "syntax error" >&2\nexit 1\n' : '#!/bin/sh\necho built > built.txt\n',
    }),
  });
  cleanups.push(() => repo.cleanup());
  const cache = tempDir('pb-cache-');
  const out = tempDir('pb-out-');
  const bisect = ['--good', 'good', '--bad', 'bad', '--build', 'sh build.sh', ...fast];
  const probe = ['--', 'sh', '-c', 'test -f built.txt && sh work.sh'];
  let runDir = '';
  let runId = '';

  it('report rebuilds the result JSON and the writeup of a run from its log alone, byte for byte', async () => {
    const r = await runCli([...bisect, '--json', join(out, 'r.json'), '--report', join(out, 'w.html'), ...probe], {
      cwd: repo.dir,
      cache,
    });
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(read(join(out, 'r.json'))) as RunResult;
    expect(result.culprit?.sha).toBe(shas[6]);
    expect(result.commits.find((c) => c.sha === shas[4])?.verdict).toBe('skipped');
    ({ runDir, runId } = result);

    // The log says every decision with what a reader needs: the commits left and the error rate spent.
    const log = logOf(runDir);
    const verdicts = log.flatMap((e) => (e.type === 'verdict' ? [e.verdict] : []));
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.every((v) => typeof v.left === 'number' && typeof v.spent === 'number')).toBe(true);
    const ends = log.flatMap((e) => (e.type === 'endpoints' ? [e.endpoints] : []));
    expect(ends).toHaveLength(1);
    expect(ends[0].comparison.worse).toBeGreaterThan(0.5);
    const searches = log.flatMap((e) => (e.type === 'search' ? [e.progress] : []));
    expect(searches[0]).toMatchObject({ endpoints: false, remaining: 8 });
    // Down to the one commit located; after it only the checks of its ends for a further step (one
    // commit each, where verdicts went side first) and the culprit's own measurement beside its parent.
    const left = searches.map((s) => s.remaining);
    expect(left.indexOf(1)).toBeGreaterThan(0);
    const tail = left.slice(left.indexOf(1) + 1);
    expect(tail.every((n) => n <= 2)).toBe(true);
    expect(tail.every((n, i) => i === 0 || n <= tail[i - 1])).toBe(true);
    // Every block measured is in it, with its samples; so is the one that could not be built.
    const blocks = log.flatMap((e) => (e.type === 'block' ? [e] : []));
    expect(blocks.filter((b) => !b.failure).length).toBe(log.filter((e) => e.type === 'measure-start').length);
    expect(blocks.filter((b) => b.failure).map((b) => [b.target, b.failure!.stage])).toEqual([[shas[4], 'build']]);

    const before = readdirSync(runDir).sort();
    const again = await runCli(['report', runId, '--json', join(out, 'again.json')], { cwd: repo.dir, cache });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout + '\n').toBe(read(join(runDir, 'writeup.md')));
    expect(read(join(out, 'again.json'))).toBe(read(join(runDir, 'result.json')));
    expect(read(join(out, 'again.json'))).toBe(read(join(out, 'r.json')));
    const html = await runCli(['report', runId, '--html'], { cwd: repo.dir, cache });
    expect(html.stdout + '\n').toBe(read(join(runDir, 'writeup.html')));
    expect(read(join(out, 'w.html'))).toBe(read(join(runDir, 'writeup.html')));
    // Nothing of the run's folder is written by a report.
    expect(readdirSync(runDir).sort()).toEqual(before);

    // The log alone, in a folder of its own: --out writes the Markdown and its charts beside it.
    const alone = tempDir('pb-log-');
    cpSync(join(runDir, 'events.jsonl'), join(alone, 'events.jsonl'));
    const md = await runCli(['report', alone, '--out', join(out, 'md', 'w.md')], { cwd: repo.dir, cache });
    expect(md.exitCode, md.all).toBe(0);
    expect(md.stdout).toContain(`writeup: ${join(out, 'md', 'w.md')}`);
    expect(read(join(out, 'md', 'w.md'))).toBe(read(join(runDir, 'writeup.md')));
    expect(read(join(out, 'md', `chart-commits-${runId}.svg`))).toBe(read(join(runDir, `chart-commits-${runId}.svg`)));
  });

  it('report refuses in one line, exit 2, a run it cannot rebuild: unknown, not ended, failed, damaged', async () => {
    const runs = join(cache, 'runs');
    const lines = read(join(runDir, 'events.jsonl')).trimEnd().split('\n');
    const plant = (id: string, text: string) => {
      mkdirSync(join(runs, id), { recursive: true });
      writeFileSync(join(runs, id, 'events.jsonl'), text);
    };
    const firstVerdict = lines.findIndex((l) => l.includes('"type":"verdict"'));
    plant('cut', lines.slice(0, firstVerdict + 1).join('\n') + '\n');
    plant('torn', lines.slice(0, firstVerdict + 1).join('\n') + '\n{"t":1,"type":"sam');
    const damaged = [...lines];
    damaged[firstVerdict] = damaged[firstVerdict].slice(0, 40);
    plant('damaged', damaged.join('\n') + '\n');
    plant('empty', '');
    const listing = listDirs(runs).sort();
    const cases: [string[], RegExp][] = [
      [['report', 'nonexistent'], /report nonexistent: no such run in .*runs/],
      [['report', '../../etc'], /report \.\.\/\.\.\/etc: no such run/],
      [['report'], /missing required argument 'run-id'/],
      [['report', 'cut'], /report cut: that run has no end yet: .*perfbisect --resume cut/],
      [['report', 'torn'], /report torn: that run has no end yet/],
      [['report', 'damaged'], new RegExp(`report damaged: its run log is damaged at line ${firstVerdict + 1}`)],
      [['report', 'empty'], /report empty: its run log is damaged/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { cwd: repo.dir, cache });
      expect(r.exitCode, `${args.join(' ')}: ${r.all}`).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    // A run that ended in an error (its good endpoint does not build) has no result to rebuild.
    const broken = await runCli(['--good', shas[4], '--bad', 'bad', '--build', 'sh build.sh', ...fast, ...probe], {
      cwd: repo.dir,
      cache,
    });
    expect(broken.exitCode, broken.all).toBe(2);
    const failed = listDirs(runs).find((id) => !listing.includes(id))!;
    const r = await runCli(['report', failed], { cwd: repo.dir, cache });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/that run ended with an error and has no result \(--good \S+ does not build/);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('resumes from the run log alone: --no-cache, the sample store deleted, --json given with --resume', async () => {
    const own = tempDir('pb-cache-');
    const first = join(repo.dir, 'first.json');
    const child = execa('node', [cliPath, ...bisect, '--no-cache', '--json', 'first.json', ...probe], {
      cwd: repo.dir,
      reject: false,
      env: { CI: 'true', PERFBISECT_CACHE_DIR: own },
      stdin: 'ignore',
    });
    // Stopped (as q or Ctrl-C stops it) once the endpoints and a verdict's block are in the log.
    const logFile = () => join(own, 'runs', listDirs(join(own, 'runs'))[0] ?? '-', 'events.jsonl');
    const deadline = Date.now() + 90_000;
    while (blocksIn(logFile()) < 2 && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.exitCode, stopped.all).toBe(130);
    const [id] = listDirs(join(own, 'runs'));
    const logged = blocksIn(logFile());
    expect(logged).toBeGreaterThanOrEqual(2);
    // A block that could not be built (change 4) is in the log too: it is skipped again, not built again.
    const measured = logOf(join(own, 'runs', id)).filter((e) => e.type === 'block' && !e.failure).length;
    // The resumed run cannot lean on stored samples: there are none.
    rmSync(join(own, 'samples'), { recursive: true, force: true });

    const elsewhere = tempDir('pb-cwd-');
    const resume = ['--resume', id, '--repo', repo.dir, '--no-cache', '--json', 'b.json'];
    const r = await runCli(resume, { cwd: elsewhere, cache: own });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`resuming: the ${logged} block(s) of its run log go back to the engine first`);
    // The output asked for now, where it was asked for; not the interrupted run's --json.
    expect(existsSync(join(elsewhere, 'b.json'))).toBe(true);
    expect(existsSync(first)).toBe(false);
    const result = JSON.parse(read(join(elsewhere, 'b.json'))) as RunResult;
    expect(result.runId).toBe(id);
    expect(result.culprit?.sha).toBe(shas[6]);
    expect(result.cost.cachedBlocks).toBe(measured);
    // Every logged block went back to the engine; only the blocks after them were measured (and stored).
    const log = logOf(result.runDir);
    const replayed = log.filter((e) => e.type === 'measure-start' && e.replayed).length;
    expect(replayed).toBe(measured);
    expect(log.filter((e) => e.type === 'build-end' && e.sha === shas[4])).toHaveLength(logged > measured ? 0 : 1);
    const samples = join(own, 'samples');
    const stored = listDirs(samples).flatMap((f) => read(join(samples, f)).split('\n').filter(Boolean));
    expect(stored.length).toBe(log.filter((e) => e.type === 'block' && !e.failure).length - replayed);
    expect(listDirs(join(own, 'worktrees'))).toEqual([]);

    // The resumed run's log is the whole record too.
    const again = join(elsewhere, 'again.json');
    const rebuilt = await runCli(['report', id, '--json', again], { cwd: elsewhere, cache: own });
    expect(rebuilt.exitCode, rebuilt.all).toBe(0);
    expect(read(again)).toBe(read(join(elsewhere, 'b.json')));
    expect(rebuilt.stdout + '\n').toBe(read(join(result.runDir, 'writeup.md')));

    // It has ended: nothing to resume; and what a run measures cannot change on --resume.
    const ended = await runCli(['--resume', id], { cwd: repo.dir, cache: own });
    expect(ended.exitCode).toBe(2);
    expect(ended.stderr.trim().split('\n')).toHaveLength(1);
    expect(ended.stderr).toContain('that run has ended (exit 0); nothing to continue.');
    expect(ended.stderr).toContain(`Its writeup: perfbisect report ${id}`);
    for (const extra of [['--threshold', '5'], ['--', 'sh', 'other.sh']]) {
      const changed = await runCli(['--resume', id, ...extra], { cwd: repo.dir, cache: own });
      expect(changed.exitCode).toBe(2);
      expect(changed.stderr.trim().split('\n')).toHaveLength(1);
      expect(changed.stderr).toContain('continues the run as it was started');
    }
  });
});
