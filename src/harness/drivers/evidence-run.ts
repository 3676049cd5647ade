import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommitFailure } from '../../errors.js';
import type { RunEvent } from '../../events.js';
import { parseUnifiedDiff } from '../../evidence/changes.js';
import { alignToCulprit } from '../../evidence/compare.js';
import { aggregateV8, isCpuProfile, type CpuProfile } from '../../evidence/cpuprofile.js';
import { buildEvidence, halves } from '../../evidence/evidence.js';
import { renderDiffFlameGraph } from '../../evidence/flamegraph.js';
import { aggregatePprof, readPprof } from '../../evidence/pprof.js';
import { aggregatePstats, isPstatsDump, type PstatsDump } from '../../evidence/pstats.js';
import type { Evidence, ProfileAggregate } from '../../evidence/types.js';
import type { Probe, ProbeContext } from '../../probes/types.js';
import type { Repo } from '../git/git.js';
import { nodeProfilerEnv } from '../profilers/node-profiler.js';
import { pythonProfilerEnv } from '../profilers/python-profiler.js';
import { probeContext, type HangGuard } from '../measure/probe-context.js';
import { quoteArg } from '../../shell-quote.js';

export interface EvidenceOptions {
  culprits: { sha: string; parent: string }[];
  probe: Probe;
  /** Check out (again, if the worktree was recycled) and build a commit; returns its worktree. */
  prepare: (sha: string) => Promise<string>;
  /** The folder of each checkout the probe runs in, relative to its root ('' = the root). */
  folder?: string;
  /** The limit of a run the probe gives none (the measurer's hang guard). */
  guard?: HangGuard;
  repo: Repo;
  runDir: string;
  env?: Record<string, string>;
  signal: AbortSignal;
  emit: (e: RunEvent) => void;
  /** Profiled runs per side: at least `minRuns`, more until `minSamples` samples per side, at most `maxRuns`. */
  minRuns?: number;
  maxRuns?: number;
  minSamples?: number;
  /** Stop adding runs after this long per culprit (the bisect already answered; this is extra). */
  budgetMs?: number;
  /** Evidence an earlier run stored for a culprit (its files copied into `dir`), and where new evidence is kept. */
  store?: {
    get(c: { sha: string; parent: string }, dir: string): Evidence | undefined;
    put(c: { sha: string; parent: string }, ev: Evidence, seconds: number): Promise<void>;
  };
}

/**
 * After the verdict: profile the probe at each culprit's parent and at the culprit (interleaved,
 * several runs each), and turn the two profiles and `git diff parent..culprit` into evidence.
 * A failure here never changes the bisect's answer: it becomes a note in the evidence.
 */
export async function collectEvidence(options: EvidenceOptions): Promise<Evidence[]> {
  const out: Evidence[] = [];
  for (const c of options.culprits) {
    if (options.signal.aborted) break;
    const hit = options.store?.get(c, join(options.runDir, 'evidence', c.sha.slice(0, 12)));
    // Stored by tree: an earlier run may have profiled the same code under other commits (a rebased
    // branch, another clone), whose names must not reach this run's writeup.
    const stored = hit && { ...hit, culprit: c.sha, parent: c.parent };
    if (stored) {
      const note = stored.note ? { note: stored.note } : {};
      const { profiler } = stored;
      options.emit({
        type: 'evidence',
        sha: c.sha,
        profiler,
        top: brief(stored),
        cached: true,
        ...note,
        evidence: stored,
      });
      out.push(stored);
      continue;
    }
    options.emit({ type: 'phase', sha: c.sha, phase: 'profile' });
    let ev: Evidence;
    const t0 = performance.now();
    try {
      ev = await evidenceFor(options, c);
      await options.store?.put(c, ev, (performance.now() - t0) / 1000);
    } catch (e) {
      if (options.signal.aborted) throw e;
      const why = e instanceof CommitFailure ? e.summary() : (e as Error).message;
      ev = noEvidence(c, `profiling failed: ${why}`);
      options.emit({ type: 'warning', message: `evidence for ${c.sha.slice(0, 10)}: ${ev.note}` });
    }
    const note = ev.note ? { note: ev.note } : {};
    options.emit({ type: 'evidence', sha: c.sha, profiler: ev.profiler, top: brief(ev), ...note, evidence: ev });
    out.push(ev);
  }
  return out;
}

