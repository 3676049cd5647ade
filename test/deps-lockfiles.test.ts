import { describe, expect, it } from 'vitest';
import { stringify, parse as parseYaml } from 'yaml';
import { npmLock } from '../src/deps/npm-lock.js';
import { pnpmLock } from '../src/deps/pnpm-lock.js';
import { yarnLock } from '../src/deps/yarn-lock.js';
import { patchManifest } from '../src/deps/manifest.js';
import { versionsBetween } from '../src/deps/ranges.js';
import { planUpgrades } from '../src/deps/upgrades.js';
import { LockfileError } from '../src/deps/types.js';
import { parseDepRepos } from '../src/harness/deps/repos.js';
import { UsageError } from '../src/errors.js';

/** package-lock.json version 3 as npm 7+ writes it. */
function npmLockfile(
  root: Record<string, string>,
  packages: Record<
    string,
    { version: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> }
  >,
): string {
  const entries: Record<string, unknown> = { '': { name: 'app', version: '1.0.0', dependencies: root } };
  for (const [path, p] of Object.entries(packages))
    entries[path] = { version: p.version, integrity: `sha512-${path}-${p.version}`, ...p };
  return (
    JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: entries }, null, 2) +
    '\n'
  );
}
const manifest = (deps: Record<string, string>) =>
  JSON.stringify({ name: 'app', version: '1.0.0', dependencies: deps }, null, 2) + '\n';

describe('npm lockfiles (package-lock.json v2/v3)', () => {
  const older = npmLockfile(
    { a: '^1.0.0', b: '^1.0.0' },
    {
      'node_modules/a': { version: '1.0.0', dependencies: { c: '^1.0.0' } },
      'node_modules/b': { version: '1.0.0' },
      'node_modules/c': { version: '1.0.0' },
    },
  );
  const newer = npmLockfile(
    { a: '^2.0.0', b: '^1.1.0' },
    {
      'node_modules/a': { version: '2.0.0', dependencies: { c: '^2.0.0' } },
      'node_modules/b': { version: '1.1.0' },
      'node_modules/c': { version: '2.0.0' },
    },
  );
  const input = {
    lockfile: 'package-lock.json',
    older,
    newer,
    manifests: [
      {
        path: 'package.json',
        older: manifest({ a: '^1.0.0', b: '^1.0.0' }),
        newer: manifest({ a: '^2.0.0', b: '^1.1.0' }),
      },
    ],
  };

  it('lists every changed package, direct and transitive, and groups those that cannot move apart', () => {
    const plan = planUpgrades(input);
    expect(plan.changes).toEqual([
      { name: 'a', from: ['1.0.0'], to: ['2.0.0'], direct: true },
      { name: 'b', from: ['1.0.0'], to: ['1.1.0'], direct: true },
      { name: 'c', from: ['1.0.0'], to: ['2.0.0'], direct: false },
    ]);
    // a 2.0.0 needs c ^2 and a 1.0.0 needs c ^1: apart, either state leaves a requirement unmet.
    expect(plan.groups.map((g) => g.names)).toEqual([['a', 'c'], ['b']]);
    expect(plan.groups[0].reason).toMatch(/requirement of c is met only when both move/);
  });

  it('writes each step as consistent files: the moved packages as the culprit has them, the rest as the parent', () => {
    const plan = planUpgrades(input);
    const first = JSON.parse(plan.steps[0].files['package-lock.json']);
    expect(first.packages['node_modules/a'].version).toBe('2.0.0');
    expect(first.packages['node_modules/c'].version).toBe('2.0.0');
    expect(first.packages['node_modules/b'].version).toBe('1.0.0');
    expect(first.packages[''].dependencies).toEqual({ a: '^2.0.0', b: '^1.0.0' });
    expect(JSON.parse(plan.steps[0].files['package.json']).dependencies).toEqual({ a: '^2.0.0', b: '^1.0.0' });
    expect(npmLock.broken(npmLock.parse(plan.steps[0].files['package-lock.json']))).toEqual([]);
    // The last step is the culprit's lockfile.
    expect(JSON.parse(plan.steps[1].files['package-lock.json'])).toEqual(JSON.parse(newer));
  });

  it('moves declared peers together', () => {
    const o = npmLockfile(
      { plugin: '1.0.0', host: '1.0.0' },
      {
        'node_modules/plugin': { version: '1.0.0', peerDependencies: { host: '>=1' } },
        'node_modules/host': { version: '1.0.0' },
      },
    );
    const n = npmLockfile(
      { plugin: '1.1.0', host: '1.1.0' },
      {
        'node_modules/plugin': { version: '1.1.0', peerDependencies: { host: '>=1' } },
        'node_modules/host': { version: '1.1.0' },
      },
    );
    const plan = planUpgrades({ lockfile: 'package-lock.json', older: o, newer: n, manifests: [] });
    expect(plan.groups).toHaveLength(1);
    expect(plan.groups[0]).toMatchObject({ names: ['host', 'plugin'], reason: 'plugin has host as a peer' });
  });

  it('takes a moved package with what is installed under it, and drops what only its old version had', () => {
    const o = npmLockfile(
      { x: '1.0.0' },
      {
        'node_modules/x': { version: '1.0.0', dependencies: { y: '^1.0.0' } },
        'node_modules/x/node_modules/y': { version: '1.0.0' },
        'node_modules/y': { version: '3.0.0' },
      },
    );
    const n = npmLockfile(
      { x: '2.0.0' },
      { 'node_modules/x': { version: '2.0.0', dependencies: { y: '^3.0.0' } }, 'node_modules/y': { version: '3.0.0' } },
    );
    const out = JSON.parse(npmLock.serialize(npmLock.apply(npmLock.parse(o), npmLock.parse(n), new Set(['x']))));
    expect(Object.keys(out.packages)).toEqual(['', 'node_modules/x', 'node_modules/y']);
    expect(
      planUpgrades({ lockfile: 'package-lock.json', older: o, newer: n, manifests: [] }).changes.map((c) => c.name),
    ).toEqual(['x', 'y']);
  });

  it('says why it cannot read npm 6 lockfiles and broken JSON', () => {
    expect(() => npmLock.parse(JSON.stringify({ lockfileVersion: 1, dependencies: {} }))).toThrow(
      /lockfileVersion 1 \(npm 6\)/,
    );
    expect(() => npmLock.parse('{ nope')).toThrow(LockfileError);
    expect(() => planUpgrades({ ...input, newer: '{' })).toThrow(/package-lock\.json at the culprit: not valid JSON/);
  });
});

