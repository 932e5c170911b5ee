// Google API errors → PoolformError with a stable code, a message naming the
// provider config and what to fix, and whether trying again later can help.
// Two shapes arrive: google-gax's GoogleError (Compute, REST transport: gRPC
// `code`, `httpStatusCode`, `reason` from google.rpc.ErrorInfo,
// `statusDetails` with google.rpc.RetryInfo) and @google-cloud/common's
// ApiError (Cloud DNS: HTTP `code`, legacy `errors[].reason`). Both carry
// Google's JSON error body `{error: {code, message, status, errors[], details[]}}`.
// Zonal operations that end DONE with `error.errors[].code` (e.g.
// ZONE_RESOURCE_POOL_EXHAUSTED) are turned into the same shape by
// operationErrorShape. Messages from Google carry no secrets.
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';

export interface GcpErrorShape {
  /** HTTP status when known. */
  status: number | undefined;
  /** Reason (ErrorInfo / errors[].reason) or operation error code, e.g. rateLimitExceeded, QUOTA_EXCEEDED. */
  reason: string;
  /** Canonical status, e.g. RESOURCE_EXHAUSTED (when known). */
  grpcStatus: string | undefined;
  message: string;
  /** Delay the service asked for (google.rpc.RetryInfo), ms. */
  retryAfterMs: number | undefined;
  /** An operation Compute accepted and then ended with an error. */
  operationFailed: boolean;
}

const GRPC_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};
const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 5: 404, 6: 409, 7: 403, 8: 429, 9: 412, 13: 500, 14: 503, 16: 401 };

function durationMs(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(value);
    return m ? Number(m[1]) * 1000 : undefined;
  }
  if (value && typeof value === 'object') {
    const d = value as { seconds?: unknown; nanos?: unknown };
    const seconds = Number(typeof d.seconds === 'object' && d.seconds !== null ? String(d.seconds) : (d.seconds ?? 0));
    const nanos = Number(d.nanos ?? 0);
    if (Number.isFinite(seconds)) return seconds * 1000 + (Number.isFinite(nanos) ? nanos / 1e6 : 0);
  }
  return undefined;
}

export function gcpErrorShape(error: unknown): GcpErrorShape {
  if (!(error instanceof Error))
    return { status: undefined, reason: 'Error', grpcStatus: undefined, message: String(error), operationFailed: false, retryAfterMs: undefined };
  const e = error as Error & {
    code?: unknown;
    httpStatusCode?: unknown;
    reason?: unknown;
    statusDetails?: unknown;
    errors?: unknown;
    operationError?: { code?: string; status?: number };
  };
  if (e.operationError) {
    return {
      status: e.operationError.status,
      reason: e.operationError.code ?? 'OPERATION_FAILED',
      grpcStatus: undefined,
      message: e.message,
      operationFailed: true,
      retryAfterMs: undefined,
    };
  }
  let status: number | undefined;
  let grpcStatus: string | undefined;
  if (typeof e.httpStatusCode === 'number') status = e.httpStatusCode;
  if (typeof e.code === 'number') {
    // GoogleError: gRPC code (0-16); ApiError: HTTP status.
    if (e.code >= 100) status ??= e.code;
    else {
      grpcStatus = GRPC_NAMES[e.code];
      status ??= GRPC_TO_HTTP[e.code];
    }
  }
  let reason = typeof e.reason === 'string' && e.reason ? e.reason : '';
  if (!reason && Array.isArray(e.errors)) {
    const first = e.errors.find((x): x is { reason: string } => typeof (x as { reason?: unknown })?.reason === 'string');
    if (first) reason = first.reason;
  }
  let retryAfterMs: number | undefined;
  if (Array.isArray(e.statusDetails)) {
    for (const d of e.statusDetails) {
      const delay = durationMs((d as { retryDelay?: unknown })?.retryDelay);
      if (delay !== undefined) retryAfterMs = delay;
    }
  }
  if (!reason && /Quota '.*' exceeded/i.test(e.message)) reason = 'quotaExceeded';
  return { status, reason: reason || grpcStatus || e.name, grpcStatus, message: e.message, operationFailed: false, retryAfterMs };
}

/** Compute cannot place the instance right now (zone capacity). */
export const CAPACITY_REASONS: ReadonlySet<string> = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'resourcePoolExhausted',
  'STOCKOUT',
  'RESOURCE_POOL_EXHAUSTED',
]);
/** A project/region quota is reached. */
export const QUOTA_REASONS: ReadonlySet<string> = new Set(['QUOTA_EXCEEDED', 'quotaExceeded', 'limitExceeded', 'QUOTA_LIMIT_EXCEEDED']);
/** Request-rate limits: retried with backoff, then reported as throttling. */
export const RATE_REASONS: ReadonlySet<string> = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED', 'RESOURCE_EXHAUSTED']);

