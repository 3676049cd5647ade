import { driftText } from './speed-drift.js';
import { improvementText } from './improvements.js';
import { vanishedText } from './vanished.js';
import { leanShown } from '../bisect/outcome.js';
import type { CommitMeta } from '../events.js';
import { capitalised, clip, direction, fmtChange, fmtConfidence, fmtP, fmtPct, fmtRatio, fmtValue, short } from './format.js';
import { md, mdCode, mdFence } from './escape.js';
import { wasSkipped, type ResultCulprit, type RunResult } from './result.js';
import { benchstatSection } from './benchstat.js';
import { noiseLines, undecidedText } from './noise.js';
import { quieterCpuText } from './quieter-cpu.js';
import { unexplainedText } from './one-step.js';
import { costSection, costSummary } from './cost.js';
import { renderEvidence } from './evidence.js';
import { renderProbeEvidence, type ProbeEvidenceItem } from './evidence/probe.js';
import { dependencySection } from './dependency.js';

export interface WriteupExtras {
  meta: Map<string, CommitMeta>;
  samples: (sha: string) => number[];
  /** SVG charts saved next to the writeup (src/report/svg.ts): referenced as images. */
  charts?: { file: string; title: string; sha?: string }[];
  /** What the probe itself saved at each culprit and its baseline (bundle sizes, statements, heap diff). */
  probeEvidence?: ProbeEvidenceItem[];
  /** When the run ended (ISO 8601), from its log: a writeup rebuilt later carries the same date. */
  date?: string;
}


/** Labels for probe detail fields (load probes report these beside their metric). */
const detailLabels: Record<string, string> = {
  p50: 'P50 latency',
  p90: 'P90 latency',
  p95: 'P95 latency',
  p99: 'P99 latency',
  'p99.9': 'P99.9 latency',
  mean: 'Mean',
  wall: 'Wall time',
  cpu: 'CPU time (user + system)',
  rps: 'Requests/s',
  errorRate: 'Error rate',
  non2xxRate: 'Non-2xx rate',
  queriesPerRequest: 'DB queries/req',
  total: 'Total bytes',
  raw: 'Raw bytes',
  gzip: 'Gzip bytes',
  brotli: 'Brotli bytes',
  files: 'Files',
  connections: 'Connections (load setting)',
};

/** Detail fields that are settings of the load, not measurements: no unit, no before/after delta. */
const settings = new Set(['connections']);

function detailUnit(key: string, metricUnit: string): string {
  if (key === 'files' || key === 'iterations' || settings.has(key)) return '';
  if (/^p\d|^mean$/.test(key)) return 'ms';
  if (/Rate$/.test(key)) return '%';
  if (/bytes|raw|gzip|brotli|total/i.test(key)) return 'B';
  if (key === 'rps') return 'req/s';
  return metricUnit;
}

/** A probe's detail fields for the tables, without the one that is the metric itself (wall time, requests/s, …). */
function shownDetails(d: Record<string, number> | undefined, metric: string): [string, number][] {
  const same: Record<string, string> = { wall: 'wall time', cpu: 'CPU time' };
  const isMetric = (k: string) =>
    same[k] === metric || (detailLabels[k] ?? k).toLowerCase() === metric.toLowerCase() || k === metric;
  return Object.entries(d ?? {}).filter(([k]) => !isMetric(k));
}

function fmtDetail(key: string, v: number, metricUnit: string): string {
  const unit = detailUnit(key, metricUnit);
  return unit === '%' ? `${(v * 100).toFixed(2)}%` : fmtValue(v, unit);
}

function delta(before: number, after: number): string {
  if (before === 0) return after === 0 ? '0%' : '–';
  return fmtRatio(after / before);
}

/** A median or value: "≥" when it is a sample stopped at the probe's timeout (a lower bound). */
function valueOf(r: RunResult): (v: number) => string {
  const unit = r.probe.metric.unit;
  return (v) => `${isCensored(r, v) ? '≥ ' : ''}${fmtValue(v, unit)}`;
}

const isCensored = (r: RunResult, v: number) => r.censoredAt !== undefined && v >= r.censoredAt;

/** A change between two medians, bounded on the side whose median is censored. */
function ratioOf(r: RunResult, before: number, after: number, ratio: number): string {
  const bound = isCensored(r, after) === isCensored(r, before) ? '' : isCensored(r, after) ? 'at least ' : 'at most ';
  return `${bound}${fmtRatio(ratio)}`;
}

