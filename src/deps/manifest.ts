/**
 * package.json as a moving package needs it: its entries in the dependency fields (and in
 * overrides/resolutions, which pin versions too) as the newer manifest has them, everything
 * else as the older one has it.
 */
const fields = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'overrides',
  'resolutions',
] as const;

type Json = Record<string, unknown>;

/** Keys of overrides and resolutions (`name`, `name@range`, `parent>name`, `parent/name`) name the package last. */
function keyName(key: string): string {
  const segments = key.split('>').pop()!.split('/');
  const n = segments.length;
  const last = n >= 2 && segments[n - 2].startsWith('@') ? `${segments[n - 2]}/${segments[n - 1]}` : segments[n - 1];
  const at = last.indexOf('@', 1);
  return at < 0 ? last : last.slice(0, at);
}

function patchFields(older: Json, newer: Json, names: ReadonlySet<string>): Json {
  const out: Json = { ...older };
  for (const f of fields) {
    const a = (older[f] ?? {}) as Json;
    const b = (newer[f] ?? {}) as Json;
    if (typeof a !== 'object' || typeof b !== 'object') continue;
    const next: Json = {};
    for (const [k, v] of Object.entries(a)) if (!names.has(keyName(k))) next[k] = v;
    for (const [k, v] of Object.entries(b)) if (names.has(keyName(k))) next[k] = v;
    // Keep the older file's key order; new keys go where the newer file has them, roughly: at the end.
    const order = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
    const sorted = Object.fromEntries(order.filter((k) => k in next).map((k) => [k, next[k]]));
    if (Object.keys(sorted).length || older[f] !== undefined) out[f] = sorted;
    if (!Object.keys(sorted).length && older[f] === undefined) delete out[f];
  }
  // pnpm keeps its overrides under "pnpm".
  const pa = older.pnpm as Json | undefined;
  const pb = newer.pnpm as Json | undefined;
  if (pa?.overrides || pb?.overrides) {
    out.pnpm = {
      ...(pa ?? {}),
      ...patchFields({ overrides: pa?.overrides ?? {} }, { overrides: pb?.overrides ?? {} }, names),
    };
  }
  return out;
}

/** The older package.json text with the named packages' requirements from the newer one. */
export function patchManifest(older: string, newer: string, names: ReadonlySet<string>): string {
  const a = JSON.parse(older) as Json;
  const b = JSON.parse(newer) as Json;
  const indent = /^\{\r?\n([ \t]+)"/.exec(older)?.[1] ?? '  ';
  return JSON.stringify(patchFields(a, b, names), null, indent) + (older.endsWith('\n') ? '\n' : '');
}

/** A package.json's direct requirements (what yarn.lock needs as its roots). */
export function manifestRequirements(text: string): Record<string, string> {
  const m = JSON.parse(text) as Json;
  const out: Record<string, string> = {};
  for (const f of ['dependencies', 'devDependencies', 'optionalDependencies'] as const)
    Object.assign(out, (m[f] ?? {}) as Record<string, string>);
  return out;
}
