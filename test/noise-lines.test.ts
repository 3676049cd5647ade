import { describe, expect, it } from 'vitest';
import type { NoiseReport } from '../src/events.js';
import { busyNowText, cachedFromText, driftNoiseLines, noiseLines, paceLine, steadierMetric } from '../src/report/noise.js';
import { createProbe } from '../src/probes/index.js';
import { clip, fmtConfidence, fmtDuration, measuredBeside } from '../src/report/format.js';

const base: NoiseReport = {
  cv: 0.3, cpuCv: 0.03, cpuShare: 0.6, samplesFor5pct: 400, samplesForThisStep: 12, delta: 0.25,
  minutes: 1.5, verdicts: 3, cores: 2, load: 0.4, busy: [], loaded: false,
};
const hint = (n: NoiseReport) => noiseLines(n, 'wall time').find((l) => l.startsWith('CPU time varies'));

describe('noise lines', () => {
  it('suggests CPU time where it is much steadier than wall time and the run is mostly CPU work', () => {
    expect(hint(base)).toMatch(/CPU time varies 3\.0% .* 30\.0% .* about 100× fewer samples/);
  });

  it('says what the CPU-time saving means for a 5% step, and that a step decided in a handful gains nothing', () => {
    // 30% against 3%: 100× fewer samples near the threshold; this +25% step needs 12 with wall time.
    expect(hint({ ...base, maxSamples: 600 })).toMatch(/about 100× fewer samples near the threshold \(a 5% step: about 4 samples a commit instead of 400\), if the regression is in CPU work$/);
    // Beyond what a commit may take, the 5% figure is not given as a count.
    expect(hint({ ...base, maxSamples: 60 })).toMatch(/about 100× fewer samples near the threshold, if the regression is in CPU work$/);
    expect(hint({ ...base, samplesForThisStep: 6 })).toMatch(/, if the regression is in CPU work; this \+25\.0% step needs few samples either way$/);
  });

  it('stays quiet where CPU time is as noisy, the command mostly waits, or wall time is steady already', () => {
    expect(hint({ ...base, cpuCv: 0.25 })).toBeUndefined();
    expect(hint({ ...base, cpuCv: 0.2 })).toMatch(/about 2× fewer samples/);
    expect(hint({ ...base, cpuShare: 0.1 })).toBeUndefined();
    expect(hint({ ...base, cv: 0.015, cpuCv: 0.001 })).toBeUndefined();
    expect(hint({ ...base, cpuCv: undefined })).toBeUndefined();
  });

  it('says where wall-time noise comes from on a machine no other process keeps busy, where CPU time is steady', () => {
    const why = (n: NoiseReport) => noiseLines(n, 'wall time').find((l) => l.startsWith('wall time swings'));
    expect(why(base)).toBe(
      'wall time swings with no other process busy here while CPU time stays steady: the runs wait on something ' +
        'CPU time does not count (the disk, memory, or other guests of a virtual machine)',
    );
    // A busy machine is the reason, and is named; low noise, or CPU time as noisy, needs no word.
    const busy = { ...base, loaded: true };
    // Nor where the samples are an earlier run's, replayed: this machine's load then says nothing of them.
    const replayed = { ...base, replayed: true };
    const quiet = [busy, { ...base, cv: 0.05 }, { ...base, cpuCv: 0.2 }, { ...base, cpuShare: 0.1 }, replayed];
    for (const n of quiet) expect(why(n)).toBeUndefined();
  });

  it('says a need beyond the samples a commit may take as such, not as thousands of samples', () => {
    const [line] = noiseLines({ ...base, samplesFor5pct: 6074, maxSamples: 60 }, 'wall time');
    expect(line).toMatch(/a 5% step needs more samples than the 60 a commit may take \(--max-samples\), this \+25\.0% step about 12;/);
    expect(noiseLines({ ...base, samplesForThisStep: 90, maxSamples: 60 }, 'wall time')[0]).toMatch(/this \+25\.0% step more than 60;/);
    expect(noiseLines({ ...base, samplesFor5pct: 40, maxSamples: 60 }, 'wall time')[0]).toMatch(/a 5% step needs about 40 samples a commit,/);
    // Without the maximum (a run log written before it was recorded): the figure, as before.
    expect(noiseLines(base, 'wall time')[0]).toMatch(/a 5% step needs about 400 samples a commit,/);
  });

  it('offers --one-step with its time where the rehearsal says it would take far less, while the run goes on', () => {
    const one = (n: NoiseReport, live = true) => noiseLines(n, 'wall time', 'lower', live).find((l) => l.startsWith('--one-step'));
    expect(one({ ...base, minutes: 12, oneStepMinutes: 5 })).toBe(
      '--one-step would take about 5m 0s instead: most of this time goes to ruling out a further step beside each commit; ' +
        'with it one step is looked for, as git bisect does, and others in the range are not found',
    );
    expect(one(base)).toBeUndefined();
    expect(one({ ...base, minutes: 12, oneStepMinutes: 5 }, false)).toBeUndefined();
    expect(one({ ...base, minutes: 12, oneStepMinutes: 5, replayed: true })).toBeUndefined();
  });

  it('says where the minimum further step comes from, and nothing of it with --one-step', () => {
    const step = (m: NoiseReport['minStep']) => noiseLines({ ...base, delta: 1.91, minStep: m }, 'wall time').find((l) => l.startsWith('further steps'));
    expect(step({ value: 0.239, source: 'change' })).toBe(
      'further steps: one of 23.9% or more is looked for beside each commit (an eighth of this +191.0% step); a smaller one is not bisected',
    );
    expect(step({ value: 0.05, source: 'threshold' })).toMatch(/^further steps: one of 5\.0% or more .*\(the threshold\)/);
    expect(step({ value: 0.21, source: 'noise' })).toMatch(/\(the smallest step about ten samples a commit resolve at 30\.0% noise a sample\)/);
    expect(step(undefined)).toBeUndefined();
    // Side first: not beside each commit, but at the located step's ends.
    expect(step({ value: 0.239, source: 'change', sideFirst: true })).toBe(
      'further steps: one of 23.9% or more is looked for (an eighth of this +191.0% step); this step is large against the ' +
        "noise, so a commit clearly on one side is placed in a few samples, and a further step is looked for at the located step's ends",
    );
  });

  it('gives the time for the verdicts to come, none when no run was timed, and whose timing a replayed one is', () => {
    expect(noiseLines(base, 'wall time')[0]).toMatch(/; about 1m 30s for the 3 verdicts to come$/);
    expect(noiseLines({ ...base, minutes: 0 }, 'wall time')[0]).toMatch(/ step about 12; 3 verdicts to come$/);
    expect(noiseLines({ ...base, minutes: 0, replayed: true }, 'wall time')[0]).toMatch(/; 3 verdicts to come \(the endpoints' samples are an earlier run's, from the cache, and so is the time a run takes\)$/);
    expect(noiseLines({ ...base, replayed: true }, 'wall time')[0]).toMatch(/; about 1m 30s for the 3 verdicts to come \(the endpoints' samples are an earlier run's/);
  });

  it('says when a resumed run repeats what the interrupted one measured, load and forecast included', () => {
    const [line, busy] = noiseLines({ ...base, resumed: true, loaded: true, load: 3.2 }, 'wall time');
    expect(line).toMatch(/; about 1m 30s for the 3 verdicts to come \(as the interrupted run forecast it, before the interruption\)$/);
    expect(busy).toMatch(/^machine busy when the interrupted run measured the endpoints: load average 3\.2 on 2 cores: /);
    expect(noiseLines({ ...base, loaded: true }, 'wall time')[1]).toMatch(/^machine busy: load average 0\.4/);
  });

  it('does not price a step the endpoints have not shown yet', () => {
    expect(noiseLines({ ...base, delta: 0 }, 'CPU time')[0]).toMatch(/a 5% step needs about 400 samples a commit, no step between the endpoints yet; about 1m 30s/);
  });

  it('points a long forecast without a budget to --budget and --resume, and a short one to nothing', () => {
    const hintOf = (n: NoiseReport) => noiseLines(n, 'wall time').find((l) => l.includes('--budget <minutes>'));
    expect(hintOf({ ...base, minutes: 36.7 })).toMatch(/^about 36m 42s to go: --budget <minutes> lowers the confidence .* --resume$/);
    expect(hintOf({ ...base, minutes: 4 })).toBeUndefined();
    expect(hintOf({ ...base, minutes: 36.7, budget: { minutes: 20, asked: 0.95, confidence: 0.8 } })).toBeUndefined();
    // The writeup of a finished run keeps the forecast, not the advice on waiting for it.
    const finished = noiseLines({ ...base, minutes: 36.7 }, 'wall time', 'lower', false);
    expect(finished.join('\n')).not.toMatch(/--budget <minutes>/);
    expect(finished[0]).toMatch(/about 36m 42s for the/);
  });

  it('names a busy machine and what it costs', () => {
    const lines = noiseLines({ ...base, loaded: true, load: 3.2, busy: [{ pid: 42, name: 'node', cpu: 0.98 }] }, 'wall time');
    expect(lines).toContainEqual(expect.stringMatching(/^machine busy: load average 3\.2 on 2 cores; node \(pid 42, 98% of a core\): wall time is noisier/));
    // Where /proc told what other work took, that is the figure, not a load average that still holds our own builds.
    expect(noiseLines({ ...base, loaded: true, load: 5.4, others: 1.04 }, 'wall time')).toContainEqual(
      expect.stringMatching(/^machine busy: other work used 1\.0 of 2 cores: wall time is noisier/),
    );
    // It speaks of the metric the verdicts use.
    expect(noiseLines({ ...base, loaded: true, load: 3.2 }, 'CPU time')).toContainEqual(expect.stringMatching(/: CPU time is noisier and verdicts take longer$/));
  });

  it('points a machine that became busy part-way to CPU time, where the probe is mostly CPU work', () => {
    const busy = { cores: 2, load: 2.1, others: 1.0, busy: [{ pid: 42, name: 'node', cpu: 0.98 }] };
    expect(busyNowText(busy, 'wall time', { cv: 0.023, cpuCv: 0.014, cpuShare: 0.95 })).toBe(
      'the machine has become busy since the endpoints: other work used 1.0 of 2 cores; node (pid 42, 98% of a core): ' +
        'wall time is noisier, so verdicts take more samples; CPU time (--metric cpu) is far less disturbed by other work, ' +
        'if the regression is in CPU work',
    );
    // Not where the command mostly waits, where CPU time is what decides already, or with no CPU time.
    const waits = { cv: 0.023, cpuCv: 0.014, cpuShare: 0.1 };
    const quiet = [waits, { cv: 0.014, cpuCv: 0.014, cpuShare: 0.95 }, { cv: 0.02 }];
    for (const cpu of [...quiet, undefined])
      expect(busyNowText(busy, 'wall time', cpu)).toMatch(/so verdicts take more samples$/);
  });
});

describe('drift noise lines', () => {
  const drift = { cv: 0.12, cpuCv: 0.02, cpuShare: 0.9, cores: 2, load: 3.1, loaded: true, points: 8, threshold: 0.05 };
  it('says the noise at the points, what it costs against the threshold, the load and the CPU-time hint', () => {
    const lines = driftNoiseLines({ ...drift, busy: [{ pid: 7, name: 'node', cpu: 1 }] }, 'wall time');
    expect(lines[0]).toBe(
      "noise 12.0% a sample (wall time) at the window's 8 points: above half the 5.0% threshold, so each candidate step takes many samples to confirm or reject",
    );
    expect(lines[1]).toBe('machine busy: load average 3.1 on 2 cores; node (pid 7, 100% of a core): wall time is noisier and the check takes longer');
    expect(lines[2]).toMatch(/^CPU time varies 2\.0% a sample here against 12\.0% for wall time: --metric cpu/);
  });
  it('says only the noise where it is low and the machine quiet', () => {
    expect(driftNoiseLines({ ...drift, cv: 0.01, cpuCv: 0.008, loaded: false, busy: [] }, 'wall time')).toEqual([
      "noise 1.0% a sample (wall time) at the window's 8 points",
    ]);
  });
});

describe('the commit a culprit was measured beside', () => {
  it('says whether it is the parent, so a reference far back is not taken for one', () => {
    expect(measuredBeside('a'.repeat(40), 'a'.repeat(40))).toBe('measured beside its parent aaaaaaaaaa');
    expect(measuredBeside('b'.repeat(40), 'a'.repeat(40))).toBe('measured beside bbbbbbbbbb, not its parent: the nearest commit shown good');
    expect(measuredBeside('b'.repeat(40), undefined)).toBe('measured beside bbbbbbbbbb');
    // Figures pooled from samples taken at different times say so.
    expect(measuredBeside('a'.repeat(40), 'a'.repeat(40), false)).toBe('sized from all samples of it and of its parent aaaaaaaaaa, taken at different times (fewer than 5 side by side: enough to show it slower, too few to size it)');
    expect(measuredBeside('a'.repeat(40), 'a'.repeat(40), true)).toBe('measured beside its parent aaaaaaaaaa');
  });
});

describe('confidence levels', () => {
  it('keep enough decimals never to read 100%, and none where they add nothing', () => {
    expect(fmtConfidence(0.95)).toBe('95%');
    expect(fmtConfidence(0.995)).toBe('99.5%');
    expect(fmtConfidence(1 - 2 * 0.00043)).toBe('99.91%');
    expect(fmtConfidence(0.9999)).toBe('99.99%');
    expect(fmtConfidence(1)).toBe('100%');
  });
});

describe('subjects in lines and tables', () => {
  it('are cut at a word boundary with an ellipsis, not mid-word', () => {
    const subject = 'new rule for autolinks, adjust html rules accordingly. test 574 does not pass';
    expect(clip(subject, 70)).toBe('new rule for autolinks, adjust html rules accordingly. test 574 does…');
    expect(clip('short', 70)).toBe('short');
    // A cut that ends a word keeps it.
    expect(clip('aaaaaaaa bb cc dd', 15)).toBe('aaaaaaaa bb cc…');
    // One long word has no boundary to cut at.
    expect(clip('x'.repeat(80), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('the pace line and durations', () => {
  const pace = {
    verdicts: 3, seconds: 130, verdictsLeft: 6, secondsLeft: 260, forecastSeconds: 40, forecastVerdicts: 8,
  };
  it('says what the verdicts took against the forecast, and what is left at that pace', () => {
    expect(paceLine(pace)).toBe(
      'pace: 3 verdicts took 2m 10s, where the forecast gave all 8 about 40 s: about 4m 20s more for ~6 to come at this pace',
    );
  });
  it('names the ways out where what is left is long', () => {
    const long = { ...pace, secondsLeft: 900 };
    expect(paceLine(long)).toMatch(/at this pace \(--budget <minutes> .*--resume go on later\)$/);
  });
  it('rounds a duration once, so no minute has 60 seconds', () => {
    expect(fmtDuration(119.6)).toBe('2m 0s');
    expect(fmtDuration(59.7)).toBe('1m 0s');
    expect(fmtDuration(59.4)).toBe('59 s');
    expect(fmtDuration(9.97)).toBe('10 s');
    expect(fmtDuration(3.25)).toBe('3.3 s');
    expect(fmtDuration(3725)).toBe('1h 2m');
  });
});

describe('a steadier figure of the same probe', () => {
  const spread = (level: number, cv: number) => [-1, -0.5, 0, 0.5, 1, -0.25, 0.25].map((u) => level * (1 + cv * u));
  const { probe: http } = createProbe('p', { kind: 'http', start: 's', url: 'http://127.0.0.1:{port}/' });
  // p99 at 25% noise, +45%; mean latency at 5%, +38%; p50 steady but unmoved; rps at 6%, 30% fewer.
  const figures: Record<string, { good: number[]; bad: number[] }> = {
    mean: { good: spread(3, 0.1), bad: spread(4.14, 0.1) },
    p50: { good: spread(2, 0.02), bad: spread(2.02, 0.02) },
    rps: { good: spread(5000, 0.12), bad: spread(3500, 0.12) },
  };
  const at = (field: string) => figures[field] ?? { good: [], bad: [] };

  it('the http probe offers its other latencies and throughput, not its error rates or its own metric', () => {
    expect(http.alternatives!.map((a) => a.field)).toEqual(['p50', 'p90', 'p95', 'p99.9', 'mean', 'rps']);
  });

  it('names the figure that resolves the step with the fewest samples, where it saves half or more', () => {
    const s = steadierMetric({ cv: 0.25, delta: 0.45 }, http.alternatives!, at)!;
    expect(s.metric).toBe('mean');
    expect(s.change).toBeCloseTo(0.38, 2);
    expect(s.factor).toBeGreaterThan(5);
    const [, line] = noiseLines({ ...base, cv: 0.25, delta: 0.45, cpuCv: undefined, steadier: s }, 'p99 latency');
    expect(line).toMatch(
      /^mean latency varies [\d.]+% a sample here and moved \+38\.0% \(p99 latency: 25\.0%, \+45\.0%\): metric: 'mean' in probes\.config\.ts would need about \d+× fewer samples for this step/,
    );
    // Throughput's change reads as throughput does: fewer requests a second.
    const rps = steadierMetric({ cv: 0.25, delta: 0.45 }, http.alternatives!.filter((a) => a.field === 'rps'), at)!;
    expect(noiseLines({ ...base, cv: 0.25, delta: 0.45, cpuCv: undefined, steadier: rps }, 'p99 latency')[1]).toMatch(/^requests\/s varies .* moved -30\.0%/);
  });

  it('stays quiet where no figure both shows the step and saves half the samples', () => {
    expect(steadierMetric({ cv: 0.04, delta: 0.45 }, http.alternatives!, at)).toBeUndefined();
    expect(steadierMetric({ cv: 0.25, delta: 0.45 }, http.alternatives!.filter((a) => a.field === 'p50'), at)).toBeUndefined();
    expect(steadierMetric({ cv: 0.01, delta: 0.45 }, http.alternatives!, at)).toBeUndefined();
  });
});

describe('the replay line', () => {
  it('names the run that measured the blocks, and a busy machine only where that run found one', () => {
    expect(cachedFromText({ run: 'r1' })).toBe('measured blocks come from the cache: run r1 measured these commits with this probe (--no-cache measures afresh)');
    expect(cachedFromText()).toMatch(/^measured blocks come from the cache: an earlier run measured/);
    const busy = { cores: 2, load: 3.2, busy: [] };
    expect(cachedFromText({ run: 'r2', busy })).toMatch(/run r2 measured these commits with this probe, while the machine was busy \(load average 3\.2 on 2 cores\) \(--no-cache/);
  });
});
