import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError, UsageError } from '../../errors.js';
import { ActionsApi, type WorkflowRun } from '../../github/actions.js';
import { GitHubClient, GitHubError } from '../../github/client.js';
import type { GitHubSettings } from '../../github/settings.js';
import { encodePlan, type RoundPlan } from '../fleet/plan.js';
import { Interrupted } from '../measure/measurer.js';
import { extractZip } from '../build/unzip.js';
import type { GitHubActionsConfig } from './config.js';
import { readJobFolder } from './job-folder.js';
import type { JobOutcome, RoundContext, Runner } from './types.js';

/** The most a workflow_dispatch's inputs may hold together (GitHub's limit). */
const INPUTS_LIMIT = 65_535;

export interface GitHubActionsOptions {
  settings: GitHubSettings;
  config: GitHubActionsConfig;
  /** First wait between polls of a run (default 5 s, PERFBISECT_FLEET_POLL_MS); it grows to 12× that. */
  pollMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The artifact a matrix job uploads: the round's id and the job's index. */
export const artifactName = (roundId: string, index: number) => `perfbisect-${roundId}-${index}`;

/**
 * A round as one workflow_dispatch run of the fleet workflow (`perfbisect init fleet --runner
 * github-actions`): the plan and the matrix go in as inputs, each matrix job runs `perfbisect job`
 * on its runner and uploads its folder as an artifact. The run is found by its id (or, where GitHub
 * does not return it, by its run-name, which carries the round's id), watched with growing waits,
 * and cancelled if the bisect stops or gives up on it.
 */
export class GitHubActionsRunner implements Runner {
  readonly name = 'github-actions';
  private readonly api: ActionsApi;
  private readonly pollMs: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private ref?: string;

  constructor(private readonly options: GitHubActionsOptions) {
    this.api = new ActionsApi(new GitHubClient(options.settings));
    this.pollMs = options.pollMs ?? 5000;
    this.sleep = options.sleep ?? abortableSleep;
  }

  private get where(): string {
    return `${this.options.settings.owner}/${this.options.settings.repo}`;
  }

  async check(): Promise<void> {
    const workflow = this.options.config.workflow;
    const wf = await this.call(() => this.api.workflow(workflow), 'look up the workflow');
    if (!wf) {
      throw new UsageError(
        `github-actions: ${this.where} has no workflow ${workflow}: ` +
          'write it with perfbisect init fleet --runner github-actions, ' +
          'commit and push it to the default branch (or name yours in perfbisect.fleet.yml, github-actions.workflow).',
      );
    }
    if (wf.state !== 'active')
      throw new UsageError(
        `github-actions: the workflow ${workflow} in ${this.where} is ${wf.state.replace(/_/g, ' ')}: enable it first.`,
      );
    this.ref =
      this.options.config.ref ??
      (
        await this.call(
          () => this.api.client.get<{ default_branch: string }>(this.api.client.repoPath('')),
          'read the repository',
        )
      ).default_branch;
  }

