import { execa } from 'execa';
import { simpleGit, type SimpleGit } from 'simple-git';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { UsageError } from '../../errors.js';
import type { CommitMeta } from '../../events.js';

/** Read-only access to the user's repository: nothing here writes to it. */
export class Repo {
  private constructor(readonly root: string, private readonly git: SimpleGit) {}

  static async open(dir: string): Promise<Repo> {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new UsageError(
        `--repo ${dir} is not a directory. Point --repo at a git repository (or run perfbisect inside one).`,
      );
    }
    try {
      const root = (await simpleGit(dir).raw(['rev-parse', '--show-toplevel'])).trim();
      return new Repo(root, simpleGit(root));
    } catch {
      throw new UsageError(`${dir} is not inside a git repository. Run perfbisect inside one, or pass --repo <dir>.`);
    }
  }

  /**
   * Where `dir` lies inside the repository, as a path relative to its root ('' at the root or
   * outside it): the folder every commit's checkout runs the probe and the build in, as `git bisect
   * run` runs its command where it was started.
   */
  folderOf(dir: string): string {
    const rel = relative(this.root, realpathSync(dir));
    return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? '' : rel.split(sep).join('/');
  }

  /** `folder` where git tracks it at `ref` (an unknown ref too: resolving it reports that), else ''. */
  async trackedFolder(folder: string, ref: string): Promise<string> {
    if (!folder) return '';
    const r = await execa('git', ['ls-tree', '-d', '--name-only', ref, '--', folder], { cwd: this.root, reject: false });
    return r.exitCode !== 0 || r.stdout.trim() ? folder : '';
  }

  async raw(args: string[]): Promise<string> {
    return this.git.raw(args);
  }

  async resolve(ref: string, flag: string): Promise<string> {
    try {
      const sha = (
        await this.git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
      ).trim();
      if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
    } catch {
      /* reported below */
    }
    const why = (await this.shallowHint()) || ' Use a branch, tag or SHA that `git log` shows (fetch it first if it is remote).';
    throw new UsageError(`${flag} ${ref}: no such commit in ${this.root}.${why}`);
  }

  /**
   * Where the clone is shallow (CI checkouts are, by default), what to do about it, as a sentence to
   * append to an error about a missing commit or ancestry; '' for a full clone.
   */
  async shallowHint(): Promise<string> {
    const shallow = await this.git.raw(['rev-parse', '--is-shallow-repository']).catch(() => 'false');
    if (shallow.trim() !== 'true') return '';
    return (
      ' This clone is shallow: fetch its history first (git fetch --unshallow --tags; in GitHub Actions,' +
      ' actions/checkout with fetch-depth: 0).'
    );
  }

  /** Commits at the edge of a shallow clone: their parents are not here, so git shows them as roots. */
  async shallowEdge(): Promise<Set<string>> {
    const file = (await this.git.raw(['rev-parse', '--git-path', 'shallow'])).trim();
    const path = isAbsolute(file) ? file : join(this.root, file);
    return new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);
  }

  async isAncestor(a: string, b: string): Promise<boolean> {
    // simple-git does not report a silent non-zero exit, which is how --is-ancestor says no.
    const r = await execa('git', ['merge-base', '--is-ancestor', a, b], { cwd: this.root, reject: false });
    return r.exitCode === 0;
  }

  /** Commits reachable from bad and not from good, oldest first, with metadata and trees. */
  async range(good: string, bad: string, firstParent: boolean): Promise<(CommitMeta & { tree: string })[]> {
    const fmt = ['%H', '%P', '%T', '%an <%ae>', '%aI', '%s'].join('%x1f') + '%x1e';
    const out = await this.git.raw([
      'log',
      '--topo-order',
      '--reverse',
      ...(firstParent ? ['--first-parent'] : []),
      `--format=${fmt}`,
      bad,
      `^${good}`,
    ]);
    return out
      .split('\x1e')
      .map((r) => r.replace(/^\n/, ''))
      .filter(Boolean)
      .map((r) => {
        const [sha, parents, tree, author, date, subject] = r.split('\x1f');
        return { sha, parents: parents ? parents.split(' ') : [], tree, author, date, subject: subject ?? '' };
      });
  }

  async meta(sha: string): Promise<CommitMeta & { tree: string }> {
    const fmt = ['%H', '%P', '%T', '%an <%ae>', '%aI', '%s'].join('%x1f');
    const [s, parents, tree, author, date, subject] = (await this.git.raw(['log', '-1', `--format=${fmt}`, sha]))
      .trim()
      .split('\x1f');
    return { sha: s, parents: parents ? parents.split(' ') : [], tree, author, date, subject: subject ?? '' };
  }

  /** Files the commit changed against the given parent, with added/removed line counts. */
  async changedFiles(parent: string, sha: string): Promise<{ file: string; added: number; removed: number }[]> {
    const out = await this.git.raw(['diff', '--numstat', '--no-renames', parent, sha]);
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [a, r, file] = l.split('\t');
        return { file, added: Number(a) || 0, removed: Number(r) || 0 };
      });
  }

  /** A file's text at a commit, or undefined when it is not there, is binary or is larger than `maxBytes`. */
  async show(sha: string, path: string, maxBytes = 1 << 20): Promise<string | undefined> {
    const r = await execa('git', ['cat-file', 'blob', `${sha}:${path}`], {
      cwd: this.root, reject: false, encoding: 'buffer', maxBuffer: maxBytes,
    });
    const binary = !(r.stdout instanceof Uint8Array) || r.stdout.includes(0);
    if (r.exitCode !== 0 || r.isMaxBuffer || binary) return undefined;
    return Buffer.from(r.stdout).toString('utf8');
  }

  async diff(parent: string, sha: string): Promise<string> {
    return this.git.raw(['diff', '--unified=0', '--no-renames', parent, sha]);
  }
}
