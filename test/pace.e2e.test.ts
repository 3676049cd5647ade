import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { datedCommits, FixtureRepo, tempDir } from './fixtures/repo.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/**
 * Prints a value (the commit's level, 1% noise) after waiting the seconds in `pace`: the endpoints run
 * at once, every commit between them takes seconds a run, so the verdicts take far longer than the
 * forecast the endpoints priced. The value, not the time, is the metric: the search itself is easy.
 *
 * The pace is said where the rest of the run at this pace is a minute or more beyond the forecast,
 * from the second verdict on. The more verdicts are still to come after two, the sooner two verdicts'
 * pace puts the rest that far: 1,023 commits leave ~8 to come (63 left ~4), so a 1.5 s wait a run
 * says it with more to spare than 2.5 s did with 63 commits, in less time.
 */
const probe = `const fs = require('fs');
const wait = Number(fs.readFileSync('pace', 'utf8'));
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait * 1000);
console.log('value: ' + Number(fs.readFileSync('level', 'utf8')) * (1 + 0.01 * (Math.random() - 0.5)));
`;

describe('the pace of the verdicts', () => {
  it('says the forecast again where the verdicts take far longer than it said', async () => {
    const repo = new FixtureRepo();
    cleanups.push(() => repo.cleanup());
    const commits = 1023;
    repo.commit('initial', { 'probe.js': probe, level: '100', pace: '0' });
    repo.tag('good');
    // One git fast-import for the rest: a process or three per commit would take half a minute for this many.
    datedCommits(
      repo,
      { name: 'Fixture', email: 'fixture@example.com' },
      Array.from({ length: commits }, (_, k) => ({
        files: { level: k + 1 >= 650 ? '200' : '100', pace: k + 1 === commits ? '0' : '1.5' },
        message: `change ${k + 1}`,
        date: (1767225600 + k + 1) * 1000,
      })),
    );
    repo.tag('bad');
    repo.write({
      'probes.config.ts': `export default { probes: { value: { kind: 'command', run: 'node probe.js', metric: { name: 'value', pattern: 'value: ([0-9.]+)' } } } };\n`,
    });
    const cache = tempDir('pb-cache-');
    const child = runCli(['--good', 'good', '--bad', 'bad', '--probe', 'value', '--no-profile'], { cwd: repo.dir, cache });
    // Other work starts once the endpoints are measured: the pace line is then followed by a note naming it.
    let hog: ChildProcess | undefined;
    cleanups.push(() => hog?.kill('SIGKILL'));
    let out = '';
    const lineOf = (prefix: string) => out.split('\n').find((l) => l.startsWith(prefix));
    const said = await new Promise<string>((resolve) => {
      child.all!.on('data', (d: Buffer) => {
        out += d.toString();
        if (!hog && lineOf('verdict ')) hog = spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' });
        const line = lineOf('pace: ');
        if (line) resolve(line);
      });
      void child.then(() => resolve(''));
    });
    // Said after a look at the machine (a fraction of a second), unless the endpoints already said it was
    // busy: then there is no note to wait for.
    const busyAtEndpoints = () => /^machine busy/m.test(out);
    const deadline = Date.now() + 15_000;
    while (!busyAtEndpoints() && !lineOf('note: the machine has become busy') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    hog?.kill('SIGKILL');
    child.kill("SIGINT");
    const r = await child;
    expect(said, r.all).toMatch(
      /^pace: \d+ verdicts took .+, where the forecast gave all \d+ about .+: about .+ more for ~\d+ to come at this pace/,
    );
    if (!busyAtEndpoints())
      expect(lineOf('note: the machine has become busy'), out).toMatch(
        /^note: the machine has become busy since the endpoints: .*node \(pid \d+, \d+% of a core\).*: value is noisier, so verdicts take more samples$/,
      );
    // It is part of the run's record, as every line of the plain view is.
    const [run] = readdirSync(join(cache, 'runs'));
    const events = readFileSync(join(cache, 'runs', run, 'events.jsonl'), 'utf8').split('\n').filter(Boolean);
    const pace = events.map((l) => JSON.parse(l) as { type: string; pace?: { verdicts: number; secondsLeft: number } });
    const first = pace.find((e) => e.type === 'pace')!.pace!;
    expect(first.verdicts).toBeGreaterThanOrEqual(2);
    expect(first.secondsLeft).toBeGreaterThan(0);
  });
});
