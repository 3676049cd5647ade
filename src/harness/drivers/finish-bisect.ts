import { join, resolve } from 'node:path';
import type { Outcome } from '../../bisect/outcome.js';
import { type CommitFailure, ExitCode, UsageError } from '../../errors.js';
import type { CommitMeta, RunEvent } from '../../events.js';
import type { RunResult } from '../../report/result.js';
import type { BisectOptions } from './bisect-options.js';
import { descend } from '../deps/descent.js';
import { collectEvidence } from './evidence-run.js';
import { EvidenceStore } from '../store/evidence-store.js';
import { hashOf } from '../store/fingerprint.js';
import { outsidePart } from '../store/outside-inputs.js';
import type { Repo } from '../git/git.js';
import { Interrupted, type Measurer } from '../measure/measurer.js';
import { costOf, finishCost, preparationCounted } from '../build/prepare.js';
import { cacheRoot } from '../store/paths.js';
import { adoptProbeArtifacts } from '../profilers/probe-evidence.js';
import { writeRunOutputs } from '../record/report-files.js';
import { asLogged, type LoggedEvent } from '../record/run-log.js';

export interface FinishContext {
  options: BisectOptions;
  outcome: Outcome;
  repo: Repo;
  meta: Map<string, CommitMeta & { tree: string }>;
  /** The measuring path of this machine: its cost, details and builds (for the evidence step too). */
  measurer: Measurer;
  runDir: string;
  good: string;
  bad: string;
  started: number;
  emit: (e: RunEvent) => void;
  /** The run's log as written so far: the result and the writeup are folded from it. */
  record: () => LoggedEvent[];
  signal: AbortSignal;
}

/**
 * After the search: what the harness adds to each culprit, the descent into a dependency change, the
 * evidence at each culprit, the cost; then the result and writeup, folded from the run log, and the
 * run-end event. The sequential bisect and the bisect in rounds on a fleet end the same way.
 */
