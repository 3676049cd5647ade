import { xmlText as esc } from '../report/escape.js';
import type { FlameNode, ProfileAggregate } from './types.js';

export interface FlameGraphOptions {
  title: string;
  width?: number;
  /** Frames narrower than this many pixels are dropped (they would be unreadable slivers). */
  minWidth?: number;
}


/** Red for time gained at the culprit, blue for time lost, white-ish for unchanged (by share points). */
export function diffColor(deltaPoints: number): string {
  const t = Math.min(1, Math.abs(deltaPoints) / 20);
  const fade = Math.round(235 - 175 * t);
  return deltaPoints >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

/**
 * A differential flame graph, drawn by us as standalone SVG (no script, no network): the culprit's
 * merged call tree, each frame as wide as its time at the culprit and coloured by how much its
 * share of the time grew (red) or shrank (blue) against the same call path at the parent.
 * Frames of the culprit with no counterpart at the parent are new and show fully red.
 */
export function renderDiffFlameGraph(
  before: ProfileAggregate,
  after: ProfileAggregate,
  options: FlameGraphOptions,
): string {
  const width = options.width ?? 1200;
  const minWidth = options.minWidth ?? 0.5;
  const rowH = 18;
  const top = 40;
  const root = after.tree;
  const rects: string[] = [];
  let depthMax = 0;
  if (root && root.total > 0) {
    const scale = width / root.total;
    const walk = (n: FlameNode, b: FlameNode | undefined, x: number, depth: number) => {
      let cx = x;
      for (const c of [...n.children].sort((p, q) => p.name.localeCompare(q.name))) {
        const w = c.total * scale;
        if (w < minWidth) {
          cx += w;
          continue;
        }
        const bc = b?.children.find((k) => k.key === c.key);
        const shareAfter = c.total / root.total;
        const shareBefore = bc && before.tree && before.tree.total > 0 ? bc.total / before.tree.total : 0;
        const delta = (shareAfter - shareBefore) * 100;
        const [fn, file, line] = c.key.split('\u0000');
        const y = top + depth * rowH;
        depthMax = Math.max(depthMax, depth + 1);
        const ms = (v: number, runs: number) => (v / Math.max(1, runs)).toFixed(2);
        const label =
          `${fn}${file ? ` ${file}:${line}` : ''}: ${ms(c.total, after.runs)} ms/run (${(shareAfter * 100).toFixed(1)}%), ` +
          `parent ${bc ? `${ms(bc.total, before.runs)} ms/run (${(shareBefore * 100).toFixed(1)}%)` : 'no samples'}, ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} points`;
        const chars = Math.floor((w - 6) / 7);
        const text =
          chars >= 3
            ? `<text x="${(cx + 3).toFixed(1)}" y="${y + 13}">${esc(fn.length > chars ? fn.slice(0, chars - 1) + '…' : fn)}</text>`
            : '';
        rects.push(
          `<g><title>${esc(label)}</title><rect x="${cx.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 1}" fill="${bc ? diffColor(delta) : diffColor(100)}" stroke="#fff" stroke-width="0.5"/>${text}</g>`,
        );
        walk(c, bc, cx, depth + 1);
        cx += w;
      }
    };
    walk(root, before.tree, 0, 0);
  }
  const height = top + Math.max(1, depthMax) * rowH + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="4" y="16" font-size="14">${esc(options.title)}</text>`,
    `<text x="4" y="32" fill="#555">width: time at the culprit; colour: share of time grew (red) or shrank (blue) against the parent; hover for numbers</text>`,
    ...rects,
    rects.length ? '' : `<text x="4" y="${top + 14}">no samples</text>`,
    `</svg>`,
    '',
  ].join('\n');
}
