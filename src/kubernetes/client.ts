import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, delimiter } from 'node:path';
import { yaml } from '../lazy-modules.js';
import { UsageError } from '../errors.js';

/** How to reach the API server and who to be there: from a kubeconfig, or the pod's own service account. */
export interface KubeAccess {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecure?: boolean;
  /** The context's namespace, or the pod's. */
  namespace?: string;
  /** Where the access came from, for messages. */
  source: string;
}

/** A Kubernetes API error: its Status object's reason and message (Forbidden, Invalid, NotFound …). */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const serviceAccount = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The cluster as kubectl would find it: $KUBECONFIG (its first file) or ~/.kube/config with its
 * current context (token, token file, client certificate, or an exec plugin's token), else the
 * service account of the pod this runs in.
 */
export function kubeAccess(env: NodeJS.ProcessEnv = process.env): KubeAccess {
  const file =
    env.KUBECONFIG?.split(delimiter).find((f) => f && existsSync(f)) ??
    join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(file)) return fromKubeconfig(file, env);
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(serviceAccount, 'token'))) {
    const port = env.KUBERNETES_SERVICE_PORT ?? '443';
    const host = env.KUBERNETES_SERVICE_HOST;
    return {
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      token: readFileSync(join(serviceAccount, 'token'), 'utf8').trim(),
      ca: readFileSync(join(serviceAccount, 'ca.crt')),
      namespace: readFileSync(join(serviceAccount, 'namespace'), 'utf8').trim(),
      source: "the pod's service account",
    };
  }
  throw new UsageError(
    '--runner kubernetes: no cluster found: set KUBECONFIG (or ~/.kube/config), or run perfbisect in a pod.',
  );
}

type Named<T> = { name: string } & T;

function fromKubeconfig(file: string, env: NodeJS.ProcessEnv): KubeAccess {
  const bad = (what: string): never => {
    throw new UsageError(`--runner kubernetes: ${file}: ${what}.`);
  };
  let k: {
    'current-context'?: string;
    contexts?: Named<{ context: { cluster: string; user?: string; namespace?: string } }>[];
    clusters?: Named<{
      cluster: {
        server: string;
        'certificate-authority'?: string;
        'certificate-authority-data'?: string;
        'insecure-skip-tls-verify'?: boolean;
      };
    }>[];
    users?: Named<{ user: Record<string, unknown> }>[];
  };
  try {
    k = yaml().parse(readFileSync(file, 'utf8')) ?? {};
  } catch (e) {
    return bad(`not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const ctxName = env.PERFBISECT_KUBE_CONTEXT || k['current-context'];
  const ctx =
    k.contexts?.find((c) => c.name === ctxName)?.context ??
    bad(ctxName ? `no context ${ctxName}` : 'no current-context');
  const cluster = k.clusters?.find((c) => c.name === ctx.cluster)?.cluster ?? bad(`no cluster ${ctx.cluster}`);
  const user = (k.users?.find((u) => u.name === ctx.user)?.user ?? {}) as Record<string, string | undefined> & {
    exec?: ExecConfig;
  };
  const rel = (p: string) => (isAbsolute(p) ? p : join(dirname(file), p));
  const data = (inline?: string, path?: string) =>
    inline ? Buffer.from(inline, 'base64') : path ? readFileSync(rel(path)) : undefined;
  const access: KubeAccess = {
    server: cluster.server.replace(/\/+$/, ''),
    ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    cert: data(user['client-certificate-data'], user['client-certificate']),
    key: data(user['client-key-data'], user['client-key']),
    token: user.token ?? (user.tokenFile ? readFileSync(rel(user.tokenFile), 'utf8').trim() : undefined),
    namespace: ctx.namespace,
    source: `${file}, context ${ctxName}`,
  };
  if (!access.token && !access.cert && user.exec) Object.assign(access, execCredential(user.exec, env));
  return access;
}

interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
}

/**
 * A client-go credential plugin (aws eks get-token, gke-gcloud-auth-plugin …): its ExecCredential's
 * token or certificate.
 */
function execCredential(exec: ExecConfig, env: NodeJS.ProcessEnv): Partial<KubeAccess> {
  let out: string;
  try {
    out = execFileSync(exec.command, exec.args ?? [], {
      env: { ...env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])) },
      encoding: 'utf8',
      timeout: 60_000,
    });
  } catch (e) {
    throw new UsageError(
      `--runner kubernetes: the kubeconfig's credential plugin ${exec.command} failed: ` +
        (e as Error).message.split('\n')[0],
    );
  }
  const status =
    (JSON.parse(out) as { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string } })
      .status ?? {};
  return {
    token: status.token,
    cert: status.clientCertificateData ? Buffer.from(status.clientCertificateData) : undefined,
    key: status.clientKeyData ? Buffer.from(status.clientKeyData) : undefined,
  };
}

/**
 * The few API calls a fleet makes, over node's http(s) (a cluster's own CA and client certificates
 * need its TLS options).
 */
export class KubeClient {
  constructor(readonly access: KubeAccess) {}

  async get<T>(path: string): Promise<T> {
    return JSON.parse(await this.send('GET', path)) as T;
  }
  async post<T>(path: string, body: unknown): Promise<T> {
    return JSON.parse(await this.send('POST', path, body)) as T;
  }
  async delete(path: string, body?: unknown): Promise<void> {
    await this.send('DELETE', path, body);
  }
  /** A log or any text body. */
  text(path: string): Promise<string> {
    return this.send('GET', path);
  }

  /**
   * A watch: each event line is handed to `onEvent` until it returns true (done) or the server
   * ends the stream (its timeoutSeconds); returns whether `onEvent` said done.
   */
  async watch<T>(path: string, onEvent: (e: { type: string; object: T }) => boolean): Promise<boolean> {
    const res = await this.open('GET', path);
    let buffered = '';
    for await (const chunk of res) {
      buffered += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line && onEvent(JSON.parse(line) as { type: string; object: T })) {
          res.destroy();
          return true;
        }
      }
    }
    return !!buffered.trim() && onEvent(JSON.parse(buffered) as { type: string; object: T });
  }

  private async send(method: string, path: string, body?: unknown): Promise<string> {
    const res = await this.open(method, path, body);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private open(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const a = this.access;
    const url = new URL(`${a.server}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'perfbisect',
      ...(a.token ? { authorization: `Bearer ${a.token}` } : {}),
      ...(payload
        ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
        : {}),
    };
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        { method, headers, ca: a.ca, cert: a.cert, key: a.key, rejectUnauthorized: !a.insecure, timeout: 60_000 },
        (res) => {
          if ((res.statusCode ?? 0) < 400) return resolve(res);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(statusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 60 s')));
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(new KubeError(0, e.code ?? 'Unreachable', `could not reach ${url.host} (${e.code ?? e.message})`)),
      );
      if (payload) req.write(payload);
      req.end();
    });
  }
}

/** The API server's Status object (`{ kind: 'Status', reason, message, code }`) as one error. */
function statusError(code: number, text: string): KubeError {
  try {
    const s = JSON.parse(text) as { kind?: string; reason?: string; message?: string };
    if (s.kind === 'Status') return new KubeError(code, s.reason ?? String(code), s.message ?? text);
  } catch {
    /* not JSON: a proxy's page */
  }
  return new KubeError(code, String(code), text.replace(/\s+/g, ' ').slice(0, 200));
}