export function renderWriteup(r: RunResult, x: WriteupExtras): string {
  const m = r.probe.metric;
  const unit = m.unit;
  const val = valueOf(r);
  const L: string[] = [];
  const headline =
    r.status === 'found'
      ? r.culprits.length > 1
        ? `Performance regressions: ${md(r.culprit!.subject)} and ${r.culprits.length - 1} more`
        : `Performance regression: ${md(r.culprit!.subject)}`
      : r.status === 'ambiguous'
        ? ambiguousHeadline(r)
        : r.status === 'undecided'
          ? `Undecided: no regression shown or ruled out between ${md(r.good.ref)} and ${md(r.bad.ref)}`
          : `No regression between ${md(r.good.ref)} and ${md(r.bad.ref)}`;
  L.push(`## ${headline}`, '');
  L.push(`**Date:** ${(x.date ?? new Date().toISOString()).slice(0, 10)}  `);
  L.push(
    `**Range:** good ${mdCode(r.good.ref)} (${short(r.good.sha)}) .. bad ${mdCode(r.bad.ref)} (${short(r.bad.sha)}), ${r.rangeSize} commits  `,
  );
  L.push(
    `**Probe:** ${mdCode(r.probe.name)} (${r.probe.kind}): ${md(m.name)}${unit ? ` in ${md(unit)}` : ''}, ${direction(m)}  `,
  );
  L.push(`**Status:** ${r.status}`, '');

  const e = r.endpoints;
  L.push('### Problem', '');
  L.push(
    `${md(m.name)} went from ${val(e.good.median)} at good to ${val(e.bad.median)} at bad: ` +
      `${ratioOf(r, e.good.median, e.bad.median, e.change.ratio)} (${fmtConfidence(e.change.confidence)} interval ${fmtRatio(e.change.ci[0])} to ${fmtRatio(e.change.ci[1])}, ${fmtP(e.change.p)}; ` +
      `the ${e.good.n} and ${e.bad.n} samples of the two taken first, interleaved, that decided the endpoints; the table of commits counts their later samples too).`,
    '',
  );
  if (r.status === 'no-regression')
    L.push(
      `That is below ${fmtPct(r.noRegressionBelow)}, the smallest change worth bisecting here: no commit is blamed.`,
      '',
    );
  if (r.status === 'undecided') L.push(`${md(undecidedText(r.noRegressionBelow), 1000)}.`, '');
  const improved = r.improvements ?? [];
  if (improved.length)
    L.push(
      `**Not the whole change:** the verdicts also showed ${improved.length === 1 ? 'a change' : 'changes'} for the better in the range, ` +
        `which perfbisect does not look for, so the change from good to bad is the regressions below less ${improved.length === 1 ? 'it' : 'them'}. ` +
        'To locate one, bisect its range for the improvement (`git bisect start --term-old=slow --term-new=fast <up to> <after>`).',
      '',
      ...improved.map((m) => `- ${improvementText(m, r.probe.metric.better, (s) => `\`${s}\``)}.`),
      '',
    );

  if (r.culprits.length) {
    L.push('### Root cause', '');
    for (const c of r.culprits) L.push(...culpritSection(c, r), ...dependencySection(c, md), ...chartRefs(x, c.sha));
  }
  if (r.suspects.length) {
    L.push(
      '### Suspects',
      '',
      r.unresolved
        ? 'The change is real, but no single commit could be shown to carry it (verdicts stayed inconclusive, or the change is spread over several small steps). These commits came closest:'
        : r.culprits.length
          ? `Besides the root cause${r.culprits.length > 1 ? 's' : ''} above, a further step is in one of these commits (it could not be pinned to one); ` +
            'the ones marked skipped could not be built or measured:'
          : 'The regression is in one of these commits; the ones marked skipped could not be built or measured:',
      '',
    );
    for (const s of r.suspects) {
      // Its last verdict: a commit decided again later (a sub-search's reference) is read as it was last.
      const v = [...r.commits].reverse().find((c) => c.sha === s);
      L.push(
        `- \`${short(s)}\` ${md(x.meta.get(s)?.subject ?? '')}${v?.verdict === 'skipped' ? ` (skipped: ${md(v.reason ?? '')})` : ''}` +
          (v?.vsGood && v.verdict !== 'skipped' ? ` (its last verdict: ${fmtChange(v.vsGood.worse, m.better)} against the good commit it was measured beside)` : ''),
      );
    }
    L.push('');
  }

  if (r.culprits.length) {
    const c = r.culprit!;
    L.push(
      '### Baseline (before)',
      '',
      `The same samples as the root cause: \`${short(c.baseline)}\` and the culprit ${c.sideBySide === false ? 'from all their samples, taken at different times' : 'from the blocks that measured them side by side'}.`,
      '',
    );
    L.push('| Metric | Value |', '|--------|-------|');
    L.push(`| ${md(m.name)} (median) | ${val(c.before.median)} |`);
    L.push(`| Spread (±MAD) | ${fmtValue(c.before.spread, unit)} |`);
    for (const [k, v] of shownDetails(c.details?.before, m.name))
      L.push(`| ${detailLabels[k] ?? k} | ${fmtDetail(k, v, unit)} |`);
    L.push(`| Samples | ${c.before.n} |`, '');
    // The medians' ratio: the root cause's figure above is the Hodges-Lehmann shift, which can differ a little.
    L.push('### After', '', '| Metric | Before | After | Δ medians |', '|--------|--------|-------|-------|');
    L.push(
      `| ${md(m.name)} (median) | ${val(c.before.median)} | ${val(c.after.median)} | ${delta(c.before.median, c.after.median)} |`,
    );
    for (const [k, v] of shownDetails(c.details?.before, m.name)) {
      const a = c.details?.after[k];
      if (a !== undefined && !settings.has(k))
        L.push(`| ${detailLabels[k] ?? k} | ${fmtDetail(k, v, unit)} | ${fmtDetail(k, a, unit)} | ${delta(v, a)} |`);
    }
    L.push(`| Samples | ${c.before.n} | ${c.after.n} | |`, '');
  }

  // A probe with its own evidence needs no "no profiler" note for the same culprit.
  const own = new Set((x.probeEvidence ?? []).map((p) => p.culprit));
  const profiles = renderEvidence(r.evidence?.filter((e) => !(e.profiler === 'none' && own.has(e.culprit))));
  const probeSaw = renderProbeEvidence(x.probeEvidence ?? []);
  // Bytes (bundle, heap) grow rather than slow down: the same section, headed for what was measured.
  const why =
    m.unit === 'B'
      ? m.better === 'higher'
        ? '### Why it is smaller'
        : '### Why it is larger'
      : '### Why it is slower';
  if (profiles.length || probeSaw.length) L.push(why, '', ...profiles, ...probeSaw);
  // Benchmark-suite probes: the benchstat-style view their users expect.
  L.push(...benchstatSection(r, x.samples));
  L.push('### How sure', '');
  L.push(...howSure(r).map((l) => `- ${l}`));
  L.push(...censoredNote(r));
  L.push('');
  L.push('#### Commits measured', '');
  L.push(
    "Each commit's median, spread and n pool every sample it got in the run (as the commit measured and as a reference); the root cause compares only the blocks that measured the culprit beside its baseline, so its numbers can differ.",
    '',
  );
  L.push(...machineMoved(r, val));
  L.push('| Commit | Subject | Verdict | Median (all samples) | ± | n |', '|---|---|---|---|---|---|');
  const order = new Map([...x.meta.keys()].map((s, i) => [s, i]));
  // A skipped commit's reason is its build or probe failure, said elsewhere; after an earlier decision
  // it is why a later one was not made (an end check out of time), which "skipped" alone misreads.
  const verdictText = (c: RunResult['commits'][number], later: boolean) =>
    (c.verdict === 'inconclusive' ? `inconclusive (leans ${c.lean})` : c.verdict) +
    (c.reason && (c.verdict !== 'skipped' || later) ? `: ${md(c.reason)}` : '');
  // A commit decided twice (a verdict, then an end check or a search past it) is one row: its figures
  // pool all its samples either way, and two rows read as two commits.
  const rows = new Map<string, RunResult['commits']>();
  for (const c of r.commits) rows.set(c.sha, [...(rows.get(c.sha) ?? []), c]);
  for (const [sha, decided] of [...rows].sort(([a], [b]) => (order.get(a) ?? 0) - (order.get(b) ?? 0))) {
    const c = decided[decided.length - 1];
    const n = c.censored ? `${c.summary.n} (${c.censored} timed out)` : `${c.summary.n}`;
    L.push(
      `| \`${short(sha)}\` | ${md(clip(c.subject, 60))} | ${decided.map((d, k) => verdictText(d, k > 0)).join('; then ')} | ${val(c.summary.median)} | ` +
        `${fmtValue(c.summary.spread, unit)} | ${n} |`,
    );
  }
  L.push('', ...chartRefs(x, undefined));
  L.push(...fleetSection(r));
  L.push('### Reproduce', '', ...mdFence(r.reproduce, 'sh'), '');
  const co = r.cost;
  L.push(
    `Cost: ${costSummary(co)}. Run ${md(r.runId)}, files in ${mdCode(r.runDir, { max: 1000 })}.`,
    '',
  );
  L.push(...costSection(r));
  return L.join('\n');
}

