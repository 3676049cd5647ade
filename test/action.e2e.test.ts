import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FakeGitHub, serveFake } from './fixtures/github-api.js';
import { FixtureRepo, sleeper, tempDir } from './fixtures/repo.js';

/**
 * action.yml: its metadata checked against the documented schema of action metadata (the composite
 * branch of SchemaStore's github-action.json, which follows GitHub's "Metadata syntax for GitHub
 * Actions"), then its steps run for real as the runner would run them: each `run` in
 * `bash --noprofile --norc -eo pipefail`, expressions filled in from the inputs, with GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY and RUNNER_TEMP in temp files and GitHub's API stood in for on 127.0.0.1.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as Record<string, any>;

const id = /^[_a-zA-Z][a-zA-Z0-9_-]*$/;
const stepKeys = ['run', 'shell', 'uses', 'with', 'name', 'id', 'if', 'env', 'working-directory', 'continue-on-error'];
const shells = ['bash', 'pwsh', 'python', 'sh', 'cmd', 'powershell'];

/** Problems with the metadata, by the schema's rules. */
function schemaProblems(a: Record<string, any>): string[] {
  const p: string[] = [];
  for (const k of ['name', 'description', 'runs']) if (!(k in a)) p.push(`missing ${k}`);
  for (const k of Object.keys(a)) if (!['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding'].includes(k)) p.push(`unknown key ${k}`);
  for (const k of ['name', 'description', 'author']) if (k in a && typeof a[k] !== 'string') p.push(`${k} is not a string`);
  for (const [name, input] of Object.entries<Record<string, unknown>>(a.inputs ?? {})) {
    if (!id.test(name)) p.push(`input id ${name}`);
    if (typeof input.description !== 'string') p.push(`input ${name}: no description`);
    if ('required' in input && typeof input.required !== 'boolean') p.push(`input ${name}: required is not a boolean`);
    if ('default' in input && typeof input.default !== 'string') p.push(`input ${name}: default is not a string`);
    for (const k of Object.keys(input)) if (!['description', 'required', 'default', 'deprecationMessage'].includes(k)) p.push(`input ${name}: unknown key ${k}`);
  }
  for (const [name, output] of Object.entries<Record<string, unknown>>(a.outputs ?? {})) {
    if (!id.test(name)) p.push(`output id ${name}`);
    // Composite actions must say where each output's value comes from.
    if (typeof output.description !== 'string' || typeof output.value !== 'string') p.push(`output ${name}: needs description and value`);
  }
  const runs = a.runs ?? {};
  if (runs.using !== 'composite') p.push('runs.using is not composite');
  if (!Array.isArray(runs.steps) || runs.steps.length === 0) p.push('runs.steps is empty');
  for (const k of Object.keys(runs)) if (!['using', 'steps'].includes(k)) p.push(`runs: unknown key ${k}`);
  for (const [i, s] of (runs.steps ?? []).entries()) {
    for (const k of Object.keys(s)) if (!stepKeys.includes(k)) p.push(`step ${i}: unknown key ${k}`);
    const isRun = typeof s.run === 'string';
    if (isRun === (typeof s.uses === 'string')) p.push(`step ${i}: needs exactly one of run and uses`);
    if (isRun && !shells.includes(s.shell)) p.push(`step ${i}: a run step of a composite action needs a shell`);
    if (s.env) for (const [k, v] of Object.entries(s.env)) if (typeof v !== 'string') p.push(`step ${i}: env ${k} is not a string`);
  }
  if (a.branding) {
    if (!['white', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'].includes(a.branding.color)) p.push('branding.color');
    if (typeof a.branding.icon !== 'string') p.push('branding.icon');
  }
  return p;
}

type Steps = Record<string, Record<string, string>>;

/** `${{ … }}` filled in from the contexts the action uses; anything else is a mistake. */
function evaluate(
  text: string,
  ctx: { inputs: Record<string, string>; steps: Steps; token: string; temp: string },
): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    let m: RegExpExecArray | null;
    if ((m = /^inputs\.([\w-]+)$/.exec(expr))) {
      if (!(m[1] in action.inputs)) throw new Error(`undeclared input ${m[1]}`);
      return ctx.inputs[m[1]] ?? evaluate(action.inputs[m[1]].default ?? '', ctx);
    }
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr))) return ctx.steps[m[1]]?.[m[2]] ?? '';
    if (expr === 'github.token') return ctx.token;
    if (expr === 'runner.temp') return ctx.temp;
    throw new Error(`unexpected expression ${expr}`);
  });
}

