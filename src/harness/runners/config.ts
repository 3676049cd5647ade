import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { yaml } from '../../lazy-modules.js';
import { UsageError } from '../../errors.js';

/**
 * perfbisect.fleet.yml (or --fleet-config <file>): where the fleet's jobs run. Written by
 * `perfbisect init fleet`; every field has a default but the Kubernetes image.
 */
export interface FleetConfig {
  'github-actions'?: GitHubActionsConfig;
  kubernetes?: KubernetesConfig;
}

export interface GitHubActionsConfig {
  /** The workflow file that runs a round's jobs (written by `perfbisect init fleet --runner github-actions`). */
  workflow: string;
  /** The branch or tag whose workflow file runs (default: the repository's default branch). */
  ref?: string;
  /** Give up on a round's run after this long (it is cancelled). */
  'timeout-minutes': number;
}

export interface KubernetesConfig {
  /** An image with perfbisect, the repository's toolchain and (unless `clone` is set) a checkout of the repository. */
  image: string;
  /** Default: the kubeconfig context's namespace, in a cluster the pod's own, else "default". */
  namespace?: string;
  /** A container's resources: requests and limits of cpu and memory. */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  'node-selector'?: Record<string, string>;
  'service-account'?: string;
  /** The checkout inside the image (default: the image's working directory). */
  workdir?: string;
  /** Clone this URL into the pod first, instead of a checkout baked into the image. */
  clone?: string;
  /** How the image starts perfbisect (default "perfbisect"; e.g. "npx perfbisect"). */
  perfbisect: string;
  /**
   * Where results come back: "logs" (the pod's log; the default), or a volume both the pods and
   * this machine see: { claim: <PersistentVolumeClaim>, mount: <path in the pod>, local: <path here> }.
   */
  results: 'logs' | { claim: string; mount: string; local: string };
  'timeout-minutes': number;
}

export const fleetConfigName = 'perfbisect.fleet.yml';

const ghDefaults = { workflow: 'perfbisect-fleet.yml', 'timeout-minutes': 360 };
const k8sDefaults = { perfbisect: 'perfbisect', results: 'logs' as const, 'timeout-minutes': 360 };

export function loadFleetConfig(explicit: string | undefined, repoRoot: string): FleetConfig {
  const file = explicit ? resolve(explicit) : join(repoRoot, fleetConfigName);
  if (!existsSync(file)) {
    if (explicit) throw new UsageError(`--fleet-config ${explicit}: no such file.`);
    return {};
  }
  let raw: unknown;
  try {
    raw = yaml().parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateFleetConfig(raw ?? {}, file);
}

export function validateFleetConfig(raw: unknown, where: string): FleetConfig {
  const bad = (path: string, what: string): never => {
    throw new UsageError(`invalid fleet config ${where}: ${path} ${what}.`);
  };
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) bad(path, 'must be a mapping');
    return v as Record<string, unknown>;
  };
  const only = (v: Record<string, unknown>, path: string, keys: string[]) => {
    for (const k of Object.keys(v))
      if (!keys.includes(k)) bad(`${path}.${k}`, `is not a field (known: ${keys.join(', ')})`);
  };
  const str = (v: unknown, path: string) =>
    typeof v === 'string' && v.trim() ? v : bad(path, 'must be a non-empty string');
  const minutes = (v: unknown, path: string) =>
    typeof v === 'number' && v > 0 ? v : bad(path, 'must be a number of minutes above 0');
  const strings = (v: unknown, path: string) => {
    const m = obj(v, path);
    for (const [k, x] of Object.entries(m)) str(x, `${path}.${k}`);
    return m as Record<string, string>;
  };
  const top = obj(raw, 'the file');
  only(top, 'the file', ['github-actions', 'kubernetes']);
  const out: FleetConfig = {};
  if (top['github-actions'] !== undefined) {
    const g = obj(top['github-actions'], 'github-actions');
    only(g, 'github-actions', ['workflow', 'ref', 'timeout-minutes']);
    out['github-actions'] = {
      ...ghDefaults,
      ...(g.workflow !== undefined ? { workflow: str(g.workflow, 'github-actions.workflow') } : {}),
      ...(g.ref !== undefined ? { ref: str(g.ref, 'github-actions.ref') } : {}),
      ...(g['timeout-minutes'] !== undefined
        ? { 'timeout-minutes': minutes(g['timeout-minutes'], 'github-actions.timeout-minutes') }
        : {}),
    };
  }
  if (top.kubernetes !== undefined) {
    const k = obj(top.kubernetes, 'kubernetes');
    only(k, 'kubernetes', [
      'image',
      'namespace',
      'resources',
      'node-selector',
      'service-account',
      'workdir',
      'clone',
      'perfbisect',
      'results',
      'timeout-minutes',
    ]);
    let results: KubernetesConfig['results'] = 'logs';
    if (k.results !== undefined && k.results !== 'logs') {
      const r = obj(k.results, 'kubernetes.results');
      only(r, 'kubernetes.results', ['claim', 'mount', 'local']);
      results = {
        claim: str(r.claim, 'kubernetes.results.claim'),
        mount: str(r.mount, 'kubernetes.results.mount'),
        local: str(r.local, 'kubernetes.results.local'),
      };
    }
    const resources = k.resources === undefined ? undefined : obj(k.resources, 'kubernetes.resources');
    if (resources) only(resources, 'kubernetes.resources', ['requests', 'limits']);
    out.kubernetes = {
      ...k8sDefaults,
      image: str(k.image, 'kubernetes.image'),
      ...(k.namespace !== undefined ? { namespace: str(k.namespace, 'kubernetes.namespace') } : {}),
      ...(resources
        ? {
            resources: {
              ...(resources.requests !== undefined
                ? { requests: strings(resources.requests, 'kubernetes.resources.requests') }
                : {}),
              ...(resources.limits !== undefined
                ? { limits: strings(resources.limits, 'kubernetes.resources.limits') }
                : {}),
            },
          }
        : {}),
      ...(k['node-selector'] !== undefined
        ? { 'node-selector': strings(k['node-selector'], 'kubernetes.node-selector') }
        : {}),
      ...(k['service-account'] !== undefined
        ? { 'service-account': str(k['service-account'], 'kubernetes.service-account') }
        : {}),
      ...(k.workdir !== undefined ? { workdir: str(k.workdir, 'kubernetes.workdir') } : {}),
      ...(k.clone !== undefined ? { clone: str(k.clone, 'kubernetes.clone') } : {}),
      ...(k.perfbisect !== undefined ? { perfbisect: str(k.perfbisect, 'kubernetes.perfbisect') } : {}),
      results,
      ...(k['timeout-minutes'] !== undefined
        ? { 'timeout-minutes': minutes(k['timeout-minutes'], 'kubernetes.timeout-minutes') }
        : {}),
    };
  }
  return out;
}

export function githubActionsConfig(c: FleetConfig): GitHubActionsConfig {
  return c['github-actions'] ?? { ...ghDefaults };
}