/**
 * A bisect in rounds on a fleet: which machine measured which commits. Each job measured its commit
 * beside its references on its own machine, and verdicts compare only what one machine measured.
 */
function fleetSection(r: RunResult): string[] {
  const f = r.fleet;
  if (!f) return [];
  const L = [
    '#### Where it was measured',
    '',
    `${f.rounds} round${f.rounds === 1 ? '' : 's'} of up to ${f.runners} jobs on ${md(f.runner)}. Each job built its commit and the round's ` +
      'references and measured them interleaved on its own machine; a verdict compares only samples one machine took, so ' +
      "differences between machines cannot pass for a step. Above, each commit's figures are those of the machine whose " +
      'samples decided its verdict.',
    '',
    '| Machine | CPU | Round.job: measured (against) |',
    '|---|---|---|',
  ];
  for (const m of f.machines) {
    const refs = (shas: string[]) => shas.map((x) => `\`${short(x)}\``).join(', ');
    const jobs = m.jobs.map((j) => `${j.round}.${j.index}: \`${short(j.target)}\` (${refs(j.refs)})`).join('<br>');
    const machine = `${md(m.name)} \`${md(m.key.split('/').pop() ?? '')}\``;
    L.push(`| ${machine} | ${md(m.cpu)}, ${m.cores} cores, ${md(m.os)} | ${jobs} |`);
  }
  return [...L, ''];
}