interface ActionRun {
  outputs: Record<string, string>;
  summary: string;
  steps: { name: string; exitCode: number; stdout: string }[];
  uploaded?: string;
}

/** Run the composite action's steps in order, as a runner does. */
async function runAction(
  inputs: Record<string, string>,
  o: { workspace: string; env: Record<string, string>; token: string },
): Promise<ActionRun> {
  const temp = tempDir('pb-runner-temp-');
  const summaryFile = join(temp, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const steps: Steps = {};
  const ran: ActionRun['steps'] = [];
  let failed = false;
  let uploaded: string | undefined;
  const ctx = { inputs, steps, token: o.token, temp };
  for (const [i, s] of (action.runs.steps as Record<string, any>[]).entries()) {
    expect([undefined, 'always()']).toContain(s.if);
    if (failed && s.if !== 'always()') continue;
    if (s.uses) {
      expect(s.uses).toMatch(/^actions\/upload-artifact@v4$/);
      uploaded = evaluate(s.with.path, ctx);
      continue;
    }
    expect(s.run).not.toContain('${{'); // inputs go through env, never into the script's text
    const outFile = join(temp, `output-${i}`);
    writeFileSync(outFile, '');
    const script = join(temp, `step-${i}.sh`);
    writeFileSync(script, s.run);
    const env = Object.fromEntries(Object.entries<string>(s.env ?? {}).map(([k, v]) => [k, evaluate(v, ctx)]));
    const r = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: join(o.workspace, evaluate(s['working-directory'] ?? '.', ctx)),
      reject: false,
      all: true,
      env: {
        ...o.env,
        ...env,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_ACTION_PATH: root,
        GITHUB_WORKSPACE: o.workspace,
        RUNNER_TEMP: temp,
        GITHUB_OUTPUT: outFile,
        GITHUB_STEP_SUMMARY: summaryFile,
      },
    });
    ran.push({ name: s.name, exitCode: r.exitCode ?? -1, stdout: r.all ?? '' });
    if (s.id)
      steps[s.id] = Object.fromEntries(
        readFileSync(outFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    if (r.exitCode !== 0) failed = true;
  }
  const outputs = Object.fromEntries(
    Object.entries<Record<string, string>>(action.outputs).map(([k, v]) => [k, evaluate(v.value, ctx)]),
  );
  return { outputs, summary: readFileSync(summaryFile, 'utf8'), steps: ran, uploaded };
}

describe('action.yml', () => {
  it('is valid action metadata: a composite action, described inputs and outputs, run steps with a shell', () => {
    expect(schemaProblems(action)).toEqual([]);
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['good', 'bad', 'probe', 'config', 'threshold', 'comment', 'issue']));
    // The checker itself catches what it should.
    expect(schemaProblems({ name: 'x', runs: { using: 'composite', steps: [{ run: 'echo' }, { uses: 'a/b@v1', run: 'x', shell: 'bash' }] }, inputs: { 'bad id!': {} } }))
      .toEqual(['missing description', 'input id bad id!', 'input bad id!: no description', 'step 0: a run step of a composite action needs a shell', 'step 1: needs exactly one of run and uses']);
    // Every step output an action output names is written by that step.
    const script = readFileSync(join(root, 'scripts/github-action.sh'), 'utf8');
    for (const [name, o] of Object.entries<{ value: string }>(action.outputs)) {
      const m = /^\$\{\{ steps\.perfbisect\.outputs\.([\w-]+) \}\}$/.exec(o.value);
      expect(m, name).not.toBeNull();
      expect(script, name).toMatch(new RegExp(`output ${m![1]} |${m![1]}=`));
    }
  });

  describe('runs for real', () => {
    const repo = new FixtureRepo();
    const shas = [repo.commit('initial: fast program', { ...sleeper(20), 'probes.config.ts': "export default { probes: { work: { kind: 'command', run: 'sh work.sh' } } };\n" })];
    repo.tag('v1');
    for (let i = 1; i <= 4; i++) shas.push(i === 2 ? repo.commit('render: draw every frame twice', sleeper(80)) : repo.commit(`change ${i}`, { [`n/${i}`]: `${i}\n` }));
    const fake = new FakeGitHub();
    let api: { url: string; close: () => Promise<void> };
    const cache = tempDir('pb-cache-');
    const env = () => ({
      PERFBISECT_CACHE_DIR: cache, GITHUB_REPOSITORY: fake.fullName, GITHUB_API_URL: api.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '77',
      PERFBISECT_GITHUB_BACKOFF_MS: '1', PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
    });
    beforeAll(async () => {
      api = await serveFake(() => fake.handlers());
      fake.pullRequest(5, [shas[2]]);
      for (const s of shas) if (!fake.commits.has(s)) fake.commit(s);
    });
    afterAll(async () => {
      await api.close();
      repo.cleanup();
    });

    it('bisects, comments on the pull request, sets its outputs, writes the job summary and leaves the files for the upload', async () => {
      const r = await runAction({ good: 'v1', probe: 'work', comment: 'true', args: '--no-profile --min-samples 5' }, { workspace: repo.dir, env: env(), token: fake.token });
      expect(r.steps.map((s) => [s.name, s.exitCode]), r.steps.map((s) => s.stdout).join('\n')).toEqual([
        ['Install perfbisect', 0], ['Run perfbisect', 0], ['Verdict', 0],
      ]);
      expect(r.outputs).toMatchObject({ 'exit-code': '0', status: 'found', culprit: shas[2] });
      expect(r.outputs.report).toBe(join(r.uploaded!, 'writeup.md'));
      expect(existsSync(join(r.uploaded!, 'writeup.md')) && existsSync(join(r.uploaded!, 'result.json'))).toBe(true);
      expect(r.summary).toMatch(/^## Performance regression: render: draw every frame twice/);
      expect(r.summary).not.toMatch(/^!\[/m);
      expect(fake.commentsOn(5)).toHaveLength(1);
      expect(fake.commentsOn(5)[0].body).toContain(shas[2]);
      expect(r.steps[1].stdout).toMatch(/^perfbisect --good v1 --bad HEAD --no-tui --probe work --github-comment --no-profile --min-samples 5 --json /m);

      // Run again, with fail-on-regression: the same single comment, and a red step.
      const again = await runAction({ good: 'v1', probe: 'work', comment: 'true', args: '--no-profile --min-samples 5', 'fail-on-regression': 'true' }, { workspace: repo.dir, env: env(), token: fake.token });
      expect(again.steps.map((s) => s.exitCode)).toEqual([0, 0, 1]);
      expect(again.steps[2].stdout).toContain('::error title=perfbisect::a regression was found (exit 0)');
      expect(fake.commentsOn(5)).toHaveLength(1);
    });

    it('turns a usage error into a failed step with its exit code, after the upload', async () => {
      const r = await runAction({ good: 'no-such-tag', args: '--no-profile' }, { workspace: repo.dir, env: env(), token: fake.token });
      expect(r.outputs['exit-code']).toBe('2');
      expect(r.steps.map((s) => s.exitCode)).toEqual([0, 0, 2]);
      expect(r.steps[2].stdout).toContain('::error title=perfbisect::perfbisect exited with 2');
      const bad = await runAction({ good: 'v1', comment: 'yes' }, { workspace: repo.dir, env: env(), token: fake.token });
      expect(bad.outputs['exit-code']).toBe('2');
      expect(bad.steps[1].stdout).toContain("::error title=perfbisect::the COMMENT input must be true or false, got 'yes'");
      const both = await runAction({ good: 'v1', probe: 'work', command: 'sh work.sh' }, { workspace: repo.dir, env: env(), token: fake.token });
      expect(both.steps[1].stdout).toContain('::error title=perfbisect::give the probe input or the command input, not both');
      expect(both.steps.map((s) => s.exitCode)).toEqual([0, 0, 2]);
    });
  });
});