  async runRound(plan: RoundPlan, ctx: RoundContext): Promise<JobOutcome[]> {
    if (!this.ref) await this.check();
    const roundId = `${plan.runId}-r${plan.round}-${randomBytes(3).toString('hex')}`;
    const inputs = { plan: encodePlan(plan), jobs: JSON.stringify(plan.jobs.map((j) => j.index)), id: roundId };
    const size = Object.values(inputs).reduce((n, v) => n + v.length, 0);
    if (size > INPUTS_LIMIT)
      throw new EnvironmentError(
        `github-actions: the round's plan takes ${size} characters, ` +
          `more than a workflow_dispatch holds (${INPUTS_LIMIT}): use fewer --runners.`,
      );
    const since = new Date(Date.now() - 2 * 60_000); // GitHub's clock and this one may differ a little
    const id =
      (await this.call(
        () => this.api.dispatch(this.options.config.workflow, this.ref!, inputs),
        'start the workflow',
      )) ?? (await this.findRun(roundId, since, ctx.signal));
    const deadline = Date.now() + this.options.config['timeout-minutes'] * 60_000;
    let run: WorkflowRun | undefined;
    try {
      run = await this.waitFor(id, deadline, ctx.signal);
    } finally {
      if (!run) await this.api.cancel(id).catch(() => undefined);
    }
    if (run.status !== 'completed') {
      return plan.jobs.map((j) => ({
        index: j.index,
        lost: `the run did not finish in ${this.options.config['timeout-minutes']} minutes and was cancelled`,
        where: run!.html_url,
      }));
    }
    const [jobs, artifacts] = await Promise.all([
      this.call(() => this.api.jobs(id), "list the run's jobs"),
      this.call(() => this.api.artifacts(id), "list the run's artifacts"),
    ]);
    const out: JobOutcome[] = [];
    for (const j of plan.jobs) {
      const job = jobs.find((x) => x.name === `perfbisect job ${j.index}` || x.name.endsWith(`(${j.index})`));
      const where = job?.html_url ?? run.html_url;
      const art = artifacts.find((a) => a.name === artifactName(roundId, j.index));
      if (!art || art.expired) {
        const state = job ? `the job ended ${job.conclusion ?? job.status}` : `the run ended ${run.conclusion}`;
        out.push({
          index: j.index,
          lost:
            `${state} and uploaded no artifact ${artifactName(roundId, j.index)}` +
            (art?.expired ? ' (it expired)' : ''),
          where,
        });
        continue;
      }
      const dir = join(ctx.dir, `job-${j.index}`);
      mkdirSync(dir, { recursive: true });
      try {
        extractZip(await this.call(() => this.api.download(art), 'download an artifact'), dir);
      } catch (e) {
        if (e instanceof EnvironmentError) throw e;
        out.push({ index: j.index, lost: `its artifact could not be unpacked: ${(e as Error).message}`, where });
        continue;
      }
      const failed = job && job.conclusion !== 'success' ? `the job ended ${job.conclusion}` : undefined;
      out.push(readJobFolder(j.index, dir, failed, where));
    }
    return out;
  }

  /** The run a dispatch started, by the round id in its title (GitHub Enterprise versions that return no run id). */
  private async findRun(roundId: string, since: Date, signal: AbortSignal): Promise<number> {
    const until = Date.now() + 3 * 60_000;
    for (let wait = this.pollMs; ; wait = Math.min(wait * 2, 12 * this.pollMs)) {
      const runs = await this.call(
        () => this.api.dispatchedRuns(this.options.config.workflow, since),
        "list the workflow's runs",
      );
      const run = runs.find((r) => r.display_title.includes(roundId));
      if (run) return run.id;
      if (signal.aborted) throw new Interrupted();
      if (Date.now() > until) {
        throw new EnvironmentError(
          `github-actions: the workflow ${this.options.config.workflow} was started ` +
            `but no run titled with ${roundId} appeared in 3 minutes: ` +
            'its run-name must include ${{ inputs.id }} (perfbisect init fleet writes it so).',
        );
      }
      await this.sleep(wait, signal);
    }
  }

  private async waitFor(id: number, deadline: number, signal: AbortSignal): Promise<WorkflowRun> {
    for (let wait = this.pollMs; ; wait = Math.min(wait * 1.5, 12 * this.pollMs)) {
      const run = await this.call(() => this.api.run(id), 'watch the run');
      if (run.status === 'completed' || Date.now() > deadline) return run;
      if (signal.aborted) throw new Interrupted();
      await this.sleep(wait, signal);
    }
  }

  /**
   * A GitHub call that failed for good, as one line that says what was being done (exit 4; a refused
   * token or a repository not found are the user's to fix: exit 2).
   */
  private async call<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof GitHubError)) throw e;
      const hint =
        e.status === 401
          ? ' Check the token in GITHUB_TOKEN.'
          : e.status === 403
            ? ' The token needs actions: write (to start runs) and actions: read.'
            : e.status === 404
              ? ` Check GITHUB_REPOSITORY=${this.where} and that the token can see it.`
              : '';
      const Err = e.status === 401 || e.status === 404 ? UsageError : EnvironmentError;
      throw new Err(`github-actions: could not ${what}: ${e.message}.${hint}`);
    }
  }
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
