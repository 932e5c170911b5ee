// A small typed client for the DigitalOcean API v2 (JSON over HTTPS, Bearer
// token), shared by the Droplet and the DNS provider.
//
// Why not the official SDK (`@digitalocean/dots`, Kiota-generated)? It can be
// pointed at another base URL (FetchRequestAdapter.baseUrl), but the package
// ships its TypeScript sources (583 .ts files, 71 MB, no declaration files):
// TypeScript resolves imports to them and type-checks them under this
// project's strict settings, which fails (TS1484, TS1294, TS2554 inside the
// package), so `npm run typecheck` could not pass with it installed. The API
// subset poolform needs is five endpoints, so a typed client over fetch it is.
//
// What it does for every call:
// - `Authorization: Bearer <token>` (the token never appears in errors).
// - Pacing from the `ratelimit-*` headers (shared/rate-limit.ts): slows down
//   when few calls are left in the hour, waits for the reset at zero.
// - 429 is retried with backoff (Retry-After when sent, else the time to
//   `ratelimit-reset`, capped); 5xx and network errors are retried only for
//   GET, PUT and DELETE (idempotent): a POST that failed with a 5xx may have
//   made the droplet, so it is not sent again (the provider's lookup by the
//   intent tag finds it next time).
// - Errors become DoApiError with DigitalOcean's error body `{id, message}`.
import { backoffDelay, parseRetryAfter, realSleep } from '../shared/backoff.ts';
import { createRateLimitGate, type RateLimitGate, type RateLimitGateOptions } from '../shared/rate-limit.ts';

export const DEFAULT_API_URL = 'https://api.digitalocean.com';
/** DigitalOcean's largest page (per_page). */
export const MAX_PER_PAGE = 200;

export class DoApiError extends Error {
  readonly status: number;
  /** DigitalOcean's error id, e.g. `unauthorized`, `not_found`, `too_many_requests`, `unprocessable_entity`. */
  readonly id: string;
  readonly method: string;
  readonly path: string;
  constructor(status: number, id: string, message: string, method: string, path: string) {
    super(message);
    this.name = 'DoApiError';
    this.status = status;
    this.id = id;
    this.method = method;
    this.path = path;
  }
}

/** A transport failure (no HTTP answer): connection refused, reset, DNS. */
export class DoNetworkError extends Error {
  readonly method: string;
  readonly path: string;
  constructor(message: string, method: string, path: string, cause: unknown) {
    super(message, { cause });
    this.name = 'DoNetworkError';
    this.method = method;
    this.path = path;
  }
}

export interface DoClientOptions {
  token: string;
  /** Base URL without `/v2` (default https://api.digitalocean.com). */
  apiUrl?: string;
  /** Retries of a throttled or failed call (default 4). */
  maxRetries?: number;
  /** First retry delay (default 1,000 ms) and longest (default 30,000 ms). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  rateLimit?: RateLimitGateOptions;
  fetch?: typeof fetch;
  /** Per-call timeout (default 60,000 ms). */
  timeoutMs?: number;
}

export interface DoRequest {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

export interface DoClient {
  request<T>(method: string, path: string, request?: DoRequest): Promise<T>;
  /** Every item of a paginated list: `key` is the array's field (`droplets`, `domain_records`); follows links.pages.next. */
  listAll<T>(path: string, key: string, query?: Record<string, string | number | undefined>): Promise<T[]>;
  readonly gate: RateLimitGate;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createDoClient(options: DoClientOptions): DoClient {
  const base = (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const maxRetries = options.maxRetries ?? 4;
  const backoff = { baseMs: options.retryBaseMs ?? 1000, maxMs: options.retryMaxMs ?? 30_000 };
  const gate = createRateLimitGate({ now, sleep, ...options.rateLimit });
  const timeoutMs = options.timeoutMs ?? 60_000;

  async function once(method: string, path: string, request: DoRequest): Promise<{ status: number; json: unknown; retryAfterMs: number | undefined }> {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    await gate.beforeCall();
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new DoNetworkError(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`, method, path, error);
    }
    gate.observe((name) => response.headers.get(name));
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    let retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
    if (retryAfterMs === undefined && response.status === 429) {
      const reset = gate.state.resetAt;
      if (reset !== undefined) retryAfterMs = Math.max(0, reset - now());
    }
    if (response.status >= 400) {
      const body = isRecord(json) ? json : {};
      const id = typeof body['id'] === 'string' ? body['id'] : `http_${response.status}`;
      const message = typeof body['message'] === 'string' ? body['message'] : text.slice(0, 200) || response.statusText;
      const error = new DoApiError(response.status, id, message, method, path);
      throw Object.assign(error, { retryAfterMs });
    }
    return { status: response.status, json, retryAfterMs };
  }

  async function request<T>(method: string, path: string, req: DoRequest = {}): Promise<T> {
    const idempotent = method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      try {
        return (await once(method, path, req)).json as T;
      } catch (error) {
        const throttled = error instanceof DoApiError && error.status === 429;
        const transient = (error instanceof DoApiError && error.status >= 500) || error instanceof DoNetworkError;
        if (attempt >= maxRetries || !(throttled || (transient && idempotent))) throw error;
        const hint = (error as { retryAfterMs?: number }).retryAfterMs;
        await sleep(backoffDelay(attempt, backoff, hint));
      }
    }
  }

  return {
    gate,
    request,
    async listAll<T>(path: string, key: string, query: Record<string, string | number | undefined> = {}) {
      const items: T[] = [];
      for (let page = 1; ; ) {
        const json = await request<unknown>('GET', path, { query: { ...query, page, per_page: MAX_PER_PAGE } });
        const body = isRecord(json) ? json : {};
        const list = body[key];
        if (Array.isArray(list)) items.push(...(list as T[]));
        const links = isRecord(body['links']) ? body['links'] : {};
        const pages = isRecord(links['pages']) ? links['pages'] : {};
        const next = typeof pages['next'] === 'string' ? Number(new URL(pages['next']).searchParams.get('page')) : Number.NaN;
        // Follow next only forward (a bad link must not loop).
        if (!Number.isInteger(next) || next <= page || !Array.isArray(list) || list.length === 0) return items;
        page = next;
      }
    },
  };
}
