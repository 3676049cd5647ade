import type { MetricInfo } from '../probes/types.js';
import { SIDE_BY_SIDE_ENOUGH } from '../bisect/outcome.js';

/** A metric value with its unit, at a precision a person reads (3 significant digits). */
export function fmtValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '–';
  if (unit === 'ms' && Math.abs(v) >= 1000) return `${sig(v / 1000)} s`;
  if (unit === 'ms' && Math.abs(v) < 1) return `${sig(v * 1000)} µs`;
  if (unit === 'ns' && Math.abs(v) >= 1e6) return `${sig(v / 1e6)} ms`;
  if (unit === 'ns' && Math.abs(v) >= 1e3) return `${sig(v / 1e3)} µs`;
  if (unit === 'B' || unit === 'bytes') return fmtBytes(v);
  return unit ? `${sig(v)} ${unit}` : sig(v);
}

export function sig(v: number, digits = 3): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 10 ** digits) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(digits)).toString();
}

export function fmtBytes(v: number): string {
  const a = Math.abs(v);
  if (a >= 1024 * 1024) return `${sig(v / 1024 / 1024)} MiB`;
  if (a >= 1024) return `${sig(v / 1024)} KiB`;
  return `${Math.round(v)} B`;
}

/** "+12.3%" from a ratio 1.123. */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '–';
  const pct = (r - 1) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(Math.abs(pct) < 10 ? 1 : 0)}%`;
}

/** A relative change with its sign: +12.3%, -4.0%. */
/**
 * A change the verdicts hold as "+ is worse", in the metric's own direction, as the endpoints and the
 * culprit are given: for requests/s a regression is a fall, −30%, not +30%.
 */
export function fmtChange(worse: number, better: 'lower' | 'higher'): string {
  return fmtSignedPct(better === 'higher' ? -worse : worse);
}

/** "[lo, hi]" of a "+ is worse" interval, in the metric's own direction (its ends swap for higher-is-better). */
export function fmtChangeInterval(c: { lo: number; hi: number }, better: 'lower' | 'higher'): string {
  const [a, b] = better === 'higher' ? [c.hi, c.lo] : [c.lo, c.hi];
  return `[${fmtChange(a, better)}, ${fmtChange(b, better)}]`;
}

export function fmtSignedPct(fraction: number): string {
  // An unbounded interval end (too few samples for a bound at that level) reads as "unbounded".
  if (!Number.isFinite(fraction)) return Number.isNaN(fraction) ? '–' : fraction > 0 ? '+∞' : '−∞';
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}

export function fmtPct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A confidence level with as many decimals as keep it from reading 100%: 95%, 99.5%, 99.92%. */
export function fmtConfidence(level: number): string {
  // A level of exactly 1 (deterministic probes) is certain, not "nearly 100%".
  if (level >= 1) return '100%';
  const missPct = Math.max(Number(((1 - level) * 100).toPrecision(6)), 1e-6);
  return `${(level * 100).toFixed(Math.max(0, Math.ceil(-Math.log10(missPct))))}%`;
}

export function fmtP(p: number): string {
  if (p < 1e-4) return 'p < 0.0001';
  return `p = ${p.toPrecision(2)}`;
}

export function direction(m: MetricInfo): string {
  return m.better === 'lower' ? 'lower is better' : 'higher is better';
}

export const short = (sha: string) => sha.slice(0, 10);

/** A clause as the start of a sentence: its first letter capitalised. */
export const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** `file:line`, or the file alone where the profiler gave no line (0: Go's pprof before 1.20). */
export const fileLine = (at: { file: string; line: number }) => (at.line ? `${at.file}:${at.line}` : at.file);

/** A subject cut at a word boundary, with an ellipsis, where it is longer than `max`. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  // The cut may already end a word (the next character is a space): then it keeps that word.
  const space = text[max - 1] === ' ' ? cut.length : cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space).trimEnd() : cut}…`;
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 59.5) return `${seconds.toFixed(seconds < 9.95 ? 1 : 0)} s`;
  // Rounded once, so 119.6 s reads 2m 0s and not 1m 60s.
  const whole = Math.round(seconds);
  const m = Math.floor(whole / 60);
  if (m < 60) return `${m}m ${whole % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/**
 * Which commit a culprit's change was measured against. A reader takes it for the parent unless told:
 * where no good commit could be moved up to (a range of merges), it can be the good end, many commits back.
 */
export function measuredBeside(before: string, parent: string | undefined, sideBySide?: boolean): string {
  // Figures from samples taken at different times say so: a machine that changed speed is in them.
  const apart = sideBySide === false;
  const [against, after] = apart
    ? [
      'sized from all samples of it and of',
      `, taken at different times (fewer than ${SIDE_BY_SIDE_ENOUGH} side by side: enough to show it slower, too few ` +
        'to size it)',
    ]
    : ['measured beside', ''];
  if (parent === undefined) return `${against} ${short(before)}${after}`;
  return before === parent
    ? `${against} its parent ${short(before)}${after}`
    : `${against} ${short(before)}, not its parent: the nearest commit shown good${after}`;
}

/**
 * An ambiguous result in words: where a culprit was found too, the suspects are a further step's, not
 * the regression's. `where`: the side of the line the culprits are shown on; skipped suspects marked.
 */
export function ambiguousText(
  suspects: readonly string[],
  culprits: number,
  where: 'above' | 'below',
  skipped: ReadonlySet<string> = new Set(),
): string {
  const which = culprits
    ? `besides the culprit${culprits === 1 ? '' : 's'} ${where}, a further step`
    : 'the regression';
  return `${which} is in one of: ${suspects.map((s) => (skipped.has(s) ? `${short(s)} (skipped)` : short(s))).join(', ')}`;
}
