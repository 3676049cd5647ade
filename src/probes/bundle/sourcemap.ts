/**
 * Bytes of a generated file attributed to the source modules its source map names, the way
 * source-map-explorer does: every generated column range belongs to the source of the mapping
 * segment it starts with; bytes no segment covers are "[unmapped]". Pure: text and map in, bytes out.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decode one segment's base64 VLQ fields. */
export function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64_INDEX.get(ch);
    if (digit === undefined) throw new Error(`invalid VLQ character ${JSON.stringify(ch)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

export interface RawSourceMap {
  version?: number;
  sources: string[];
  sourceRoot?: string;
  mappings: string;
}

export const UNMAPPED = '[unmapped]';

/** Bytes per source module (UTF-8 bytes of the generated text), largest first. */
export function attributeBytes(code: string, map: RawSourceMap): Record<string, number> {
  const lines = code.split('\n');
  const mapLines = map.mappings.split(';');
  const bytes = new Map<string, number>();
  const add = (k: string, n: number) => n > 0 && bytes.set(k, (bytes.get(k) ?? 0) + n);
  let source = 0;
  lines.forEach((line, i) => {
    const newline = i < lines.length - 1 ? 1 : 0;
    const segs = (mapLines[i] ?? '').split(',').filter(Boolean);
    let col = 0;
    const starts: { col: number; source?: number }[] = [];
    for (const s of segs) {
      const f = decodeVlq(s);
      col += f[0];
      if (f.length >= 4) {
        source += f[1];
        starts.push({ col, source });
      } else {
        starts.push({ col });
      }
    }
    if (starts.length === 0) return add(UNMAPPED, Buffer.byteLength(line) + newline);
    add(UNMAPPED, Buffer.byteLength(line.slice(0, starts[0].col)));
    starts.forEach((s, k) => {
      const end = k + 1 < starts.length ? starts[k + 1].col : line.length;
      const name = s.source === undefined ? UNMAPPED : (map.sourceRoot ?? '') + (map.sources[s.source] ?? UNMAPPED);
      add(name, Buffer.byteLength(line.slice(s.col, end)) + (k + 1 === starts.length ? newline : 0));
    });
  });
  return Object.fromEntries([...bytes].sort((a, b) => b[1] - a[1]));
}

/** The map a generated file points at: `//# sourceMappingURL=` (a file next to it), else `<file>.map`. */
export function sourceMapPath(file: string, code: string): string | undefined {
  const m = /\/\/[#@]\s*sourceMappingURL=([^\s'"]+)\s*$/m.exec(code.slice(-2000));
  if (m && !m[1].startsWith('data:')) return file.replace(/[^/]*$/, '') + decodeURIComponent(m[1]);
  return undefined;
}

/** An inline `data:application/json;base64,` map, if the file carries one. */
export function inlineSourceMap(code: string): RawSourceMap | undefined {
  const m = /\/\/[#@]\s*sourceMappingURL=data:application\/json;(?:charset=[^;,]+;)?base64,([A-Za-z0-9+/=]+)\s*$/m.exec(code.slice(-5_000_000));
  if (!m) return undefined;
  return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as RawSourceMap;
}