/** An ambiguous run's title: the culprit where one was found, and how many suspects could not be measured. */
function ambiguousHeadline(r: RunResult): string {
  const skipped = r.suspects.filter((s) => wasSkipped(r, s)).length;
  const n = r.suspects.length;
  const among = skipped === n
    ? `${n} commits that could not be measured`
    : `${n} commits${skipped ? ` (${skipped} could not be measured)` : ''}`;
  const more = r.culprits.length > 1 ? ` and ${r.culprits.length - 1} more` : '';
  return r.culprits.length
    ? `Performance regression: ${md(r.culprit!.subject)}${more}, and a further step among ${among}`
    : `Performance regression among ${among}`;
}

/** With --one-step, the part of the good→bad change the culprits leave to steps not looked for. */
function oneStepRest(r: RunResult): string | undefined {
  const rest = unexplainedText(r.endpoints.change.ratio, r.culprits.map((c) => c.change.ratio), r.threshold.value);
  return rest && `Here ${rest}.`;
}

/** How side-first verdicts still look for a further step (BisectEngine.sideFirst). */
function sideFirstText({ checks, beta }: { checks: number; beta: number }): string {
  const made = checks
    ? `${checks} such check${checks === 1 ? ' was' : 's were'} made, each missing a further step of the minimum with probability ` +
      `at most ${fmtPct(beta)}`
    : 'none was needed here';
  return (
    'This change is large against the threshold and the noise, so a verdict could place a commit that sat within a quarter of the ' +
    'way from a reference (and not shown farther from it than half the threshold) on that side without ruling out a further step ' +
    'beside it. Where one did, and its search closed on a culprit, the culprit\'s parent was measured against the good end of its ' +
    `search and the culprit against the bad end, and a further step was bisected where either differed (${made}).`
  );
}

