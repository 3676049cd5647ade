import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './fixtures/cli.js';
import { driftRepo } from './fixtures/drift-repo.js';
import { git, repoState, tempDir } from './fixtures/repo.js';

// The reference shape at 16 points (3–4 points a segment) with steps of ×1.5, ×0.6 and ×1.6 and +6% a
// commit of creep on a sleeping program, so the outcome is certain on a loaded machine; 4 samples a point,
// up to 32 where a loaded machine needs them to confirm a step (with three busy processes on two cores a
// ×1.5 step re-measured at 16 a side showed [+6.4%, +61.3%], short of half the threshold). A 15% threshold,
// half of what each step and the creep measure: noise of ~5% a sample puts few pairs of 4-sample points that
// far apart, and each such pair costs a confirmation.
const sampling = ['--points', '16', '--min-samples', '4', '--max-samples', '32', '--warmup', '0', '--threshold', '15'];

describe('perfbisect drift end to end', () => {
  const f = driftRepo();
  const cache = tempDir('pb-cache-');
  const store = tempDir('pb-store-');
  const out = tempDir('pb-out-');
  afterAll(() => f.repo.cleanup());

  it('bisects both confirmed steps to the culprits, reports improvement and creep; re-runs measure none', async () => {
    const before = repoState(f.repo.dir);
    const summary = join(out, 'step-summary.md');
    // A real receiver on 127.0.0.1 for the alert (--webhook); its URL comes through the environment, as a CI secret
    // would.
    const posted: { text: string; regressions: { culprit: string }[] }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => (posted.push(JSON.parse(body)), res.end('ok')));
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const window = ['--since', '60 days ago', '--store', store];
    const outputs = ['--json', join(out, 'r.json'), '--report', join(out, 'r.md')];
    const env = { GITHUB_STEP_SUMMARY: summary, PERFBISECT_WEBHOOK: hook };
    const drift = (...args: string[]) => ['drift', '--probe', 'work', ...args, ...sampling];
    const r = await runCli(drift(...window, ...outputs), { cwd: f.repo.dir, cache, env });
    expect(r.exitCode, r.all).toBe(5);
    const res = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'));
    const steps = res.changes.map((c: { culprit: string; kind: string }) => [c.culprit, c.kind]);
    const [a, b] = f.regressions;
    expect(steps, r.all).toEqual([
      [a, 'regression'],
      [f.improvement, 'improvement'],
      [b, 'regression'],
    ]);
    // Each located step went through the confirmation before its bisect; each rejected candidate says what rejected it.
    type Candidate = { status: string; confirmation: { verdict: string }; reason: string };
    const candidates: Candidate[] = res.candidates;
    for (const c of candidates.filter((x) => x.status === 'step')) expect(c.confirmation.verdict).toBe('confirmed');
    // The count said before the confirmations covers every candidate confirmed after it, spans included.
    // The noise at the first points is said, before the candidates cost their samples.
    expect(r.all).toMatch(/^drift: noise \d+\.\d% a sample \(.+\) at the window's \d+ points/m);
    const said = /^drift: (\d+) candidate step\(s\)(?: and (\d+) span\(s\) over a noisy point[^:]*)?: re-measuring/m.exec(r.all);
    expect(said, r.all).not.toBeNull();
    const confirming = r.all.split('\n').filter((l) => /^drift: candidate .*: confirming$/.test(l)).length;
    expect(confirming).toBeLessThanOrEqual(Number(said![1]) + Number(said![2] ?? 0));
    expect(confirming).toBeGreaterThanOrEqual(Number(said![1]));
    const rejected = candidates.filter((x) => x.status === 'rejected');
    for (const c of rejected) expect(c.reason).toMatch(/^(confirmation|bisect): /);
    expect(
      res.series.some((p: { added: boolean }) => p.added),
      r.all,
    ).toBe(true);
    expect(res.alerts.sort()).toEqual([...f.regressions.map((s) => `work@${s.slice(0, 12)}`), res.drift?.id].sort());
    expect(res.drift, r.all).not.toBeNull();
    expect(res.drift.unexplained).toBeGreaterThan(0.1);
    expect(posted, r.all).toHaveLength(1);
    expect(posted[0].text).toMatch(
      /^perfbisect drift: work on main got slower: 2 new regression\(s\) and gradual drift/,
    );
    expect(posted[0].regressions.map((x) => x.culprit).sort()).toEqual([...f.regressions].sort());
    const md = readFileSync(join(out, 'r.md'), 'utf8');
    expect(md).toMatch(/## Steps[\s\S]*\*\*new\*\*[\s\S]*## Candidates[\s\S]*## Creep/);
    const series = readdirSync(out).filter((f) => /^series-drift-.+\.svg$/.test(f));
    expect(series).toHaveLength(1);
    expect(md).toContain(`](${series[0]})`);
    expect(readFileSync(summary, 'utf8')).toMatch(/# perfbisect drift: work on main[\s\S]*## Steps/);
    expect(readdirSync(store).filter((x) => x.endsWith('.jsonl'))).toHaveLength(1);
    expect(repoState(f.repo.dir)).toEqual(before);

    // The same window again (a re-run of the job): every block replays from the sample store, what it finds is known.
    const rerunOut = ['--json', join(out, 'again.json')];
    const hookEnv = { PERFBISECT_WEBHOOK: hook };
    const rerun = await runCli(drift(...window, ...rerunOut), { cwd: f.repo.dir, cache, env: hookEnv });
    expect(rerun.exitCode, rerun.all).toBe(0);
    const again = JSON.parse(readFileSync(join(out, 'again.json'), 'utf8'));
    expect(again.cost.samples, rerun.all).toBe(0);
    expect(again.cost.cachedBlocks).toBeGreaterThan(0);
    expect(rerun.all).not.toMatch(/^measure (?!.*\(from cache\)).*$/m);
    expect(again.alerts).toEqual([]);
    const culprits = (x: { changes: { culprit: string }[] }) => x.changes.map((c) => c.culprit);
    expect(culprits(again)).toEqual(culprits(res));
    expect(posted).toHaveLength(1);

    // The next scheduled check: nothing new since the last one.
    // --no-tui as the bisect takes it, so one script can run both.
    const next = await runCli(drift('--store', store, '--no-tui'), { cwd: f.repo.dir, cache, env: hookEnv });
    expect(next.exitCode, next.all).toBe(0);
    expect(posted).toHaveLength(1);
    receiver.close();
    expect(next.all).toMatch(/no new commits/);
    expect(next.all).not.toMatch(/^measure /m);

    const h = await runCli(['history', '--probe', 'work', '--store', store, '--svg', join(out, 'h.svg')], {
      cwd: f.repo.dir,
      cache,
    });
    expect(h.exitCode, h.all).toBe(0);
    expect(h.all).toContain(`work@${f.regressions[1].slice(0, 12)}`);
    expect(h.all).toContain(res.drift.id);
    // Values in the probe's unit, from the repository's probes.config.ts (the store keeps numbers only).
    expect(h.all).toMatch(/^ {2}\d{4}-\d\d-\d\d [0-9a-f]{10} +[\d.,]+ ms /m);
    expect(readFileSync(join(out, 'h.svg'), 'utf8')).toMatch(/^<svg/);

    const id = res.changes.find((c: { culprit: string }) => c.culprit === f.regressions[1]).id;
    const ack = await runCli(['drift', 'ack', id, '--store', store], { cwd: f.repo.dir, cache });
    expect(ack.exitCode, ack.all).toBe(0);
    const h2 = await runCli(['history', '--probe', 'work', '--store', store, '--svg', join(out, 'h.svg')], {
      cwd: f.repo.dir,
      cache,
    });
    expect(h2.all).toMatch(new RegExp(`${id}.*acknowledged`));
  }, 400_000);
});

describe('perfbisect drift: user mistakes', () => {
  const f = driftRepo();
  afterAll(() => f.repo.cleanup());
  const cases: [string, string[], RegExp][] = [
    ['no probe', ['drift'], /--probe <name> is required/],
    ['unknown probe', ['drift', '--probe', 'nope'], /no probe named 'nope'.*Its probes: work/],
    ['bad --points', ['drift', '--probe', 'work', '--points', '1'], /--points 1: give a whole number of at least 3/],
    ['bad --since', ['drift', '--probe', 'work', '--since', 'v9.9'], /--since v9.9: no such commit/],
    ['bad --branch', ['drift', '--probe', 'work', '--branch', 'nope'], /--branch nope: no such commit/],
    ['bad --threshold', ['drift', '--probe', 'work', '--threshold', 'x'], /--threshold x: give a percentage/],
    ['git store without origin', ['drift', '--probe', 'work', '--store', 'git:perf-data'], /remote 'origin'.*git remote add origin/],
    ['ack of an unknown id', ['drift', 'ack', 'work@abc'], /no change with that id/],
    ['history without checks', ['history', '--probe', 'work'], /no drift checks of probe 'work'/],
    ['init of something else', ['init', 'cd'], /init sets up 'ci' or 'fleet'/],
    ['bad --webhook', ['drift', '--probe', 'work', '--webhook', 'hooks.slack.com/x'], /--webhook must be an http\(s\) URL/],
  ];
  for (const [name, args, msg] of cases) {
    it(`${name}: one line, exit 2, nothing left behind`, async () => {
      const cache = tempDir('pb-cache-');
      const before = repoState(f.repo.dir);
      const r = await runCli(args, { cwd: f.repo.dir, cache });
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr.trim().split('\n'), r.all).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(repoState(f.repo.dir)).toEqual(before);
      expect(readdirSync(cache).filter((d) => d === 'worktrees' && readdirSync(join(cache, d)).length)).toEqual([]);
    });
  }
});

describe('perfbisect drift: the store on a git branch', () => {
  it('pushes one file per run to an orphan branch of origin, retrying on a push race, without touching the checkout', async () => {
    const f = driftRepo({ baseMs: 20 });
    const remote = tempDir('pb-remote-');
    git(remote, 'init', '-q', '--bare');
    f.repo.git('remote', 'add', 'origin', remote);
    const cache = tempDir('pb-cache-');
    const before = repoState(f.repo.dir);
    // Two checks of a short window at once: both files must land on the branch (the loser of the push race retries).
    const args = ['drift', '--probe', 'work', '--since', f.shas[28], '--store', 'git:perf-data', '--points', '3', '--min-samples', '2', '--max-samples', '4', '--threshold', '500'];
    const [a, b] = await Promise.all([runCli(args, { cwd: f.repo.dir, cache }), runCli(args, { cwd: f.repo.dir, cache: tempDir('pb-cache-') })]);
    expect(a.exitCode, a.all).toBe(0);
    expect(b.exitCode, b.all).toBe(0);
    const files = git(remote, 'ls-tree', '-r', '--name-only', 'perf-data').split('\n');
    expect(files.filter((x) => x.startsWith('runs/') && x.endsWith('.jsonl'))).toHaveLength(2);
    expect(git(remote, 'rev-list', '--max-parents=0', 'perf-data').split('\n')).toHaveLength(1);
    expect(repoState(f.repo.dir)).toEqual(before);
    const h = await runCli(['history', '--probe', 'work', '--store', 'git:perf-data', '--svg', join(cache, 'h.svg')], { cwd: f.repo.dir, cache });
    expect(h.exitCode, h.all).toBe(0);
    expect(h.all).toMatch(/2 check\(s\)/);
    f.repo.cleanup();
  });
});

describe('perfbisect init ci', () => {
  it('writes a valid weekly workflow whose commands are the ones tested here', async () => {
    const f = driftRepo({ baseMs: 5 });
    const cache = tempDir('pb-cache-');
    const r = await runCli(['init', 'ci', '--probe', 'work'], { cwd: f.repo.dir, cache });
    expect(r.exitCode, r.all).toBe(0);
    const file = join(f.repo.dir, '.github/workflows/perfbisect-drift.yml');
    const wf = parse(readFileSync(file, 'utf8'));
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    expect(wf.permissions.contents).toBe('write');
    const steps = wf.jobs.drift.steps as { uses?: string; run?: string; with?: Record<string, unknown> }[];
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with?.['fetch-depth']).toBe(0);
    expect(steps.some((s) => s.uses?.startsWith('actions/setup-node'))).toBe(true);
    const drift = steps.find((s) => s.run?.includes('perfbisect drift'))!.run!;
    // The same flags the end-to-end test above runs: --probe, --branch, --store git:<branch>, --report, --json.
    expect(drift).toBe('npx perfbisect drift --probe work --branch main --store git:perfbisect-data --report perfbisect-drift/report.md --json perfbisect-drift/result.json');
    expect(steps.find((s) => s.run?.includes('perfbisect drift'))!).toMatchObject({ env: { PERFBISECT_WEBHOOK: '${{ secrets.PERFBISECT_WEBHOOK }}' } });
    const again = await runCli(['init', 'ci'], { cwd: f.repo.dir, cache });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already exists: pass --force/);
    f.repo.cleanup();
  });
});
