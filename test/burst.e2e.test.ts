/**
 * A burst of other work on the machine can turn a verdict: it slows the target's samples of one block and
 * not the one fresh sample of each reference beside them. The search then closes on a commit with no step.
 * Here the burst is made by the probe itself, so it lands on the same block every time; what the search
 * does after it depends on the machine's noise. Without the culprit check the engine blamed a commit with
 * no step in 2 of 5 runs of this test on an idle machine (src/bisect/engine.ts, `unsettled`), and without
 * the turned-verdict check it ended with no culprit in 3 of 7 (`reopenMisled`). test/vanished-step.test.ts
 * replays such histories exactly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { linearRepo, tempDir } from './fixtures/repo.js';
import type { RunResult } from '../src/report/result.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/**
 * The commit's own work.sh, except that the first commit measured that is not an endpoint (the first
 * verdict's target) runs 84 ms longer, as slow as bad, until another such commit is measured. Shell
 * builtins only besides the sleep: a git, cat or touch process in every run would add its start-up, and
 * its noise on a loaded machine, to every sample. The commit is the worktree's detached HEAD.
 */
const burstProbe = (state: string, ends: string[]) => `#!/bin/sh
if [ -f .git ]; then read -r _ gitdir < .git; read -r sha < "$gitdir/HEAD"; else sha=$(git rev-parse HEAD); fi
end=no; case "$sha" in ${ends.join('|')}) end=yes;; esac
[ -f ${state}/victim ] || [ $end = yes ] || echo "$sha" > ${state}/victim
victim=; [ -f ${state}/victim ] && read -r victim < ${state}/victim
if [ $end = no ] && [ "$sha" != "$victim" ]; then : > ${state}/over; else : > ${state}/seen; fi
if [ "$sha" = "$victim" ] && [ ! -f ${state}/over ]; then sleep 0.084; fi
. ./work.sh
`;

describe('a verdict turned by a burst of load', () => {
  it('blames no commit whose step it faked: measured beside its parent, the step vanishes and the search goes on', async () => {
    // 60 ms, ×2.4 at change 12 of 15.
    const { repo, shas } = linearRepo({ commits: 15, regressAt: [12], baseMs: 60, factor: 2.4 });
    cleanups.push(() => repo.cleanup());
    const state = tempDir('pb-burst-');
    const probe = join(state, 'probe.sh');
    writeFileSync(probe, burstProbe(state, [shas[0], shas[15]]));
    const out = tempDir('pb-out-');
    const r = await runCli(['--good', 'good', '--bad', 'bad', '--no-profile', '--json', join(out, 'r.json'), '--', 'sh', probe], {
      cwd: repo.dir,
    });
    // Found, whether the search closed on a commit measured beside its parent (doubted, then vanished) or on
    // two commits measured side by side: the turned verdict's commit, measured later as a reference, ran
    // at good's speed. Never a commit that is not the planted one, nor no culprit.
    expect(r.exitCode, r.all).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunResult;
    const victim = readFileSync(join(state, 'victim'), 'utf8').trim();
    expect(shas.indexOf(victim)).toBeLessThan(12);
    expect(result.commits.find((c) => c.sha === victim)?.verdict).toBe('bad');
    expect(result.culprits.map((c) => c.sha)).toEqual([shas[12]]);
    for (const v of result.vanished ?? []) expect(shas.indexOf(v.sha)).toBeLessThanOrEqual(shas.indexOf(victim));
    if (result.vanished?.length) {
      expect(r.all).toMatch(/note: the search first closed on [0-9a-f]{10}, but measured beside its parent [0-9a-f]{10} it changed/);
    }
  });
});
