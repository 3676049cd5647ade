/**
 * `npm run demo`: builds a small repository with a planted regression in a temp dir and bisects it,
 * so a newcomer sees perfbisect work in about a minute without a project of their own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'perfbisect-demo-'));
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Demo',
  GIT_AUTHOR_EMAIL: 'demo@example.com',
  GIT_COMMITTER_NAME: 'Demo',
  GIT_COMMITTER_EMAIL: 'demo@example.com',
};
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();

const lib = (slow: boolean) => `// A checksum over a buffer: the hot loop the benchmark exercises.
export function checksum(buf) {
  let h = 0;
  for (let i = 0; i < buf.length; i++) {
    h = (h * 31 + buf[i]) | 0;${slow ? '\n    h ^= JSON.parse(JSON.stringify({ h })).h; // "defensive copy"' : ''}
  }
  return h;
}
`;
const bench = `import { checksum } from './lib.js';
const buf = Buffer.alloc(1_000_000, 7);
const t0 = performance.now();
const h = checksum(buf);
console.log(JSON.stringify({ ms: performance.now() - t0, h }));
`;

git('init', '-q', '-b', 'main');
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(dir, 'lib.js'), lib(false));
writeFileSync(join(dir, 'bench.js'), bench);
writeFileSync(
  join(dir, 'probes.config.ts'),
  `import { defineConfig } from 'perfbisect';\n\nexport default defineConfig({\n  probes: {\n    checksum: { kind: 'command', run: 'node bench.js', metric: { name: 'ms', unit: 'ms', better: 'lower', field: 'ms' } },\n  },\n});\n`,
);
git('add', '-A');
git('commit', '-q', '-m', 'checksum: first version');
git('tag', 'v1.0');
const subjects = [
  'docs: usage',
  'refactor: names',
  'test: more cases',
  'feat: options',
  'checksum: defensive copy of state',
  'chore: deps',
  'docs: changelog',
  'fix: typo',
  'feat: stream input',
  'chore: release',
];
subjects.forEach((s, i) => {
  if (s.startsWith('checksum:')) writeFileSync(join(dir, 'lib.js'), lib(true));
  else writeFileSync(join(dir, `NOTES-${i}.md`), `${s}\n`);
  git('add', '-A');
  git('commit', '-q', '-m', s);
});
process.stdout.write(`demo repository: ${dir}\nplanted regression: "checksum: defensive copy of state"\n\n`);
process.chdir(dir);
const code = await main([
  '--good',
  'v1.0',
  '--bad',
  'HEAD',
  '--probe',
  'checksum',
  '--report',
  join(dir, 'writeup.md'),
  ...process.argv.slice(2),
]);
process.stdout.write(`\nwriteup: ${join(dir, 'writeup.md')}\n`);
process.exit(code);
