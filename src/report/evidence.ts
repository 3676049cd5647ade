import type { Evidence, EvidenceRow } from '../evidence/types.js';
import { fmtValue, short } from './format.js';
import { md, mdCode, mdFence } from './escape.js';
const pts = (d: number) => `${d >= 0 ? '+' : ''}${d.toFixed(1)} pts`;
const ms = (v: number) => fmtValue(v, 'ms');
const pct = (f: number) => `${(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;
const profilerName = {
  v8: "V8's sampling profiler",
  cprofile: "Python's cProfile",
  pprof: "Go's pprof",
  none: 'no profiler',
} as const;

/** "src/checksum.js:2, added by this commit", or how the row relates to the change. */
export function changeNote(r: EvidenceRow): string {
  // Evaluated code has no file in the profile: say where its source text is.
  const source = r.evaluated ? ` in ${md(r.file)}:${r.line}` : '';
  if (r.inChange === 'added') return `added by this commit${source}`;
  if (r.inChange === 'modified') return `modified by this commit${source}`;
  if (r.evaluated) return `run through eval or new Function, defined in ${md(r.file)}:${r.line}`;
  const under = r.under ? `under ${mdCode(r.under.function, { inTable: true })} (${where(r.under)})` : '';
  if (r.calledFrom)
    return `${under ? `${under}, ` : ''}called from ${mdCode(r.calledFrom.function, { inTable: true })} (${where(r.calledFrom)}), which this commit changed`;
  if (r.calls)
    return `${under ? `${under}, ` : ''}calls ${mdCode(r.calls.function, { inTable: true })} (${where(r.calls)}), which this commit changed: what it returns may make this function do more`;
  if (under) return under;
  if (collectsGarbage(r)) return 'reclaiming memory: the code allocates more';
  return '';
}

/**
 * Beside a function the parent's profile has no samples of: new where the commit added it, else only
 * unsampled there (too brief for the profiler, or not called).
 */
export const absentBefore = (r: EvidenceRow): string =>
  !r.new ? '' : r.inChange === 'added' ? ' (new)' : ' (no samples at the parent)';

/** The runtime's garbage collector as a CPU profile names it (V8, Go). */
const collectsGarbage = (r: EvidenceRow | undefined) =>
  !!r && ['(garbage collector)', 'runtime.gcBgMarkWorker', 'runtime.mallocgc', 'runtime.gcDrain'].includes(r.function);

/** Added lines as a diff, with a header wherever the quote jumps: another file, or lines apart in one. */
const quoted = (lines: readonly { file: string; line: number; text: string }[]) =>
  lines.flatMap((l, k) => [
    ...(k === 0 || lines[k - 1].file !== l.file || lines[k - 1].line + 1 !== l.line ? [`# ${l.file}:${l.line}`] : []),
    `+${l.text}`,
  ]);

/** Where a row's function is: its file, or for code with no file, evaluated text (eval, new Function) or native. */
const where = (r: { file: string; line: number }) =>
  r.file ? `${md(r.file)}${r.line ? `:${r.line}` : ''}` : r.line ? `(evaluated code):${r.line}` : '(native)';

/** Where a run lasts a set time, its milliseconds say where the time went, not how much more there was. */
function fixedTimeNote(e: Evidence): string {
  return e.fixedTime
    ? ', and each lasts about a set time whatever the code\'s speed (the benchmark runs fewer iterations when slower): ' +
      'a function\'s milliseconds show where a run\'s time went, and its share what grew, not how much slower it is'
    : '';
}

