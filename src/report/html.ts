import type { Chart } from './svg.js';
import { xmlText as esc } from './escape.js';

/**
 * The HTML writeup: the same text as the Markdown writeup (rendered from it, so the two never
 * drift apart), with its charts inlined as SVG, in one self-contained file: no scripts, no
 * network, no external styles. Every character of text goes through esc(), so a commit message
 * with `<script>` shows as text.
 *
 * The converter knows the Markdown subset the writeup uses: headings, paragraphs (a line ending
 * in two spaces breaks), tables, bullet lists, fenced code, image lines, and inline `code`,
 * **bold**, [links](…) and backslash escapes.
 */
export function renderHtml(markdown: string, charts: Chart[], title: string): string {
  const body = markdownToHtml(markdown, new Map(charts.map((c) => [c.file, c.svg])));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // No network: the page may load nothing from anywhere (the charts are inline).
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;background:#fff;margin:0}
main{max-width:980px;margin:0 auto;padding:24px 32px 48px}
h2{font-size:1.6em;border-bottom:1px solid #d8dee4;padding-bottom:.3em}
h3{font-size:1.25em;margin-top:1.6em}
table{border-collapse:collapse;margin:12px 0;display:block;overflow-x:auto}
th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
pre{background:#f6f8fa;padding:12px;overflow-x:auto;border-radius:6px}
pre code{padding:0;background:none}
figure{margin:16px 0}
figure svg{max-width:100%;height:auto;border:1px solid #d8dee4;border-radius:6px}
figcaption{color:#57606a;font-size:13px}
`.trim();

/** Block structure: one pass over the lines. */
export function markdownToHtml(markdown: string, svgs: Map<string, string> = new Map()): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${para.map((l) => inline(l.replace(/ {2}$/, ''))).join('<br>\n')}</p>`);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^(`{3,})/))) {
      flush();
      // The block ends at a fence at least as long as the one that opened it (a log may hold ```).
      const fence = m[1];
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i].startsWith(fence) && /^`+\s*$/.test(lines[i])); i++) code.push(lines[i]);
      out.push(`<pre><code>${esc(code.join('\n'))}</code></pre>`);
    } else if ((m = line.match(/^(#{1,6}) (.*)$/))) {
      flush();
      const level = m[1].length;
      out.push(`<h${level}>${inline(m[2])}</h${level}>`);
    } else if ((m = line.match(/^!\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)\s*$/))) {
      flush();
      const svg = svgs.get(m[2]);
      // A chart of this run is inlined; anything else stays a caption (never a network fetch).
      out.push(
        svg
          ? `<figure>${svg.trim()}<figcaption>${inline(m[1])}</figcaption></figure>`
          : `<p>${inline(m[1])} (${esc(m[2])})</p>`,
      );
    } else if (/^\|/.test(line)) {
      flush();
      const rows: string[][] = [];
      for (; i < lines.length && /^\|/.test(lines[i]); i++) rows.push(cells(lines[i]));
      i--;
      const sep = rows.length > 1 && rows[1].every((c) => /^:?-+:?$/.test(c.trim()));
      const head = sep ? rows[0] : undefined;
      const bodyRows = sep ? rows.slice(2) : rows;
      out.push(
        '<table>' +
          (head ? `<thead><tr>${head.map((c) => `<th>${inline(c.trim())}</th>`).join('')}</tr></thead>` : '') +
          `<tbody>${bodyRows.map((r) => `<tr>${r.map((c) => `<td>${inline(c.trim())}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`,
      );
    } else if (/^[-*] /.test(line)) {
      flush();
      const items: string[] = [];
      for (; i < lines.length && /^[-*] /.test(lines[i]); i++) items.push(`<li>${inline(lines[i].slice(2))}</li>`);
      i--;
      out.push(`<ul>${items.join('\n')}</ul>`);
    } else if (line.trim() === '') {
      flush();
    } else {
      para.push(line);
    }
  }
  flush();
  return out.join('\n');
}

/** Split a table row on unescaped pipes. */
function cells(row: string): string[] {
  const out: string[] = [];
  let cur = '';
  const body = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && i + 1 < body.length) {
      cur += body[i] + body[i + 1];
      i++;
    } else if (body[i] === '|') {
      out.push(cur);
      cur = '';
    } else cur += body[i];
  }
  out.push(cur);
  return out;
}

const PUNCT = /[!-/:-@[-`{-~]/;

/** Inline spans. Text is escaped character by character: nothing from the input becomes markup. */
export function inline(text: string): string {
  let out = '';
  let bold = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && PUNCT.test(text[i + 1])) {
      out += esc(text[++i]);
    } else if (c === '`') {
      // A code span opens with a run of backticks and closes at the next run of the same length.
      const run = /^`+/.exec(text.slice(i))![0];
      const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
      close.lastIndex = i + run.length;
      const end = close.exec(text)?.index;
      if (end === undefined) {
        out += esc(run);
        i += run.length - 1;
        continue;
      }
      let code = text.slice(i + run.length, end).replace(/\\\|/g, '|');
      if (/^ .* $/.test(code) && code.trim()) code = code.slice(1, -1);
      out += `<code>${esc(code)}</code>`;
      i = end + run.length - 1;
    } else if (c === '*' && text[i + 1] === '*') {
      out += bold ? '</strong>' : '<strong>';
      bold = !bold;
      i++;
    } else if (c === '[') {
      const m = text.slice(i).match(/^\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)/);
      if (m && /^(https?:\/\/|\.{0,2}\/|[\w.-]+$)/.test(m[2])) {
        out += `<a href="${esc(m[2])}">${inline(m[1])}</a>`;
        i += m[0].length - 1;
      } else out += esc(c);
    } else {
      out += esc(c);
    }
  }
  return bold ? out + '</strong>' : out;
}