/** The decision rule, the confidence over the decisions actually made, and what it does not cover. */
function howSure(r: RunResult): string[] {
  const d = r.decisions;
  const rest = d.oneStep ? oneStepRest(r) : undefined;
  const out = [
    r.probe.deterministic
      ? 'One exact measurement of each commit (a deterministic probe): a commit is placed on the side of the step whose value it shares. ' +
        `Steps smaller than ${fmtPct(d.minStep)} of the good value (the threshold, or an eighth of the whole change) are not split out: ` +
        'they are not culprits.'
      : 'Each commit is placed on one side of the step by comparing it with interleaved samples of its nearest good and bad ' +
        'references (Mann-Whitney U, exact where samples are few; Hodges-Lehmann shift with its rank interval). ' +
        (d.oneStep
          ? 'It is on the bad side when it is worse than good at the strict level, and on the good side when it is better than bad; ' +
            'unlike both, on the side it is nearer to.'
          : 'It is on the bad ' +
            `side when it is worse than good at the strict level, and within ${fmtPct(d.minStep)} of bad (relative to bad, at most half the way ` +
            `back to good) at a lenient level (${fmtPct(1 - d.beta)}); the other way round for good; between two steps when it is worse than ` +
            'good and better than bad by more than half the threshold each.') +
        ' The references\' earlier samples count too, checked against fresh ones.',
    `Threshold: changes under ${fmtPct(r.threshold.value)} do not count (${md(r.threshold.source)}).`,
  ];
  if (!r.probe.deterministic) {
    out.push(
      `Confidence: the ${d.count} decisions of this bisect (the endpoints, every verdict and every commit measured again) are all right with probability at least ` +
        `${fmtPct(1 - d.alphaSpent)} (${fmtPct(r.noise?.budget?.asked ?? r.confidence)} was required` +
        `${r.noise?.budget && r.noise.budget.confidence < r.noise.budget.asked ? `, lowered to ${fmtPct(r.confidence)} to fit --budget ${r.noise.budget.minutes} min` : ''}` +
        '; the error rate is spent over the decisions actually made, however many there are).',
      d.oneStep
        ? 'One step was looked for (--one-step): each verdict asked only which side of the step a commit is on, so a further step elsewhere ' +
          'in the range, or beside a culprit, was not looked for. Without --one-step every step of at least the minimum further step is bisected.' +
          (rest ? ` ${rest}` : '')
        : `A further step smaller than ${fmtPct(d.minStep)} of good between two measured commits is not looked for; one at least that large is missed at a ` +
          `measured commit with probability at most ${fmtPct(d.beta)} (a verdict line gives its own figure relative to the reference it found the commit like).` +
          (d.sideFirst ? ` ${sideFirstText(d.sideFirst)}` : ''),
    );
  }
  // An exact probe has no confidence sentence to carry it.
  if (r.probe.deterministic && rest) out.push(rest);
  const open = r.commits.filter((c) => c.unresolved);
  if (open.length) {
    out.push(
      `At ${open.length} commit(s) ${d.sideFirst ? 'a verdict' : 'the noise'} left a further step on the commit's side not ruled out ` +
        `(${open.map((c) => `\`${short(c.sha)}\` up to ${fmtPct(c.unresolved!)}`).join(', ')}); ` +
        (d.sideFirst
          ? 'where its search closed on a culprit, it was looked for at the located step\'s ends instead (above).'
          : 'the estimates gave no hint of one, so the search went on without more samples.'),
    );
  }
  const inconclusive = r.commits.filter((c) => c.verdict === 'inconclusive');
  const shown = inconclusive.filter((c) => leanShown(c));
  const guessed = inconclusive.filter((c) => !leanShown(c));
  const listed = (cs: typeof inconclusive) => cs.map((c) => `\`${short(c.sha)}\` (${c.lean})`).join(', ');
  const atMax = `stayed inconclusive at the maximum samples${r.noise?.budget ? ' or when the time budget ran out' : ''}`;
  if (shown.length) {
    out.push(
      `${shown.length} commit(s) ${atMax} with their side shown at the strict level: ${listed(shown)}. Only whether a ` +
        'further step of at least the minimum lies between each and its own reference was left open; the side the search followed is covered by the confidence above.',
    );
  }
  if (guessed.length) {
    out.push(
      `${guessed.length} commit(s) ${atMax}; the search followed the side their estimates lean to: ${listed(guessed)}. The confidence above ` +
        'does not cover those guesses: if one is wrong, the culprit lies on its other side.',
    );
  }
  for (const v of r.vanished ?? []) {
    const text = vanishedText({ ...v, ...v.change }, r.threshold.value, (s) => `\`${s}\``);
    out.push(`${capitalised(text)}.`);
  }
  if (r.minorSteps.length)
    out.push(
      `Smaller steps also located (below the threshold): ${r.minorSteps.map((s) => `\`${short(s.sha)}\` ${fmtRatio(s.change.ratio)}`).join(', ')}.`,
    );
  if (r.noise)
    out.push(
      ...noiseLines(r.noise, r.probe.metric.name, r.probe.metric.better, false).map((l) => md(capitalised(l), 1000) + '.'),
    );
  if (r.quieterCpu) out.push(`${md(capitalised(quieterCpuText(r.quieterCpu)), 1000)}.`);
  return out;
}

function culpritSection(c: ResultCulprit, r: RunResult): string[] {
  const val = valueOf(r);
  const samples =
    c.sideBySide === false
      ? `all ${c.before.n} samples of \`${short(c.baseline)}\` and ${c.after.n} of the culprit, taken at different times ` +
        '(too few were measured side by side to size the step from those alone), so these figures can carry the machine speeding up or slowing down between ' +
        'them; the verdicts that placed the culprit were each checked against samples taken beside it'
      : `${c.before.n} samples of \`${short(c.baseline)}\` and ${c.after.n} of the culprit, from the blocks that measured them side by side`;
  const L = [
    `**\`${short(c.sha)}\` ${md(c.subject)}** by ${mdCode(c.author)}, ${c.date.slice(0, 10)}: ${val(c.before.median)} → ${val(c.after.median)}, ` +
      `${ratioOf(r, c.before.median, c.after.median, c.change.ratio)} ${r.probe.deterministic ? '(a deterministic probe: one exact measurement of each).' : `(${fmtConfidence(c.change.confidence)} interval ${fmtRatio(c.change.ci[0])} to ${fmtRatio(c.change.ci[1])}, ${fmtP(c.change.p)}; ${samples}).`}`,
    '',
  ];
  if (c.baseline !== c.parent)
    L.push(`(Measured against \`${short(c.baseline)}\`, the nearest measured good commit.)`, '');
  if (c.files.length) {
    L.push('| File changed | + | − |', '|---|---|---|');
    for (const f of c.files.slice(0, 20)) L.push(`| ${md(f.file)} | ${f.added} | ${f.removed} |`);
    if (c.files.length > 20) L.push(`| … ${c.files.length - 20} more | | |`);
    L.push('');
  }
  return L;
}

