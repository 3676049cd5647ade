import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { ActionsApi } from '../../github/actions.js';
import { GitHubClient } from '../../github/client.js';
import { githubSettings } from '../../github/settings.js';
import type { FetchBuild } from './prepare.js';
import { extractZip, unpackTarball } from './unzip.js';

/** `github-actions:<workflow>/<artifact>`: which workflow's runs hold a commit's build, under which artifact name. */
export function parseArtifactsSource(spec: string): { workflow: string; artifact: string } {
  const m = /^github-actions:([^/\s]+)\/([^/\s]+)$/.exec(spec);
  if (!m) {
    throw new UsageError(
      `--artifacts ${spec}: give github-actions:<workflow>/<artifact>, like --artifacts github-actions:ci.yml/dist ` +
        '(the workflow file that builds each commit, and the name its upload-artifact step gives the build output).',
    );
  }
  return { workflow: m[1], artifact: m[2] };
}

/**
 * A commit's build output from the successful run of a CI workflow for that commit (mozregression
 * and cargo-bisect-rustc owe their speed to this): downloaded and unpacked into the worktree. Where
 * no run or no artifact exists (or it expired) the commit is built as usual.
 */
export function ciBuildSource(spec: string, env: NodeJS.ProcessEnv = process.env): FetchBuild {
  const { workflow, artifact } = parseArtifactsSource(spec);
  const api = new ActionsApi(new GitHubClient(githubSettings('--artifacts', env)));
  return async (sha, dir) => {
    for (const run of await api.runsFor(workflow, sha)) {
      const found = (await api.artifacts(run.id, artifact)).find((a) => a.name === artifact && !a.expired);
      if (!found) continue;
      const zip = await api.download(found);
      // Unpacked beside the worktree first: a damaged archive must not leave half a build in it.
      const tmp = mkdtempSync(join(tmpdir(), 'pb-artifact-'));
      try {
        await unpackTarball(tmp, extractZip(zip, tmp));
        cpSync(tmp, dir, { recursive: true, verbatimSymlinks: true });
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      return { source: `${workflow} run ${run.id}, artifact ${artifact}` };
    }
    return undefined;
  };
}
