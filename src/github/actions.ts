import { type GitHubClient, GitHubError } from './client.js';

/**
 * The GitHub Actions REST calls a fleet makes: start a workflow (workflow_dispatch), find and watch
 * its run, list its jobs and artifacts, download an artifact, cancel a run. Shapes as GitHub's REST
 * reference documents them (Workflows, Workflow runs, Workflow jobs, Artifacts).
 */
export interface WorkflowRun {
  id: number;
  name: string | null;
  display_title: string;
  head_sha: string;
  event: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  created_at: string;
  run_attempt?: number;
}

export interface WorkflowJob {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  runner_name: string | null;
  labels: string[];
  html_url: string | null;
}

export interface Artifact {
  id: number;
  name: string;
  size_in_bytes: number;
  expired: boolean;
  archive_download_url: string;
  workflow_run?: { id?: number; head_sha?: string } | null;
}

export class ActionsApi {
  constructor(readonly client: GitHubClient) {}

  private path(suffix: string): string {
    return this.client.repoPath(`/actions${suffix}`);
  }

  /** The workflow by file name or id; undefined when the repository has no such workflow (404). */
  async workflow(id: string): Promise<{ id: number; name: string; path: string; state: string } | undefined> {
    try {
      return await this.client.get(this.path(`/workflows/${encodeURIComponent(id)}`));
    } catch (e) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * Start a workflow_dispatch run. GitHub answers with the run's id when asked (return_run_details);
   * a server that does not know that parameter (older GitHub Enterprise) is asked again without it,
   * and the run is then found by its title.
   */
  async dispatch(workflow: string, ref: string, inputs: Record<string, string>): Promise<number | undefined> {
    const path = this.path(`/workflows/${encodeURIComponent(workflow)}/dispatches`);
    try {
      const r = await this.client.post<{ workflow_run_id?: number } | undefined>(path, {
        ref,
        inputs,
        return_run_details: true,
      });
      return r?.workflow_run_id;
    } catch (e) {
      if (!(e instanceof GitHubError) || ![400, 422].includes(e.status) || !/return_run_details/.test(e.detail))
        throw e;
      await this.client.post(path, { ref, inputs });
      return undefined;
    }
  }

  /** Recent workflow_dispatch runs of a workflow (newest first), created at or after `since`. */
  async dispatchedRuns(workflow: string, since: Date): Promise<WorkflowRun[]> {
    const created = encodeURIComponent(`>=${since.toISOString().replace(/\.\d+Z$/, 'Z')}`);
    const r = await this.client.get<{ workflow_runs: WorkflowRun[] }>(
      this.path(
        `/workflows/${encodeURIComponent(workflow)}/runs?event=workflow_dispatch&created=${created}&per_page=50`,
      ),
    );
    return r.workflow_runs;
  }

  /** Successful runs of a workflow for one commit (newest first). */
  async runsFor(workflow: string, sha: string): Promise<WorkflowRun[]> {
    const r = await this.client.get<{ workflow_runs: WorkflowRun[] }>(
      this.path(`/workflows/${encodeURIComponent(workflow)}/runs?head_sha=${sha}&status=success&per_page=20`),
    );
    return r.workflow_runs;
  }

  run(id: number): Promise<WorkflowRun> {
    return this.client.get(this.path(`/runs/${id}`));
  }

  async jobs(runId: number): Promise<WorkflowJob[]> {
    const r = await this.client.get<{ jobs: WorkflowJob[] }>(this.path(`/runs/${runId}/jobs?per_page=100`));
    return r.jobs;
  }

  async artifacts(runId: number, name?: string): Promise<Artifact[]> {
    const q = name ? `&name=${encodeURIComponent(name)}` : '';
    const r = await this.client.get<{ artifacts: Artifact[] }>(
      this.path(`/runs/${runId}/artifacts?per_page=100${q}`),
    );
    return r.artifacts;
  }

  /** Stop a run (a bisect that was interrupted, or gave up waiting): nothing is left running. */
  async cancel(runId: number): Promise<void> {
    try {
      await this.client.post(this.path(`/runs/${runId}/cancel`), {});
    } catch (e) {
      // 409: the run has already finished.
      if (!(e instanceof GitHubError) || e.status !== 409) throw e;
    }
  }

  /**
   * An artifact's zip. GitHub answers with a redirect to a short-lived storage URL, which is
   * fetched without the token (it is signed, and the token must not go to another host).
   */
  async download(artifact: Artifact): Promise<Buffer> {
    const path = this.path(`/artifacts/${artifact.id}/zip`);
    const s = this.client.settings;
    const headers = {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${s.token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'perfbisect',
    };
    const first = await fetch(`${s.apiUrl}${path}`, {
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(60_000),
    });
    let res = first;
    if (first.status >= 300 && first.status < 400) {
      const location = first.headers.get('location');
      if (!location) throw new GitHubError(first.status, 'GET', path, 'a redirect without a location');
      res = await fetch(location, { signal: AbortSignal.timeout(300_000) });
    }
    if (!res.ok) {
      const why = res.status === 410 ? 'the artifact has expired' : (await res.text()).slice(0, 200);
      throw new GitHubError(res.status, 'GET', path, why);
    }
    return Buffer.from(await res.arrayBuffer());
  }
}
