import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../errors.js';
import { validateConfig, type ValidConfig } from '../../config/config.js';

export const configNames = ['probes.config.ts', 'probes.config.mts', 'probes.config.js', 'probes.config.mjs'];

/** The running perfbisect's own entry, so `import { defineConfig } from 'perfbisect'` works in any project. */
function selfEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const f of ['../../index.js', '../../index.ts']) if (existsSync(join(here, f))) return resolve(here, f);
  return resolve(here, '../../index.js');
}

export function findConfig(explicit: string | undefined, repoRoot: string): string {
  if (explicit) {
    const file = resolve(explicit);
    if (!existsSync(file)) throw new UsageError(`--config ${explicit}: no such file.`);
    return file;
  }
  for (const n of configNames) if (existsSync(join(repoRoot, n))) return join(repoRoot, n);
  throw new UsageError(
    `no probes.config.ts in ${repoRoot}. Create one (see the README's "Config"), pass --config <file>, or give a command: perfbisect --good A --bad B -- <command>.`,
  );
}

/** Load probes.config.ts (TypeScript or JavaScript) with jiti and validate its shape. */
export async function loadConfig(file: string): Promise<ValidConfig> {
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { alias: { perfbisect: selfEntry() }, moduleCache: false, fsCache: false });
  let mod: unknown;
  try {
    mod = await jiti.import(file);
  } catch (e) {
    // jiti puts where a parse failed on a line of its own: " <file>:2:42".
    const [first, ...rest] = (e as Error).message.split('\n');
    const at = rest.map((l) => /:(\d+):(\d+)\s*$/.exec(l.trim())).find(Boolean);
    throw new UsageError(`${file}${at ? `:${at[1]}:${at[2]}` : ''} could not be loaded: ${first.trim()}`);
  }
  return validateConfig(mod, file);
}
