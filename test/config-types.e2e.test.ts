import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('./fixtures/config-types/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** `file:line TSxxxx` for every line a fixture marks with `// error TSxxxx`. */
function expectedErrors(file: string): string[] {
  return readFileSync(`${dir}${file}`, 'utf8')
    .split('\n')
    .flatMap((line, i) => [...line.matchAll(/\/\/ error (TS\d+)/g)].map((m) => `${file}:${i + 1} ${m[1]}`));
}

describe('defineConfig types: what an editor and tsc catch in probes.config.ts', () => {
  it('reports exactly the marked mistakes, and none in the example config', async () => {
    const r = await execa(process.execPath, [tsc, '-p', `${dir}tsconfig.json`, '--pretty', 'false'], { reject: false });
    const errors = [...r.stdout.matchAll(/^(?:.*\/)?([^/(]+)\((\d+),\d+\): error (TS\d+): (.*)$/gm)];
    expect(errors.map((m) => `${m[1]}:${m[2]} ${m[3]}`).sort(), r.stdout).toEqual(expectedErrors('mistakes.ts').sort());
    const said = errors.map((m) => m[4]).join('\n');
    expect(said).toMatch(/'metirc' does not exist .* Did you mean to write 'metric'\?/);
    expect(said).toMatch(/Type '"p42"' is not assignable to type '"p50" \| "p90" \| "p95" \| "p99" \|/);
    expect(r.exitCode).toBe(2);
  });
});
