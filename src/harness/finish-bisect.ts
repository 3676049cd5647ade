import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Outcome } from '../bisect/engine.js';
import { type CommitFailure, ExitCode, UsageError } from '../errors.js';
import type { CommitMeta, NoiseReport, RunEvent } from '../events.js';
import { hasProbeEvidence } from '../report/evidence/probe.js';
import { buildResult, type RunResult } from '../report/result.js';
import { median, summarize } from '../stats/summary.js';
import type { BisectOptions } from './bisect-run.js';
import { descend } from './dep-descent.js';
import { collectEvidence } from './evidence-run.js';
import { EvidenceStore } from './evidence-store.js';
import { hashOf } from './fingerprint.js';
import type { Repo } from './git.js';
import { Interrupted, type Measurer } from './measurer.js';
import { costOf, finishCost, flagIdenticalBuilds, preparationCounted } from './prepare.js';
import { cacheRoot } from './paths.js';
import { readProbeArtifacts } from './probe-evidence.js';
import { writeReport } from './report-files.js';

export interface FinishContext {
  o: BisectOptions;
  outcome: Outcome;
  repo: Repo;
  meta: Map<string, CommitMeta & { tree: string }>;
  /** The measuring path of this machine: its cost, details and builds (for the evidence step too). */
  measurer: Measurer;
  runDir: string;
  runId: string;
  good: string;
  bad: string;
  rangeSize: number;
  started: number;
  noise?: NoiseReport;
  emit: (e: RunEvent) => void;
  /** A commit's samples for the result and the charts. */
  samples: (sha: string) => number[];
  signal: AbortSignal;
  /** Which machine measured what, on a fleet (the result's `machines`). */
  extend?: (result: RunResult) => void;
}

/**
 * After the search: the result, the descent into a dependency change, the evidence at each
 * culprit, the writeup and the run-end event. The sequential bisect and the bisect in rounds on a
 * fleet end the same way.
 */
