/**
 * Rewrites the config field tables in README.md and docs/*.md from the schemas (src/config/field-docs.ts).
 * Usage: npm run docs:fields
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withFieldTables } from '../src/config/field-docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
const files = ['README.md', ...docs.map((f) => join('docs', f))];
for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  const updated = withFieldTables(text);
  if (updated !== text) {
    writeFileSync(join(root, file), updated);
    console.log(`updated ${file}`);
  }
}