describe('pnpm-lock.yaml (versions 9 and 6)', () => {
  const v9 = (importer: Record<string, string>, snapshots: Record<string, Record<string, string> | undefined>) =>
    stringify({
      lockfileVersion: '9.0',
      settings: { autoInstallPeers: true, excludeLinksFromLockfile: false },
      importers: {
        '.': {
          dependencies: Object.fromEntries(
            Object.entries(importer).map(([n, v]) => [n, { specifier: `^${v}`, version: v }]),
          ),
        },
      },
      packages: Object.fromEntries(
        Object.keys(snapshots).map((k) => [k, { resolution: { integrity: `sha512-${k}` } }]),
      ),
      snapshots: Object.fromEntries(Object.entries(snapshots).map(([k, d]) => [k, d ? { dependencies: d } : {}])),
    });
  const older = v9(
    { a: '1.0.0', b: '1.0.0' },
    { 'a@1.0.0': { e: '1.0.0' }, 'b@1.0.0': undefined, 'e@1.0.0': undefined },
  );
  const newer = v9(
    { a: '2.0.0', b: '1.1.0' },
    { 'a@2.0.0': { d: '1.0.0' }, 'b@1.1.0': undefined, 'd@1.0.0': undefined },
  );

  it('moves a package with what it names and drops what only its old version named', () => {
    const plan = planUpgrades({ lockfile: 'pnpm-lock.yaml', older, newer, manifests: [] });
    expect(plan.changes.map((c) => c.name)).toEqual(['a', 'b', 'd', 'e']);
    expect(plan.groups.map((g) => g.names)).toEqual([['a'], ['b'], ['d'], ['e']]);
    const first = parseYaml(plan.steps[0].files['pnpm-lock.yaml']);
    expect(Object.keys(first.snapshots).sort()).toEqual(['a@2.0.0', 'b@1.0.0', 'd@1.0.0']);
    expect(Object.keys(first.packages).sort()).toEqual(['a@2.0.0', 'b@1.0.0', 'd@1.0.0']);
    expect(first.importers['.'].dependencies).toEqual({
      a: { specifier: '^2.0.0', version: '2.0.0' },
      b: { specifier: '^1.0.0', version: '1.0.0' },
    });
    expect(pnpmLock.broken(pnpmLock.parse(plan.steps[0].files['pnpm-lock.yaml']))).toEqual([]);
  });

  it('reads version 6 keys and refuses version 5', () => {
    const v6 = stringify({
      lockfileVersion: '6.0',
      dependencies: {
        react: { specifier: '^18.0.0', version: '18.2.0' },
        lib: { specifier: '1.0.0', version: '1.0.0(react@18.2.0)' },
      },
      packages: {
        '/react@18.2.0': { resolution: { integrity: 'x' } },
        '/lib@1.0.0(react@18.2.0)': { resolution: { integrity: 'y' }, peerDependencies: { react: '*' } },
      },
    });
    const lock = pnpmLock.parse(v6);
    expect([...pnpmLock.versions(lock)].map(([n, v]) => [n, [...v]])).toEqual([
      ['react', ['18.2.0']],
      ['lib', ['1.0.0']],
    ]);
    expect(pnpmLock.peers(lock)).toEqual([{ from: 'lib', to: 'react' }]);
    expect(pnpmLock.broken(lock)).toEqual([]);
    expect(() => pnpmLock.parse('lockfileVersion: 5.4\n')).toThrow(/lockfileVersion 5\.4 is not read/);
  });
});