export async function finishBisect(x: FinishContext): Promise<{ exitCode: number; result: RunResult }> {
  const { o, outcome, repo, meta, measurer, runDir, runId, good, bad, started, noise, emit, signal } = x;
  const { cost, details } = measurer;
  const probe = o.probe;
  const cache = cacheRoot();
  const worktrees = measurer.worktrees;
  const files = new Map<string, { file: string; added: number; removed: number }[]>();
  for (const c of outcome.culprits)
    files.set(c.sha, await repo.changedFiles(meta.get(c.sha)?.parents[0] ?? c.before, c.sha));
  cost.wallSeconds = (performance.now() - started) / 1000;
  const exitCode = {
    found: ExitCode.found, 'no-regression': ExitCode.noRegression, ambiguous: ExitCode.ambiguous, undecided: ExitCode.undecided,
  }[outcome.status];
  const result = buildResult({
    outcome,
    meta,
    files,
    samples: x.samples,
    summary: (s) => summarize(x.samples(s)),
    details: (s) => medianDetails(details.get(s)),
    censored: { count: (s) => measurer.censored.get(s) ?? 0, at: measurer.censoredAt },
    probe: { name: o.probeName, kind: probe.kind, metric: probe.metric, deterministic: probe.deterministic },
    good: { ref: o.good, sha: good },
    bad: { ref: o.bad, sha: bad },
    rangeSize: x.rangeSize,
    runId,
    runDir,
    reproduce: o.reproduce,
    cost,
    noise,
  });
  flagIdenticalBuilds(result, measurer.preparer.outputHashes);
  x.extend?.(result);
  // A culprit that changed a lockfile: which package, which version, which commit (docs/dependencies.md).
  if (o.deps !== false && outcome.status === 'found') {
    for (const c of result.culprits) {
      try {
        const d = await descend(
          { sha: c.sha, parent: c.parent, date: c.date, files: c.files.map((f) => f.file) },
          {
            measurer,
            meta,
            mirror: worktrees.mirror,
            cache,
            signal,
            emit,
            engine: { ...o.engine, better: probe.metric.better, deterministic: probe.deterministic },
            seed: o.seed ?? parseInt(bad.slice(0, 8), 16),
            env: { ...(process.env as Record<string, string>), ...o.env },
            depRepos: o.depRepos ?? {},
            scratch: join(worktrees.dir, `deps-${c.sha.slice(0, 12)}`),
          },
        );
        if (d) Object.assign(c, { descent: d.descent }, d.dependency ? { dependency: d.dependency } : {});
      } catch (e) {
        if (e instanceof Interrupted || signal.aborted) throw e;
        // The descent only adds to the result: the commit-level verdict and exit code stand.
        const message = `the descent into the dependency change failed: ${(e as Error).message.split('\n')[0]}`;
        emit({ type: 'warning', message });
        const lockfile = c.files.map((f) => f.file).find((f) => /lock|shrinkwrap/.test(f)) ?? '';
        c.descent = { lockfile, changes: [], groups: 0, levels: [], stopped: message };
      }
    }
  }
  // Evidence at the culprit (docs/evidence.md): profile parent and culprit, diff, tie to the change.
  if (o.profile !== false && outcome.culprits.length) {
    const p0 = performance.now();
    const prepared = preparationCounted(cost);
    const evidenceStore = new EvidenceStore(join(cache, 'evidence'));
    const tree = async (sha: string) => (await repo.raw(['rev-parse', `${sha}^{tree}`])).trim();
    const key = async (c: { sha: string; parent: string }) =>
      hashOf({
        v: 1,
        probe: o.probeDefinition,
        build: measurer.buildCommand ?? null,
        env: o.env ?? null,
        fp: measurer.fp.hash,
        culprit: await tree(c.sha),
        parent: await tree(c.parent),
      });
    const keys = new Map<string, string>();
    let profiled = 0;
    for (const c of result.culprits) keys.set(c.sha, await key(c));
    result.evidence = await collectEvidence({
      culprits: result.culprits.map((c) => ({ sha: c.sha, parent: c.parent })),
      probe,
      prepare: (s) => measurer.prepareCommit(s),
      repo,
      runDir,
      env: o.env,
      signal,
      emit,
      store: {
        // --no-cache profiles again, as it measures again.
        get: (c, dir) => {
          const hit = o.useCache ? evidenceStore.get(keys.get(c.sha)!, dir) : undefined;
          if (hit) costOf(cost, c.sha).saved += hit.seconds;
          else profiled++;
          return hit?.evidence;
        },
        put: (c, ev, seconds) => evidenceStore.put(keys.get(c.sha)!, ev, seconds),
      },
    });
    // Profiling is its own line of the cost: its wall time, less the builds it needed (counted as builds).
    const spent = (performance.now() - p0) / 1000 - (preparationCounted(cost) - prepared);
    if (profiled) cost.profileSeconds = Math.max(0, spent);
  }
  await measurer.close();
  finishCost(cost, (performance.now() - started) / 1000, measurer.prepareOverlap);
  const resultFile = join(runDir, 'result.json');
  const reportFile = join(runDir, 'writeup.md');
  writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
  // writeup.md with its SVG charts and writeup.html; --report gets its copy (HTML for .html).
  const probeEvidence = result.culprits
    .map((c) => ({
      culprit: c.sha,
      baseline: c.baseline,
      before: readProbeArtifacts(runDir, c.baseline),
      after: readProbeArtifacts(runDir, c.sha),
    }))
    .filter((p) => hasProbeEvidence(p.after));
  writeReport(runDir, result, { meta, samples: x.samples, probeEvidence }, o.reportFile);
  if (o.jsonFile) copyOut(resultFile, o.jsonFile);
  emit({
    type: 'run-end',
    outcome,
    resultFile: o.jsonFile ? resolve(o.jsonFile) : resultFile,
    reportFile: o.reportFile ? resolve(o.reportFile) : reportFile,
    exitCode,
  });
  return { exitCode, result };
}

/**
 * A reference (an endpoint, or a commit decided earlier) that fails to build or measure: the bisect
 * cannot go on without it, so the run ends with what to change (exit 2).
 */
export function referenceFailure(
  o: { good: string; bad: string },
  ends: { good: string; bad: string },
  sha: string,
  f: CommitFailure,
): never {
  const which =
    sha === ends.good ? `--good ${o.good}` : sha === ends.bad ? `--bad ${o.bad}` : `reference ${sha.slice(0, 12)}`;
  const what = f.stage === 'build' ? 'does not build' : 'cannot be measured';
  const fix =
    f.kind === 'too slow'
      ? `Raise the ${f.stage === 'build' ? '--build-timeout' : "probe's timeout"}`
      : `Fix the ${f.stage === 'build' ? 'build command' : 'probe'}`;
  throw Object.assign(
    new UsageError(
      `${which} ${what}: ${f.headline}: ${f.message}. ` +
        `${fix} or pick ${sha === ends.good ? 'a --good' : 'a --bad'} where it works${f.logFile ? ` (log: ${f.logFile})` : ''}.`,
    ),
    { tail: f.logTail },
  );
}

export function copyOut(from: string, to: string): void {
  const dir = dirname(resolve(to));
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  copyFileSync(from, to);
}

/** Per-field medians of a commit's sample details (p50, p99, rps …) for the before/after table. */
export function medianDetails(list?: Record<string, number>[]): Record<string, number> | undefined {
  if (!list || list.length === 0 || Object.keys(list[0]).length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const k of Object.keys(list[0])) {
    const v = list.map((d) => d[k]).filter((x) => typeof x === 'number');
    if (v.length) out[k] = median(v);
  }
  return out;
}
