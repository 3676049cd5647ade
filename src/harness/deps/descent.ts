import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { BisectEngine, type EngineOptions } from '../../bisect/engine.js';
import type { Outcome } from '../../bisect/outcome.js';
import { lockfilesAmong, dirOf, joinPath } from '../../deps/lockfiles.js';
import { versionsBetween } from '../../deps/ranges.js';
import type { DependencyDescent, DependencyFinding, DepLevel, DescentLevel } from '../../deps/result.js';
import { LockfileError, type PackageChange } from '../../deps/types.js';
import { planUpgrades, type UpgradePlan } from '../../deps/upgrades.js';
import { CommitFailure } from '../../errors.js';
import type { CommitMeta, RunEvent } from '../../events.js';
import { seededRng } from '../../stats/rng.js';
import { NpmDependencyError, packFolder, pinPackage, publishedVersions } from './npm.js';
import { Interrupted, type Measurer } from '../measure/measurer.js';
import { SyntheticCommits, type FileSource } from '../git/synthetic-commits.js';

/**
 * The descent into a culprit that changed a lockfile: bisect the upgrades applied on its parent
 * (the package), then the package's published versions (the version), then its repository's
 * commits between the two tags (the commit, with --dep-repo). Each level is a chain of synthetic
 * commits in the mirror, measured by the run's own Measurer and decided by a BisectEngine, so the
 * builds, installs, interleaving, statistics, sample store and run log are the bisect's own.
 */
export interface DescentOptions {
  measurer: Measurer;
  /** The Measurer's commit metadata: synthetic commits are added to it. */
  meta: Map<string, CommitMeta & { tree: string }>;
  mirror: string;
  engine: EngineOptions;
  seed: number;
  /** The environment npm runs with (registry and credentials as the user's own npm sees them). */
  env: Record<string, string>;
  emit: (e: RunEvent) => void;
  signal: AbortSignal;
  /** --dep-repo: package name → local path or git URL of its repository. */
  depRepos: Record<string, string>;
  /** A folder for checkouts and tarballs, removed afterwards. */
  scratch: string;
  cache: string;
}

export interface DescentOutcome {
  dependency?: DependencyFinding;
  descent: DependencyDescent;
}

interface Candidate {
  id: string;
  parents: string[];
  label: string;
  sha?: string;
  make?: () => Promise<string>;
}

interface LevelRun {
  outcome?: Outcome;
  stopped?: string;
  engine: BisectEngine;
  measured: number;
}

class Stop extends Error {}

