// The CLI as a client of a running `serve` (`poolform sessions ... --api URL`):
// ending a session through the daemon places queued requests and wakes the
// reconciler at once, as the API does. The key comes from POOLFORM_API_KEY
// (never a flag: argv is visible to every user of the machine in `ps`). A
// self-signed serve certificate is trusted with NODE_EXTRA_CA_CERTS=ca.pem.
import { PoolformError } from '../util/errors.ts';
import type { CliContext } from './context.ts';

export interface ApiTarget {
  base: string;
  key: string;
}

/** `--api URL` (else POOLFORM_API_URL) and POOLFORM_API_KEY; undefined when no URL is given. */
export function apiTarget(ctx: CliContext, flag: string | undefined): ApiTarget | undefined {
  const base = flag ?? ctx.env['POOLFORM_API_URL'];
  if (base === undefined || base === '') return undefined;
  if (!/^https?:\/\/[^\s/]+/i.test(base))
    throw new PoolformError('usage', `--api takes the URL of a running serve, such as https://poolform.example.com, not ${JSON.stringify(base)}`);
  const key = ctx.env['POOLFORM_API_KEY'];
  if (!key) throw new PoolformError('usage', '--api needs the API key in the environment: export POOLFORM_API_KEY=... (an admin key sees every session)');
  return { base: base.replace(/\/+$/, ''), key };
}

/** One JSON request; a non-2xx answer becomes PoolformError `api-request-failed` with the API's error code and message. */
export async function apiJson(target: ApiTarget, method: string, path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${target.base}${path}`, { method, headers: { Authorization: `Bearer ${target.key}`, Accept: 'application/json' } });
  } catch (cause) {
    throw new PoolformError(
      'api-request-failed',
      `cannot reach ${target.base}: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`,
      { cause },
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = (body ?? {}) as { error?: unknown; message?: unknown };
    const code = typeof err.error === 'string' ? err.error : `http-${res.status}`;
    throw new PoolformError('api-request-failed', `${method} ${path}: ${res.status} ${code}${typeof err.message === 'string' ? `: ${err.message}` : ''}`);
  }
  return body;
}
