// OpenStack errors → PoolformError. Nova answers errors as a one-key object
// whose key names the fault (Compute API reference, "Faults"):
// `{"badRequest": {"code": 400, "message": "..."}}`, `itemNotFound` (404),
// `forbidden` (403; also "Quota exceeded for ..." on server create),
// `conflictingRequest` (409), `overLimit` (413 or 429, with Retry-After: a
// quota or a rate limit), `computeFault` (500), `serviceUnavailable` (503).
// Keystone: `{"error": {"code": 401, "title": "Unauthorized", "message": "..."}}`.
// A server that Nova accepted and then put in ERROR carries `fault: {code,
// message}`; "No valid host was found" there means the cloud has no room (a
// capacity error, like EC2's InsufficientInstanceCapacity).
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';
import { parseRetryAfter } from '../shared/backoff.ts';
import { TransportError } from './http.ts';

/** A non-2xx answer of Keystone or Nova. */
export class OpenStackHttpError extends Error {
  readonly status: number;
  /** The fault key (badRequest, overLimit, ...) or Keystone's title. */
  readonly fault: string;
  readonly retryAfterMs: number | undefined;
  readonly service: 'identity' | 'compute';
  constructor(service: 'identity' | 'compute', status: number, fault: string, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'OpenStackHttpError';
    this.service = service;
    this.status = status;
    this.fault = fault;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A server Nova accepted and then put in ERROR (`fault` of the server). */
export class ServerFaultError extends Error {
  readonly faultCode: number | undefined;
  constructor(message: string, faultCode: number | undefined) {
    super(message);
    this.name = 'ServerFaultError';
    this.faultCode = faultCode;
  }
}

/** Reads an error answer's body in Nova's or Keystone's format. */
export function parseErrorAnswer(
  service: 'identity' | 'compute',
  status: number,
  text: string,
  retryAfter: string | undefined,
  now?: number,
): OpenStackHttpError {
  let fault = `http${status}`;
  let message = text.trim().slice(0, 500) || `HTTP ${status}`;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const keys = Object.keys(body);
    const first = keys.length === 1 && keys[0] !== undefined ? keys[0] : 'error' in body ? 'error' : undefined;
    const inner = first ? (body[first] as { message?: unknown; title?: unknown } | undefined) : undefined;
    if (first && inner && typeof inner === 'object') {
      fault = first === 'error' && typeof inner.title === 'string' ? inner.title : first;
      if (typeof inner.message === 'string') message = inner.message;
    }
  } catch {
    // Not JSON (a proxy's HTML page): keep the text.
  }
  return new OpenStackHttpError(service, status, fault, message, parseRetryAfter(retryAfter, now));
}

export const NO_VALID_HOST = /No valid host was found/i;
const QUOTA = /quota exceeded|exceeds? (the )?(allowed )?quota|over ?quota/i;

/** Whether OpenStack refused the call outright, so it certainly did nothing. */
export function openstackRefused(error: unknown): boolean {
  if (error instanceof ServerFaultError) return true;
  if (error instanceof PoolformError) return error.cause !== undefined && openstackRefused(error.cause);
  return error instanceof OpenStackHttpError && error.status >= 400 && error.status < 500;
}

/** Transient: worth retrying in place (shared/backoff.ts withRetries). Quota overLimit is not: it will not pass in seconds. */
export function transientOpenStackError(error: unknown): { retry: boolean; hintMs?: number } {
  if (!(error instanceof OpenStackHttpError)) return { retry: false };
  const throttled = (error.status === 429 || error.status === 413) && !QUOTA.test(error.message);
  const unavailable = error.status === 502 || error.status === 503 || error.status === 504;
  if (!throttled && !unavailable) return { retry: false };
  return error.retryAfterMs !== undefined ? { retry: true, hintMs: error.retryAfterMs } : { retry: true };
}

export function isNotFound(error: unknown): boolean {
  const cause = error instanceof PoolformError ? error.cause : error;
  return cause instanceof OpenStackHttpError && cause.status === 404;
}

export interface OpenStackErrorContext {
  /** `VmProvider name`. */
  where: string;
  /** The call, e.g. `POST /servers`. */
  operation: string;
  /** What was asked for (flavor m1.large in RegionOne), for capacity/quota messages. */
  what?: string;
}

function short(text: string): string {
  return (text.split('\n')[0] ?? text).trim().slice(0, 300);
}

export function toOpenStackError(error: unknown, ctx: OpenStackErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  const fail = (code: PoolformErrorCode, message: string, retryable: boolean, providerCode?: string, status?: number): PoolformError =>
    new PoolformError(code, `${ctx.where}: ${message}`, {
      retryable,
      cause: error,
      ...(providerCode !== undefined ? { providerCode } : {}),
      details: {
        operation: ctx.operation,
        ...(providerCode !== undefined ? { provider_code: providerCode } : {}),
        ...(status !== undefined ? { http_status: status } : {}),
      },
    });
  if (error instanceof ServerFaultError) {
    if (NO_VALID_HOST.test(error.message)) {
      return fail(
        'openstack-insufficient-capacity',
        `OpenStack has no capacity for ${ctx.what ?? 'the server'} right now (No valid host was found); poolform retries later with backoff. To avoid waiting, choose another flavor or availability_zone. ${short(error.message)}`,
        true,
        'NoValidHost',
      );
    }
    if (QUOTA.test(error.message)) {
      return fail(
        'openstack-quota-exceeded',
        `the project's quota for ${ctx.what ?? 'the server'} is reached: ${short(error.message)}; poolform retries later. Lower max_instances or raise the quota`,
        true,
        'OverQuota',
      );
    }
    return fail('openstack-server-error', `the server went to ERROR: ${short(error.message)}`, true, 'ServerError');
  }
  if (error instanceof TransportError) {
    if (error.tls) {
      return fail(
        'openstack-tls-failed',
        `TLS to ${ctx.operation} failed: ${short(error.message)}. Set ca_cert to the CA that signs the cloud's certificates`,
        false,
      );
    }
    return fail('openstack-unreachable', `${ctx.operation}: ${short(error.message)}; poolform will try again`, true);
  }
  if (!(error instanceof OpenStackHttpError))
    return fail('openstack-error', `${ctx.operation} failed: ${error instanceof Error ? error.message : String(error)}`, true);
  const { status, fault } = error;
  const message = short(error.message);
  if (status === 401) {
    return fail(
      'openstack-auth-failed',
      `OpenStack (Keystone) rejected the credentials (${fault}): ${message.replace(/\.+$/, '')}. Check auth_url, auth_type and username/password/project or application_credential_id/application_credential_secret (secret references)`,
      false,
      fault,
      status,
    );
  }
  if ((status === 403 || status === 413 || status === 429) && QUOTA.test(error.message)) {
    return fail(
      'openstack-quota-exceeded',
      `the project's quota for ${ctx.what ?? 'the request'} is reached (${fault}): ${message}; poolform retries later. Lower max_instances or raise the quota`,
      true,
      fault,
      status,
    );
  }
  if (status === 413 || status === 429) {
    return fail(
      'openstack-throttled',
      `OpenStack is still rate-limiting ${ctx.operation} (${fault}) after retries; poolform will try again later`,
      true,
      fault,
      status,
    );
  }
  if (status === 403) {
    return fail(
      'openstack-unauthorized',
      `the OpenStack user may not call ${ctx.operation} (${fault}): ${message}. See docs/providers/openstack.md for the roles needed`,
      false,
      fault,
      status,
    );
  }
  if (status === 404) return fail('openstack-not-found', `${ctx.operation}: not found (check flavor, image_id, networks): ${message}`, false, fault, status);
  if (status === 400 || status === 409)
    return fail('openstack-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${fault}: ${message}`, false, fault, status);
  return fail('openstack-error', `${ctx.operation} failed: ${fault}: ${message}`, status >= 500, fault, status);
}