export async function descend(
  culprit: { sha: string; parent: string; date: string; files: string[] },
  ctx: DescentOptions,
): Promise<DescentOutcome | undefined> {
  const { read, unread } = lockfilesAmong(culprit.files);
  const git = new SyntheticCommits(ctx.mirror);
  const result = (descent: DependencyDescent, dependency?: DependencyFinding): DescentOutcome => {
    ctx.emit({
      type: 'dep-result',
      culprit: culprit.sha,
      ...(dependency ? { dependency } : {}),
      ...(descent.stopped ? { stopped: descent.stopped } : {}),
      descent,
    });
    return { descent, ...(dependency ? { dependency } : {}) };
  };
  if (!read.length) {
    if (!unread.length) return undefined;
    return result({
      lockfile: unread[0],
      changes: [],
      groups: 0,
      levels: [],
      stopped:
        `${unread.join(', ')} changed: perfbisect reads package-lock.json, npm-shrinkwrap.json, ` +
        'pnpm-lock.yaml and yarn.lock only',
    });
  }
  const lockfile = [...read].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))[0];
  const others = read.filter((f) => f !== lockfile);
  const descent: DependencyDescent = { lockfile, changes: [], groups: 0, levels: [] };
  const stop = (why: string) => {
    descent.stopped = others.length ? `${why} (${others.join(', ')} changed too and was not descended into)` : why;
  };
  mkdirSync(ctx.scratch, { recursive: true });
  try {
    // 1. List: the packages whose resolved versions changed.
    let plan: UpgradePlan;
    try {
      plan = await readPlan(git, culprit, lockfile);
    } catch (e) {
      if (!(e instanceof LockfileError)) throw e;
      stop(`cannot read ${lockfile}: ${e.message}`);
      return result(descent);
    }
    descent.manager = plan.format;
    descent.changes = plan.changes;
    descent.groups = plan.groups.length;
    if (!plan.changes.length) {
      stop(`${lockfile} changed, but no package's resolved version did`);
      return result(descent);
    }
    // 2. The package: the upgrade groups applied one after another on the parent.
    const chain: Candidate[] = [];
    let prev = culprit.parent;
    for (const step of plan.steps) {
      const files: Record<string, FileSource> = Object.fromEntries(
        Object.entries(step.files).map(([p, text]) => [p, { text }]),
      );
      for (const f of step.localFiles)
        if (!(await git.exists(culprit.parent, f)) && (await git.exists(culprit.sha, f)))
          files[f] = { from: culprit.sha };
      const c = await git.commit({
        base: culprit.parent,
        parent: prev,
        files,
        message: `perfbisect: ${step.label}`,
        date: culprit.date,
      });
      register(ctx, c, prev, step.label, culprit.date);
      chain.push({ id: c.sha, sha: c.sha, parents: [prev], label: step.label });
      prev = c.sha;
    }
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const groups = plural(plan.groups.length, 'upgrade group');
    const title = `${plural(plan.changes.length, 'package')} changed in ${lockfile}, in ${groups}`;
    const pkg = await bisectCandidates(
      'package',
      culprit.sha,
      title,
      { sha: culprit.parent, label: 'parent' },
      chain,
      ctx,
    );
    const pkgLevel = levelOf('package', chain.length, pkg);
    const found = pkg.outcome?.status === 'found' ? pkg.outcome.culprits : [];
    const idx = (sha: string) => chain.findIndex((c) => c.id === sha);
    if (found.length) pkgLevel.found = found.map((f) => chain[idx(f.sha)].label).join('; ');
    Object.assign(pkgLevel, withChange(pkgLevel, found[0]));
    descent.levels.push(pkgLevel);
    const pkgStop =
      pkg.stopped ??
      levelStopped(
        pkg.outcome,
        'the upgrades alone do not make it slower: the regression is in the rest of the change',
      );
    endLevel(ctx, culprit.sha, 'package', pkgLevel, pkgStop);
    if (!found.length) {
      stop(pkgStop);
      return result(descent);
    }
    const findings = found
      .map((f) => ({ f, k: idx(f.sha) }))
      .sort((a, b) => b.f.ratio - a.f.ratio)
      .map(({ f, k }) => ({ k, ratio: f.ratio, finding: findingOf(plan.groups[k].changes, f.ratio) }));
    const main = findings[0];
    if (findings.length > 1) descent.others = findings.slice(1).map((x) => x.finding);
    const dependency = main.finding;
    const change = plan.groups[main.k].changes[0];
    const goodEnd = main.k === 0 ? culprit.parent : chain[main.k - 1].sha!;
    const badEnd = chain[main.k].sha!;
    if (plan.groups[main.k].names.length > 1) {
      stop(
        `${plan.groups[main.k].names.join(', ')} move together (${plan.groups[main.k].reason ?? 'one group'}): ` +
          'the version level takes one package at a time',
      );
      return result(descent, dependency);
    }
    if (plan.format !== 'npm') {
      stop(`the version level resolves versions with npm: ${lockfile} is ${plan.format}'s`);
      return result(descent, dependency);
    }
    const source = plan.sources[change.name];
    if (source) {
      stop(
        `${change.name} ${change.to[0] ?? ''} is installed from ${source}, not from a registry: ` +
          'there are no published versions to bisect',
      );
      return result(descent, dependency);
    }
    if (change.from.length !== 1 || change.to.length !== 1) {
      stop(
        `${change.name} is ${change.from.length ? 'installed' : 'added'} at ${change.from.length} version(s) before ` +
          `and ${change.to.length} after: the version level needs one on each side`,
      );
      return result(descent, dependency);
    }
    // 3. The version: the published versions between from and to, each pinned on the good end.
    const resolver = new Resolver(git, ctx, goodEnd, lockfile);
    try {
      const lastGood = await versionLevel(ctx, culprit, resolver, change, goodEnd, badEnd, dependency, descent);
      if (!lastGood) return result(descent, dependency);
      // 4. The commit: the package's repository between the two versions' tags.
      const repoSpec = ctx.depRepos[change.name];
      if (!repoSpec) {
        stop(`the commit level needs the repository of ${change.name}: --dep-repo ${change.name}=<path|url>`);
        return result(descent, dependency);
      }
      await commitLevel(ctx, culprit, resolver, change.name, repoSpec, lastGood, dependency, descent);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      stop(e.message);
    } finally {
      await resolver.close();
    }
    return result(descent, dependency);
  } finally {
    rmSync(ctx.scratch, { recursive: true, force: true });
  }
}

