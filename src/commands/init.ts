import { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { Repo } from '../harness/git/git.js';
import { commandErrors, parseWith } from './drift.js';
import { fleetConfigName } from '../harness/runners/config.js';

export const workflowPath = '.github/workflows/perfbisect-drift.yml';

/**
 * The weekly GitHub Actions job: full history (the window needs it), the store on its own branch
 * (pushed with the job's token), the writeup as the job summary. Exit 5 turns the job red.
 */
export function workflowYaml(options: { probe: string; branch: string; storeBranch: string; node: string }): string {
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
          node-version: '${options.node}'
      - run: npm ci
      - run: git config user.name "perfbisect" && git config user.email "perfbisect@users.noreply.github.com"
      - run: npx perfbisect drift --probe ${options.probe} --branch ${options.branch} --store git:${options.storeBranch} --report perfbisect-drift/report.md --json perfbisect-drift/result.json
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

export const fleetWorkflowPath = '.github/workflows/perfbisect-fleet.yml';

/**
 * The workflow a fleet bisect dispatches once a round (docs/fleet.md): the plan and the matrix come
 * in as inputs, the run is named after the round's id (so perfbisect finds it), each matrix job runs
 * `perfbisect job` on its runner and uploads its folder as the artifact perfbisect downloads.
 */
export function fleetWorkflowYaml(options: {
  runsOn: string[];
  node: string;
  setup: string;
  perfbisect: string;
  timeout: number;
}): string {
  return `# Written by \`perfbisect init fleet --runner github-actions\`: the jobs of a bisect in rounds (docs/fleet.md).
# perfbisect starts it through the REST API (workflow_dispatch) once a round; do not rename the inputs.
name: perfbisect fleet
run-name: perfbisect \${{ inputs.id }}
on:
  workflow_dispatch:
    inputs:
      plan:
        description: The round's plan (written by perfbisect)
        required: true
      jobs:
        description: The matrix, the plan's job indexes as JSON
        required: true
      id:
        description: The round's id, by which perfbisect finds this run and its artifacts
        required: true
permissions:
  contents: read
jobs:
  job:
    name: perfbisect job \${{ matrix.index }}
    runs-on: [${options.runsOn.join(', ')}]
    timeout-minutes: ${options.timeout}
    strategy:
      fail-fast: false
      matrix:
        index: \${{ fromJSON(inputs.jobs) }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: '${options.node}'
${
  options.setup
    ? `      - run: ${options.setup}
`
    : ''
}      - name: Measure the job's commit beside the round's references
        env:
          PLAN: \${{ inputs.plan }}
          # Each job is its own machine: samples of two jobs are never compared with each other.
          PERFBISECT_MACHINE: \${{ runner.name }} \${{ github.run_id }}.\${{ strategy.job-index }}
        run: |
          printf '%s' "$PLAN" > "$RUNNER_TEMP/perfbisect-plan.json"
          ${options.perfbisect} job "$RUNNER_TEMP/perfbisect-plan.json" --index \${{ matrix.index }} --out perfbisect-job
      - if: always()
        uses: actions/upload-artifact@v4
        with:
          name: perfbisect-\${{ inputs.id }}-\${{ matrix.index }}
          path: perfbisect-job/
          retention-days: 7
          if-no-files-found: error
`;
}

/** perfbisect.fleet.yml's kubernetes section (docs/fleet.md). */
export function kubernetesConfigYaml(options: {
  image: string;
  namespace?: string;
  cpu?: string;
  memory?: string;
  perfbisect: string;
}): string {
  const resources =
    options.cpu || options.memory
      ? `  # Requests equal to limits: the pod gets the Guaranteed class, and other pods do not squeeze its CPU mid-measurement.
  resources:
    requests: {${[options.cpu && ` cpu: '${options.cpu}'`, options.memory && ` memory: '${options.memory}'`].filter(Boolean).join(',')} }
    limits: {${[options.cpu && ` cpu: '${options.cpu}'`, options.memory && ` memory: '${options.memory}'`].filter(Boolean).join(',')} }
`
      : '';
  return `# Written by \`perfbisect init fleet --runner kubernetes\`: where a fleet bisect's jobs run (docs/fleet.md).
kubernetes:
  # An image with perfbisect, the repository's toolchain and a checkout of the repository with its history
  # (or set clone: to a URL the pod can clone).
  image: '${options.image}'
${
  options.namespace
    ? `  namespace: '${options.namespace}'
`
    : ''
}${resources}  perfbisect: '${options.perfbisect}'
  # Results come back in the pods' logs; or from a volume both the pods and this machine mount:
  # results: { claim: perfbisect-results, mount: /results, local: /mnt/perfbisect-results }
  results: logs
  timeout-minutes: 360
`;
}

/** `perfbisect init ci` / `init fleet`: write the workflow or config into the repository. */
export async function run(argv: string[]): Promise<number> {
  const p = commandErrors(
    new Command('init')
      .argument(
        '<what>',
        "what to set up: 'ci' (a GitHub Actions workflow for weekly drift checks) or 'fleet' (where a bisect's jobs run)",
      )
      .option(
        '--runner <name>',
        "for fleet: 'github-actions' (writes the workflow) or 'kubernetes' (writes perfbisect.fleet.yml)",
      )
      .option(
        '--runs-on <labels>',
        "for fleet: the jobs' runner labels, comma-separated (self-hosted runners: e.g. self-hosted,linux,bench)",
        'ubuntu-latest',
      )
      .option(
        '--setup <command>',
        'for fleet: a step before the job, e.g. "npm ci" (where perfbisect is a devDependency)',
        'npm ci',
      )
      .option('--perfbisect <command>', 'for fleet: how the job starts perfbisect', 'npx perfbisect')
      .option('--image <image>', 'for fleet on kubernetes: the image the pods run')
      .option('--namespace <name>', 'for fleet on kubernetes: the namespace of the Jobs')
      .option('--cpu <quantity>', 'for fleet on kubernetes: CPU of each pod (requests = limits), e.g. 2')
      .option('--memory <quantity>', 'for fleet on kubernetes: memory of each pod, e.g. 4Gi')
      .option('--probe <name>', 'the probe the weekly check measures', 'default')
      .option('--branch <name>', 'the branch to check', 'main')
      .option('--store-branch <name>', 'the orphan branch that keeps the history', 'perfbisect-data')
      .option('--node <version>', 'Node version of the job', '20')
      .option('--repo <dir>', 'the repository (default: the current directory)')
      .option('--force', 'overwrite an existing workflow'),
  );
  const early = parseWith(p, argv);
  if (early !== undefined) return early;
  if (p.args[0] === 'fleet') return initFleet(p.opts());
  if (p.args[0] !== 'ci')
    throw new UsageError(
      `init ${p.args[0]}: init sets up 'ci' or 'fleet'. Run perfbisect init ci, or perfbisect init fleet --runner github-actions.`,
    );
  const options = p.opts<{
    probe: string;
    branch: string;
    storeBranch: string;
    node: string;
    repo?: string;
    force?: boolean;
  }>();
  for (const [flag, v] of [
    ['--probe', options.probe],
    ['--branch', options.branch],
    ['--store-branch', options.storeBranch],
    ['--node', options.node],
  ] as const) {
    if (!/^[\w][\w./-]*$/.test(v))
      throw new UsageError(
        `${flag} ${v}: use letters, digits, '.', '_', '-' or '/' only (it goes into the workflow's command line).`,
      );
  }
  const repo = await Repo.open(options.repo ?? process.cwd());
  const file = join(repo.root, workflowPath);
  if (existsSync(file) && !options.force)
    throw new UsageError(`${relative(process.cwd(), file) || file} already exists: pass --force to overwrite it.`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, workflowYaml(options));
  process.stdout.write(
    `wrote ${file}: a weekly drift check of probe '${options.probe}' on ${options.branch}, history on branch ${options.storeBranch}. Commit it to enable it.\n`,
  );
  return 0;
}

interface FleetInitOptions {
  runner?: string;
  runsOn: string;
  setup: string;
  perfbisect: string;
  node: string;
  image?: string;
  namespace?: string;
  cpu?: string;
  memory?: string;
  repo?: string;
  force?: boolean;
}

async function initFleet(options: FleetInitOptions): Promise<number> {
  const repo = await Repo.open(options.repo ?? process.cwd());
  const write = (rel: string, text: string, what: string) => {
    const file = join(repo.root, rel);
    if (existsSync(file) && !options.force)
      throw new UsageError(`${relative(process.cwd(), file) || file} already exists: pass --force to overwrite it.`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}: ${what}\n`);
  };
  const safe = (flag: string, v: string, pattern: RegExp) => {
    if (!pattern.test(v))
      throw new UsageError(`${flag} ${v}: use letters, digits and . _ - / : only (it goes into a YAML file).`);
    return v;
  };
  if (options.runner === 'github-actions') {
    const runsOn = options.runsOn.split(',').map((l) => safe('--runs-on', l.trim(), /^[\w.-]+$/));
    const setup = options.setup.trim();
    if (/[\n'"$`]/.test(setup) || /[\n'"$`]/.test(options.perfbisect)) throw new UsageError('--setup and --perfbisect: give a plain command, without quotes, $ or newlines.');
    write(
      fleetWorkflowPath,
      fleetWorkflowYaml({
        runsOn,
        node: safe('--node', options.node, /^[\w.]+$/),
        setup,
        perfbisect: options.perfbisect,
        timeout: 120,
      }),
      `the workflow a bisect with --runner github-actions starts once a round (jobs on ${runsOn.join(', ')}). Commit and push it to the default branch.`,
    );
    return 0;
  }
  if (options.runner === 'kubernetes') {
    if (!options.image)
      throw new UsageError(
        'init fleet --runner kubernetes needs --image <image>: an image with perfbisect, your toolchain and a checkout of the repository.',
      );
    const q = /^[\w.:/@-]+$/;
    write(
      fleetConfigName,
      kubernetesConfigYaml({
        image: safe('--image', options.image, q),
        namespace: options.namespace && safe('--namespace', options.namespace, /^[a-z0-9-]+$/),
        cpu: options.cpu && safe('--cpu', options.cpu, /^[\d.]+m?$/),
        memory: options.memory && safe('--memory', options.memory, /^\d+(\.\d+)?([EPTGMk]i?)?$/),
        perfbisect: options.perfbisect,
      }),
      'where a bisect with --runner kubernetes runs its jobs (one Indexed Job a round). Commit it with the repository.',
    );
    return 0;
  }
  throw new UsageError(
    `init fleet needs --runner github-actions or --runner kubernetes${options.runner ? `, not ${options.runner}` : ''}.`,
  );
}
