import type { StatementStat } from '../../probes/queries.js';
import { sig } from '../format.js';
import { mdCode, mdFence } from '../escape.js';

export interface StatementsFile {
  requests: number;
  statements: StatementStat[];
}

/**
 * The queries evidence at a culprit: statements per request before and after, the statements whose
 * calls grew (an N+1 is one called once per row: many calls per request, new at the culprit), and
 * the EXPLAIN of the top statement on both sides. Pure: two queries-statements.json (and the
 * queries-explain.txt texts) in, Markdown lines out.
 */
export function renderQueriesEvidence(
  before: StatementsFile,
  after: StatementsFile,
  explain: { before?: string; after?: string } = {},
  top = 10,
): string[] {
  const per = (f: StatementsFile) => f.statements.reduce((a, s) => a + s.calls, 0) / f.requests;
  const L = [`Statements per request: ${sig(per(before))} before, ${sig(per(after))} at the culprit.`, ''];
  const prev = new Map(before.statements.map((s) => [s.query, s]));
  const grew = after.statements
    .map((s) => ({
      s,
      p: prev.get(s.query),
      rate: s.calls / after.requests,
      was: (prev.get(s.query)?.calls ?? 0) / before.requests,
    }))
    .filter((r) => r.rate > r.was)
    .sort((x, y) => y.rate - y.was - (x.rate - x.was))
    .slice(0, top);
  if (grew.length) {
    L.push(
      '| Statement | Calls/request before | after | Mean before | Mean after | |',
      '|---|---:|---:|---:|---:|---|',
    );
    for (const r of grew) {
      const nPlusOne = r.rate >= 2 && r.was < 2 ? 'N+1: called once per row' : '';
      L.push(
        `| ${mdCode(r.s.query, { inTable: true, max: 400 })} | ${sig(r.was)} | ${sig(r.rate)} | ${r.p ? `${sig(r.p.meanMs)} ms` : '–'} | ${sig(r.s.meanMs)} ms | ${nPlusOne} |`,
      );
    }
    L.push('');
  }
  for (const [side, text] of [
    ['before', explain.before],
    ['at the culprit', explain.after],
  ] as const) {
    if (text)
      L.push(`Most-called statement ${side}, EXPLAIN (ANALYZE, BUFFERS):`, '', ...mdFence(text.trimEnd()), '');
  }
  return L;
}