async function readPlan(
  git: SyntheticCommits,
  culprit: { sha: string; parent: string },
  lockfile: string,
): Promise<UpgradePlan> {
  const older = await git.show(culprit.parent, lockfile);
  const newer = await git.show(culprit.sha, lockfile);
  if (older === undefined)
    throw new LockfileError(`the culprit adds ${lockfile}: there is no older lockfile to compare with`);
  if (newer === undefined) throw new LockfileError(`the culprit deletes ${lockfile}`);
  const dir = dirOf(lockfile);
  const files = await git.changedPaths(culprit.parent, culprit.sha);
  const manifests: { path: string; older: string; newer: string }[] = [];
  const root = joinPath(dir, 'package.json');
  for (const path of new Set([
    root,
    ...files.filter(
      (f) => f.endsWith('package.json') && (dir === '' || f.startsWith(`${dir}/`)) && !f.includes('node_modules/'),
    ),
  ])) {
    const a = await git.show(culprit.parent, path);
    const b = await git.show(culprit.sha, path);
    if (a !== undefined && b !== undefined) manifests.push({ path, older: a, newer: b });
  }
  try {
    return planUpgrades({ lockfile, older, newer, manifests });
  } catch (e) {
    if (e instanceof SyntaxError) throw new LockfileError(`a package.json is not valid JSON (${e.message})`);
    throw e;
  }
}

function register(
  ctx: DescentOptions,
  c: { sha: string; tree: string },
  parent: string,
  label: string,
  date: string,
): void {
  if (!ctx.meta.has(c.sha))
    ctx.meta.set(c.sha, { sha: c.sha, parents: [parent], subject: label, author: 'perfbisect', date, tree: c.tree });
}

function findingOf(changes: PackageChange[], ratio: number): DependencyFinding {
  const c = changes[0];
  return {
    ecosystem: 'npm',
    name: c.name,
    from: c.from.join(', '),
    to: c.to.join(', '),
    ...(changes.length > 1 ? { group: changes.map((x) => x.name) } : {}),
    ratio,
  };
}

function levelOf(level: DepLevel, candidates: number, run: LevelRun): DescentLevel {
  return { level, candidates, measured: run.measured };
}

function withChange(l: DescentLevel, f: Outcome['culprits'][number] | undefined): DescentLevel {
  return f ? { ...l, ratio: f.ratio, ci: f.ratioCi, p: f.change.p } : l;
}

/** Why a level of the descent named nothing, in one clause for the log and the writeup. */
export function levelStopped(outcome: Outcome | undefined, noRegression: string): string {
  if (!outcome) return 'stopped';
  if (outcome.status === 'no-regression') return `${noRegression} (${fmtRatio(outcome.endpoints.ratio)} at the ends)`;
  if (outcome.status === 'ambiguous')
    return outcome.unresolved
      ? 'no single step could be shown to carry the change'
      : 'the step is among candidates that could not be installed or measured';
  if (outcome.status === 'undecided') {
    return `the noise hides whether the ends differ (${fmtRatio(outcome.endpoints.ratio)}, neither shown nor ruled out): ` +
      'a quieter machine or more samples (--max-samples) can tell';
  }
  return 'no culprit could be named';
}

