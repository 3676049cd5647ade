/**
 * The docs tables of config fields, read off the schemas: a field's meaning is its `v.description`,
 * its default the `v.optional` default (or `facts({ default })` where it is computed at run time).
 * README.md and docs/*.md hold each table between `<!-- fields: <name> -->` and `<!-- /fields -->`;
 * `npm run docs:fields` rewrites them and a test fails when they are stale.
 */
import type * as v from 'valibot';
import { probeKinds } from '../probes/index.js';
import { serverEntries } from '../probes/server.js';
import { configSchema } from './config.js';
import { strict, type FieldFacts } from './schema.js';

interface FieldRow {
  name: string;
  required: boolean;
  default: string;
  meaning: string;
  group?: FieldFacts['group'];
}

type Schema = v.GenericSchema & {
  pipe?: readonly (v.GenericSchema | { kind: string; type: string; description?: string; metadata?: FieldFacts })[];
  wrapped?: v.GenericSchema;
  default?: unknown;
  entries?: Record<string, v.GenericSchema>;
  options?: readonly v.GenericSchema[];
};

/** The tables, by the name in their marker. */
export const fieldTables: Record<string, v.GenericSchema> = {
  config: configSchema,
  server: strict(serverEntries),
  ...Object.fromEntries(Object.entries(probeKinds).map(([name, kind]) => [name, kind.schema])),
};

/** Where the fields of a group are described in full; other tables show them as one row. */
const groups: Record<NonNullable<FieldFacts['group']>, { home: string; row: string }> = {
  server: {
    home: 'server',
    row:
      'how the app is started, awaited and stopped: ' +
      'see [the server lifecycle](load-probes.md#server-lifecycle-every-load-probe)',
  },
  load: { home: 'http', row: 'the load, as for [`http`](load-probes.md#http-autocannon)' },
};

interface Unwrapped {
  inner: Schema;
  optional: boolean;
  fallback: unknown;
  meaning?: string;
  facts: FieldFacts;
}

/** A field's schema without its pipes and optional wrapper, with what they said about it. */
function unwrap(schema: Schema): Unwrapped {
  let meaning: string | undefined;
  const facts: FieldFacts = {};
  let optional = false;
  let fallback: unknown;
  let inner = schema;
  for (;;) {
    if (inner.pipe) {
      for (const item of inner.pipe.slice(1)) {
        if (item.type === 'description' && 'description' in item) meaning ??= item.description;
        if (item.type === 'metadata' && 'metadata' in item) Object.assign(facts, { ...item.metadata, ...facts });
      }
      inner = inner.pipe[0] as Schema;
    } else if (inner.type === 'optional' && inner.wrapped) {
      optional = true;
      fallback = inner.default;
      inner = inner.wrapped as Schema;
    } else {
      return { inner, optional, fallback, meaning, facts };
    }
  }
}

function formatDefault(value: unknown): string {
  const empty = typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  if (value === undefined || empty) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `\`'${value}'\``;
  return `\`${JSON.stringify(value)}\``;
}

/** Every field of an object schema (nested objects as `outer.inner`), or of each form of a dispatch. */
function rowsOf(schema: Schema, prefix = ''): FieldRow[] {
  const { inner } = unwrap(schema);
  if (inner.options) {
    const rows: FieldRow[] = [];
    for (const form of inner.options) {
      for (const row of rowsOf(form as Schema, prefix)) {
        if (!rows.some((r) => JSON.stringify(r) === JSON.stringify(row))) rows.push(row);
      }
    }
    return rows;
  }
  const rows: FieldRow[] = [];
  for (const [name, field] of Object.entries(inner.entries ?? {})) {
    if (!prefix && name === 'kind') continue;
    const { inner: value, optional, fallback, meaning, facts } = unwrap(field as Schema);
    if (value.type === 'never') continue;
    const nested = value.options?.some((option) => unwrap(option as Schema).inner.entries) || value.entries;
    if (meaning) {
      rows.push({
        name: prefix + name,
        required: !optional,
        default: facts.default ?? formatDefault(fallback),
        meaning,
        group: facts.group,
      });
    }
    if (nested) rows.push(...rowsOf(value, `${prefix}${name}.`));
  }
  return rows;
}

const tableRow = (cells: string[]) => `|${cells.map((c) => (c ? ` ${c.replaceAll('|', '\\|')} ` : ' ')).join('|')}|`;

/** The Markdown table of one marker's fields. */
export function fieldTable(name: string): string {
  const schema = fieldTables[name];
  if (!schema) throw new Error(`no field table named ${name} (known: ${Object.keys(fieldTables).join(', ')})`);
  const lines = ['| field | default | meaning |', '|---|---|---|'];
  const rows = rowsOf(schema as Schema);
  const shown = new Set<string>();
  for (const row of rows) {
    const group = row.group && groups[row.group].home !== name ? row.group : undefined;
    if (group) {
      if (shown.has(group)) continue;
      shown.add(group);
      const names = rows.filter((r) => r.group === group).map((r) => `\`${r.name}\`${r.required ? ' (required)' : ''}`);
      lines.push(tableRow([names.join(', '), '', groups[group].row]));
      continue;
    }
    lines.push(tableRow([`\`${row.name}\``, row.required ? 'required' : row.default, row.meaning]));
  }
  return lines.join('\n');
}

// The body stops at the first closing marker and never runs into the next table's opening one.
const marker = /<!-- fields: ([\w-]+) -->(?:(?!<!-- fields)[\s\S])*?<!-- \/fields -->/g;

/** The names of the tables a Markdown file holds. */
export function tablesIn(markdown: string): string[] {
  return [...markdown.matchAll(marker)].map((m) => m[1]);
}

/** The Markdown with every marked table regenerated from its schema. */
export function withFieldTables(markdown: string): string {
  const table = (name: string) => `<!-- fields: ${name} -->\n${fieldTable(name)}\n<!-- /fields -->`;
  return markdown.replace(marker, (_, name: string) => table(name));
}
