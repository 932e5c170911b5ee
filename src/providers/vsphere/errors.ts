// vSphere Automation API errors → PoolformError. The REST API (`/api` paths,
// 7.0+) answers an error as `{"error_type": "NOT_FOUND", "messages":
// [{"id", "default_message", "args"}]}` (vAPI standard errors, "Vapi Std
// Errors" in the API reference). The classes poolform acts on:
// - UNAUTHENTICATED (401): wrong username/password or a session gone; the
//   client re-authenticates once, then it is a credential error naming the
//   provider (plan shows it, nothing is retried in a loop).
// - UNAUTHORIZED (403): the account lacks a privilege.
// - UNABLE_TO_ALLOCATE_RESOURCE, and messages about insufficient resources /
//   licences: the cluster has no room → a capacity error (retryable, nothing
//   created) so the autoscaler backs off like EC2's InsufficientInstanceCapacity.
// - RESOURCE_BUSY, SERVICE_UNAVAILABLE, HTTP 429/503: transient, retried in place.
// - NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT: the settings are wrong.
// TLS failures (the certificate not signed by `ca_cert`) are plan errors
// naming the provider.
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';
import { parseRetryAfter } from '../shared/backoff.ts';
import { TransportError } from '../shared/http-transport.ts';

/** A non-2xx answer of the Automation API. */
export class VsphereHttpError extends Error {
  readonly status: number;
  /** vAPI error type (NOT_FOUND, ...) or `HTTP <status>` when the body had none. */
  readonly errorType: string;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, errorType: string, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'VsphereHttpError';
    this.status = status;
    this.errorType = errorType;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Reads an error answer in vAPI's REST form (or keeps the text of a proxy page). */
export function parseVsphereError(status: number, text: string, retryAfter?: string, now?: number): VsphereHttpError {
  let type = `HTTP ${status}`;
  let message = text.trim().slice(0, 300) || `HTTP ${status}`;
  try {
    const body = JSON.parse(text) as {
      error_type?: unknown;
      type?: unknown;
      messages?: { default_message?: unknown }[];
      value?: { messages?: { default_message?: unknown }[] };
    };
    const t = typeof body.error_type === 'string' ? body.error_type : typeof body.type === 'string' ? body.type.replace(/^.*\./, '').toUpperCase() : undefined;
    if (t) type = t;
    const msgs = body.messages ?? body.value?.messages ?? [];
    const joined = msgs
      .map((m) => (typeof m.default_message === 'string' ? m.default_message : ''))
      .filter(Boolean)
      .join('; ');
    if (joined) message = joined;
  } catch {
    // Not JSON: keep the text.
  }
  return new VsphereHttpError(status, type, message, parseRetryAfter(retryAfter, now));
}

const CAPACITY = /insufficient|not enough|no (compatible|available) host|unable to allocate|exceed(s|ed)? .*(limit|capacity|licen)/i;

/** Whether vCenter refused the call outright (4xx, or a capacity refusal), so it certainly did nothing. */
export function vsphereRefused(error: unknown): boolean {
  const cause = error instanceof PoolformError ? error.cause : error;
  if (!(cause instanceof VsphereHttpError)) return false;
  return (cause.status >= 400 && cause.status < 500 && cause.status !== 408) || cause.errorType === 'UNABLE_TO_ALLOCATE_RESOURCE';
}

/** Transient: retried in place with backoff (honouring Retry-After). */
export function transientVsphereError(error: unknown): { retry: boolean; hintMs?: number } {
  if (!(error instanceof VsphereHttpError)) return { retry: false };
  const transient =
    error.status === 429 ||
    error.status === 502 ||
    error.status === 503 ||
    error.status === 504 ||
    error.errorType === 'RESOURCE_BUSY' ||
    error.errorType === 'SERVICE_UNAVAILABLE';
  if (!transient) return { retry: false };
  return error.retryAfterMs !== undefined ? { retry: true, hintMs: error.retryAfterMs } : { retry: true };
}

export function isVsphereNotFound(error: unknown): boolean {
  const cause = error instanceof PoolformError ? error.cause : error;
  return cause instanceof VsphereHttpError && (cause.errorType === 'NOT_FOUND' || cause.status === 404);
}

export interface VsphereErrorContext {
  /** `VmProvider name`. */
  where: string;
  /** The call, e.g. `POST /api/vcenter/vm?action=clone`. */
  operation: string;
  /** What was asked for, for capacity messages. */
  what?: string;
}

const short = (text: string): string => (text.split('\n')[0] ?? text).trim().slice(0, 300);

export function toVsphereError(error: unknown, ctx: VsphereErrorContext): PoolformError {
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
  if (error instanceof TransportError) {
    if (error.tls) {
      return fail(
        'vsphere-tls-failed',
        `TLS to vCenter failed (${short(error.message)}). Set ca_cert to the CA that signs vCenter's certificate (a \${file:} reference)`,
        false,
      );
    }
    return fail('vsphere-unreachable', `${ctx.operation}: ${short(error.message)}; poolform will try again`, true);
  }
  if (!(error instanceof VsphereHttpError))
    return fail('vsphere-error', `${ctx.operation} failed: ${error instanceof Error ? error.message : String(error)}`, true);
  const { status, errorType } = error;
  const message = short(error.message);
  if (errorType === 'UNAUTHENTICATED' || status === 401) {
    return fail(
      'vsphere-auth-failed',
      `vCenter rejected the credentials (${errorType}): ${message.replace(/\.+$/, '')}. Check vcenter_url, username and password (a secret reference)`,
      false,
      errorType,
      status,
    );
  }
  if (errorType === 'UNAUTHORIZED' || status === 403) {
    return fail(
      'vsphere-unauthorized',
      `the vCenter account may not call ${ctx.operation}: ${message}. See docs/providers/vsphere.md for the privileges needed`,
      false,
      errorType,
      status,
    );
  }
  if (errorType === 'UNABLE_TO_ALLOCATE_RESOURCE' || CAPACITY.test(error.message)) {
    return fail(
      'vsphere-insufficient-capacity',
      `vCenter has no capacity for ${ctx.what ?? 'the VM'} right now (${errorType}: ${message}); poolform retries later with backoff. Lower max_instances or add capacity`,
      true,
      errorType,
      status,
    );
  }
  if (status === 429 || errorType === 'RESOURCE_BUSY' || errorType === 'SERVICE_UNAVAILABLE' || status === 503) {
    return fail(
      'vsphere-throttled',
      `vCenter is still busy or rate-limiting ${ctx.operation} (${errorType}) after retries; poolform will try again later`,
      true,
      errorType,
      status,
    );
  }
  if (errorType === 'NOT_FOUND' || status === 404) {
    return fail(
      'vsphere-not-found',
      `${ctx.operation}: not found (check template, folder, resource_pool/cluster, datastore, network): ${message}`,
      false,
      errorType,
      status,
    );
  }
  if (status >= 400 && status < 500) {
    return fail('vsphere-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${errorType}: ${message}`, false, errorType, status);
  }
  return fail('vsphere-error', `${ctx.operation} failed: ${errorType}: ${message}`, true, errorType, status);
}
