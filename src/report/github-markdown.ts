import { termText as sanitize } from './escape.js';

/*
 * Text from a repository (commit subjects, author names, file and function names) inside GitHub
 * Markdown: comments, issues. Backslash escapes stop Markdown syntax, but GitHub finds @mentions and
 * #123 references after rendering, so a backslash does not stop those: a zero-width space does.
 */

const zwsp = '\u200b';
// Bidirectional overrides reorder what the reader sees ("Trojan Source"); they have no place in a report.
const bidi = /[\u202a-\u202e\u2066-\u2069]/g;

/** One line of plain text: control characters and bidi overrides removed, line breaks folded. */
function oneLine(text: string): string {
  return sanitize(text.replace(/\s*[\r\n]+\s*/g, ' ')).replace(bidi, '');
}

/**
 * Repository text as inline GitHub Markdown that renders as exactly that text: no emphasis, links,
 * images, HTML, tables broken by `|`, math, headings or list markers, and no one notified by it.
 */
export function ghText(text: string, max = 200): string {
  let t = oneLine(text);
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return t
    .replace(/@(?=[\w-])/g, `@${zwsp}`)
    .replace(/#(?=\d)/g, `#${zwsp}`)
    .replace(/\b(GH-)(?=\d)/gi, `$1${zwsp}`)
    .replace(/[\\`*_{}[\]()<>#+\-!|~&$=]/g, (c) => `\\${c}`)
    .replace(/^(\d+)\./, '$1\\.');
}

/**
 * A name (file, function) as an inline code span: nothing inside is Markdown, a mention or a link.
 * The fence is one backtick longer than any run inside; in a table cell `|` still needs its escape.
 */
export function ghCode(text: string, o: { inTable?: boolean; max?: number } = {}): string {
  let t = oneLine(text);
  if (t.length > (o.max ?? 200)) t = `${t.slice(0, (o.max ?? 200) - 1)}…`;
  if (!t) return '';
  if (o.inTable) t = t.replace(/\|/g, '\\|');
  const fence = '`'.repeat(Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = /^[`\s]|[`\s]$/.test(t) ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** A fenced code block holding `text` as is (a command line): the fence outgrows any run of backticks inside. */
export function ghCodeBlock(text: string, lang = ''): string[] {
  const clean = sanitize(text.replace(/\r\n?/g, '\n')).replace(bidi, '');
  const longest = Math.max(0, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${lang}`, clean, fence];
}

/** An issue title: plain text (GitHub does not render Markdown there), one line, within GitHub's 256 characters. */
export function ghTitle(text: string, max = 256): string {
  const t = oneLine(text).trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * The hidden HTML comment that lets a later run find what an earlier one posted. Values are reduced
 * to characters that cannot end the comment or change its meaning.
 */
export function hiddenMarker(kind: string, fields: Record<string, string>): string {
  const safe = (v: string) => v.replace(/[^\w.@/:-]+/g, '_').replace(/-{2,}/g, '-');
  const pairs = Object.entries(fields).map(([k, v]) => `${safe(k)}=${safe(v)}`);
  return `<!-- perfbisect:${safe(kind)} ${pairs.join(' ')} -->`;
}

/** Whether a comment or issue body is the one a marker names: the marker opens the body. */
export function hasMarker(body: string | null | undefined, marker: string): boolean {
  return !!body && body.trimStart().startsWith(marker);
}

/** GitHub refuses bodies over 65,536 characters: cut at a line, saying so, keeping the marker at the top. */
export function fitBody(lines: string[], limit = 65_000): string {
  const body = lines.join('\n');
  if (body.length <= limit) return body;
  const cut = body.slice(0, limit - 80);
  const note = "… (cut to fit GitHub's size limit: the full writeup is linked above)";
  return `${cut.slice(0, cut.lastIndexOf('\n'))}\n\n${note}\n`;
}
