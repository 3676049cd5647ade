import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where perfbisect keeps worktrees, run logs and caches: never inside the user's checkout. */
export function cacheRoot(): string {
  if (process.env.PERFBISECT_CACHE_DIR) return process.env.PERFBISECT_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'perfbisect');
}

/** Where each run's folder is: its log, writeup and result (runs/<run id>). */
export function runsDir(): string {
  return join(cacheRoot(), 'runs');
}
