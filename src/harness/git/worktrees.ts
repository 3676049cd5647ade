import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { simpleGit } from 'simple-git';

/**
 * Worktrees live in a shared clone under the cache directory (objects borrowed from the user's
 * repository through alternates), so the user's repository gains no worktree, ref or lock, even
 * when perfbisect is killed. Each run owns one folder with a pid file; a later run removes the
 * folders of runs whose process is gone.
 */
export class Worktrees {
  readonly mirror: string;
  readonly dir: string;
  private readonly trees = new Map<string, string>();

  private constructor(private readonly cache: string, readonly repoRoot: string, readonly runId: string) {
    const id = createHash('sha256').update(repoRoot).digest('hex').slice(0, 16);
    this.mirror = join(cache, 'repos', `${id}.git`);
    this.dir = join(cache, 'worktrees', runId);
  }

  static async create(cache: string, repoRoot: string, runId: string): Promise<Worktrees> {
    const w = new Worktrees(cache, repoRoot, runId);
    for (const left of existsSync(join(cache, 'trash')) ? readdirSync(join(cache, 'trash')) : []) {
      discard(join(cache, 'trash', left), join(cache, 'trash'));
    }
    await w.ensureMirror();
    await w.pruneStale();
    mkdirSync(w.dir, { recursive: true });
    writeFileSync(join(w.dir, '.pid'), String(process.pid));
    return w;
  }

  private async ensureMirror(): Promise<void> {
    if (existsSync(join(this.mirror, 'HEAD'))) return;
    mkdirSync(join(this.cache, 'repos'), { recursive: true });
    const tmp = `${this.mirror}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await simpleGit().raw(['clone', '--bare', '--shared', '--quiet', this.repoRoot, tmp]);
    try {
      await import('node:fs').then((fs) => fs.renameSync(tmp, this.mirror));
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run created it first
    }
  }

  private git() {
    const mirror = this.mirror;
    return { raw: async (args: string[]) => (await execa('git', [`--git-dir=${mirror}`, ...args])).stdout };
  }

  /** Remove worktrees left by runs that were killed. */
  async pruneStale(): Promise<void> {
    const root = join(this.cache, 'worktrees');
    if (!existsSync(root)) return;
    for (const run of readdirSync(root)) {
      if (run === this.runId) continue;
      const pidFile = join(root, run, '.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN;
      if (Number.isFinite(pid) && isAlive(pid)) continue;
      discard(join(root, run), join(this.cache, 'trash'));
    }
    await this.git().raw(['worktree', 'prune']);
  }

  has(sha: string): boolean {
    return this.trees.has(sha);
  }

  /** A clean checkout of the commit, created once per run. */
  async checkout(sha: string): Promise<string> {
    const existing = this.trees.get(sha);
    if (existing) return existing;
    const path = join(this.dir, sha.slice(0, 12));
    rmSync(path, { recursive: true, force: true });
    await this.git().raw(['worktree', 'add', '--detach', '--force', '--quiet', path, sha]);
    this.trees.set(sha, path);
    return path;
  }

  async remove(sha: string): Promise<void> {
    const path = this.trees.get(sha);
    if (!path) return;
    this.trees.delete(sha);
    rmSync(path, { recursive: true, force: true });
  }

  /**
   * Remove every worktree of this run and the run's folder. Worktrees can hold hundreds of MB of
   * dependencies: the folder is moved aside at once and deleted in the background, so the user is not
   * kept waiting after the result; what a background delete leaves is removed by the next run.
   */
  async cleanup(): Promise<void> {
    this.trees.clear();
    discard(this.dir, join(this.cache, 'trash'));
    try {
      await this.git().raw(['worktree', 'prune']);
    } catch {
      /* the mirror itself may be gone (cache cleaned) */
    }
  }
}

/**
 * Delete a folder without waiting for it: renamed into `trash` (same file system: instant), then removed
 * by a detached, niced `rm -rf` that outlives perfbisect; where that cannot start, removed here and now.
 */
export function discard(dir: string, trash: string): void {
  if (!existsSync(dir)) return;
  let target = dir;
  try {
    mkdirSync(trash, { recursive: true });
    if (dirname(dir) !== trash) {
      target = join(trash, `${basename(dir)}-${process.pid}-${Date.now()}`);
      renameSync(dir, target);
    }
    // At the lowest priority: the next run may already be measuring while it deletes.
    const rm = spawn('nice', ['-n', '19', 'rm', '-rf', target], { detached: true, stdio: 'ignore' });
    rm.on('error', () => rmSync(target, { recursive: true, force: true }));
    rm.unref();
  } catch {
    rmSync(target, { recursive: true, force: true });
  }
}

/** Whether a process exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
