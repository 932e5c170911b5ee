// A small typed OpenStack client over HTTP (http.ts): Keystone v3 tokens and
// the Nova calls poolform makes. No maintained TypeScript OpenStack SDK exists
// (npm: pkgcloud is unmaintained and multi-cloud, openstack-wrapper is tiny
// and untyped), and the REST API is small, so this is written against the
// Identity v3 and Compute v2.1 API references directly.
//
// Tokens: fetched on first use, reused until 60 s before `expires_at`, and
// fetched again once when Nova answers 401 (a token revoked or expired
// early); a second 401 is a credential error. The compute endpoint comes from
// the token's catalog (interface + region). Every compute call sends
// X-Auth-Token and `OpenStack-API-Version: compute <microversion>`.
// Throttling (413/429 overLimit that is not a quota) and 502/503/504 are
// retried here with backoff, honouring Retry-After (shared/backoff.ts).
import { PoolformError } from '../../util/errors.ts';
import { type RetryOptions, withRetries } from '../shared/backoff.ts';
import { OpenStackHttpError, parseErrorAnswer, transientOpenStackError } from './errors.ts';
import type { HttpTransport } from './http.ts';
import { authRequestBody, type CatalogEntry, identityBase, type KeystoneAuth, selectEndpoint } from './keystone.ts';

export interface OpenStackClientOptions {
  /** `VmProvider name`, for messages. */
  where: string;
  authUrl: string;
  auth: KeystoneAuth;
  interface: string;
  region?: string;
  transport: HttpTransport;
  /** Compute microversion sent with every call. */
  microversion: string;
  retry: RetryOptions;
  now?: () => number;
}

export interface ComputeAnswer<T> {
  status: number;
  body: T;
}

interface Session {
  token: string;
  expiresAt: number;
  compute: string;
}

export interface OpenStackClient {
  /** One compute call; `path` is relative to the compute endpoint (`/servers/detail?...`). Non-2xx throws OpenStackHttpError. */
  compute<T>(method: string, path: string, body?: unknown): Promise<ComputeAnswer<T>>;
  /** The compute endpoint (authenticates when needed). */
  computeEndpoint(): Promise<string>;
  /** Counts, for tests and budgets. */
  readonly stats: { tokens: number };
}

export function createOpenStackClient(options: OpenStackClientOptions): OpenStackClient {
  const now = options.now ?? Date.now;
  const identity = identityBase(options.authUrl);
  let session: Promise<Session> | undefined;
  const stats = { tokens: 0 };

  async function authenticate(): Promise<Session> {
    stats.tokens++;
    const answer = await withRetries(
      async () => {
        const a = await options.transport(
          'POST',
          `${identity}/auth/tokens`,
          { 'content-type': 'application/json', accept: 'application/json' },
          JSON.stringify(authRequestBody(options.auth)),
        );
        if (a.status < 200 || a.status >= 300) throw parseErrorAnswer('identity', a.status, a.text, a.headers['retry-after'], now());
        return a;
      },
      transientOpenStackError,
      options.retry,
    );
    const token = answer.headers['x-subject-token'];
    if (!token)
      throw new PoolformError(
        'openstack-auth-failed',
        `${options.where}: Keystone answered without an X-Subject-Token header (is auth_url a Keystone v3 endpoint?)`,
      );
    let body: { token?: { expires_at?: string; catalog?: CatalogEntry[] } };
    try {
      body = JSON.parse(answer.text) as typeof body;
    } catch {
      throw new PoolformError('openstack-error', `${options.where}: Keystone's token answer is not JSON (is auth_url a Keystone v3 endpoint?)`, {
        retryable: true,
      });
    }
    const expires = Date.parse(body.token?.expires_at ?? '');
    const choice = selectEndpoint(body.token?.catalog ?? [], 'compute', options.interface, options.region);
    if ('problem' in choice) throw new PoolformError('openstack-endpoint-not-found', `${options.where}: ${choice.problem}`, { field: 'region_name' });
    return { token, expiresAt: Number.isNaN(expires) ? now() + 3_600_000 : expires, compute: choice.url };
  }

  /** The current session; a new token when none, or the held one expires within 60 s, or `stale` is the token that Nova refused. */
  function current(stale?: string): Promise<Session> {
    const held = session;
    const renew = async (): Promise<Session> => {
      if (held) {
        const s = await held.catch(() => undefined);
        if (s && s.token !== stale && s.expiresAt - 60_000 > now()) return s;
      }
      return await authenticate();
    };
    if (!held || stale !== undefined) {
      session = renew();
    } else {
      session = held.then(
        (s) => (s.expiresAt - 60_000 > now() ? s : authenticate()),
        () => authenticate(),
      );
    }
    const mine = session;
    // A failed authentication is not kept: the next call tries again.
    mine.catch(() => {
      if (session === mine) session = undefined;
    });
    return mine;
  }

  async function once<T>(method: string, path: string, body: unknown, s: Session): Promise<ComputeAnswer<T>> {
    const a = await options.transport(
      method,
      `${s.compute}${path}`,
      {
        'x-auth-token': s.token,
        accept: 'application/json',
        'openstack-api-version': `compute ${options.microversion}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body === undefined ? undefined : JSON.stringify(body),
    );
    if (a.status < 200 || a.status >= 300) throw parseErrorAnswer('compute', a.status, a.text, a.headers['retry-after'], now());
    let parsed: unknown;
    if (a.text.trim() !== '') {
      try {
        parsed = JSON.parse(a.text);
      } catch {
        throw new OpenStackHttpError('compute', 502, 'badJson', `${method} ${path.split('?')[0]} answered ${a.status} with a body that is not JSON`);
      }
    }
    return { status: a.status, body: parsed as T };
  }

  return {
    stats,
    async computeEndpoint() {
      return (await current()).compute;
    },
    async compute<T>(method: string, path: string, body?: unknown) {
      return await withRetries(
        async () => {
          const s = await current();
          try {
            return await once<T>(method, path, body, s);
          } catch (error) {
            if (!(error instanceof OpenStackHttpError) || error.status !== 401) throw error;
            // Re-authenticate once; a second 401 is the answer.
            return await once<T>(method, path, body, await current(s.token));
          }
        },
        transientOpenStackError,
        options.retry,
      );
    },
  };
}
