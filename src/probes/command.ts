import * as v from 'valibot';
import { CommitFailure, missingDependencyHint, ProbeTooSlow, tailLines } from '../errors.js';
import { dispatch, facts, isObject, oneOf, regex, strict, text } from '../config/schema.js';
import { buildField, envField, timeoutField, timeoutMs } from './fields.js';
import type { Probe, ProbeKind, Sample } from './types.js';
import { commandCautions } from './command-cautions.js';

const printedMetric = strict({
  name: v.pipe(text(), v.description('what the number is, for the writeup')),
  better: v.pipe(v.optional(oneOf(['lower', 'higher'] as const), 'lower'), v.description('which way is better')),
  unit: v.pipe(v.optional(v.string(), ''), v.description("the number's unit, like `ms` or `ops/s`")),
  pattern: v.pipe(
    v.optional(v.pipe(
      regex(),
      v.check((p) => /\((?!\?)/.test(p), 'needs a capture group around the number, like "ops/s: ([0-9.]+)"'),
    )),
    v.description('a regular expression whose first group is the number, taken from its last match'),
  ),
  field: v.pipe(
    v.optional(text()),
    v.description('a field (dotted path) of the JSON object on the last line of output; default: `name`'),
  ),
});

const timeMetric = v.picklist(
  ['wall', 'cpu'] as const,
  "must be 'wall', 'cpu', or an object like { name: 'ops/s', better: 'higher', pattern: 'ops/s: ([0-9.]+)' }",
);
const metric = dispatch([timeMetric, printedMetric], (input) => (isObject(input) ? printedMetric : timeMetric));

export const commandSchema = strict({
  kind: v.optional(v.literal('command'), 'command'),
  run: v.pipe(text(), v.description('the shell command, run in the commit\'s worktree')),
  build: buildField,
  env: envField,
  timeout: v.pipe(
    timeoutField,
    v.description(
      'seconds: a run past it is too slow; for wall time it counts as a censored sample of at least the timeout',
    ),
  ),
  metric: v.pipe(
    v.optional(metric),
    v.description(
      "`'wall'` (wall time), `'cpu'` (CPU time of the command and its children; needs bash 5), or a number it prints",
    ),
    facts({ default: "`'wall'`" }),
  ),
});

export type CommandProbeConfig = v.InferOutput<typeof commandSchema>;

/**
 * Any command: its wall time, or a number it prints (a regex's first group, or a field of a JSON
 * last line). The command crashing is a probe failure: the commit is skipped, as with `git bisect
 * run`. A run stopped at the timeout is too slow: for wall time, a censored sample (at least the
 * timeout); a printed number it never printed cannot be bounded, so that run is reported too slow.
 */
export const commandProbe: ProbeKind<typeof commandSchema> = {
  kind: 'command',
  describe: "any command's wall time, or a number it prints (pattern or JSON field)",
  schema: commandSchema,
  create(cfg): Probe {
    const m = cfg.metric ?? 'wall';
    return {
      kind: 'command',
      deterministic: false,
      build: cfg.build,
      metric:
        m === 'wall'
          ? { name: 'wall time', unit: 'ms', better: 'lower' }
          : m === 'cpu'
            ? { name: 'CPU time', unit: 'ms', better: 'lower' }
            : { name: m.name, unit: m.unit, better: m.better },
      // The probe's env wins over the run's, as when it runs; the profiler joins its PYTHONPATH and NODE_OPTIONS.
      cautions: (env, { profiling }) => commandCautions(cfg.run, { ...env, ...cfg.env }, { profiling }),
      async sample(ctx): Promise<Sample> {
        let r;
        try {
          // Only wall time can count a stopped run (as at least the limit); a figure the
          // command prints or its CPU time cannot, and that commit is reported too slow.
          r = await ctx.exec(cfg.run, { env: cfg.env, timeoutMs: timeoutMs(cfg), guard: true });
        } catch (e) {
          if (m === 'wall' && e instanceof ProbeTooSlow) return { value: e.timeoutMs, censored: true };
          throw e;
        }
        if (r.exitCode !== 0) {
          const tail = tailLines(r.stderr || r.stdout);
          throw new CommitFailure(
            'probe',
            `\`${cfg.run}\` exited with code ${r.exitCode}${exitHint(r.exitCode, `${r.stderr}\n${r.stdout}`)}`,
            undefined,
            tail,
            'crashed',
          );
        }
        // Wall and CPU time are both kept: the noise report compares them, and says when CPU time would decide sooner.
        const details: Record<string, number> = r.cpuMs === undefined ? { wall: r.ms } : { wall: r.ms, cpu: r.cpuMs };
        if (m === 'wall') return { value: r.ms, details };
        if (m === 'cpu') {
          if (r.cpuMs === undefined)
            throw new CommitFailure('probe', "CPU time is not available here: metric 'cpu' needs bash 5 on PATH");
          return { value: r.cpuMs, details };
        }
        return { value: parseMetric(r.stdout, m) };
      },
    };
  },
};

/** What a user usually means by an exit code a probe should not have. */
function exitHint(code: number, output: string): string {
  const missing = missingDependencyHint(output);
  if (missing) return ` (${missing})`;
  if (code === 127) {
    const name = /(?:^|: )([^\s:]+): (?:command )?not found$/m.exec(output)?.[1];
    const where = name?.includes('/') ? `: ${name} is not in this commit's checkout, where the command runs` : name ? `: ${name} is not on PATH here` : '';
    return ` (command not found${where}; give a program on PATH, its absolute path, or a path in the repository)`;
  }
  if (code === 126) return ' (not executable: run it through its interpreter, like sh script.sh)';
  return (
    ' (if a non-zero exit is normal for it, as for a linter with findings, measure `… || true`; a benchmark ' +
    'that exits non-zero on a wrong answer is saying this commit breaks it)'
  );
}

export function parseMetric(stdout: string, m: { name: string; pattern?: string; field?: string }): number {
  if (m.pattern) {
    const matches = [...stdout.matchAll(new RegExp(m.pattern, 'g'))];
    const last = matches[matches.length - 1];
    const value = last ? Number(last[1]) : NaN;
    if (!Number.isFinite(value)) {
      const why = `the output has no match for /${m.pattern}/ with a number in its first group`;
      throw new CommitFailure('probe', why, undefined, tailLines(stdout));
    }
    return value;
  }
  const field = m.field ?? m.name;
  const lines = stdout.trim().split('\n');
  try {
    const obj = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    const value = Number(field.split('.').reduce<unknown>((node, k) => (isObject(node) ? node[k] : undefined), obj));
    if (Number.isFinite(value)) return value;
  } catch {
    /* reported below */
  }
  const why = `the last line of output is not JSON with a numeric "${field}" field (or give metric.pattern)`;
  throw new CommitFailure('probe', why, undefined, tailLines(stdout));
}

