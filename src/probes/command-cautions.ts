import { onPath, shellWords } from '../harness/store/outside-inputs.js';

type Env = Record<string, string | undefined>;

/** Variables the culprit's profile adds its hooks to: one set inside the command replaces them. */
const PROFILER_VARS = { PYTHONPATH: 'Python', NODE_OPTIONS: 'Node.js' } as const;
/** Python's options that take a value (the word after them is not the script). */
const PYTHON_VALUE_OPTIONS = new Set(['-X', '-W', '-Q']);

/**
 * What in a command line makes its figures mislead, said once before measuring: nothing here fails a
 * run, each one silently measures something else than the user meant (an installed copy of the code
 * at every commit, the compiler at every start) or leaves the culprit without a profile. `which`
 * finds a program on the PATH.
 */
export function commandCautions(
  run: string,
  env: Env,
  options: { profiling?: boolean; which?: (program: string) => string | undefined } = {},
): string[] {
  const which = options.which ?? ((program: string) => onPath(program, env.PATH ?? ''));
  const out: string[] = [];
  for (const words of run.split('\n').flatMap((line) => simpleCommands(shellWords(line)))) {
    const { assigned, unset, cleared, program, args } = parseSimple(words);
    const inherited = (name: string) => (cleared || unset.has(name) ? undefined : env[name]);
    for (const [name, runtime] of Object.entries(PROFILER_VARS)) {
      // `PYTHONPATH=src:$PYTHONPATH` keeps the profiler's hook; so does not profiling at all.
      const value = assigned.get(name);
      const keepsOuter = new RegExp(`\\$\\{?${name}\\b`).test(value ?? '');
      if (value === undefined || keepsOuter || options.profiling === false) continue;
      out.push(
        `the command sets ${name} itself: the profile at the culprit adds perfbisect's own ${name}, which this one replaces, ` +
          `so ${runtime} is not profiled there; set it outside perfbisect instead (${name}=… perfbisect …)`,
      );
    }
    if (!program || !/^python(\d+(\.\d+)?)?$/.test(program.split('/').pop()!)) continue;
    const script = pythonScript(args);
    const path = assigned.get('PYTHONPATH') ?? inherited('PYTHONPATH');
    // A relative entry (or an empty one: the current folder) is resolved in the folder the command runs
    // in, the commit's checkout; -E and -I make Python ignore PYTHONPATH.
    const ignored = script.options.some((flag) => /^-[a-zA-Z]*[EI]/.test(flag));
    const intoCheckout = !ignored && path !== undefined && path.split(':').some((p) => !p.startsWith('/'));
    if (script.path && /^(\/|~|\$HOME)/.test(script.path) && !intoCheckout) {
      out.push(
        `${program} runs ${script.path} from outside the checkout: Python looks for modules beside the script, not in the ` +
          'folder the command runs in, so what it imports may be an installed copy, the same at every commit; ' +
          'PYTHONPATH=. (src for a src/ layout) where the command gets its environment, as in PYTHONPATH=. perfbisect …, ' +
          "makes it import each commit's own code",
      );
    }
    if (inherited('PYTHONDONTWRITEBYTECODE') && !assigned.has('PYTHONDONTWRITEBYTECODE')) {
      out.push(
        'PYTHONDONTWRITEBYTECODE is set: every run compiles the Python it imports again, and the timings include it; ' +
          'env -u PYTHONDONTWRITEBYTECODE perfbisect … leaves that out (keep it if start-up compiling is what got slower)',
      );
    }
    const found = program.includes('/') ? program : which(program);
    if (found && /\/\.?pyenv\/shims\//.test(found)) {
      out.push(
        `${program} is a pyenv shim here (${found}), a shell script that adds its own start-up to every run: ` +
          `give the interpreter itself, -- $(pyenv which ${program}) …`,
      );
    }
  }
  return [...new Set(out)];
}

/** The simple commands of a command line: its words split at the shell's operators. */
function simpleCommands(words: string[]): string[][] {
  const out: string[][] = [[]];
  for (const w of words) {
    if (/^(&&|\|\||[;&|()])$/.test(w)) out.push([]);
    else out[out.length - 1].push(w);
  }
  return out.filter((c) => c.length);
}

/** Variables assigned before the program (`X=1 prog`, `env X=1 -u Y prog`), the program and its arguments. */
function parseSimple(words: string[]) {
  const assigned = new Map<string, string>();
  const unset = new Set<string>();
  let cleared = false;
  let i = 0;
  const assign = (w: string) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(w);
    if (m) assigned.set(m[1], m[2]);
    return !!m;
  };
  while (i < words.length && assign(words[i])) i++;
  if (words[i] === 'env' || words[i]?.endsWith('/env')) {
    i++;
    while (i < words.length) {
      const w = words[i];
      if (w === '-i' || w === '--ignore-environment' || w === '-') cleared = true;
      else if (w === '-u' || w === '--unset') unset.add(words[++i] ?? '');
      else if (w.startsWith('--unset=')) unset.add(w.slice('--unset='.length));
      else if (!w.startsWith('-') && !assign(w)) break;
      i++;
    }
  }
  return { assigned, unset, cleared, program: words[i] as string | undefined, args: words.slice(i + 1) };
}

/** The script a Python command line runs (none for `-m` and `-c`), and the options before it. */
function pythonScript(args: string[]): { path?: string; options: string[] } {
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-m' || a === '-c' || a === '-') return { options };
    if (PYTHON_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return { path: a, options };
    else options.push(a);
  }
  return { options };
}
