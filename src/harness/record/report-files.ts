import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { CommitVerdict } from '../../bisect/outcome.js';
import type { CommitMeta, RunEvent } from '../../events.js';
import type { MetricInfo } from '../../probes/types.js';
import { hasProbeEvidence } from '../../report/evidence/probe.js';
import { renderHtml } from '../../report/html.js';
import { brief, type RunResult } from '../../report/result.js';
import { foldRun, type RunRecord } from '../../report/run-record.js';
import { reportCharts, type Chart } from '../../report/svg.js';
import { renderWriteup } from '../../report/writeup.js';
import { summarize } from '../../stats/summary.js';
import { readProbeArtifacts } from '../profilers/probe-evidence.js';

/** A run's writeup as folded from its log: Markdown, the SVG charts it links to, and the self-contained HTML. */
export interface RenderedRun {
  record: RunRecord;
  markdown: string;
  html: string;
  charts: Chart[];
}

/**
 * Fold a bisect's run log into its result and render the writeup. `runDir` is where the run's files
 * are (what the probe saved at each culprit, the flame graphs), read as the run left them.
 */
export function renderRun(runDir: string, events: readonly RunEvent[]): RenderedRun {
  const record = foldRun(events);
  const { result } = record;
  const probeEvidence = result.culprits
    .map((c) => ({
      culprit: c.sha,
      baseline: c.baseline,
      before: readProbeArtifacts(runDir, c.baseline),
      after: readProbeArtifacts(runDir, c.sha),
    }))
    .filter((p) => hasProbeEvidence(p.after));
  const extras = { meta: record.meta, samples: record.samples, probeEvidence, date: record.ended };
  const charts = reportCharts(result, extras);
  const markdown = renderWriteup(result, { ...extras, charts });
  const title = markdown.split('\n')[0].replace(/^#+ /, '').replace(/\\(.)/g, '$1');
  // The differential flame graphs (evidence step) are SVG files of the run: inline in the HTML too.
  const flames = (result.evidence ?? [])
    .filter((e) => e.flamegraph && existsSync(e.flamegraph))
    .map((e) => ({
      file: e.flamegraph!,
      title: 'differential flame graph',
      sha: e.culprit,
      svg: readFileSync(e.flamegraph!, 'utf8'),
    }));
  const html = renderHtml(markdown, [...charts, ...flames], title);
  return { record, markdown, html, charts };
}

export const resultJson = (result: RunResult): string => JSON.stringify(result, null, 2) + '\n';

/**
 * The end of a bisect, from its log: result.json, writeup.md with its SVG charts beside it and
 * writeup.html in the run's folder; `--json` gets a copy of the result, `--report` one of the
 * writeup (HTML for .html/.htm).
 */
export function writeRunOutputs(
  runDir: string,
  events: readonly RunEvent[],
  copies: { jsonFile?: string; reportFile?: string },
): RunResult {
  const rendered = renderRun(runDir, events);
  const resultFile = join(runDir, 'result.json');
  writeFileSync(resultFile, resultJson(rendered.record.result));
  writeCharts(runDir, rendered.charts);
  writeFileSync(join(runDir, 'writeup.md'), rendered.markdown);
  writeFileSync(join(runDir, 'writeup.html'), rendered.html);
  if (copies.reportFile) writeWriteup(copies.reportFile, rendered);
  if (copies.jsonFile) copyOut(resultFile, copies.jsonFile);
  return rendered.record.result;
}

/** A writeup at `file`: HTML when asked or when it ends in .html/.htm, else Markdown with its charts beside it. */
export function writeWriteup(file: string, rendered: RenderedRun, html = false): void {
  const to = resolve(file);
  const asHtml = html || /^\.html?$/i.test(extname(to));
  if (asHtml) mkdirSync(dirname(to), { recursive: true });
  else writeCharts(dirname(to), rendered.charts);
  writeFileSync(to, asHtml ? rendered.html : rendered.markdown);
}

function writeCharts(dir: string, charts: readonly Chart[]): void {
  mkdirSync(dir, { recursive: true });
  for (const c of charts) writeFileSync(join(dir, c.file), c.svg);
}

export function copyOut(from: string, to: string): void {
  const dir = dirname(resolve(to));
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  copyFileSync(from, to);
}

export interface PartialInput {
  runId: string;
  good: { ref: string; sha: string };
  bad: { ref: string; sha: string };
  probe: { name: string; kind: string; metric: MetricInfo };
  threshold?: { value: number; source: string };
  verdicts: readonly CommitVerdict[];
  meta: Map<string, CommitMeta>;
  samples: (sha: string) => number[];
}

/**
 * On q / Ctrl-C: what the run knew when it stopped, as runs/<id>/partial.json (the verdicts so far
 * and every measured commit's summary). The samples themselves stay in the cache for --resume.
 */
export function writePartial(runDir: string, p: PartialInput): string {
  const summary = (sha: string) => {
    const v = p.samples(sha);
    return v.length ? brief(summarize(v)) : null;
  };
  const partial = {
    schemaVersion: 1,
    status: 'interrupted',
    runId: p.runId,
    resume: `perfbisect --resume ${p.runId}`,
    probe: p.probe,
    good: { ...p.good, summary: summary(p.good.sha) },
    bad: { ...p.bad, summary: summary(p.bad.sha) },
    threshold: p.threshold ?? null,
    commits: p.verdicts.map((v) => ({
      sha: v.sha,
      subject: p.meta.get(v.sha)?.subject ?? '',
      verdict: v.verdict,
      ...(v.lean ? { lean: v.lean } : {}),
      ...(v.reason ? { reason: v.reason } : {}),
      summary: summary(v.sha),
    })),
  };
  const file = join(runDir, 'partial.json');
  writeFileSync(file, JSON.stringify(partial, null, 2) + '\n');
  return file;
}
