import * as v from 'valibot';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CommitFailure } from '../errors.js';
import { crossCheck, oneOf, strict, strList, text } from '../config/schema.js';
import { attributeBytes, inlineSourceMap, sourceMapPath, type RawSourceMap } from './bundle/sourcemap.js';
import { buildField } from './fields.js';
import type { Probe, ProbeContext, ProbeKind, Sample } from './types.js';

/** Where common build tools put what ships to the browser. */
export const bundlePresets = {
  dist: ['dist/**/*.js', 'dist/**/*.mjs', 'dist/**/*.cjs', 'dist/**/*.css'],
  next: ['.next/static/chunks/**/*.js', '.next/static/css/**/*.css'],
  vite: ['dist/assets/**/*.js', 'dist/assets/**/*.css'],
} as const;

const presetNames = Object.keys(bundlePresets) as (keyof typeof bundlePresets)[];

export const bundleSchema = v.pipe(
  strict({
    kind: v.literal('bundle'),
    build: buildField,
    files: v.pipe(
      v.optional(
        v.pipe(strList(), v.check((f) => f.length > 0, "is empty: give at least one pattern, like 'dist/**/*.js'")),
      ),
      v.description('glob patterns of the build output (a string or a list), relative to the repository root'),
    ),
    preset: v.pipe(
      v.optional(oneOf(presetNames)),
      v.description(
        "instead of `files`: `'dist'` (`dist/**/*.{js,mjs,cjs,css}`), `'next'` (`.next/static/chunks/**/*.js`, " +
          "`.next/static/css/**/*.css`), `'vite'` (`dist/assets/**/*.{js,css}`)",
      ),
    ),
    compression: v.pipe(
      v.optional(oneOf(['none', 'gzip', 'brotli'] as const), 'gzip'),
      v.description("which size is the metric: `'none'` (raw bytes), `'gzip'`, `'brotli'`"),
    ),
    metric: v.pipe(
      v.optional(text(), 'total'),
      v.description(
        "`'total'`, or one file: its path (`dist/main.js`), its name (`main.js`), or its entry name before a hash " +
          '(`main` matches `main-3f9a1c.js`)',
      ),
    ),
  }),
  crossCheck(
    'preset',
    (cfg) => !(cfg.files && cfg.preset),
    'and $parent.files both given: keep one (a preset is a list of files patterns)',
  ),
  crossCheck(
    'files',
    (cfg) => !!(cfg.files || cfg.preset),
    "is required: glob patterns of the build output, like files: ['dist/**/*.js'], or preset: 'dist' | 'next' | 'vite'",
  ),
  v.transform(({ kind, build, files, preset, compression, metric }) => ({
    kind,
    build,
    files: files ?? [...bundlePresets[preset!]],
    compression,
    metric,
  })),
);

export type BundleProbeConfig = v.InferOutput<typeof bundleSchema>;
export type Compression = BundleProbeConfig['compression'];

export interface FileSize {
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

/** What a commit's bundle-sizes.json holds (artifact kind 'bundle-sizes'): see docs/bundle-queries-heap.md. */
export interface BundleSizes {
  compression: Compression;
  metric: string;
  value: number;
  files: FileSize[];
  /** Per generated file, bytes by source module, where a source map exists. */
  sources: Record<string, Record<string, number>>;
}

/**
 * Bytes of the build output: raw, gzip and brotli per file (zlib, no external tool), summed or one
 * file. Deterministic: the same tree builds the same bytes, so one sample per commit.
 */
export const bundleProbe: ProbeKind<typeof bundleSchema> = {
  kind: 'bundle',
  describe: 'bytes of build output (raw, gzip or brotli; total or one file), with per-file and per-module evidence',
  schema: bundleSchema,
  create(cfg): Probe {
    const unit = cfg.compression === 'none' ? 'bytes' : `${cfg.compression} bytes`;
    return {
      kind: 'bundle',
      deterministic: true,
      build: cfg.build,
      metric: {
        name: cfg.metric === 'total' ? `bundle size (${unit})` : `${cfg.metric} (${unit})`,
        unit: 'B',
        better: 'lower',
      },
      async sample(ctx): Promise<Sample> {
        const sizes = await measureBundle(ctx, cfg);
        const file = join(ctx.artifactsDir, 'bundle-sizes.json');
        await ctx.writeFile!(file, JSON.stringify(sizes, null, 2) + '\n');
        ctx.artifact('bundle-sizes', file);
        const sum = (k: keyof Omit<FileSize, 'file'>) => sizes.files.reduce((a, f) => a + f[k], 0);
        return {
          value: sizes.value,
          details: { files: sizes.files.length, raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli') },
        };
      },
    };
  },
};

async function measureBundle(ctx: ProbeContext, cfg: BundleProbeConfig): Promise<BundleSizes> {
  const names = (await ctx.glob!(cfg.files)).filter((f) => !f.endsWith('.map'));
  if (names.length === 0)
    throw new CommitFailure(
      'probe',
      `no build output matches ${cfg.files.join(', ')} (did the build run? is files right?)`,
    );
  const files: FileSize[] = [];
  const sources: BundleSizes['sources'] = {};
  for (const name of names) {
    const buf = await ctx.readFile!(name);
    files.push({ file: name, ...sizesOf(buf) });
    const map = await readSourceMap(ctx, name, buf);
    if (map) sources[name] = attributeBytes(buf.toString('utf8'), map);
  }
  const chosen = cfg.metric === 'total' ? files : files.filter((f) => matchesEntry(f.file, cfg.metric));
  if (chosen.length === 0) {
    throw new CommitFailure(
      'probe',
      `metric '${cfg.metric}' matches none of the ${files.length} output files (${files
        .slice(0, 5)
        .map((f) => f.file)
        .join(', ')}${files.length > 5 ? ', …' : ''})`,
    );
  }
  const key = cfg.compression === 'none' ? 'raw' : cfg.compression;
  return {
    compression: cfg.compression,
    metric: cfg.metric,
    value: chosen.reduce((a, f) => a + f[key], 0),
    files,
    sources,
  };
}

export function sizesOf(buf: Buffer): Omit<FileSize, 'file'> {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

/** A file by path, file name, or entry name: 'main' matches main.js and main-3f9a1c.js. */
export function matchesEntry(file: string, metric: string): boolean {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return file === metric || base === metric || (base.startsWith(metric) && /^[.\-_]/.test(base.slice(metric.length)));
}

async function readSourceMap(ctx: ProbeContext, name: string, buf: Buffer): Promise<RawSourceMap | undefined> {
  if (!/\.(m?js|cjs|css)$/.test(name)) return undefined;
  const code = buf.toString('utf8');
  try {
    const inline = inlineSourceMap(code);
    if (inline) return inline;
    for (const p of [sourceMapPath(name, code), `${name}.map`]) {
      if (!p) continue;
      const text = await ctx.readFile!(p).then((b) => b.toString('utf8'), () => undefined);
      if (text) return JSON.parse(text) as RawSourceMap;
    }
  } catch (e) {
    ctx.warn(`${name}: source map unreadable (${(e as Error).message}); no per-module sizes for it`);
  }
  return undefined;
}