describe('yarn.lock version 1', () => {
  const header = '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n';
  const older = [
    `${header}"@scope/util@^1.0.0":`,
    '  version "1.0.0"',
    '  resolved "https://registry.yarnpkg.com/@scope/util/-/util-1.0.0.tgz#abc"',
    '  integrity sha512-u1',
    '',
    'left-pad@^1.1.0:',
    '  version "1.1.0"',
    '  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.1.0.tgz#def"',
    '  integrity sha512-l1',
    '  dependencies:',
    '    "@scope/util" "^1.0.0"',
    '',
  ].join('\n');
  const newer = older
    .replace(/left-pad@\^1\.1\.0:\n {2}version "1\.1\.0"/, 'left-pad@^1.3.0:\n  version "1.3.0"')
    .replace('left-pad-1.1.0.tgz', 'left-pad-1.3.0.tgz');
  const pkg = (r: string) => JSON.stringify({ name: 'app', dependencies: { 'left-pad': r, '@scope/util': '^1.0.0' } });

  it('reads and writes the format back unchanged', () => {
    expect(yarnLock.serialize(yarnLock.parse(older))).toBe(older);
  });

  it('moves a package by its descriptors and keeps what others still name', () => {
    const plan = planUpgrades({
      lockfile: 'yarn.lock',
      older,
      newer,
      manifests: [{ path: 'package.json', older: pkg('^1.1.0'), newer: pkg('^1.3.0') }],
    });
    expect(plan.changes).toEqual([{ name: 'left-pad', from: ['1.1.0'], to: ['1.3.0'], direct: true }]);
    const text = plan.steps[0].files['yarn.lock'];
    expect(text).toContain('left-pad@^1.3.0:\n  version "1.3.0"');
    expect(text).toContain('"@scope/util@^1.0.0":');
    expect(text).not.toContain('left-pad@^1.1.0');
    expect(() => yarnLock.parse('__metadata:\n  version: 6\n')).toThrow(/Yarn 2\+/);
  });
});

describe('versions, manifests and --dep-repo', () => {
  it('lists the published versions after from up to to, in order, without unrelated pre-releases', () => {
    const published = ['1.0.0', '1.1.0', '1.2.0-beta.1', '1.2.0', '1.10.0', '2.0.0'];
    expect(versionsBetween(published, '1.0.0', '1.10.0')).toEqual(['1.1.0', '1.2.0', '1.10.0']);
    expect(versionsBetween(published, '1.10.0', '1.1.0')).toEqual(['1.2.0', '1.1.0']);
    expect(versionsBetween(published, '1.1.0', '1.2.0-beta.1')).toEqual(['1.2.0-beta.1']);
    expect(versionsBetween(published, 'latest', '2.0.0')).toEqual([]);
  });

  it('patches only the moved packages in package.json, keeping its layout', () => {
    const older =
      '{\n    "dependencies": {\n        "a": "^1.0.0",\n        "b": "^1.0.0"\n    },\n' +
      '    "overrides": { "a": "1.0.0" }\n}\n';
    const newer = JSON.stringify({ dependencies: { a: '^2.0.0', b: '^1.1.0', n: '1.0.0' }, overrides: { a: '2.0.0' } });
    const out = patchManifest(older, newer, new Set(['a', 'n']));
    expect(JSON.parse(out)).toEqual({
      dependencies: { a: '^2.0.0', b: '^1.0.0', n: '1.0.0' },
      overrides: { a: '2.0.0' },
    });
    expect(out.startsWith('{\n    "dependencies"')).toBe(true);
  });

  it('reads --dep-repo name=path|url and rejects the rest in one line', () => {
    expect(parseDepRepos(['left-pad=https://example.com/left-pad.git', '@scope/x=git@example.com:x/x.git'])).toEqual({
      'left-pad': 'https://example.com/left-pad.git',
      '@scope/x': 'git@example.com:x/x.git',
    });
    for (const bad of ['left-pad', '=../x', 'left-pad=', 'Left Pad=../x'])
      expect(() => parseDepRepos([bad])).toThrow(UsageError);
    expect(() => parseDepRepos(['left-pad=/no/such/dir'])).toThrow(/does not exist/);
  });
});
