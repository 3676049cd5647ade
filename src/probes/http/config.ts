/** The load fields shared by the http and event-loop probes, validated one field at a time. */
import { fail, isObject, noUnknownKeys, num, str, strMap } from '../../config/validate.js';
import { readUrl } from '../server.js';
import type { LoadRequest } from './load.js';

export interface LoadConfig {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: LoadRequest[];
  timeout?: number;
  /** Seconds of discarded load after the server is ready (default 1; 0: none). */
  warmup: number;
}

export const loadFields = ['url', 'connections', 'duration', 'amount', 'method', 'headers', 'body', 'requests', 'timeout', 'warmup'] as const;

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

function method(raw: Record<string, unknown>, path: string): string | undefined {
  const m = str(raw, 'method', path);
  if (m !== undefined && !methods.includes(m.toUpperCase())) fail(`${path}.method`, `must be one of ${methods.join(', ')}, got ${JSON.stringify(m)}`);
  return m?.toUpperCase();
}

function body(raw: Record<string, unknown>, path: string): string | undefined {
  const b = raw.body;
  if (b === undefined) return undefined;
  if (typeof b === 'string') return b;
  if (isObject(b) || Array.isArray(b)) return JSON.stringify(b);
  fail(`${path}.body`, 'must be a string, or an object sent as JSON');
}

export function readLoadConfig(raw: Record<string, unknown>, path: string): LoadConfig {
  const cfg: LoadConfig = {
    url: readUrl(raw, 'url', path)!,
    connections: num(raw, 'connections', path, { min: 1, max: 10000, integer: true }) ?? 10,
    duration: num(raw, 'duration', path, { min: 0.1 }),
    amount: num(raw, 'amount', path, { min: 1, integer: true }),
    method: method(raw, path),
    headers: strMap(raw, 'headers', path),
    body: body(raw, path),
    timeout: num(raw, 'timeout', path, { min: 0.01 }),
    warmup: num(raw, 'warmup', path, { min: 0 }) ?? 1,
  };
  if (cfg.duration !== undefined && cfg.amount !== undefined) fail(`${path}.amount`, 'and duration exclude each other: give a number of requests (amount) or seconds of load (duration)');
  const rs = raw.requests;
  if (rs !== undefined) {
    if (!Array.isArray(rs) || rs.length === 0) fail(`${path}.requests`, "must be a non-empty list like [{ path: '/api/tasks', weight: 3 }, { method: 'POST', path: '/api/tasks', body: '{}' }]");
    cfg.requests = rs.map((r, i) => {
      const p = `${path}.requests[${i}]`;
      if (!isObject(r)) fail(p, "must be an object like { path: '/api/tasks', weight: 3 }");
      noUnknownKeys(r, p, ['method', 'path', 'headers', 'body', 'weight']);
      const rp = str(r, 'path', p, { required: true })!;
      if (!rp.startsWith('/')) fail(`${p}.path`, `must start with /, like '/api/tasks', got ${JSON.stringify(rp)}`);
      return { method: method(r, p), path: rp, headers: strMap(r, 'headers', p), body: body(r, p), weight: num(r, 'weight', p, { min: 1, max: 1000, integer: true }) };
    });
  }
  return cfg;
}