const fmtRatio = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(0)}%`;

function endLevel(ctx: DescentOptions, culprit: string, level: DepLevel, l: DescentLevel, stopped: string): void {
  ctx.emit({ type: 'dep-end', culprit, level, ...(l.found ? { found: l.found, ratio: l.ratio } : { stopped }) });
}

/** Run one level: a BisectEngine over the candidates, each made into a commit when first needed. */
async function bisectCandidates(
  level: DepLevel,
  culprit: string,
  title: string,
  good: { sha: string; label: string },
  cands: Candidate[],
  ctx: DescentOptions,
): Promise<LevelRun> {
  ctx.emit({ type: 'dep-level', culprit, level, title, good, candidates: cands.map((c) => c.label) });
  for (const c of cands) if (c.sha) ctx.emit({ type: 'dep-commit', level, sha: c.sha, label: c.label });
  const bad = cands[cands.length - 1];
  const engine = new BisectEngine(
    cands.map((c) => ({ sha: c.id, parents: c.parents })),
    { good: good.sha, bad: bad.id },
    ctx.engine,
    seededRng(ctx.seed),
  );
  const byId = new Map(cands.map((c) => [c.id, c]));
  const making = new Map<string, Promise<string>>();
  const bySha = new Map<string, string>([
    [good.sha, good.sha],
    ...cands.filter((c) => c.sha).map((c) => [c.sha!, c.id] as const),
  ]);
  const ensure = (id: string): Promise<string> => {
    if (id === good.sha) return Promise.resolve(id);
    const c = byId.get(id)!;
    if (c.sha) return Promise.resolve(c.sha);
    if (!making.has(id)) {
      making.set(
        id,
        c.make!().then((sha) => {
          c.sha = sha;
          bySha.set(sha, id);
          ctx.emit({ type: 'dep-commit', level, sha, label: c.label });
          return sha;
        }),
      );
    }
    return making.get(id)!;
  };
  const label = (id: string) => (id === good.sha ? good.label : (byId.get(id)?.label ?? id));
  const run: LevelRun = { engine, measured: 0 };
  let seen = 0;
  for (;;) {
    if (ctx.signal.aborted) throw new Interrupted();
    const step = engine.next();
    if (step.type === 'done') {
      run.outcome = step.outcome;
      break;
    }
    const ids = [step.target, ...step.refs];
    const made = await Promise.allSettled(ids.map(ensure));
    const failed = made.findIndex((m) => m.status === 'rejected');
    if (failed >= 0) {
      const reason = (made[failed] as PromiseRejectedResult).reason as unknown;
      if (ctx.signal.aborted) throw new Interrupted();
      if (!(reason instanceof NpmDependencyError)) throw reason;
      if (step.purpose === 'verdict' && ids[failed] === step.target) {
        engine.skip(reason.message);
      } else {
        run.stopped = `${label(ids[failed])} could not be made: ${reason.message}`;
        break;
      }
    } else {
      const real = (id: string) => byId.get(id)?.sha ?? id;
      const block = {
        target: real(step.target),
        refs: step.refs.map(real),
        order: step.order.map(real),
        rounds: step.rounds,
        purpose: step.purpose,
      };
      const next = engine.nextTargets();
      ctx.measurer.ahead(
        block,
        next.map((id) => byId.get(id)?.sha).filter((s): s is string => !!s),
      );
      try {
        const samples = await ctx.measurer.measureBlock(block);
        engine.record(Object.fromEntries(Object.entries(samples).map(([sha, v]) => [bySha.get(sha) ?? sha, v])));
      } catch (e) {
        if (!(e instanceof CommitFailure)) throw e;
        const failedId = bySha.get(e.sha ?? block.target) ?? step.target;
        if (step.purpose === 'verdict' && failedId === step.target) {
          engine.skip(`${e.stage} failed: ${e.message}`);
        } else {
          const what = e.preparing ? 'does not install or build' : 'cannot be measured';
          run.stopped = `${label(failedId)} ${what}: ${e.message}${e.logFile ? ` (log: ${e.logFile})` : ''}`;
          break;
        }
      }
    }
    const vs = engine.verdictList;
    for (; seen < vs.length; seen++)
      ctx.emit({
        type: 'dep-verdict',
        level,
        label: label(vs[seen].sha),
        verdict: { ...vs[seen], sha: byId.get(vs[seen].sha)?.sha ?? vs[seen].sha },
      });
  }
  run.measured = [good.sha, ...cands.map((c) => c.id)].filter((id) => engine.samplesOf(id).length > 0).length;
  return run;
}

/**
 * A checkout of the level's good end where npm resolves a pinned version into the lockfile; put
 * back after each use, removed at the end.
 */
class Resolver {
  private dir?: string;
  constructor(
    readonly git: SyntheticCommits,
    private readonly ctx: DescentOptions,
    readonly base: string,
    readonly lockfile: string,
  ) {}

  async checkout(): Promise<string> {
    if (!this.dir) this.dir = await this.git.checkout(this.base, join(this.ctx.scratch, 'resolve'));
    else
      await execa('git', ['reset', '--hard', '--quiet'], { cwd: this.dir }).then(() =>
        execa('git', ['clean', '-fdq'], { cwd: this.dir }),
      );
    return this.dir;
  }

  /** The good end with `name` pinned to `spec` (a version, or `file:` a tarball put in the tree). */
  async commit(
    name: string,
    spec: string,
    label: string,
    date: string,
    tarball?: { file: string; path: string },
  ): Promise<string> {
    const dir = await this.checkout();
    if (tarball) {
      mkdirSync(dirname(join(dir, tarball.path)), { recursive: true });
      copyFileSync(tarball.file, join(dir, tarball.path));
    }
    const texts = await pinPackage({
      checkout: dir,
      lockDir: dirOf(this.lockfile),
      lockfile: this.lockfile,
      name,
      spec,
      env: this.ctx.env,
      signal: this.ctx.signal,
    });
    const files: Record<string, FileSource> = Object.fromEntries(
      Object.entries(texts).map(([p, text]) => [p, { text }]),
    );
    if (tarball) files[tarball.path] = { file: tarball.file };
    const c = await this.git.commit({
      base: this.base,
      parent: this.base,
      files,
      message: `perfbisect: ${label}`,
      date,
    });
    register(this.ctx, c, this.base, label, date);
    return c.sha;
  }

  async close(): Promise<void> {
    if (this.dir) await this.git.removeCheckout(this.dir);
  }
}

/** The version level. Returns the last good version (for the commit level), or undefined where it stopped. */
async function versionLevel(
  ctx: DescentOptions,
  culprit: { sha: string; date: string },
  resolver: Resolver,
  change: PackageChange,
  goodEnd: string,
  badEnd: string,
  dependency: DependencyFinding,
  descent: DependencyDescent,
): Promise<string | undefined> {
  const [from, to] = [change.from[0], change.to[0]];
  let published: string[];
  try {
    published = await publishedVersions(await resolver.checkout(), change.name, { env: ctx.env, signal: ctx.signal });
  } catch (e) {
    if (!(e instanceof NpmDependencyError)) throw e;
    throw new Stop(`the registry has no versions of ${change.name} to bisect (${e.message})`);
  }
  const versions = versionsBetween(published, from, to);
  if (!versions.includes(to))
    throw new Stop(
      `the registry does not publish ${change.name} ${to}: the version level bisects published versions only`,
    );
  if (versions.length === 1) {
    Object.assign(dependency, { firstBadVersion: to, lastGoodVersion: from });
    descent.levels.push({ level: 'version', candidates: 1, measured: 0, found: to });
    return from;
  }
  const cands: Candidate[] = versions.map((v, i) => ({
    id: i === versions.length - 1 ? badEnd : `${change.name}@${v}`,
    ...(i === versions.length - 1
      ? { sha: badEnd }
      : { make: () => resolver.commit(change.name, v, `${change.name} ${v}`, culprit.date) }),
    parents: [i === 0 ? goodEnd : `${change.name}@${versions[i - 1]}`],
    label: `${change.name} ${v}`,
  }));
  const run = await bisectCandidates(
    'version',
    culprit.sha,
    `${change.name} ${from} → ${to}: ${versions.length} published versions`,
    { sha: goodEnd, label: `${change.name} ${from}` },
    cands,
    ctx,
  );
  const level = levelOf('version', cands.length, run);
  const f = run.outcome?.status === 'found' ? run.outcome.culprits[0] : undefined;
  const k = f ? cands.findIndex((c) => c.id === f.sha) : -1;
  if (k >= 0) level.found = versions[k];
  Object.assign(level, withChange(level, f));
  descent.levels.push(level);
  const stopped =
    run.stopped ?? levelStopped(run.outcome, `${change.name} ${to} is not slower than ${from} on its own`);
  endLevel(ctx, culprit.sha, 'version', level, stopped);
  if (k < 0) throw new Stop(stopped);
  const lastGood = k === 0 ? from : versions[k - 1];
  Object.assign(dependency, { firstBadVersion: versions[k], lastGoodVersion: lastGood, ratio: f!.ratio });
  return lastGood;
}

/** The commit level: the package's repository between the tags of the last good and first bad versions. */
async function commitLevel(
  ctx: DescentOptions,
  culprit: { sha: string; date: string },
  resolver: Resolver,
  name: string,
  repoSpec: string,
  lastGood: string,
  dependency: DependencyFinding,
  descent: DependencyDescent,
): Promise<void> {
  const firstBad = dependency.firstBadVersion ?? dependency.to;
  const repo = await openDepRepo(repoSpec, ctx);
  const goodTag = await findTag(repo.gitDir, name, lastGood);
  const badTag = await findTag(repo.gitDir, name, firstBad);
  const looked = (v: string) => `v${v}, ${v}, ${name}@${v}`;
  if (!goodTag) throw new Stop(`no tag for ${name} ${lastGood} in ${repoSpec} (looked for ${looked(lastGood)})`);
  if (!badTag) throw new Stop(`no tag for ${name} ${firstBad} in ${repoSpec} (looked for ${looked(firstBad)})`);
  const g = (args: string[]) => execa('git', [`--git-dir=${repo.gitDir}`, ...args], { reject: false });
  if ((await g(['merge-base', '--is-ancestor', goodTag.sha, badTag.sha])).exitCode !== 0) {
    throw new Stop(`${goodTag.name} is not an ancestor of ${badTag.name} in ${repoSpec}`);
  }
  const log = (
    await g(['log', '--topo-order', '--reverse', '--format=%H%x1f%P%x1f%s', `${badTag.sha}`, `^${goodTag.sha}`])
  ).stdout;
  const commits = log
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [sha, parents, subject] = l.split('\x1f');
      return { sha, parents: parents ? parents.split(' ') : [], subject: subject ?? '' };
    });
  if (!commits.length) throw new Stop(`${goodTag.name} and ${badTag.name} are the same commit`);
  const lockDir = dirOf(resolver.lockfile);
  const make = async (sha: string, label: string): Promise<string> => {
    const src = join(ctx.scratch, `src-${sha.slice(0, 12)}`);
    mkdirSync(src, { recursive: true });
    const tar = join(ctx.scratch, `src-${sha.slice(0, 12)}.tar`);
    const r = await g(['archive', '--format=tar', '-o', tar, sha]);
    if (r.exitCode !== 0) throw new NpmDependencyError(`git archive ${sha.slice(0, 12)}: ${r.stderr}`);
    await execa('tar', ['-xf', tar, '-C', src]);
    const packs = join(ctx.scratch, 'packs');
    mkdirSync(packs, { recursive: true });
    const tgz = await packFolder(join(src, repo.prefix), packs, { env: ctx.env, signal: ctx.signal });
    const stable = join(packs, `${safe(name)}-${sha.slice(0, 12)}.tgz`);
    renameSync(tgz, stable);
    rmSync(src, { recursive: true, force: true });
    const rel = joinPath('.perfbisect/deps', `${safe(name)}-${sha.slice(0, 12)}.tgz`);
    return resolver.commit(name, `file:${rel}`, label, culprit.date, { file: stable, path: joinPath(lockDir, rel) });
  };
  const labelOf = (c: { sha: string; subject: string }) => `${name} ${c.sha.slice(0, 10)} ${c.subject}`.slice(0, 100);
  let goodSha: string;
  try {
    goodSha = await make(goodTag.sha, `${name} ${goodTag.name}`);
  } catch (e) {
    if (!(e instanceof NpmDependencyError)) throw e;
    throw new Stop(`${name} at ${goodTag.name} could not be packed and installed: ${e.message}`);
  }
  const cands: Candidate[] = commits.map((c) => ({
    id: c.sha,
    parents: c.parents,
    label: labelOf(c),
    make: () => make(c.sha, labelOf(c)),
  }));
  const run = await bisectCandidates(
    'commit',
    culprit.sha,
    `${name} ${goodTag.name}..${badTag.name}: ${commits.length} commits`,
    { sha: goodSha, label: `${name} ${goodTag.name}` },
    cands,
    ctx,
  );
  const level = levelOf('commit', cands.length, run);
  const f = run.outcome?.status === 'found' ? run.outcome.culprits[0] : undefined;
  const c = f ? commits.find((x) => x.sha === f.sha) : undefined;
  if (c) level.found = `${c.sha.slice(0, 10)} ${c.subject}`;
  Object.assign(level, withChange(level, f));
  descent.levels.push(level);
  const stopped =
    run.stopped ??
    levelStopped(run.outcome, `${name} built from ${badTag.name} is not slower than from ${goodTag.name}`);
  endLevel(ctx, culprit.sha, 'commit', level, stopped);
  if (!c) throw new Stop(stopped);
  Object.assign(dependency, { commit: c.sha, commitSubject: c.subject, ratio: f!.ratio });
}

const safe = (name: string) => name.replace(/^@/, '').replace(/\//g, '-');

/** The dependency's repository: a local one read in place (read-only), or a URL cloned into the cache. */
async function openDepRepo(spec: string, ctx: DescentOptions): Promise<{ gitDir: string; prefix: string }> {
  if (isUrl(spec)) {
    const dir = join(ctx.cache, 'dep-repos', `${createHash('sha256').update(spec).digest('hex').slice(0, 16)}.git`);
    const r = existsSync(join(dir, 'HEAD'))
      ? await execa('git', [`--git-dir=${dir}`, 'fetch', '--quiet', '--tags', '--force', 'origin'], {
          reject: false,
          cancelSignal: ctx.signal,
        })
      : await execa('git', ['clone', '--bare', '--quiet', spec, dir], { reject: false, cancelSignal: ctx.signal });
    if (r.exitCode !== 0) throw new Stop(`could not clone ${spec}: ${r.stderr.split('\n')[0]}`);
    return { gitDir: dir, prefix: '' };
  }
  const path = resolve(spec);
  const r = await execa('git', ['rev-parse', '--path-format=absolute', '--git-common-dir', '--show-prefix'], {
    cwd: path,
    reject: false,
  });
  if (r.exitCode !== 0) throw new Stop(`${spec} is not a git repository`);
  const [gitDir, prefix] = r.stdout.split('\n');
  return { gitDir, prefix: (prefix ?? '').replace(/\/$/, '') };
}

export const isUrl = (s: string) => /^(https?|ssh|git|file):\/\//.test(s) || /^[\w.-]+@[\w.-]+:/.test(s);

async function findTag(
  gitDir: string,
  name: string,
  version: string,
): Promise<{ name: string; sha: string } | undefined> {
  const short = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  for (const t of [
    `v${version}`,
    version,
    `${name}@${version}`,
    `${short}@${version}`,
    `${short}-v${version}`,
    `${name}-v${version}`,
  ]) {
    const r = await execa(
      'git',
      [`--git-dir=${gitDir}`, 'rev-parse', '--verify', '--quiet', `refs/tags/${t}^{commit}`],
      { reject: false },
    );
    if (r.exitCode === 0) return { name: t, sha: r.stdout.trim() };
  }
  return undefined;
}
