/**
 * Text from a repository (commit subjects, author names, file and function names, build and probe
 * logs) is untrusted: each output kind has exactly one escaper here, and every renderer uses it.
 *
 * - terminal (plain lines, the live UI, CLI errors and log tails): termText
 * - Markdown (the writeup, drift reports, $GITHUB_STEP_SUMMARY): md, mdCode, mdFenced
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

/** One line of terminal text: newlines become spaces, so a value cannot forge a line of its own. */
const oneLine = (text: string) => termText(text).replace(/\s*\n\s*/g, ' ');

/**
 * Markdown text (a paragraph or a table cell): every character Markdown or HTML could read as
 * markup is backslash-escaped (tags, links, emphasis, table pipes, entities), on one line.
 */
export function md(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>|~&!#]/g, (c) => `\\${c}`);
}

/**
 * The content of an inline code span (`…`): shown literally, so only the characters that end the
 * span or a table cell need care (a backtick cannot be escaped inside a span: it becomes ').
 */
export function mdCode(text: string): string {
  return oneLine(text).replace(/`/g, "'").replace(/\|/g, '\\|');
}

/** The content of a fenced code block: a line of three backticks would end the block. */
export function mdFenced(text: string): string {
  return termText(text).replace(/```/g, "'''");
}

/**
 * Slack's message text: `&`, `<` and `>` escaped as Slack's formatting rules require, so
 * `<!channel>`, `<@U123>` and `<https://x|text>` in a commit subject stay text.
 */
export function slackText(text: string): string {
  return oneLine(text).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** SVG, XML and HTML text or attribute values: markup escaped, characters XML 1.0 forbids removed. */
export function xmlText(text: string): string {
  return termText(text)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
