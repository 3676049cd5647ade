import { UsageError } from '../../errors.js';
import { githubSettings } from '../../github/settings.js';
import { githubActionsConfig, loadFleetConfig } from './config.js';
import { GitHubActionsRunner } from './github-actions.js';
import { KubernetesRunner } from './kubernetes.js';
import { LocalRunner } from './local.js';
import { runnerNames, type Runner } from './types.js';

export interface RunnerSetup {
  repoRoot: string;
  cache: string;
  /** --fleet-config (default: perfbisect.fleet.yml at the repository's root). */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** `--runner <name>`: the runner, its settings read and checked here, before anything is measured. */
export function createRunner(name: string, s: RunnerSetup): Runner {
  const env = s.env ?? process.env;
  switch (name) {
    case 'local':
      return new LocalRunner({ repoRoot: s.repoRoot, cache: s.cache, env: env as Record<string, string> });
    case 'github-actions': {
      const config = githubActionsConfig(loadFleetConfig(s.configFile, s.repoRoot));
      const poll = env.PERFBISECT_FLEET_POLL_MS ? Number(env.PERFBISECT_FLEET_POLL_MS) : undefined;
      return new GitHubActionsRunner({
        settings: githubSettings('--runner github-actions', env),
        config,
        pollMs: poll,
      });
    }
    case 'kubernetes': {
      const config = loadFleetConfig(s.configFile, s.repoRoot).kubernetes;
      if (!config) {
        throw new UsageError(
          '--runner kubernetes needs a kubernetes section in perfbisect.fleet.yml (at least its image): ' +
            'write one with ' +
            'perfbisect init fleet --runner kubernetes --image <image>.',
        );
      }
      const poll = env.PERFBISECT_FLEET_POLL_MS ? Number(env.PERFBISECT_FLEET_POLL_MS) : undefined;
      return new KubernetesRunner({ config, env, pollMs: poll });
    }
    default:
      throw new UsageError(`--runner ${name}: not a runner. Runners: ${runnerNames.join(', ')}.`);
  }
}
