import { createHash } from 'node:crypto';
import { cpus, platform, release } from 'node:os';

/** What makes numbers from two machines incomparable: samples are reused only when it matches. */
export function environmentFingerprint(): { cpu: string; cores: number; os: string; node: string; hash: string } {
  const c = cpus();
  const fp = {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
  return { ...fp, hash: hashOf(fp) };
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 20);
}