/** What the run did with probe runs stopped at the timeout: too slow, counted, not skipped. */
function censoredNote(r: RunResult): string[] {
  const cut = r.commits.filter((c) => c.censored);
  if (r.censoredAt === undefined || !cut.length) return [];
  const at = fmtValue(r.censoredAt, r.probe.metric.unit);
  const total = cut.reduce((n, c) => n + (c.censored ?? 0), 0);
  return [
    `- Timeouts: ${total} probe run(s) ran past the probe's timeout and were stopped. The probe was too slow there, it did not crash: ` +
      `each such run counts as a censored sample of at least ${at}, ranked at or above every run that finished, and a median shown as ≥ ${at} is a lower bound. ` +
      `Commits: ${cut.map((c) => `\`${short(c.sha)}\` ${c.censored} of ${c.summary.n}`).join(', ')}.`,
  ];
}

/** Image lines for the charts of one culprit (sha) or of the whole run (undefined). */
function chartRefs(x: WriteupExtras, sha: string | undefined): string[] {
  const cs = (x.charts ?? []).filter((c) => c.sha === sha);
  return cs.length ? [...cs.map((c) => `![${md(c.title)}](${c.file})`), ''] : [];
}

/**
 * Where an endpoint's samples over the whole run sit far from its first measurement, the machine's
 * speed moved while it ran (another job, thermal limits): said, so that the table's medians, taken
 * at different times, are not read against the Problem's figures or each other.
 */
export function machineMoved(r: RunResult, val: (v: number) => string): string[] {
  const moved = (['good', 'bad'] as const).flatMap((side) => {
    const { median: first, n } = r.endpoints[side];
    const all = r.commits.find((c) => c.sha === r[side].sha)?.summary;
    // The endpoints' median is of the first few samples, a subset of all: under a noisy probe the two
    // differ by chance (about 1.25 cv √(1/n − 1/N) for medians), which is not the machine moving.
    const chance = 3 * 1.25 * (r.noise?.cv ?? 0) * Math.sqrt(Math.max(0, 1 / n - 1 / (all?.n ?? n)));
    if (!all || !first || Math.abs(all.median / first - 1) <= Math.max(r.threshold.value, 0.05, chance)) return [];
    return [`${side} measured ${val(first)} at the endpoints and ${val(all.median)} over all its ${all.n} samples`];
  });
  if (r.speedDrift) moved.push(driftText(r.speedDrift));
  if (!moved.length) return [];
  return [
    // A replay's samples are an earlier run's: they moved then, not during this run.
    `**The machine's speed moved ${r.noise?.replayed ? "while these samples were taken (an earlier run's, from the cache)" : 'during the run'}**: ` +
      `${moved.join('; ')}. Each verdict is checked against samples ` +
      'taken beside it, so the verdicts stand; the medians below were taken at different times and are not comparable across rows.',
    '',
  ];
}
