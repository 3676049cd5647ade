import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { scriptImports } from './script-imports.js';

/**
 * What a probe reads from outside the commit it measures: files its command names by absolute path
 * (a benchmark script kept beside the repository, its input, and the helpers and package manifest
 * that script loads: src/harness/store/script-imports.ts), the programs its commands start (a
 * `node` that nvm switched), and the environment that changes what those programs load. A sample
 * measured with other ones is another measurement, so these are part of every cache key; without
 * them an edited benchmark script replays the figures of the old one.
 */
export function outsideInputs(definition: unknown, env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of stringsIn(definition)) scan(text, env, out);
  for (const [name, value] of Object.entries(loadingEnv(env))) out[`$${name}`] = value;
  return out;
}

function scan(text: string, env: Record<string, string | undefined>, out: Record<string, string>): void {
  const words = shellWords(text);
  // A single word is a field's value (metric: 'wall'), not a command: nothing to look up on PATH.
  const isCommand = words.length > 1;
  words.forEach((word, i) => {
    const previous = words[i - 1];
    // What the command writes (> out.txt, tee log, -o report.json) changes with every run: not an input.
    if (previous !== undefined && WRITES.test(previous)) return;
    // The command line a shell is given (sh -c '…') is read as one.
    if (previous === '-c') return scan(word, env, out);
    const first = isCommand && (i === 0 || STARTS_COMMAND.test(previous ?? ''));
    for (const path of pathsIn(word, first, env)) {
      const stamp = fileStamp(path);
      if (!stamp) continue;
      out[path] = stamp;
      // The helpers and the package manifest a script loads beside it are read as much as the script.
      for (const file of scriptImports(path)) out[file] ??= fileStamp(file) ?? 'unreadable';
    }
  });
}

/** Words after which the next one is a file the command writes. */
const WRITES = /^(?:\d?>>?|&>|>\||tee|-o|--out(?:put)?(?:-file)?)$/;
/** Words after which the next one is a program. */
const STARTS_COMMAND = /^(?:&&|\|\||;|\||\(|exec|env|time|nice)$/;
/** Files that are no input of any measurement, and change as they are read. */
const NOT_INPUTS = /^\/(?:proc|sys|dev)\//;

/**
 * A command line's words as the shell would pass them, near enough: single and double quotes and
 * backslashes (a path with spaces is one word), operators split off (`a&&b`, `x>out`).
 */
export function shellWords(text: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  const push = () => {
    if (word !== undefined) out.push(word);
    word = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (/\s/.test(ch)) push();
    else if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      word = (word ?? '') + text.slice(i + 1, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    } else if (ch === '\\' && i + 1 < text.length) word = (word ?? '') + text[++i];
    else if (/[;&|<>()]/.test(ch)) {
      const op = /^(?:&&|\|\||>>|&>|[;&|<>()])/.exec(text.slice(i))![0];
      // 2> is one operator: the descriptor's digit is not a word of its own.
      const fd = ch === '>' && word !== undefined && /^\d$/.test(word) ? word : '';
      if (fd) word = undefined;
      push();
      out.push(fd + op);
      i += op.length - 1;
    } else word = (word ?? '') + ch;
  }
  push();
  return out;
}

/** The variables set here that change which code a Node.js, Python or Go program runs, or how. */
export function loadingEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(LOADING_ENV.filter((name) => env[name] !== undefined).map((name) => [name, env[name]!]));
}

/** The key part: nothing when the probe reads nothing from outside, so such keys stay as they were. */
export function outsidePart(outside: Record<string, string>): { outside?: Record<string, string> } {
  return Object.keys(outside).length ? { outside } : {};
}

/** Variables that change which code a Node.js, Python or Go program runs, or how. */
const LOADING_ENV = [
  'NODE_PATH', 'NODE_OPTIONS', 'NODE_ENV', 'UV_THREADPOOL_SIZE',
  'PYTHONPATH', 'PYTHONHOME', 'PYTHONOPTIMIZE',
  'GOFLAGS', 'GOMAXPROCS', 'GOGC', 'GOMEMLIMIT', 'GODEBUG', 'GOEXPERIMENT',
];

/** Files larger than this are stamped by size and modification time instead of read. */
const READ_LIMIT = 8 * 1024 * 1024;

function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => stringsIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => stringsIn(v, out));
  return out;
}

/** An absolute path in the word (itself, or after `--flag=` / `NAME=`), and a first word found on PATH. */
function pathsIn(word: string, first: boolean, env: Record<string, string | undefined>): string[] {
  const value = word.includes('=') ? word.slice(word.indexOf('=') + 1) : word;
  const candidates = [word, value].map((w) => (w.startsWith('~/') ? join(homedir(), w.slice(2)) : w)).filter((w) => isAbsolute(w));
  if (first && /^[\w.+-]+$/.test(word)) {
    const found = onPath(word, env.PATH ?? '');
    if (found) candidates.push(found);
  }
  return [...new Set(candidates)];
}

/** The executable file a program name runs, from the folders of a PATH. */
export function onPath(program: string, path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const file = join(dir, program);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The content's hash, or size and time for a large file; nothing for what is not a readable file. */
function fileStamp(path: string): string | undefined {
  if (NOT_INPUTS.test(path)) return undefined;
  try {
    const s = statSync(path);
    if (!s.isFile()) return undefined;
    if (s.size > READ_LIMIT) return `${s.size}:${Math.round(s.mtimeMs)}`;
    return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 20);
  } catch {
    return undefined;
  }
}
