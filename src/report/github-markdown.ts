import { plainLine } from './escape.js';

/*
 * What GitHub comments and issues need besides Markdown escaping (md, mdCode and mdFence in
 * escape.ts, the one Markdown escaper): plain-text titles, hidden markers, the size limit.
 */

/** An issue title: plain text (GitHub does not render Markdown there), one line, within GitHub's 256 characters. */
export function ghTitle(text: string, max = 256): string {
  const t = plainLine(text).trim();
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
