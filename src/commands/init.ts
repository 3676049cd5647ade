import { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { Repo } from '../harness/git.js';
import { commandErrors, parseWith } from './drift.js';

export const workflowPath = '.github/workflows/perfbisect-drift.yml';

/**
 * The weekly GitHub Actions job: full history (the window needs it), the store on its own branch
 * (pushed with the job's token), the writeup as the job summary. Exit 5 turns the job red.
 */
export function workflowYaml(o: { probe: string; branch: string; storeBranch: string; node: string }): string {
  return `# Written by \`perfbisect init ci\`: a weekly drift check (docs/drift.md).
name: perfbisect drift
on:
  schedule:
    - cron: '17 4 * * 1'
  workflow_dispatch: {}
permissions:
  contents: write
concurrency:
  group: perfbisect-drift
  cancel-in-progress: false
jobs:
  drift:
    runs-on: ubuntu-latest
    timeout-minutes: 120
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: '${o.node}'
      - run: npm ci
      - run: git config user.name "perfbisect" && git config user.email "perfbisect@users.noreply.github.com"
      - run: npx perfbisect drift --probe ${o.probe} --branch ${o.branch} --store git:${o.storeBranch} --report perfbisect-drift/report.md --json perfbisect-drift/result.json
        env:
          # Optional: an incoming-webhook URL (Slack or any JSON receiver) in the repository's secrets gets the alert.
          PERFBISECT_WEBHOOK: \${{ secrets.PERFBISECT_WEBHOOK }}
      - if: always()
        uses: actions/upload-artifact@v4
        with:
          name: perfbisect-drift
          path: perfbisect-drift/
`;
}

/** `perfbisect init ci`: write the workflow above into the repository. */
export async function run(argv: string[]): Promise<number> {
  const p = commandErrors(
    new Command('init')
      .argument('<what>', "what to set up: 'ci' (a GitHub Actions workflow for weekly drift checks)")
      .option('--probe <name>', 'the probe the weekly check measures', 'default')
      .option('--branch <name>', 'the branch to check', 'main')
      .option('--store-branch <name>', 'the orphan branch that keeps the history', 'perfbisect-data')
      .option('--node <version>', 'Node version of the job', '20')
      .option('--repo <dir>', 'the repository (default: the current directory)')
      .option('--force', 'overwrite an existing workflow'),
  );
  const early = parseWith(p, argv);
  if (early !== undefined) return early;
  if (p.args[0] !== 'ci') throw new UsageError(`init ${p.args[0]}: the only thing init sets up is 'ci'. Run perfbisect init ci.`);
  const o = p.opts<{ probe: string; branch: string; storeBranch: string; node: string; repo?: string; force?: boolean }>();
  for (const [flag, v] of [['--probe', o.probe], ['--branch', o.branch], ['--store-branch', o.storeBranch], ['--node', o.node]] as const) {
    if (!/^[\w][\w./-]*$/.test(v)) throw new UsageError(`${flag} ${v}: use letters, digits, '.', '_', '-' or '/' only (it goes into the workflow's command line).`);
  }
  const repo = await Repo.open(o.repo ?? process.cwd());
  const file = join(repo.root, workflowPath);
  if (existsSync(file) && !o.force) throw new UsageError(`${relative(process.cwd(), file) || file} already exists: pass --force to overwrite it.`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, workflowYaml(o));
  process.stdout.write(`wrote ${file}: a weekly drift check of probe '${o.probe}' on ${o.branch}, history on branch ${o.storeBranch}. Commit it to enable it.\n`);
  return 0;
}
