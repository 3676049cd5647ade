import { fmtBytes, sanitize } from '../format.js';

/** Text from a repository or a database, safe inside a Markdown table cell. */
export const cell = (text: string) => sanitize(text).replace(/\s+/g, ' ').replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);

/** Text safe inside a fenced code block. */
export const fenced = (text: string) => sanitize(text).replace(/```/g, "'''");

/** "+1.2 KiB" / "−300 B". */
export const signedBytes = (v: number) => (v > 0 ? '+' : v < 0 ? '−' : '') + fmtBytes(Math.abs(v));
