import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { renderHtml } from '../report/html.js';
import type { RunResult } from '../report/result.js';
import { reportCharts } from '../report/svg.js';
import { renderWriteup, type WriteupExtras } from '../report/writeup.js';

/**
 * Write the writeup into the run's directory: writeup.md with its SVG charts beside it, and
 * writeup.html (self-contained, charts inline). `--report FILE` gets a copy: HTML when FILE ends
 * in .html/.htm, else the Markdown with its charts written next to it so the images resolve.
 */
export function writeReport(runDir: string, result: RunResult, x: WriteupExtras, reportFile?: string): { markdown: string; html: string } {
  const charts = reportCharts(result, x);
  const markdown = renderWriteup(result, { ...x, charts });
  const title = markdown.split('\n')[0].replace(/^#+ /, '').replace(/\\(.)/g, '$1');
  const html = renderHtml(markdown, charts, title);
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
