import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A file of a synthetic commit: text, a file on disk, or a blob another commit has. */
export type FileSource = { text: string } | { file: string } | { from: string };

/**
 * Commits perfbisect makes itself, in its mirror of the repository (never in the user's): a tree
 * like `base`'s with some files replaced, committed with a fixed identity and date, so the same
 * content always gets the same commit (and the sample store finds its samples again).
 */
export class SyntheticCommits {
  constructor(private readonly gitDir: string) {}

  private async git(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    const r = await execa('git', [`--git-dir=${this.gitDir}`, ...args], { input: opts.input, env: opts.env });
    return r.stdout.trim();
  }

  /** A file's text at a commit, or undefined where it does not exist. */
  async show(sha: string, path: string): Promise<string | undefined> {
    const r = await execa('git', [`--git-dir=${this.gitDir}`, 'show', `${sha}:${path}`], {
      reject: false,
      stripFinalNewline: false,
    });
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  /** Paths that differ between two commits. */
  async changedPaths(a: string, b: string): Promise<string[]> {
    return (await this.git(['diff', '--name-only', '--no-renames', a, b])).split('\n').filter(Boolean);
  }

  async exists(sha: string, path: string): Promise<boolean> {
    const r = await execa('git', [`--git-dir=${this.gitDir}`, 'cat-file', '-e', `${sha}:${path}`], { reject: false });
    return r.exitCode === 0;
  }

  /** `base` with `files` written (paths from the repository root), as a child of `parent`. */
  async commit(spec: {
    base: string;
    parent: string;
    files: Record<string, FileSource>;
    message: string;
    date: string;
  }): Promise<{ sha: string; tree: string }> {
    const tmp = mkdtempSync(join(tmpdir(), 'pb-index-'));
    const env = { GIT_INDEX_FILE: join(tmp, 'index') };
    try {
      await this.git(['read-tree', spec.base], { env });
      for (const [path, src] of Object.entries(spec.files)) {
        const blob =
          'text' in src
            ? await this.git(['hash-object', '-w', '--stdin'], { input: src.text })
            : 'file' in src
              ? await this.git(['hash-object', '-w', src.file])
              : await this.git(['rev-parse', `${src.from}:${path}`]);
        const mode = (await this.git(['ls-files', '--stage', '--', path], { env })).split(' ')[0] || '100644';
        await this.git(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env });
      }
      const tree = await this.git(['write-tree'], { env });
      const who = { NAME: 'perfbisect', EMAIL: 'perfbisect@localhost', DATE: spec.date };
      const idEnv = Object.fromEntries(
        ['AUTHOR', 'COMMITTER'].flatMap((r) => Object.entries(who).map(([k, v]) => [`GIT_${r}_${k}`, v])),
      );
      const sha = await this.git(['commit-tree', tree, '-p', spec.parent, '-m', spec.message], { env: idEnv });
      return { sha, tree };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** The commit checked out in a new folder (removed with `removeCheckout`). */
  async checkout(sha: string, dir: string): Promise<string> {
    rmSync(dir, { recursive: true, force: true });
    await this.git(['worktree', 'add', '--detach', '--force', '--quiet', dir, sha]);
    return dir;
  }

  async removeCheckout(dir: string): Promise<void> {
    rmSync(dir, { recursive: true, force: true });
    await this.git(['worktree', 'prune']).catch(() => undefined);
  }
}
