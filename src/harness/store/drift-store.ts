import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { EnvironmentError, UsageError } from '../../errors.js';
import { hashOf } from './fingerprint.js';

/** One line of a run's file in the drift store. */
export type StoreRecord =
  | {
      type: 'run';
      runId: string;
      probe: string;
      branch: string;
      from: string;
      to: string;
      fingerprint: string;
      probeHash: string;
      time: string;
    }
  | {
      type: 'point';
      runId: string;
      probe: string;
      sha: string;
      tree: string;
      fingerprint: string;
      probeHash: string;
      samples: number[];
      value: number;
      date: string;
      subject: string;
    }
  | {
      type: 'change';
      runId: string;
      probe: string;
      id: string;
      from: string;
      to: string;
      culprit?: string;
      change: number;
      kind: 'regression' | 'improvement';
      confirmed: boolean;
    }
  /** Creep a check found (the same window finds the same creep: a re-run does not alert on it again). */
  | {
      type: 'creep';
      runId: string;
      probe: string;
      id: string;
      from: string;
      to: string;
      total: number;
      unexplained: number;
    }
  | { type: 'ack'; id: string; time: string };

/**
 * Append-only history of drift checks: one JSON Lines file per run, so concurrent CI jobs never
 * write the same file, and a store is a folder to cache or attach as an artifact.
 */
export interface DriftStore {
  readonly where: string;
  load(): Promise<StoreRecord[]>;
  /** Adds the run's file; never rewrites an existing one. */
  add(runId: string, records: StoreRecord[]): Promise<void>;
}

export function openStore(spec: string, options: { repoRoot: string; cache: string }): DriftStore {
  if (spec.startsWith('git:')) {
    const branch = spec.slice(4);
    if (!/^[\w][\w./-]*$/.test(branch) || branch.includes('..')) throw new UsageError(`--store ${spec}: give a branch name, like --store git:perfbisect-data.`);
    return new GitStore(branch, options.repoRoot, options.cache);
  }
  return new DirStore(spec);
}

const parse = (text: string): StoreRecord[] =>
  text.split('\n').flatMap((l) => {
    if (!l.trim()) return [];
    try {
      return [JSON.parse(l) as StoreRecord];
    } catch {
      return []; // a torn line: that record is lost, the rest of the history stays readable
    }
  });
const serialize = (records: StoreRecord[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

class DirStore implements DriftStore {
  constructor(readonly where: string) {}
  async load(): Promise<StoreRecord[]> {
    if (!existsSync(this.where)) return [];
    return readdirSync(this.where)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .flatMap((f) => parse(readFileSync(join(this.where, f), 'utf8')));
  }
  async add(runId: string, records: StoreRecord[]): Promise<void> {
    mkdirSync(this.where, { recursive: true });
    writeFileSync(join(this.where, `${runId}.jsonl`), serialize(records), { flag: 'wx' });
  }
}

/**
 * The store on an orphan branch of the repository's `origin`: fetched into a private bare repo in
 * the cache (the user's working tree, HEAD, index and refs are never touched), one new file
 * committed with plumbing and pushed; a push race is retried on top of the new tip.
 */
class GitStore implements DriftStore {
  readonly where: string;
  private readonly gitDir: string;
  private remote = '';

  constructor(private readonly branch: string, private readonly repoRoot: string, cache: string) {
    this.where = `git:${branch}`;
    this.gitDir = join(cache, 'drift-stores', `${hashOf([repoRoot, branch])}.git`);
  }

  private git(args: string[], options: { input?: string; env?: Record<string, string>; reject?: boolean } = {}) {
    return execa('git', [`--git-dir=${this.gitDir}`, ...args], {
      input: options.input,
      env: options.env,
      reject: options.reject ?? true,
    });
  }

  private async fetch(): Promise<boolean> {
    if (!this.remote) {
      const r = await execa('git', ['remote', 'get-url', 'origin'], { cwd: this.repoRoot, reject: false });
      if (r.exitCode !== 0)
        throw new UsageError(
          `--store ${this.where} keeps the history on a branch of the remote 'origin', and this repository has none: add one (git remote add origin <url>) or use --store <dir>.`,
        );
      this.remote = r.stdout.trim();
      if (!existsSync(join(this.gitDir, 'HEAD'))) {
        mkdirSync(this.gitDir, { recursive: true });
        await this.git(['init', '--bare', '--quiet']);
      }
    }
    const ref = `refs/heads/${this.branch}`;
    const ls = await execa('git', ['ls-remote', '--heads', this.remote, ref], { reject: false });
    if (ls.exitCode !== 0)
      throw new EnvironmentError(
        `cannot reach the store's remote ${this.remote}: ${ls.stderr.trim().split('\n').pop()}`,
      );
    if (!ls.stdout.trim()) {
      await this.git(['update-ref', '-d', ref], { reject: false });
      return false;
    }
    await this.git(['fetch', '--quiet', '--no-tags', this.remote, `+${ref}:${ref}`]);
    return true;
  }

  async load(): Promise<StoreRecord[]> {
    if (!(await this.fetch())) return [];
    const files = (await this.git(['ls-tree', '-r', '--name-only', this.branch])).stdout
      .split('\n')
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    const out: StoreRecord[] = [];
    for (const f of files) out.push(...parse((await this.git(['show', `${this.branch}:${f}`])).stdout));
    return out;
  }

  async add(runId: string, records: StoreRecord[]): Promise<void> {
    const blob = (await this.git(['hash-object', '-w', '--stdin'], { input: serialize(records) })).stdout.trim();
    let last = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const exists = await this.fetch();
      const index = join(this.gitDir, `index-${process.pid}`);
      rmSync(index, { force: true });
      const env = { GIT_INDEX_FILE: index };
      try {
        if (exists) await this.git(['read-tree', this.branch], { env });
        await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},runs/${runId}.jsonl`], { env });
        const tree = (await this.git(['write-tree'], { env })).stdout.trim();
        const commit = (
          await this.git(
            ['commit-tree', tree, ...(exists ? ['-p', this.branch] : []), '-m', `perfbisect drift: ${runId}`],
            {
              env: {
                GIT_AUTHOR_NAME: 'perfbisect',
                GIT_AUTHOR_EMAIL: 'perfbisect@localhost',
                GIT_COMMITTER_NAME: 'perfbisect',
                GIT_COMMITTER_EMAIL: 'perfbisect@localhost',
              },
            },
          )
        ).stdout.trim();
        const push = await this.git(['push', '--quiet', this.remote, `${commit}:refs/heads/${this.branch}`], {
          reject: false,
        });
        if (push.exitCode === 0) return;
        last = push.stderr.trim();
      } finally {
        rmSync(index, { force: true });
      }
      // Someone pushed first (non-fast-forward): fetch their tip and put our file on top of it.
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
    throw new EnvironmentError(
      `could not push the drift store to ${this.remote} ${this.branch} after 5 attempts: ${last.split('\n').pop()}`,
    );
  }
}