/** The body of the writeup's "Why it is slower" section: the profile diff at each culprit, tied to its diff. */
export function renderEvidence(list: Evidence[] | undefined): string[] {
  if (!list || list.length === 0) return [];
  const L: string[] = [];
  for (const e of list) {
    if (list.length > 1) L.push(`#### \`${short(e.culprit)}\``, '');
    if (e.profiler === 'none') {
      L.push(`No profile: ${md(e.note ?? 'this probe kind has no profiler')}.`, '');
      continue;
    }
    L.push(
      `Profiled with ${profilerName[e.profiler]}: ${e.runs?.before} runs at the parent \`${short(e.parent)}\` and ${e.runs?.after} at the culprit ` +
        `${e.samples ? `(${e.samples.before} and ${e.samples.after} samples)` : '(every call counted)'}. Times are per probe run${fixedTimeNote(e)}. Differences smaller than ${(e.noise ?? 0).toFixed(1)} points of the ` +
        `time, the largest difference between two halves of the same commit's runs, are not shown.`,
      '',
    );
    const first = e.top[0];
    if (first) {
      const note = changeNote(first);
      const place = first.evaluated ? note : `${where(first)}${note ? `, ${note}` : ''}`;
      L.push(
        `**${mdCode(first.function)}** (${place}): ${pct(first.shareAfter)} of the time at the culprit, ${pct(first.shareBefore)} before (${pts(first.delta)}, ${first.deltaMs >= 0 ? '+' : ''}${ms(first.deltaMs)} per run).`,
        '',
      );
    } else {
      L.push(
        "No function's share of the time changed by more than the noise between profiles of the same commit: the cost is spread evenly, or outside the profiled processes.",
        '',
      );
    }
    if (e.top.length) {
      L.push(
        '| Function | Where | Self before | Self after | Total before → after | Δ share | Δ self/run | Change |',
        '|---|---|---|---|---|---|---|---|',
      );
      for (const r of e.top) {
        L.push(
          `| ${mdCode(r.function, { inTable: true })}${absentBefore(r)} | ${where(r)} | ${ms(r.selfBefore)} | ${ms(r.selfAfter)} | ${ms(r.totalBefore)} → ${ms(r.totalAfter)} | ${pts(r.delta)} | ${r.deltaMs >= 0 ? '+' : ''}${ms(r.deltaMs)} | ${changeNote(r)} |`,
        );
      }
      L.push('');
    }
    if (e.shrank.length) {
      const less = (r: EvidenceRow) => `${mdCode(r.function)} ${where(r)} ${pts(r.delta)} (${ms(r.deltaMs)} per run)`;
      L.push(`Shrank: ${e.shrank.map(less).join(', ')}.`, '');
    }
    if (e.added?.length) {
      const added = e.added;
      const diff = quoted(added);
      const cut = (e.addedTotal ?? added.length) > added.length ? ` (the first ${added.length} of ${e.addedTotal} lines)` : '';
      const why = collectsGarbage(e.top[0])
        ? 'the time grew most in garbage collection: the code allocates more (or keeps more alive), which a CPU profile ' +
          'does not tie to the function that allocates'
        : 'the slower code may run on something it changed (a regular expression, a constant, a setting)';
      L.push(
        'No slower function is one this commit changed, or one that a function it changed calls: ' +
          `${why}. What it added, from the diff${cut}:`,
        '',
        ...mdFence(diff.join('\n'), 'diff'),
        '',
      );
    }
    if (e.moduleCode?.length) {
      const diff = quoted(e.moduleCode);
      L.push(
        `What it changed in the top-level code of ${md(e.moduleCode[0].file)}, which runs when the module is imported ` +
          '(the profiler gives no lines of it), from the diff:',
        '',
        ...mdFence(diff.join('\n'), 'diff'),
        '',
      );
    }
    if (e.lines.length) {
      const diff = e.lines.flatMap((l) => [
        `# ${l.file}:${l.line}: ${pct(l.share)} of the time, ${ms(l.msPerRun)} per run`,
        `+${l.text}`,
      ]);
      // Time at the culprit, not the time added: a changed function can run faster while its caller slows.
      L.push('Changed lines that carry time at the culprit, from the diff:', '', ...mdFence(diff.join('\n'), 'diff'), '');
    }
    const links = [
      e.before && `[parent profile](${e.before})`,
      e.after && `[culprit profile](${e.after})`,
      e.flamegraph && `[differential flame graph](${e.flamegraph})`,
    ].filter(Boolean);
    if (links.length)
      L.push(
        `Profiles: ${links.join(' · ')}. ${e.profiler === 'v8' ? 'The .cpuprofile files open in Chrome DevTools (Performance → Load profile) and in speedscope.' : ''}`,
        '',
      );
    // Red where the culprit spends more of its time than the parent did; the HTML writeup inlines it.
    if (e.flamegraph && !/[\s()]/.test(e.flamegraph)) L.push(`![Differential flame graph at ${short(e.culprit)}](${e.flamegraph})`, '');
  }
  return L;
}
