/** The lines a commit added, per file, from `git diff --unified=0 parent culprit`. */
export type ChangedLines = Map<string, FileChange>;

export interface FileChange {
  added: Map<number, string>;
  newFile: boolean;
  /** Hunks in order, for mapping a parent's line numbers to the culprit's. */
  hunks: { oldStart: number; oldCount: number; newStart: number; newCount: number }[];
  /**
   * Per added line, the nearest line above it that starts at the first column: the one git's hunk header
   * quotes, until an added line of the hunk itself starts there (a `def` the commit added encloses the body
   * after it).
   */
  enclosing: Map<number, string>;
}

export function parseUnifiedDiff(diff: string): ChangedLines {
  const out: ChangedLines = new Map();
  let file: string | undefined;
  let newFile = false;
  let line = 0;
  let enclosing = '';
  for (const raw of diff.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      file = undefined;
      newFile = false;
    } else if (raw.startsWith('new file mode')) newFile = true;
    else if (raw.startsWith('+++ ')) {
      const p = raw.slice(4).trim();
      file = p === '/dev/null' ? undefined : p.replace(/^b\//, '');
      if (file && !out.has(file)) out.set(file, { added: new Map(), newFile, hunks: [], enclosing: new Map() });
    } else if (raw.startsWith('@@')) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/.exec(raw);
      line = m ? Number(m[3]) : 0;
      enclosing = m?.[5] ?? '';
      if (m && file)
        out
          .get(file)!
          .hunks.push({
            oldStart: Number(m[1]),
            oldCount: m[2] === undefined ? 1 : Number(m[2]),
            newStart: line,
            newCount: m[4] === undefined ? 1 : Number(m[4]),
          });
    } else if (file && raw.startsWith('+')) {
      const text = raw.slice(1);
      const f = out.get(file)!;
      f.added.set(line, text);
      f.enclosing.set(line, enclosing);
      if (/^\S/.test(text)) enclosing = text;
      line++;
    } else if (file && raw.startsWith(' ')) line++;
  }
  return out;
}

/** Files whose added lines say nothing about the code: lockfiles. */
const lockfile = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|poetry\.lock|uv\.lock|Pipfile\.lock|Cargo\.lock|Gemfile\.lock|composer\.lock)$/;
/** Prose, quoted only after the code: changelogs, docs, licences. */
const prose = /(^|\/)(docs?\/|CHANGES|CHANGELOG|NEWS|HISTORY|AUTHORS|LICEN[CS]E|README)|\.(md|rst|txt|adoc)$/i;

/**
 * Up to `limit` non-blank lines the commit added, the code first: `first`'s file (where the slower
 * code runs), then other files, prose (changelogs, docs) last, lockfiles never. `total` counts them all.
 */
export function addedLines(
  changes: ChangedLines,
  limit: number,
  first?: string,
): { lines: { file: string; line: number; text: string }[]; total: number } {
  const rank = (f: string) => (first !== undefined && (f === first || first.endsWith('/' + f)) ? 0 : prose.test(f) ? 2 : 1);
  const files = [...changes.keys()].filter((f) => !lockfile.test(f)).sort((a, b) => rank(a) - rank(b));
  const all = files.flatMap((file) =>
    [...changes.get(file)!.added]
      .sort((x, y) => x[0] - y[0])
      .filter(([, text]) => text.trim())
      .map(([line, text]) => ({ file, line, text })),
  );
  return { lines: all.slice(0, limit), total: all.length };
}

/** Where installed or vendored code lives: a file under one is a dependency's, whatever its name. */
const dependencyFolder = /(^|\/)(node_modules|site-packages|dist-packages|vendor)\//;

/**
 * A profile's file name (repository-relative, or an absolute path ending in one) matched to a diff's path.
 * A dependency's file of the same name (node_modules/x/index.js against the repository's index.js) is not it.
 */
export function changedFileFor(changes: ChangedLines, file: string): FileChange | undefined {
  const exact = changes.get(file);
  if (exact) return exact;
  for (const [f, c] of changes)
    if (file.endsWith('/' + f) && !dependencyFolder.test(file.slice(0, file.length - f.length))) return c;
  return undefined;
}

/**
 * Where a line of the parent's file is in the culprit's file: lines added or removed above it move it.
 * A line inside a replaced range maps to the start of its replacement.
 */
export function mapParentLine(changes: ChangedLines, file: string, line: number): number {
  const c = changedFileFor(changes, file);
  if (!c || line <= 0) return line;
  let offset = 0;
  for (const h of c.hunks) {
    if (h.oldCount === 0) {
      // Pure insertion after line oldStart.
      if (line > h.oldStart) offset += h.newCount;
      else break;
    } else if (line >= h.oldStart + h.oldCount) offset += h.newCount - h.oldCount;
    else if (line >= h.oldStart) return h.newStart;
    else break;
  }
  return line + offset;
}
