/**
 * The house's field schemas (valibot), each with the one-line message a user reads for a mistake,
 * and `parseConfig`, which turns the first issue into `invalid config: <field path> <message>`.
 *
 * A config's one schema gives the runtime check (with the field's path), the TypeScript type
 * (`v.InferInput` is what users write, `v.InferOutput` what probes get) and the docs table
 * (`v.description` is the field's meaning, `v.optional`'s default its default; see field-docs.ts).
 *
 * A message may name a sibling field as `$parent.<name>`: the error line spells out its full path.
 */
import * as v from 'valibot';
import { UsageError } from '../errors.js';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as the user wrote it, for a message: `got "p98"`. */
export const got = (input: unknown) => JSON.stringify(input);

/** A non-empty string. */
export function text() {
  const message = (issue: v.BaseIssue<unknown>) => `must be a non-empty string, got ${got(issue.input)}`;
  return v.pipe(v.string(message), v.check((s) => s.trim() !== '', message));
}

export function bool() {
  return v.boolean((issue) => `must be true or false, got ${got(issue.input)}`);
}

export function num(limits: { min?: number; max?: number; integer?: boolean } = {}) {
  const { min = -Infinity, max = Infinity, integer = false } = limits;
  const notNumber = (issue: v.BaseIssue<unknown>) => `must be a number, got ${got(issue.input)}`;
  return v.pipe(
    v.number(notNumber),
    v.finite(notNumber),
    v.check((n) => !integer || Number.isInteger(n), (issue) => `must be a whole number, got ${issue.input}`),
    v.minValue(min, (issue) => `must be at least ${min}, got ${issue.input}`),
    v.maxValue(max, (issue) => `must be at most ${max}, got ${issue.input}`),
  );
}

export function oneOf<const T extends readonly string[]>(values: T) {
  const listed = values.map((x) => `'${x}'`).join(', ');
  return v.picklist(values, (issue) => `must be one of ${listed}, got ${got(issue.input)}`);
}

/** Environment variables and headers: names to strings. */
export function strMap() {
  const value = v.string((issue) => `must be a string, got ${got(issue.input)}`);
  return v.record(v.string(), value, 'must be an object of strings');
}

/** One string or a list of them; always a list after parsing. */
export function strList() {
  const message = 'must be a string or a list of strings';
  return v.pipe(
    v.union([v.string(), v.array(v.string())], message),
    v.transform((x): string[] => (typeof x === 'string' ? [x] : x)),
  );
}

/** A string that compiles as a regular expression. */
export function regex() {
  return v.pipe(
    text(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      try {
        new RegExp(dataset.value);
      } catch (e) {
        addIssue({ message: `is not a valid regular expression: ${(e as Error).message}` });
      }
    }),
  );
}

/**
 * An object that rejects fields it does not know: a typo like `metrc` must not silently fall back to
 * a default. A missing field "is required (a string)" unless `required` says more.
 */
export function strict<const E extends v.ObjectEntries>(
  entries: E,
  messages: { notObject?: string; required?: Partial<Record<keyof E, string>> } = {},
) {
  // A field that must stay absent (the other form's) is not offered as a known one.
  const known = Object.keys(entries).filter((key) => !isForbidden(entries[key])).join(', ');
  return v.strictObject(entries, (issue) => {
    if (issue.expected === 'never') return `is not a known field (known: ${known})`;
    if (issue.expected === 'Object') return messages.notObject ?? 'must be an object';
    const key = issue.path?.at(-1)?.key as keyof E;
    return messages.required?.[key] ?? 'is required (a string)';
  });
}

function isForbidden(schema: v.GenericSchema): boolean {
  const inner = schema.type === 'optional' ? (schema as v.OptionalSchema<v.GenericSchema, unknown>).wrapped : schema;
  return inner.type === 'never';
}

/**
 * A schema chosen by the shape of the input (the heap probe's scenario or server form). The options
 * stay listed so the docs show every field of every form.
 */
export function dispatch<const S extends readonly v.GenericSchema[]>(options: S, pick: (input: unknown) => S[number]) {
  return Object.assign(v.lazy(pick), { options });
}

/** A rule across fields, reported at `field`; its message may name the others as `$parent.<name>`. */
export function crossCheck<T extends Record<string, unknown>>(
  field: keyof T & string,
  ok: (cfg: T) => boolean,
  message: string,
) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed || ok(dataset.value)) return;
    const value = dataset.value;
    addIssue({ message, path: [{ type: 'object', origin: 'value', input: value, key: field, value: value[field] }] });
  });
}

/** What the docs table says about a field beyond its meaning and default. */
export type FieldFacts = {
  /** Shared fields (a server's), shown as one row in the tables of probes that only reuse them. */
  group?: 'server' | 'load';
  /** A default the schema cannot state, computed when the probe runs (Markdown). */
  default?: string;
};

export function facts<T>(fieldFacts: FieldFacts) {
  return v.metadata<T, FieldFacts>(fieldFacts);
}

/** The path of an issue under `root`: `probes.p99.requests[0].path`. */
export function issuePath(root: string, issue: v.BaseIssue<unknown>): string {
  let path = root;
  for (const item of issue.path ?? []) {
    const key = item.key;
    path += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  }
  return path;
}

/**
 * Check `raw` against `schema`; the first mistake becomes one line naming the field. An unknown
 * field is reported before anything else: a typo often explains a "required" one.
 */
export function parseConfig<S extends v.GenericSchema>(schema: S, raw: unknown, root: string): v.InferOutput<S> {
  const result = v.safeParse(schema, withoutNulls(raw));
  if (result.success) return result.output;
  const issue = result.issues.find((i) => i.expected === 'never') ?? result.issues[0];
  const path = issuePath(root, issue);
  const parent = path.slice(0, path.lastIndexOf('.'));
  throw new UsageError(`invalid config: ${path} ${issue.message.replaceAll('$parent', parent)}`);
}

/** A field set to null reads as absent, as in a config built from JSON or `process.env.X ?? null`. */
function withoutNulls(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
}
