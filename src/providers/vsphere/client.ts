// A small typed client for the vSphere Automation REST API (`/api` paths,
// vSphere 7.0U2+). No SDK: VMware publishes none for TypeScript/Node (the npm
// `node-vsphere-soap` is SOAP-only and stale), and the REST surface poolform
// needs is a dozen calls. The transport is the shared node:http(s) one
// (shared/http-transport.ts) so `ca_cert` / `insecure_skip_verify` apply per
// connection.
//
// Sessions (CIS > Session): `POST /api/session` with HTTP Basic answers the
// session id; every call sends it as `vmware-api-session-id`. Concurrent
// callers share one login. A 401 re-authenticates once (sessions expire
// after idle time) and repeats the call; a second 401 is a credential error.
// `close()` ends the session (`DELETE /api/session`).
//
// Transient answers (429, 503, RESOURCE_BUSY) are retried in place with
// backoff, honouring Retry-After, a bounded number of times. Only idempotent
// calls are retried after a 5xx: a clone whose answer was lost is not sent
// again here (the provider looks the VM up by name instead).
import { withRetries, type RetryOptions } from '../shared/backoff.ts';
import type { HttpTransport } from '../shared/http-transport.ts';
import { parseVsphereError, transientVsphereError, VsphereHttpError } from './errors.ts';

export interface VsphereClientOptions {
  /** Base URL of vCenter, e.g. `https://vcenter.example.com` (no `/api`). */
  url: string;
  username: string;
  password: string;
  transport: HttpTransport;
  retry: RetryOptions;
}

export interface CallOptions {
  /** Whether repeating the call is harmless (default: GET, PUT, DELETE). */
  idempotent?: boolean;
  /** No in-place retries (best-effort reads such as guest identity, whose 503 means "VMware Tools not running"). */
  noRetry?: boolean;
}

export interface VsphereClient {
  /** A call below `/api`; answers the parsed JSON body (undefined for 204). */
  call<T>(method: string, path: string, body?: unknown, options?: CallOptions): Promise<T>;
  /** Calls made per `METHOD path-without-query` (observability and tests). */
  readonly counts: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export function createVsphereClient(options: VsphereClientOptions): VsphereClient {
  const base = options.url.replace(/\/+$/, '');
  const counts = new Map<string, number>();
  let session: Promise<string> | undefined;

  async function login(): Promise<string> {
    const basic = Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
    const answer = await options.transport('POST', `${base}/api/session`, { authorization: `Basic ${basic}`, accept: 'application/json' });
    if (answer.status < 200 || answer.status >= 300) throw parseVsphereError(answer.status, answer.text, answer.headers['retry-after']);
    const id = JSON.parse(answer.text) as unknown;
    if (typeof id !== 'string' || id === '') throw new VsphereHttpError(answer.status, 'ERROR', 'POST /api/session answered without a session id');
    return id;
  }

  function currentSession(): Promise<string> {
    if (!session) {
      const pending = login();
      session = pending;
      pending.catch(() => {
        if (session === pending) session = undefined;
      });
    }
    return session;
  }

  async function once<T>(method: string, path: string, body: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const used = currentSession();
      const id = await used;
      const key = `${method} ${path.split('?')[0]}${/[?&]action=([\w-]+)/.exec(path)?.[0].replace(/^&/, '?') ?? ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const answer = await options.transport(
        method,
        `${base}/api${path}`,
        { 'vmware-api-session-id': id, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body === undefined ? undefined : JSON.stringify(body),
      );
      if (answer.status === 401 && attempt === 0) {
        // The session expired: log in again once (shared by concurrent callers) and repeat.
        if (session === used) session = undefined;
        continue;
      }
      if (answer.status < 200 || answer.status >= 300) throw parseVsphereError(answer.status, answer.text, answer.headers['retry-after']);
      return (answer.text.trim() === '' ? undefined : JSON.parse(answer.text)) as T;
    }
  }

  return {
    counts,
    call<T>(method: string, path: string, body?: unknown, callOptions: CallOptions = {}): Promise<T> {
      const idempotent = callOptions.idempotent ?? (method === 'GET' || method === 'DELETE' || method === 'PUT');
      if (callOptions.noRetry === true) return once<T>(method, path, body);
      return withRetries(
        () => once<T>(method, path, body),
        (error) => {
          const verdict = transientVsphereError(error);
          // A non-idempotent call is retried only when vCenter certainly did not act (429 / RESOURCE_BUSY / 503 say so).
          if (!idempotent && error instanceof VsphereHttpError && error.status >= 500 && error.status !== 503 && error.errorType !== 'RESOURCE_BUSY')
            return { retry: false };
          return verdict;
        },
        options.retry,
      );
    },
    async close() {
      const pending = session;
      session = undefined;
      if (!pending) return;
      try {
        const id = await pending;
        await options.transport('DELETE', `${base}/api/session`, { 'vmware-api-session-id': id });
      } catch {
        // Best effort: the session times out on its own.
      }
    },
  };
}