/** A transient answer worth retrying in place (throttling, 5xx): `{retry, hintMs}` for shared/backoff.ts withRetries. */
export function transientGcpError(error: unknown): { retry: boolean; hintMs?: number } {
  const shape = gcpErrorShape(error);
  if (shape.operationFailed || QUOTA_REASONS.has(shape.reason) || CAPACITY_REASONS.has(shape.reason)) return { retry: false };
  const throttled = shape.status === 429 || RATE_REASONS.has(shape.reason);
  const unavailable = shape.status === 500 || shape.status === 502 || shape.status === 503 || shape.status === 504;
  if (!throttled && !unavailable) return { retry: false };
  return shape.retryAfterMs !== undefined ? { retry: true, hintMs: shape.retryAfterMs } : { retry: true };
}

/** Whether Google refused the call, so it certainly did nothing (4xx, throttling, quota, capacity, a failed operation). */
export function gcpRefused(error: unknown): boolean {
  const shape = gcpErrorShape(error);
  if (shape.operationFailed || CAPACITY_REASONS.has(shape.reason) || QUOTA_REASONS.has(shape.reason) || RATE_REASONS.has(shape.reason)) return true;
  return shape.status !== undefined && shape.status >= 400 && shape.status < 500 && shape.status !== 409;
}

export function isNotFound(error: unknown): boolean {
  const cause = error instanceof PoolformError ? error.cause : error;
  const shape = gcpErrorShape(cause);
  return shape.status === 404 || shape.reason === 'notFound';
}

export function isAlreadyExists(error: unknown): boolean {
  const cause = error instanceof PoolformError ? error.cause : error;
  const shape = gcpErrorShape(cause);
  return shape.status === 409 || shape.reason === 'alreadyExists';
}

export interface GcpErrorContext {
  /** `VmProvider name` or `DnsProvider name`. */
  where: string;
  /** The API method, e.g. `compute.instances.insert`. */
  operation: string;
  /** What was asked for (machine_type e2-standard-4 in us-east4-b), for capacity/quota messages. */
  what?: string;
}

function short(text: string): string {
  return (text.split('\n')[0] ?? text).trim().slice(0, 300);
}

/** Any error of a Google call → PoolformError; PoolformErrors pass through. */
export function toGcpError(error: unknown, ctx: GcpErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  const shape = gcpErrorShape(error);
  const details = {
    gcp_reason: shape.reason,
    provider_code: shape.reason,
    operation: ctx.operation,
    ...(shape.status !== undefined ? { http_status: shape.status } : {}),
  };
  const fail = (code: PoolformErrorCode, message: string, retryable = false): PoolformError =>
    new PoolformError(code, `${ctx.where}: ${message}`, { retryable, cause: error, providerCode: shape.reason, details });

  if (CAPACITY_REASONS.has(shape.reason)) {
    return fail(
      'gcp-insufficient-capacity',
      `Compute Engine has no capacity for ${ctx.what ?? 'the request'} right now (${shape.reason}); poolform retries later with backoff. To avoid waiting, choose another machine_type or zone. ${short(shape.message)}`,
      true,
    );
  }
  if (QUOTA_REASONS.has(shape.reason)) {
    return fail(
      'gcp-quota-exceeded',
      `the project's quota for ${ctx.what ?? 'the request'} is reached (${shape.reason}); poolform retries later. Lower max_instances or request a quota increase. ${short(shape.message)}`,
      true,
    );
  }
  if (shape.status === 429 || RATE_REASONS.has(shape.reason)) {
    return fail('gcp-throttled', `Google Cloud is still rate-limiting ${ctx.operation} (${shape.reason}) after retries; poolform will try again later`, true);
  }
  if (
    shape.status === 401 ||
    shape.grpcStatus === 'UNAUTHENTICATED' ||
    /invalid_grant|invalid_client|Could not load the default credentials|Could not refresh access token/i.test(shape.message)
  ) {
    return fail(
      'gcp-auth-failed',
      `Google Cloud rejected the credentials (${shape.reason}): ${short(shape.message)}. Check credentials_json (a service-account key as a secret reference) or Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS)`,
    );
  }
  if (shape.status === 403) {
    return fail(
      'gcp-unauthorized',
      `the service account may not call ${ctx.operation} (${shape.reason}): grant it the role in docs/providers/gcp.md. ${short(shape.message)}`,
    );
  }
  if (shape.status === 404)
    return fail('gcp-not-found', `${ctx.operation}: not found (check project, zone, source_image, machine_type, network): ${short(shape.message)}`);
  if (shape.status === 400 || shape.status === 412)
    return fail('gcp-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${shape.reason}: ${short(shape.message)}`);
  const retryable = shape.status === undefined || shape.status >= 500;
  return fail('gcp-error', `${ctx.operation} failed: ${shape.reason}: ${short(shape.message)}`, retryable);
}

/** An error for a zonal Operation that ended DONE with `error.errors[]`. */
export function operationError(op: {
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
  httpErrorStatusCode?: number | null;
  operationType?: string | null;
}): Error {
  const first = op.error?.errors?.[0];
  const err = new Error(first?.message ?? 'the operation failed') as Error & { operationError: { code?: string; status?: number } };
  err.name = 'OperationError';
  err.operationError = { ...(first?.code ? { code: first.code } : {}), ...(op.httpErrorStatusCode ? { status: op.httpErrorStatusCode } : {}) };
  return err;
}
