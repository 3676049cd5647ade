import { fmtBytes } from '../format.js';

/** "+1.2 KiB" / "−300 B". */
export const signedBytes = (v: number) => (v > 0 ? '+' : v < 0 ? '−' : '') + fmtBytes(Math.abs(v));