/** The top rows of the evidence, as the event carries them. */
const brief = (ev: Evidence) =>
  ev.top
    .slice(0, 3)
    .map((r) => ({
      function: r.function, file: r.file, line: r.line, delta: r.delta, inChange: r.inChange,
      ...(r.under ? { under: r.under } : {}),
      ...(r.calledFrom ? { calledFrom: r.calledFrom } : {}),
      ...(r.calls ? { calls: r.calls } : {}),
    }));

async function evidenceFor(options: EvidenceOptions, c: { sha: string; parent: string }): Promise<Evidence> {
  const minRuns = options.minRuns ?? 4;
  const maxRuns = options.maxRuns ?? 8;
  const minSamples = options.minSamples ?? 2000;
  const budget = options.budgetMs ?? 120_000;
  const dir = join(options.runDir, 'evidence', c.sha.slice(0, 12));
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(options.runDir, 'logs'), { recursive: true });
  const own = options.probe.profile?.profiler;
  // Every Node.js and Python process the probe starts profiles itself into the run's folder.
  const base = { ...process.env, ...options.env };
  // The hooks live beside the run's evidence, not in a culprit's folder, which holds only what it found.
  const hooks = join(options.runDir, 'profilers');
  const nodeEnv = nodeProfilerEnv(hooks, base.NODE_OPTIONS);
  const pyEnv = pythonProfilerEnv(hooks, base.PYTHONPATH);
  const profEnv = (runDir: string) => ({ ...nodeEnv(runDir), ...pyEnv(runDir) });
  type SideRuns = {
    sha: string; v8: CpuProfile[][]; py: PstatsDump[][]; go: Uint8Array[][]; files: string[][];
    /** pprof's 10 ms ticks so far, counted as each profile is read (pprof merges samples with one stack). */
    goTicks: number;
  };
  const sides: Record<'before' | 'after', SideRuns> = {
    before: { sha: c.parent, v8: [], py: [], go: [], files: [], goTicks: 0 },
    after: { sha: c.sha, v8: [], py: [], go: [], files: [], goTicks: 0 },
  };
  const contexts = new Map<string, ProbeContext>();
  const roots: string[] = [];
  for (const s of Object.values(sides)) {
    const root = await options.prepare(s.sha);
    roots.push(root);
    const cwd = join(root, options.folder ?? '');
    const env = { ...(process.env as Record<string, string>), ...options.env, PERFBISECT_COMMIT: s.sha };
    contexts.set(
      s.sha,
      probeContext({
        cwd,
        sha: s.sha,
        env,
        signal: options.signal,
        emit: options.emit,
        guard: options.guard,
        logFile: join(options.runDir, 'logs', `${s.sha.slice(0, 12)}-profile.log`),
        artifactsDir: dir,
      }),
    );
  }
  // Sampling profilers: V8 samples about every millisecond, Go's pprof at 100 Hz; both want ~2 s of CPU a side.
  const v8Samples = (s: SideRuns) => s.v8.reduce((n, r) => n + r.reduce((m, p) => m + p.samples.length, 0), 0);
  const sampledEnough = (s: SideRuns) =>
    (s.v8.every((r) => r.length === 0) || v8Samples(s) >= minSamples) &&
    (s.go.every((r) => r.length === 0) || s.goTicks >= minSamples / 10);
  const started = Date.now();
  const prepared: ProbeContext[] = [];
  try {
    for (const ctx of contexts.values()) {
      await options.probe.prepare?.(ctx);
      prepared.push(ctx);
    }
    // A first run in a fresh checkout writes what later runs reuse (Python's bytecode, a tool's caches).
    // Profiled, that work lands in one half of the runs and the halves' difference hides the change as noise.
    // A run stopped at its limit (a commit that hangs) leaves no profile: more runs would only wait again.
    const finished = (s: { censored?: boolean } | undefined, sha: string) => {
      if (s?.censored) throw new Error(`a run of ${sha.slice(0, 10)} was stopped at its limit, unfinished: no profile to compare`);
    };
    for (const ctx of prepared) {
      finished(await options.probe.sample(ctx), ctx.sha);
      if (options.signal.aborted) throw new Error('interrupted');
    }
    for (let run = 0; run < maxRuns; run++) {
      // Enough when the sampled side has the samples for a stable top (cProfile counts every call: runs suffice).
      const enough = run >= minRuns && Object.values(sides).every(sampledEnough);
      if (enough || (run >= minRuns && Date.now() - started > budget)) break;
      for (const [name, s] of Object.entries(sides)) {
        const ctx = contexts.get(s.sha)!;
        const runDir = join(dir, name, `run-${run + 1}`);
        mkdirSync(runDir, { recursive: true });
        const env = profEnv(runDir);
        const profiled: ProbeContext = {
          ...ctx,
          env: { ...ctx.env, ...env },
          exec: (cmd, eo = {}) => ctx.exec(cmd, { ...eo, env: withProfiler(env, eo.env) }),
          spawn: (cmd, so = {}) => ctx.spawn(cmd, { ...so, env: withProfiler(env, so.env) }),
        };
        const { profile } = options.probe;
        finished(await (profile ? profile.sample(profiled, runDir) : options.probe.sample(profiled)), s.sha);
        if (options.signal.aborted) throw new Error('interrupted');
        const files = readdirSync(runDir).map((f) => join(runDir, f));
        const read = (f: string): unknown => {
          try {
            return JSON.parse(readFileSync(f, 'utf8'));
          } catch {
            return undefined;
          }
        };
        s.v8.push(
          files
            .filter((f) => f.endsWith('.cpuprofile'))
            .map(read)
            .filter(isCpuProfile),
        );
        s.py.push(
          files
            .filter((f) => f.endsWith('.pstats.json'))
            .map(read)
            .filter(isPstatsDump),
        );
        // Go CPU profiles: pprof's protobuf, read as bytes (src/evidence/pprof.ts decodes them).
        const pprofs = files.filter((f) => f.endsWith('.pprof')).map((f) => readFileSync(f));
        s.go.push(pprofs);
        for (const p of pprofs) s.goTicks += readPprof(p, []).reduce((n, x) => n + x.count, 0);
        s.files.push(files);
      }
      if (run === 1 && Object.values(sides).every((s) => s.files.every((f) => f.length === 0))) {
        const kind = options.probe.kind;
        return noEvidence(
          c,
          `no Node.js or Python process ran under the ${kind} probe with the profiler's NODE_OPTIONS or PYTHONPATH ` +
            '(a command that sets its own replaces them: set them outside perfbisect instead), and this probe kind has ' +
            'no other profiler: no profile to compare',
        );
      }
    }
  } finally {
    for (const ctx of prepared) await options.probe.teardown?.(ctx).catch(() => undefined);
  }
  const fold = (s: SideRuns, profiler: 'v8' | 'cprofile' | 'pprof') => {
    const agg = (runs: number[]) =>
      profiler === 'v8'
        ? aggregateV8(
            runs.map((k) => s.v8[k]),
            roots,
          )
        : profiler === 'pprof'
          ? aggregatePprof(
              runs.map((k) => s.go[k]),
              roots,
            )
          : aggregatePstats(
              runs.map((k) => s.py[k]),
              roots,
            );
    const idx = s.v8.map((_, k) => k);
    const [a, b] = halves(idx);
    return { all: agg(idx), halves: [agg(a), agg(b)] as [ProfileAggregate, ProfileAggregate] };
  };
  // The profiler that saw the program: the one with more time at the culprit (a Node script may start Python, or the
  // reverse).
  const v8Time = fold(sides.after, 'v8').all.totalMs;
  const pyTime = fold(sides.after, 'cprofile').all.totalMs;
  const profiler: 'v8' | 'cprofile' | 'pprof' =
    own === 'pprof' ? 'pprof' : own === 'cprofile' || pyTime > v8Time ? 'cprofile' : 'v8';
  const before = fold(sides.before, profiler);
  const after = fold(sides.after, profiler);
  const changes = parseUnifiedDiff(await options.repo.diff(c.parent, c.sha));
  // The culprit's changed files, where functions built with eval or new Function are looked up.
  const sources = new Map<string, string>();
  for (const file of [...changes.keys()].slice(0, 200)) {
    const text = await options.repo.show(c.sha, file);
    if (text !== undefined) sources.set(file, text);
  }
  const ev = buildEvidence({ culprit: c.sha, parent: c.parent, before, after, changes, sources });
  if (options.probe.profile?.fixedTime && profiler === own) ev.fixedTime = true;
  // One representative run per side, under a stable name: the run with the median profiled time.
  const ext = profiler === 'v8' ? '.cpuprofile' : profiler === 'pprof' ? '.pprof' : '.pstats';
  const keep = (s: SideRuns, name: string) => {
    const ranked = s.files
      .map((files, k) => ({
        files,
        ms: fold({ ...s, v8: [s.v8[k]], py: [s.py[k]], go: [s.go[k]] }, profiler).all.totalMs,
      }))
      .sort((x, y) => x.ms - y.ms);
    const pick = ranked[Math.floor(ranked.length / 2)]?.files.find((f) => f.endsWith(ext));
    if (!pick) return undefined;
    const to = join(dir, `${name}${ext}`);
    copyFileSync(pick, to);
    options.emit({
      type: 'artifact',
      sha: s.sha,
      kind: `${profiler === 'v8' ? 'cpu profile' : profiler === 'pprof' ? 'pprof' : 'pstats'} (${name})`,
      path: to,
    });
    return to;
  };
  ev.before = keep(sides.before, 'before');
  ev.after = keep(sides.after, 'after');
  ev.files = {
    before: sides.before.files.flat().filter((f) => f.endsWith(ext)),
    after: sides.after.files.flat().filter((f) => f.endsWith(ext)),
  };
  if (profiler === 'pprof' && ev.before && ev.after) {
    // Go users read pprof's own differential view too: saved beside the profiles.
    const r = await contexts
      .get(c.sha)!
      .exec(`go tool pprof -top -diff_base=${quoteArg(ev.before)} ${quoteArg(ev.after)}`);
    if (r.exitCode === 0) writeFileSync(join(dir, 'pprof-diff.txt'), r.stdout + '\n');
  }
  if (after.all.tree) {
    const svg = join(dir, 'flamegraph.svg');
    writeFileSync(
      svg,
      renderDiffFlameGraph(alignToCulprit(before.all, changes), after.all, {
        title: `${c.sha.slice(0, 10)} against its parent ${c.parent.slice(0, 10)}: differential flame graph`,
      }),
    );
    options.emit({ type: 'artifact', sha: c.sha, kind: 'differential flame graph', path: svg });
    ev.flamegraph = svg;
  }
  return ev;
}

/**
 * The profiler's environment under the probe's own: a PYTHONPATH or NODE_OPTIONS the probe sets (`src`,
 * a heap limit) is joined to the profiler's, which starts the profile, instead of replacing it.
 */
function withProfiler(profiler: Record<string, string>, own: Record<string, string> = {}): Record<string, string> {
  const env = { ...profiler, ...own };
  if (profiler.PYTHONPATH && own.PYTHONPATH) env.PYTHONPATH = `${profiler.PYTHONPATH}:${own.PYTHONPATH}`;
  if (profiler.NODE_OPTIONS && own.NODE_OPTIONS) env.NODE_OPTIONS = `${profiler.NODE_OPTIONS} ${own.NODE_OPTIONS}`;
  return env;
}

/** A culprit without a profile comparison, and why. */
function noEvidence(c: { sha: string; parent: string }, note: string): Evidence {
  return { culprit: c.sha, parent: c.parent, profiler: 'none', top: [], shrank: [], lines: [], note };
}
