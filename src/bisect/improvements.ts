import type { Bitset, CommitGraph } from './graph.js';
import type { CommitVerdict, ImprovementSeen } from './outcome.js';

/**
 * The improvements the verdicts showed (ImprovementSeen says when), each in the narrowest range they
 * pin it to, oldest first.
 */
export function improvementsSeen(verdicts: readonly CommitVerdict[], graph: CommitGraph): ImprovementSeen[] {
  const seen = new Map<string, ImprovementSeen & { range: Bitset }>();
  for (const v of verdicts) {
    const [good, bad] = v.refs;
    let found: Omit<ImprovementSeen, 'commits'> | undefined;
    if (v.verdict === 'bad' && v.vsBad?.different && v.vsBad.worse > 0)
      found = { after: v.sha, through: bad, commit: v.sha, ref: bad, refSide: 'bad', vs: v.vsBad };
    // Better than a good reference it does not descend from (a branch merged from before good) shows no
    // change in between: good's own history, outside the range, may have made good slower.
    if (v.verdict === 'good' && v.vsGood?.different && v.vsGood.worse < 0 && graph.descendsFrom(v.sha, good))
      found = { after: good, through: v.sha, commit: v.sha, ref: good, refSide: 'good', vs: v.vsGood };
    if (!found || !graph.index.has(found.through)) continue;
    const key = `${found.after}..${found.through}`;
    const earlier = seen.get(key);
    if (earlier && earlier.vs.p <= found.vs.p) continue;
    const range = graph.between(found.after, found.through);
    seen.set(key, { ...found, commits: range.count(), range });
  }
  // A range that holds another one narrows to it: the nearer commits pin the same improvement down better.
  const all = [...seen.values()];
  const narrowest = all.filter(
    (a) => !all.some((b) => b !== a && b.commits < a.commits && a.range.countAnd(b.range) === b.commits),
  );
  return narrowest
    .map(({ range: _range, ...rest }) => rest)
    .sort((a, b) => graph.index.get(a.through)! - graph.index.get(b.through)!);
}
