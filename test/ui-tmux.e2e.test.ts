import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath } from './fixtures/cli.js';
import { linearRepo, listDirs, tempDir } from './fixtures/repo.js';
import { onLinux } from './fixtures/platform.js';

/**
 * The live UI in a real pseudo-terminal: the CLI runs inside a tmux session of its own (a private
 * server socket), the test reads the screen with capture-pane and types with send-keys.
 */
const socket = `pb-ui-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const cleanups: (() => void)[] = [];
afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  cleanups.forEach((f) => f());
});

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Start the CLI in a new tmux window; it prints its pid first (exec keeps it) and its exit code last. */
function start(name: string, cwd: string, cache: string, args: string[]): void {
  const inner = `echo PID=$$; exec node ${q(cliPath)} ${args.map(q).join(' ')}`;
  // CI=true would (rightly) pick the plain output: the person at this terminal is not CI.
  const cmd = `cd ${q(cwd)} && env -u CI PERFBISECT_CACHE_DIR=${q(cache)} sh -c ${q(inner)}; echo EXIT=$?; sleep 600`;
  try {
    tmux('new-window', '-d', '-n', name, cmd);
  } catch {
    tmux('new-session', '-d', '-s', 'ui', '-n', name, '-x', '140', '-y', '60', cmd);
  }
}

const screen = (name: string) => tmux('capture-pane', '-p', '-t', `ui:${name}`);

async function waitFor(name: string, re: RegExp, seconds: number, seen?: (s: string) => void): Promise<string> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const s = screen(name);
    seen?.(s);
    if (re.test(s)) return s;
    if (/EXIT=\d+/.test(s)) throw new Error(`the run ended before ${re} showed:\n${s}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${re} on the screen:\n${s}`);
    await sleep(300);
  }
}

/** Processes whose working directory is under `dir` (probe runs in worktrees), from /proc. */
function processesUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.runIf(onLinux)('live terminal UI in tmux [Linux: processes from /proc]', () => {
  it('shows the ladder while it runs and the culprit at the end', async () => {
    // A large planted step (100 ms → 600 ms) so the verdicts are certain on a loaded machine.
    const { repo, shas } = linearRepo({ commits: 4, regressAt: [3], baseMs: 100, factor: 6 });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    start('run', repo.dir, cache, ['--good', 'good', '--bad', 'bad', '--min-samples', '6', '--max-samples', '14', '--', 'sh', 'work.sh']);
    let sawLadder = false;
    let sawMeasuring = false;
    const end = await waitFor('run', /EXIT=\d+/, 110, (s) => {
      if (/good \(ref\)/.test(s) && /bad \(ref\)/.test(s)) sawLadder = true;
      if (/▶ [0-9a-f]{10}/.test(s) && /measuring [0-9a-f]{10}/.test(s)) sawMeasuring = true;
    });
    expect(end, end).toContain('EXIT=0');
    expect(sawLadder, 'the ladder was on screen').toBe(true);
    expect(sawMeasuring, 'the current commit was shown being measured').toBe(true);
    expect(end).toContain(`culprit ${shas[3].slice(0, 10)} change 3: make it slower`);
    expect(end).toMatch(new RegExp(`✖ ${shas[3].slice(0, 10)}`));
    expect(end).toMatch(/writeup: .*writeup\.md/);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
  });

  it('q stops the run cleanly: exit 130, worktrees removed, no process left', async () => {
    const { repo } = linearRepo({ commits: 10, regressAt: [7], baseMs: 300, factor: 3 });
    cleanups.push(() => repo.cleanup());
    const cache = tempDir('pb-cache-');
    start('stop', repo.dir, cache, ['--good', 'good', '--bad', 'bad', '--', 'sh', 'work.sh']);
    const running = await waitFor('stop', /measuring [0-9a-f]{10}[\s\S]*\d+ samples/, 90);
    const pid = Number(running.match(/PID=(\d+)/)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(running).toContain('q: stop');
    tmux('send-keys', '-t', 'ui:stop', 'q');
    const end = await waitFor('stop', /EXIT=\d+/, 60);
    expect(end).toContain('EXIT=130');
    expect(end).toMatch(/stopped: interrupted; measured samples are kept: continue with perfbisect --resume \S+/);
    expect(alive(pid)).toBe(false);
    expect(processesUnder(cache)).toEqual([]);
    expect(listDirs(join(cache, 'worktrees'))).toEqual([]);
    // A partial result of what was known when q was pressed.
    const partialFile = end.replace(/\s+/g, '').match(/partialresult:(\S+?partial\.json)/)?.[1];
    expect(partialFile, end).toBeTruthy();
    // (Stopped inside the first block: nothing decided yet, so no verdicts and no summaries.)
    const partial = JSON.parse(readFileSync(partialFile!, 'utf8')) as { status: string; good: { ref: string }; commits: unknown[] };
    expect(partial.status).toBe('interrupted');
    expect(partial.good.ref).toBe('good');
    expect(partial.commits).toEqual([]);
  });
});
