// A small typed Proxmox VE client over the shared node:http(s) transport
// (providers/shared/http-transport.ts). No official TypeScript SDK exists
// (npm `proxmox-api` is a community proxy over fetch with no way to pass a
// private CA per client), and the calls poolform makes are few, so this is
// written against the PVE API viewer directly. The transport is node:https
// rather than fetch + an undici Agent: it takes `ca` / `rejectUnauthorized`
// per client without a new dependency, and OpenStack uses the same one.
//
// - Auth: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` on every call
//   (API tokens need no ticket and no CSRF token).
// - Bodies: JSON (pveproxy decodes application/json request bodies). Not form
//   encoding: pveproxy caps a request body at 64 KiB, and percent-encoding a
//   script can triple its size, while JSON escapes only quotes, backslashes and
//   control characters (user-data.ts checks the encoded file-write body).
//   Booleans are sent as 1/0, as the API's schema types them.
// - Answers: `{"data": ...}`; non-2xx → ProxmoxHttpError (errors.ts).
// - Retries with backoff (shared/backoff.ts): reads on 5xx/network errors,
//   any call on 429/503 (not processed). Mutations are not retried on other
//   failures: their outcome is unknown, and the caller looks again.
// - Worker tasks: waitTask() polls GET /nodes/{node}/tasks/{upid}/status
//   with backoff and a bound until `status: stopped`; an exitstatus other
//   than OK is a ProxmoxTaskError.
import { PollTimeoutError, parseRetryAfter, pollUntil, type RetryOptions, withRetries } from '../shared/backoff.ts';
import type { HttpTransport } from '../shared/http-transport.ts';
import { ProxmoxHttpError, ProxmoxTaskError, parseErrorAnswer, transientAnswer } from './errors.ts';

export type Params = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface ProxmoxClientOptions {
  /** `https://host:8006/api2/json` (no trailing slash needed). */
  apiUrl: string;
  tokenId: string;
  tokenSecret: string;
  transport: HttpTransport;
  retry: RetryOptions;
  poll: { baseMs: number; maxMs: number; sleep?: (ms: number) => Promise<void>; now?: () => number };
}

export interface TaskStatus {
  upid: string;
  status: 'running' | 'stopped' | string;
  exitstatus?: string;
}

export interface ProxmoxClient {
  get<T>(path: string, query?: Params): Promise<T>;
  post<T>(path: string, params?: Params): Promise<T>;
  del<T>(path: string, query?: Params): Promise<T>;
  /** Waits for a worker task to stop; throws ProxmoxTaskError when it failed, PollTimeoutError past `timeoutMs`. */
  waitTask(node: string, upid: string, timeoutMs: number): Promise<void>;
  readonly stats: { calls: number };
}

export function encodeParams(params: Params): string {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) out.append(key, v);
    else out.append(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return out.toString();
}

/** A request body as pveproxy reads it: JSON, booleans as 1/0, undefined left out. */
export function jsonBody(params: Params): string {
  const out: Record<string, string | number | readonly string[]> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
  return JSON.stringify(out);
}

export function createProxmoxClient(options: ProxmoxClientOptions): ProxmoxClient {
  const base = options.apiUrl.replace(/\/+$/, '');
  const auth = `PVEAPIToken=${options.tokenId}=${options.tokenSecret}`;
  const stats = { calls: 0 };

  async function once<T>(method: string, path: string, params: Params | undefined, idempotent: boolean): Promise<T> {
    return await withRetries(
      async () => {
        stats.calls++;
        const inBody = method === 'POST' || method === 'PUT';
        const query = !inBody && params ? encodeParams(params) : '';
        const url = `${base}${path}${query !== '' ? `?${query}` : ''}`;
        const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
        if (inBody) headers['content-type'] = 'application/json';
        const answer = await options.transport(method, url, headers, inBody ? jsonBody(params ?? {}) : undefined);
        if (answer.status < 200 || answer.status >= 300) {
          const error = parseErrorAnswer(answer.status, answer.statusText, answer.text);
          error.retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
          throw error;
        }
        const body = answer.text === '' ? {} : (JSON.parse(answer.text) as { data?: T });
        return body.data as T;
      },
      (error) => {
        const retry = transientAnswer(error, idempotent);
        const hintMs = error instanceof ProxmoxHttpError ? error.retryAfterMs : undefined;
        return retry && hintMs !== undefined ? { retry, hintMs } : { retry };
      },
      options.retry,
    );
  }

  const client: ProxmoxClient = {
    get: (path, query) => once('GET', path, query, true),
    post: (path, params) => once('POST', path, params ?? {}, false),
    del: (path, query) => once('DELETE', path, query, false),
    async waitTask(node, upid, timeoutMs) {
      const status = await pollUntil(
        () => once<TaskStatus>('GET', `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/status`, undefined, true),
        (s) => s?.status === 'stopped',
        { ...options.poll, timeoutMs },
      );
      if (status.exitstatus !== 'OK') throw new ProxmoxTaskError(upid, status.exitstatus ?? 'the task stopped without an exit status');
    },
    stats,
  };
  return client;
}

export { PollTimeoutError };
