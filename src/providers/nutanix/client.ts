// A small typed Prism Central v3 client over the shared node:http(s)
// transport (providers/shared/http-transport.ts). Nutanix publishes no
// TypeScript SDK (providers.md §5: none on npm), and the calls poolform makes
// are few, so this follows the Prism Central v3 API reference directly. The
// transport takes `ca` / `rejectUnauthorized` per client (ca_cert /
// insecure_skip_verify), which Node's fetch cannot without a new dependency.
//
// - Auth: HTTP Basic (`Authorization: Basic base64(user:password)`) on every
//   call; Prism Central also sets a session cookie, which is not needed.
// - Bodies and answers: JSON; non-2xx → NutanixHttpError (errors.ts).
// - Retries with backoff (shared/backoff.ts): every call on 429 / 503 (not
//   processed; Retry-After honoured), reads also on other 5xx and network
//   errors. Mutations are not retried otherwise: their outcome is unknown and
//   the caller looks again.
// - Intentful tasks: waitTask() polls GET /tasks/{uuid} with backoff and a
//   bound until SUCCEEDED; FAILED / ABORTED is a NutanixTaskError.
import { parseRetryAfter, PollTimeoutError, pollUntil, type RetryOptions, withRetries } from '../shared/backoff.ts';
import type { HttpTransport } from '../shared/http-transport.ts';
import { NutanixTaskError, parseErrorAnswer, transientAnswer } from './errors.ts';

export const V3_PATH = '/api/nutanix/v3';

export interface NutanixClientOptions {
  /** `https://pc.example.com:9440`. */
  baseUrl: string;
  username: string;
  password: string;
  transport: HttpTransport;
  retry: RetryOptions;
  poll: { baseMs: number; maxMs: number; sleep?: (ms: number) => Promise<void>; now?: () => number };
}

/** GET /tasks/{uuid} (the fields poolform reads). */
export interface V3Task {
  uuid?: string;
  status?: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | string;
  error_code?: string;
  error_detail?: string;
}

/** The answer of an intentful POST / DELETE (202). */
export interface V3Accepted {
  status?: { state?: string; execution_context?: { task_uuid?: string | string[] } };
  metadata?: { uuid?: string };
}

export interface NutanixClient {
  call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Waits for a task to succeed; NutanixTaskError when it failed, PollTimeoutError past `timeoutMs`. */
  waitTask(taskUuid: string, timeoutMs: number): Promise<void>;
  readonly stats: { calls: number };
}

export function taskUuidOf(answer: V3Accepted): string | undefined {
  const t = answer.status?.execution_context?.task_uuid;
  return Array.isArray(t) ? t[0] : t;
}

export function createNutanixClient(options: NutanixClientOptions): NutanixClient {
  const base = `${options.baseUrl.replace(/\/+$/, '')}${V3_PATH}`;
  const auth = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;
  const stats = { calls: 0 };

  async function call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    // The list calls are POSTs that change nothing: retried like reads.
    const idempotent = method === 'GET' || method === 'PUT' || path.endsWith('/list');
    return await withRetries(
      async () => {
        stats.calls++;
        const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
        if (body !== undefined) headers['content-type'] = 'application/json';
        const answer = await options.transport(method, `${base}${path}`, headers, body === undefined ? undefined : JSON.stringify(body));
        if (answer.status < 200 || answer.status >= 300) throw parseErrorAnswer(answer.status, answer.text, parseRetryAfter(answer.headers['retry-after']));
        return (answer.text === '' ? {} : JSON.parse(answer.text)) as T;
      },
      (error) => transientAnswer(error, idempotent),
      options.retry,
    );
  }

  return {
    call,
    async waitTask(taskUuid, timeoutMs) {
      const task = await pollUntil(
        () => call<V3Task>('GET', `/tasks/${encodeURIComponent(taskUuid)}`),
        (t) => t.status === 'SUCCEEDED' || t.status === 'FAILED' || t.status === 'ABORTED',
        { ...options.poll, timeoutMs },
      );
      if (task.status !== 'SUCCEEDED') {
        throw new NutanixTaskError(
          taskUuid,
          [task.error_code, task.error_detail].filter(Boolean).join(': ') || `task ${task.status ?? 'failed'}`,
          task.error_code,
        );
      }
    },
    stats,
  };
}

export { PollTimeoutError };