export async function finishBisect(x: FinishContext): Promise<{ exitCode: number; result: RunResult }> {
  const { options, outcome, repo, meta, measurer, runDir, bad, started, emit, signal } = x;
  const { cost } = measurer;
  const probe = options.probe;
  const cache = cacheRoot();
  const worktrees = measurer.worktrees;
  const outputs = measurer.preparer.outputHashes;
  const culprits = [];
  for (const c of outcome.culprits) {
    const m = meta.get(c.sha);
    const files = await repo.changedFiles(m?.parents[0] ?? c.before, c.sha);
    const built = outputs.get(c.sha);
    const suspicious = built && built === outputs.get(c.before) ? identicalBuild(c.before) : undefined;
    culprits.push({ sha: c.sha, parent: m?.parents[0] ?? c.before, date: m?.date ?? '', files, suspicious });
  }
  emit({
    type: 'search-end',
    culprits: culprits.map((c) => ({
      sha: c.sha, files: c.files, ...(c.suspicious ? { suspicious: c.suspicious } : {}),
    })),
  });
  const exitCode = {
    found: ExitCode.found, 'no-regression': ExitCode.noRegression, ambiguous: ExitCode.ambiguous,
    undecided: ExitCode.undecided,
  }[outcome.status];
  // A culprit that changed a lockfile: which package, which version, which commit (docs/dependencies.md).
  if (options.deps !== false && outcome.status === 'found') {
    for (const c of culprits) {
      try {
        await descend(
          { sha: c.sha, parent: c.parent, date: c.date, files: c.files.map((f) => f.file) },
          {
            measurer,
            meta,
            mirror: worktrees.mirror,
            cache,
            signal,
            emit,
            engine: { ...options.engine, better: probe.metric.better, deterministic: probe.deterministic },
            seed: options.seed ?? parseInt(bad.slice(0, 8), 16),
            env: { ...(process.env as Record<string, string>), ...options.env },
            depRepos: options.depRepos ?? {},
            scratch: join(worktrees.dir, `deps-${c.sha.slice(0, 12)}`),
          },
        );
      } catch (e) {
        if (e instanceof Interrupted || signal.aborted) throw e;
        // The descent only adds to the result: the commit-level verdict and exit code stand.
        const message = `the descent into the dependency change failed: ${(e as Error).message.split('\n')[0]}`;
        emit({ type: 'warning', message });
        const lockfile = c.files.map((f) => f.file).find((f) => /lock|shrinkwrap/.test(f)) ?? '';
        emit({
          type: 'dep-result', culprit: c.sha, stopped: message,
          descent: { lockfile, changes: [], groups: 0, levels: [], stopped: message },
        });
      }
    }
  }
  // Evidence at the culprit (docs/evidence.md): profile parent and culprit, diff, tie to the change.
  if (options.profile !== false && culprits.length) {
    const p0 = performance.now();
    const prepared = preparationCounted(cost);
    const evidenceStore = new EvidenceStore(join(cache, 'evidence'));
    const tree = async (sha: string) => (await repo.raw(['rev-parse', `${sha}^{tree}`])).trim();
    const key = async (c: { sha: string; parent: string }) =>
      hashOf({
        // Bumped when how evidence is gathered or read changes (how long Go profiles run, which
        // Pythons are profiled, what a row names), so old entries are not replayed.
        v: 5,
        probe: options.probeDefinition,
        build: measurer.buildCommand ?? null,
        ...(options.folder ? { folder: options.folder } : {}),
        env: options.env ?? null,
        ...outsidePart(measurer.outside),
        fp: measurer.fp.hash,
        culprit: await tree(c.sha),
        parent: await tree(c.parent),
      });
    const keys = new Map<string, string>();
    let profiled = 0;
    for (const c of culprits) keys.set(c.sha, await key(c));
    await collectEvidence({
      culprits: culprits.map((c) => ({ sha: c.sha, parent: c.parent })),
      probe,
      prepare: (s) => measurer.prepareCommit(s),
      folder: options.folder,
      guard: measurer.guard,
      repo,
      runDir,
      env: options.env,
      signal,
      emit,
      store: {
        // --no-cache profiles again, as it measures again.
        get: (c, dir) => {
          const hit = options.useCache ? evidenceStore.get(keys.get(c.sha)!, dir) : undefined;
          if (hit) costOf(cost, c.sha).saved += hit.seconds;
          else profiled++;
          return hit?.evidence;
        },
        // Only a profile is worth replaying: "no profiler ran" may change with the machine (an
        // interpreter installed since) or with perfbisect, and costs a few runs to find out again.
        put: async (c, ev, seconds) => {
          if (ev.profiler !== 'none') await evidenceStore.put(keys.get(c.sha)!, ev, seconds, !options.useCache);
        },
      },
    });
    if (signal.aborted) throw new Interrupted();
    // Profiling is its own line of the cost: its wall time, less the builds it needed (counted as builds).
    const spent = (performance.now() - p0) / 1000 - (preparationCounted(cost) - prepared);
    if (profiled) cost.profileSeconds = Math.max(0, spent);
  }
  await measurer.close();
  finishCost(cost, (performance.now() - started) / 1000, measurer.prepareOverlap);
  emit({ type: 'cost', cost });
  // What the probe saved at a culprit and its baseline, when an earlier run measured them: into this run's folder.
  for (const c of outcome.culprits) for (const sha of [c.before, c.sha]) adoptProbeArtifacts(runDir, sha);
  const end: RunEvent = {
    type: 'run-end',
    outcome,
    resultFile: options.jsonFile ? resolve(options.jsonFile) : join(runDir, 'result.json'),
    reportFile: options.reportFile ? resolve(options.reportFile) : join(runDir, 'writeup.md'),
    exitCode,
    time: new Date().toISOString(),
  };
  // The result and writeup are the fold over the log as it stands once the run-end is in it.
  const copies = { jsonFile: options.jsonFile, reportFile: options.reportFile };
  const result = writeRunOutputs(runDir, [...x.record(), asLogged(end)], copies);
  emit(end);
  return { exitCode, result };
}

const identicalBuild = (baseline: string) =>
  `the build output is byte-identical to ${baseline.slice(0, 12)}'s: the change cannot have altered the built ` +
  'program (unless it runs its sources directly); suspect noise or the environment';

/**
 * A reference (an endpoint, or a commit decided earlier) that fails to build or measure: the bisect
 * cannot go on without it, so the run ends with what to change (exit 2).
 */
export function referenceFailure(
  options: { good: string; bad: string },
  ends: { good: string; bad: string },
  sha: string,
  f: CommitFailure,
): never {
  const which =
    sha === ends.good
      ? `--good ${options.good}`
      : sha === ends.bad
        ? `--bad ${options.bad}`
        : `reference ${sha.slice(0, 12)}`;
  const what = f.consequence;
  const fix =
    f.kind === 'too slow'
      ? `Raise the ${f.preparing ? '--build-timeout' : "probe's timeout"}`
      : `Fix the ${f.stage === 'install' ? '--install command' : f.stage === 'build' ? 'build command' : 'probe'}`;
  throw Object.assign(
    new UsageError(
      `${which} ${what}: ${f.summary()}. ` +
        `${fix} or pick ${sha === ends.good ? 'a --good' : 'a --bad'} where it works${f.logFile ? ` (log: ${f.logFile})` : ''}.`,
    ),
    { tail: f.logTail },
  );
}
