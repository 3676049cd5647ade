/**
 * The commits of a bisect range as a DAG with ancestor sets, so the search can mark a commit good
 * (drop it and its ancestors) or bad (keep only its ancestors) exactly as git bisect does.
 */
export interface RangeCommit {
  sha: string;
  /** All parents, in git's order; parents outside the range are ignored by the graph. */
  parents: string[];
}

export class Bitset {
  readonly words: Uint32Array;
  constructor(readonly size: number, words?: Uint32Array) {
    this.words = words ?? new Uint32Array(Math.ceil(size / 32));
  }
  static full(size: number): Bitset {
    const b = new Bitset(size);
    for (let i = 0; i < size; i++) b.add(i);
    return b;
  }
  clone(): Bitset {
    return new Bitset(this.size, this.words.slice());
  }
  add(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  delete(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  and(other: Bitset): void {
    for (let w = 0; w < this.words.length; w++) this.words[w] &= other.words[w];
  }
  andNot(other: Bitset): void {
    for (let w = 0; w < this.words.length; w++) this.words[w] &= ~other.words[w];
  }
  or(other: Bitset): void {
    for (let w = 0; w < this.words.length; w++) this.words[w] |= other.words[w];
  }
  /** |this ∩ o| without allocating. */
  countAnd(other: Bitset): number {
    let c = 0;
    for (let w = 0; w < this.words.length; w++) c += popcount(this.words[w] & other.words[w]);
    return c;
  }
  count(): number {
    let c = 0;
    for (let w = 0; w < this.words.length; w++) c += popcount(this.words[w]);
    return c;
  }
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.has(i)) out.push(i);
    return out;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const built = new WeakMap<readonly RangeCommit[], Map<boolean, CommitGraph>>();

/**
 * The graph of a range, built once per list of commits: the forecast replays the whole bisect on the
 * same range nine times (src/bisect/rehearsal.ts), and a graph of 10,000 commits takes about 45 ms to
 * build. A graph is never changed after it is built, so engines share it.
 */
export function graphOf(commits: readonly RangeCommit[], opts: { firstParent?: boolean } = {}): CommitGraph {
  const byMode = built.get(commits) ?? new Map<boolean, CommitGraph>();
  built.set(commits, byMode);
  const key = !!opts.firstParent;
  const graph = byMode.get(key) ?? new CommitGraph(commits, opts);
  byMode.set(key, graph);
  return graph;
}

export class CommitGraph {
  /** Oldest first; every commit comes after its in-range parents. */
  readonly shas: string[];
  readonly index = new Map<string, number>();
  /** Parents within the range, as indexes. */
  readonly parents: number[][];
  /** Ancestors of each commit within the range, the commit itself included. */
  readonly ancestors: Bitset[];
  /** Parents outside the range (the good endpoint, or where a merged branch forked), per commit. */
  private readonly outside: string[][];

  constructor(commits: readonly RangeCommit[], opts: { firstParent?: boolean } = {}) {
    const bySha = new Map(commits.map((c) => [c.sha, c]));
    const order: string[] = [];
    const state = new Map<string, 1 | 2>();
    // Iterative DFS topological sort, so 2,000-commit ranges do not hit recursion limits.
    for (const root of commits) {
      if (state.has(root.sha)) continue;
      const stack: { sha: string; i: number }[] = [{ sha: root.sha, i: 0 }];
      state.set(root.sha, 1);
      while (stack.length) {
        const top = stack[stack.length - 1];
        const ps = this.inRangeParents(bySha.get(top.sha)!, bySha, opts.firstParent);
        if (top.i < ps.length) {
          const p = ps[top.i++];
          if (!state.has(p)) {
            state.set(p, 1);
            stack.push({ sha: p, i: 0 });
          }
        } else {
          state.set(top.sha, 2);
          order.push(top.sha);
          stack.pop();
        }
      }
    }
    this.shas = order;
    order.forEach((s, i) => this.index.set(s, i));
    this.parents = order.map((s) =>
      this.inRangeParents(bySha.get(s)!, bySha, opts.firstParent).map((p) => this.index.get(p)!),
    );
    this.outside = order.map((sha) => {
      const c = bySha.get(sha)!;
      return (opts.firstParent ? c.parents.slice(0, 1) : c.parents).filter((p) => !bySha.has(p));
    });
    this.ancestors = [];
    for (let i = 0; i < order.length; i++) {
      const b = new Bitset(order.length);
      b.add(i);
      for (const p of this.parents[i]) b.or(this.ancestors[p]);
      this.ancestors.push(b);
    }
  }

  private inRangeParents(c: RangeCommit, bySha: Map<string, RangeCommit>, firstParent?: boolean): string[] {
    const ps = firstParent ? c.parents.slice(0, 1) : c.parents;
    return ps.filter((p) => bySha.has(p));
  }

  get size(): number {
    return this.shas.length;
  }

  /**
   * Whether `sha` is an ancestor of `ref` (either may be the good endpoint, outside the range): on a
   * merged branch that forked before good, a commit is in the range without descending from good.
   */
  descendsFrom(sha: string, ref: string): boolean {
    const i = this.index.get(sha);
    if (i === undefined) return false;
    const r = this.index.get(ref);
    if (r !== undefined) return this.ancestors[i].has(r);
    return this.ancestors[i].toArray().some((k) => this.outside[k].includes(ref));
  }

  /**
   * The commits after `after` up to `through` (itself included): its ancestors in the range that are
   * not `after`'s. `after` may be the good endpoint, which is outside the range.
   */
  between(after: string, through: string): Bitset {
    const out = this.ancestors[this.index.get(through)!].clone();
    const a = this.index.get(after);
    if (a !== undefined) out.andNot(this.ancestors[a]);
    return out;
  }

  /**
   * The commit that best halves the candidates (git bisect's rule: maximise the smaller of the
   * candidates it would keep if bad and those it would keep if good). Ties go to the older commit,
   * except one with no ancestor among the candidates, which git's halfway shortcut never returns: of
   * {c1, c2, bad c3} git tests c2. So on a linear range without skipped commits perfbisect visits the
   * very commits `git bisect` does, and set beside a `git bisect run` loop it differs in its verdicts only.
   */
  midpoint(candidates: Bitset, exclude: (i: number) => boolean): number | undefined {
    const total = candidates.count();
    let best: number | undefined;
    let bestScore = -1;
    let bestIsBottom = false;
    for (let i = 0; i < this.size; i++) {
      if (!candidates.has(i) || exclude(i)) continue;
      const below = this.ancestors[i].countAnd(candidates);
      const score = Math.min(below, total - below);
      if (score > bestScore || (score === bestScore && bestIsBottom)) {
        bestScore = score;
        best = i;
        bestIsBottom = below === 1;
      }
    }
    return best;
  }
}
