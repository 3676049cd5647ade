import { CommitFailure, ProbeTooSlow } from '../errors.js';
import { fail, isObject, noUnknownKeys, num, oneOf, str, strMap } from '../config/validate.js';
import type { Probe, ProbeKind, Sample } from './types.js';

export interface CommandProbeConfig {
  kind: 'command';
  run: string;
  build?: string;
  env?: Record<string, string>;
  timeout?: number;
  /** 'wall' (default) or 'cpu' time of the command, or a number it prints. */
  metric?: 'wall' | 'cpu' | { name: string; better: 'lower' | 'higher'; unit: string; pattern?: string; field?: string };
}

/**
 * Any command: its wall time, or a number it prints (a regex's first group, or a field of a JSON
 * last line). The command crashing is a probe failure: the commit is skipped, as with `git bisect
 * run`. A run stopped at the timeout is too slow: for wall time, a censored sample (at least the
 * timeout); a printed number it never printed cannot be bounded, so that run is reported too slow.
 */
export const commandProbe: ProbeKind<CommandProbeConfig> = {
  kind: 'command',
  describe: "any command's wall time, or a number it prints (pattern or JSON field)",
  validate(raw, path) {
    noUnknownKeys(raw, path, ['kind', 'run', 'build', 'env', 'timeout', 'metric']);
    const cfg: CommandProbeConfig = {
      kind: 'command',
      run: str(raw, 'run', path, { required: true })!,
      build: str(raw, 'build', path),
      env: strMap(raw, 'env', path),
      timeout: num(raw, 'timeout', path, { min: 0.001 }),
    };
    const m = raw.metric;
    if (m === 'wall' || m === 'cpu') cfg.metric = m;
    else if (m !== undefined) {
      if (!isObject(m)) {
        fail(`${path}.metric`, "must be 'wall', 'cpu', or an object like { name: 'ops/s', better: 'higher', pattern: 'ops/s: ([0-9.]+)' }");
      }
      const mp = `${path}.metric`;
      noUnknownKeys(m, mp, ['name', 'better', 'unit', 'pattern', 'field']);
      const pattern = str(m, 'pattern', mp);
      if (pattern !== undefined) {
        let re: RegExp;
        try {
          re = new RegExp(pattern);
        } catch (e) {
          fail(`${mp}.pattern`, `is not a valid regular expression: ${(e as Error).message}`);
        }
        if (!/\((?!\?)/.test(re.source)) fail(`${mp}.pattern`, 'needs a capture group around the number, like "ops/s: ([0-9.]+)"');
      }
      const name = str(m, 'name', mp, { required: true })!;
      cfg.metric = { name, better: oneOf(m, 'better', mp, ['lower', 'higher'] as const) ?? 'lower', unit: str(m, 'unit', mp) ?? '', pattern, field: str(m, 'field', mp) };
    }
    return cfg;
  },
  create(cfg): Probe {
    const m = cfg.metric ?? 'wall';
    return {
      kind: 'command',
      deterministic: false,
      build: cfg.build,
      metric: m === 'wall' ? { name: 'wall time', unit: 'ms', better: 'lower' } : m === 'cpu' ? { name: 'CPU time', unit: 'ms', better: 'lower' } : { name: m.name, unit: m.unit, better: m.better },
      async sample(ctx): Promise<Sample> {
        let r;
        try {
          r = await ctx.exec(cfg.run, { env: cfg.env, timeoutMs: cfg.timeout ? cfg.timeout * 1000 : undefined });
        } catch (e) {
          if (m === 'wall' && e instanceof ProbeTooSlow) return { value: e.timeoutMs, censored: true };
          throw e;
        }
        if (r.exitCode !== 0) {
          throw new CommitFailure('probe', `\`${cfg.run}\` exited with code ${r.exitCode}`, undefined, tail(r.stderr || r.stdout), 'crashed');
        }
        // Wall and CPU time are both kept: the noise report compares them, and says when CPU time would decide sooner.
        const details: Record<string, number> = r.cpuMs === undefined ? { wall: r.ms } : { wall: r.ms, cpu: r.cpuMs };
        if (m === 'wall') return { value: r.ms, details };
        if (m === 'cpu') {
          if (r.cpuMs === undefined) throw new CommitFailure('probe', "CPU time is not available here: metric 'cpu' needs bash 5 on PATH");
          return { value: r.cpuMs, details };
        }
        return { value: parseMetric(r.stdout, m) };
      },
    };
  },
};

export function parseMetric(stdout: string, m: { name: string; pattern?: string; field?: string }): number {
  if (m.pattern) {
    const matches = [...stdout.matchAll(new RegExp(m.pattern, 'g'))];
    const last = matches[matches.length - 1];
    const v = last ? Number(last[1]) : NaN;
    if (!Number.isFinite(v)) throw new CommitFailure('probe', `the output has no match for /${m.pattern}/ with a number in its first group`, undefined, tail(stdout));
    return v;
  }
  const field = m.field ?? m.name;
  const lines = stdout.trim().split('\n');
  try {
    const obj = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    const v = Number(field.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), obj));
    if (Number.isFinite(v)) return v;
  } catch {
    /* reported below */
  }
  throw new CommitFailure('probe', `the last line of output is not JSON with a numeric "${field}" field (or give metric.pattern)`, undefined, tail(stdout));
}

function tail(text: string, n = 10): string[] {
  return text.trimEnd().split('\n').slice(-n);
}
