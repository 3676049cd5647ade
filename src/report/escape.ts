/**
 * Text from a repository (commit subjects, author names, file and function names, build and probe
 * logs) is untrusted: each output kind has exactly one escaper here, and every renderer uses it.
 *
 * - terminal (plain lines, the live UI, CLI errors and log tails): termText
 * - Markdown (the writeup, drift reports, $GITHUB_STEP_SUMMARY, GitHub comments and issues): md, mdCode, mdFence
 * - Slack-compatible webhook text: slackText
 * - SVG, XML and HTML: xmlText
 */

/* eslint-disable no-control-regex */
/** CSI (colours, cursor moves), OSC (titles, hyperlinks), DCS/PM/APC strings, and two-character escapes. */
const ESCAPE_SEQUENCE = new RegExp(
  [
    '\\x1b\\[[0-?]*[ -/]*[@-~]',
    '\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)?',
    '\\x1b[PX^_][^\\x1b]*(?:\\x1b\\\\)?',
    '\\x1b[@-Z\\\\-_]?',
  ].join('|'),
  'g',
);

/** C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides ("Trojan source"). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/** For a terminal: escape sequences (colours, cursor moves, titles, hyperlinks) and control characters removed. */
export function termText(text: string): string {
  return String(text).replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/** One line of plain text (an issue title, a Slack line): terminal-clean, line breaks folded into spaces. */
export function plainLine(text: string): string {
  return termText(String(text).replace(/\s*[\r\n]+\s*/g, ' '));
}

const zwsp = '\u200b';
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Markdown text (a paragraph, a heading, a table cell) that renders as exactly that text, on one
 * line, cut to `max` characters before its escapes: no emphasis, link written as Markdown, image,
 * HTML, entity, math, heading, list marker, code block or broken table (GitHub still links bare
 * URLs). GitHub finds @mentions and #123 references after rendering, where a backslash no longer
 * counts, so those get a zero-width space: nobody is notified by a subject.
 *
 * Only what can act is escaped, so the raw file reads as the subject did (`fix(parser): mixed-in`):
 * the characters that act anywhere in a line (emphasis, code, links, HTML, tables, strikethrough,
 * math, headings' closing marks); `&` where it starts an entity; and the markers that act only at a
 * line's start (lists, quotes, setext underlines, thematic breaks), there only. `!` and `(` make an
 * image or link only beside an escaped `[` or `]`, and `>` a tag only after an escaped `<`.
 */
export function md(text: string, max = 200): string {
  // Leading blanks would make an indented code block of a line it starts.
  return cut(plainLine(text).trimStart(), max)
    .replace(/@(?=[\w-])/g, `@${zwsp}`)
    .replace(/#(?=\d)/g, `#${zwsp}`)
    .replace(/\b(GH-)(?=\d)/gi, `$1${zwsp}`)
    .replace(/[\\`*_[\]<#|~$]/g, (c) => `\\${c}`)
    .replace(/&(?=#?\w+;)/g, '\\&')
    // A list item's marker needs a blank after it; a thematic break or setext underline is all markers.
    .replace(/^(?:[-+](?=\s|$)|[-+=](?=[-+=\s]*$)|>)/, (c) => `\\${c}`)
    .replace(/^(\d+)([.)])(?=\s|$)/, '$1\\$2');
}

/**
 * A name (a ref, a file, a function, a query) as a whole inline code span: shown literally, so
 * nothing inside is Markdown, a mention or a link. The fence is one backtick longer than any run
 * inside; in a table cell `|` still needs its escape (`inTable`).
 */
export function mdCode(text: string, options: { inTable?: boolean; max?: number } = {}): string {
  let t = cut(plainLine(text), options.max ?? 200);
  if (!t) return '';
  if (options.inTable) t = t.replace(/\|/g, '\\|');
  const fence = '`'.repeat(Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = /^[`\s]|[`\s]$/.test(t) ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/**
 * A fenced code block holding `text` as it is (a command line, a log): its fence outgrows any run of backticks inside.
 */
export function mdFence(text: string, lang = ''): string[] {
  const clean = termText(String(text).replace(/\r\n?/g, '\n'));
  const fence = '`'.repeat(Math.max(3, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return [`${fence}${lang}`, clean, fence];
}

/**
 * Slack's message text: `&`, `<` and `>` escaped as Slack's formatting rules require, so
 * `<!channel>`, `<@U123>` and `<https://x|text>` in a commit subject stay text.
 */
export function slackText(text: string): string {
  return plainLine(text).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** SVG, XML and HTML text or attribute values: markup escaped, characters XML 1.0 forbids removed. */
export function xmlText(text: string): string {
  return termText(text)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
