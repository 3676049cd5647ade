import { execa } from 'execa';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../../errors.js';

/**
 * A few long-lived worktrees moved between commits (`git checkout` of the difference), so a
 * checkout costs only the files that differ and installed dependencies stay in place; each commit's
 * build still sees only its own tree (cleanWorktree, before every build). A slot
 * in use (leased by a measurement block or a build) is never moved; an idle one is moved least
 * recently used first; a new slot is added only when every slot is leased. With `fresh`, every
 * commit gets its own new worktree and no slot is ever moved.
 * The slots live in the run's worktree folder (Worktrees.dir), removed when the run ends.
 */
export interface Slot {
  id: number;
  path: string;
  sha?: string;
  /** The commit is installed and built in this slot. */
  ready: boolean;
  /** The install key whose modules the slot holds, and their state when installed (installStamp). */
  installKey?: string;
  installStamp?: string;
  leases: number;
  lastUsed: number;
}

/**
 * Make a worktree hold only its commit's tree: tracked files reset, and everything git does not
 * track removed (a previous commit's build outputs, files of deleted sources, caches written by
 * builds and probes), ignored files included, except the dependency folders in `keep`, which an
 * install reconciles or the install cache restores.
 */
export async function cleanWorktree(path: string, keep: readonly string[]): Promise<void> {
  await execa('git', ['reset', '--hard', '--quiet'], { cwd: path });
  await execa('git', ['clean', '-ffdxq', ...keep.flatMap((k) => ['-e', k])], { cwd: path });
}

export class WorktreePool {
  private readonly slots: Slot[] = [];
  private clock = 0;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly mirror: string, private readonly dir: string, readonly fresh: boolean) {}

  /** Serialize git operations on the shared mirror (its worktree metadata takes a lock). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn);
    this.lock = p.catch(() => undefined);
    return p;
  }

  /**
   * A slot at `sha`, leased until release(). `moved` says whether the slot was checked out now.
   * Slots holding a commit in `keep` (the references the next blocks measure) are not moved.
   */
  async lease(sha: string, keep: ReadonlySet<string> = new Set()): Promise<{ slot: Slot; moved: boolean }> {
    return this.serial(async () => {
      let slot = this.slots.find((s) => s.sha === sha);
      let moved = false;
      if (!slot) {
        const idle = this.fresh
          ? undefined
          : this.slots
              .filter((s) => s.leases === 0 && !(s.sha && keep.has(s.sha)))
              .sort((a, b) => a.lastUsed - b.lastUsed)[0];
        if (idle) {
          await execa('git', ['checkout', '--detach', '--force', '--quiet', sha], { cwd: idle.path }).catch(cannotCheckOut(sha));
          Object.assign(idle, { sha, ready: false });
          slot = idle;
        } else {
          const id = this.slots.length;
          const path = join(this.dir, this.fresh ? sha.slice(0, 12) : `slot-${id}`);
          rmSync(path, { recursive: true, force: true });
          await execa('git', [`--git-dir=${this.mirror}`, 'worktree', 'add', '--detach', '--force', '--quiet', path, sha])
            .catch(cannotCheckOut(sha));
          slot = { id, path, sha, ready: false, leases: 0, lastUsed: 0 };
          this.slots.push(slot);
        }
        moved = true;
      }
      slot.leases++;
      slot.lastUsed = ++this.clock;
      return { slot, moved };
    });
  }

  release(slot: Slot): void {
    slot.leases = Math.max(0, slot.leases - 1);
  }

  get size(): number {
    return this.slots.length;
  }
}

/**
 * A commit git cannot check out ends the run with git's own reason. Where that is an object git cannot
 * read (a damaged clone, or one made without some of its files), no commit of the range can be trusted
 * to be whole, and the line says where to look.
 */
function cannotCheckOut(sha: string): (e: unknown) => never {
  return (e) => {
    const lines = String((e as { stderr?: unknown }).stderr ?? (e as Error).message).split('\n').map((l) => l.trim()).filter(Boolean);
    const why = (lines.find((l) => l.startsWith('error:')) ?? lines.at(-1) ?? 'git failed').replace(/^(error|fatal): /, '');
    const missing = /unable to read|bad object|not a tree|missing (blob|tree|object)|corrupt/i.test(lines.join('\n'));
    throw new EnvironmentError(
      `git cannot check out ${sha.slice(0, 10)}: ${why}` +
        (missing ? ". The repository lacks objects this commit needs (a damaged clone, or one made without some files): 'git fsck' in it names them" : ''),
    );
  };
}
