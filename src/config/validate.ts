import { UsageError } from '../errors.js';

/** Small typed readers for user config: each mistake is one line naming the field and the fix. */
export function fail(path: string, message: string): never {
  throw new UsageError(`invalid config: ${path} ${message}`);
}

export function str(raw: Record<string, unknown>, key: string, path: string, opts: { required?: boolean } = {}): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (opts.required) fail(`${path}.${key}`, 'is required (a string)');
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '') fail(`${path}.${key}`, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(raw: Record<string, unknown>, key: string, path: string): boolean | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function num(raw: Record<string, unknown>, key: string, path: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.${key}`, `must be a number, got ${JSON.stringify(v)}`);
  if (opts.integer && !Number.isInteger(v)) fail(`${path}.${key}`, `must be a whole number, got ${v}`);
  if (opts.min !== undefined && v < opts.min) fail(`${path}.${key}`, `must be at least ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) fail(`${path}.${key}`, `must be at most ${opts.max}, got ${v}`);
  return v;
}

export function oneOf<T extends string>(raw: Record<string, unknown>, key: string, path: string, values: readonly T[]): T | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !values.includes(v as T)) fail(`${path}.${key}`, `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

export function strMap(raw: Record<string, unknown>, key: string, path: string): Record<string, string> | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) fail(`${path}.${key}`, 'must be an object of strings');
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') fail(`${path}.${key}.${k}`, `must be a string, got ${JSON.stringify(x)}`);
  return v as Record<string, string>;
}

export function strList(raw: Record<string, unknown>, key: string, path: string): string[] | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`${path}.${key}`, 'must be a string or a list of strings');
  return v as string[];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reject keys the kind does not know: a typo like `metrc` must not silently fall back to a default. */
export function noUnknownKeys(raw: Record<string, unknown>, path: string, known: readonly string[]): void {
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) fail(`${path}.${k}`, `is not a known field (known: ${known.join(', ')})`);
  }
}
