import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { CommitVerdict } from '../bisect/engine.js';
import type { CommitMeta } from '../events.js';
import type { MetricInfo } from '../probes/types.js';
import { renderHtml } from '../report/html.js';
import { brief, type RunResult } from '../report/result.js';
import { reportCharts } from '../report/svg.js';
import { renderWriteup, type WriteupExtras } from '../report/writeup.js';
import { summarize } from '../stats/summary.js';

/**
 * Write the writeup into the run's directory: writeup.md with its SVG charts beside it, and
 * writeup.html (self-contained, charts inline). `--report FILE` gets a copy: HTML when FILE ends
 * in .html/.htm, else the Markdown with its charts written next to it so the images resolve.
 */
export function writeReport(runDir: string, result: RunResult, x: WriteupExtras, reportFile?: string): { markdown: string; html: string } {
  const charts = reportCharts(result, x);
  const markdown = renderWriteup(result, { ...x, charts });
  const title = markdown.split('\n')[0].replace(/^#+ /, '').replace(/\\(.)/g, '$1');
  // The differential flame graphs (evidence step) are SVG files of the run: inline in the HTML too.
  const flames = (result.evidence ?? [])
    .filter((e) => e.flamegraph && existsSync(e.flamegraph))
    .map((e) => ({ file: e.flamegraph!, title: 'differential flame graph', sha: e.culprit, svg: readFileSync(e.flamegraph!, 'utf8') }));
  const html = renderHtml(markdown, [...charts, ...flames], title);
  const put = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    for (const c of charts) writeFileSync(join(dir, c.file), c.svg);
  };
  put(runDir);
  writeFileSync(join(runDir, 'writeup.md'), markdown);
  writeFileSync(join(runDir, 'writeup.html'), html);
  if (reportFile) {
    const to = resolve(reportFile);
    const isHtml = /^\.html?$/i.test(extname(to));
    if (!isHtml) put(dirname(to));
    else mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, isHtml ? html : markdown);
  }
  return { markdown, html };
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
