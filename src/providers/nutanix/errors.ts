// Prism Central v3 errors → PoolformError. What Prism Central answers on a
// failed call (the v3 "status" of an error): `{"api_version": "3.1", "code":
// <http status>, "kind": ..., "state": "ERROR", "message_list": [{"reason",
// "message", "details"}]}`; a failed intentful task is `status: FAILED` with
// `error_code` / `error_detail` on GET /tasks/{uuid}. Mapping:
// - 401 → nutanix-auth-failed (a plan error naming the provider; not retried).
// - 403 → nutanix-unauthorized (the user's role lacks a permission).
// - 429 / "too many requests" → nutanix-throttled (retried with backoff that
//   honours Retry-After by the client first; retryable after that).
// - not enough memory / CPU / storage on the cluster (answer or failed task)
//   → nutanix-insufficient-capacity: retryable and nothing created, so the
//   autoscaler backs off creates like EC2's InsufficientInstanceCapacity.
// - TLS failure → nutanix-tls-failed; 400/422 → nutanix-invalid-request;
//   other 5xx and network failures → retryable.
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';
import { TransportError } from '../shared/http-transport.ts';

export interface V3Message {
  reason?: string;
  message?: string;
}

export class NutanixHttpError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  /** Retry-After in ms, when the answer carried one. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, reason?: string, retryAfterMs?: number) {
    super(message);
    this.name = 'NutanixHttpError';
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An intentful task that ended FAILED (or ABORTED). */
export class NutanixTaskError extends Error {
  readonly taskUuid: string;
  readonly errorCode: string | undefined;
  constructor(taskUuid: string, message: string, errorCode?: string) {
    super(message);
    this.name = 'NutanixTaskError';
    this.taskUuid = taskUuid;
    this.errorCode = errorCode;
  }
}

/** The error of one non-2xx answer, from the v3 error body when there is one. */
export function parseErrorAnswer(status: number, text: string, retryAfterMs?: number): NutanixHttpError {
  let message = '';
  let reason: string | undefined;
  try {
    const body = JSON.parse(text) as { message_list?: V3Message[]; message?: unknown };
    const first = body.message_list?.[0];
    reason = first?.reason;
    message = (body.message_list ?? []).map((m) => [m.reason, m.message].filter(Boolean).join(': ')).join('; ');
    if (message === '' && typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON (a proxy in front of Prism Central): the status says it.
  }
  if (message === '') message = `HTTP ${status}`;
  return new NutanixHttpError(status, message, reason, retryAfterMs);
}

const NO_CAPACITY =
  /insufficient|not enough (memory|cpu|resources|space)|no (host|node) .*(memory|resources|capacity)|out of (memory|capacity|space)|NoHostResources|InsufficientResources|memory .*not available/i;
const THROTTLED = /too many requests|rate limit/i;

export function isThrottled(error: unknown): boolean {
  return error instanceof NutanixHttpError && (error.status === 429 || THROTTLED.test(error.message));
}

export function isNotFound(error: unknown): boolean {
  return error instanceof NutanixHttpError && (error.status === 404 || error.reason === 'ENTITY_NOT_FOUND');
}

/** Worth retrying the same call right away: not processed (429/503) or an idempotent read that failed. */
export function transientAnswer(error: unknown, idempotent: boolean): { retry: boolean; hintMs?: number } {
  if (error instanceof TransportError) return { retry: !error.tls && idempotent };
  if (!(error instanceof NutanixHttpError)) return { retry: false };
  if (isThrottled(error) || error.status === 503) return { retry: true, ...(error.retryAfterMs !== undefined ? { hintMs: error.retryAfterMs } : {}) };
  return { retry: idempotent && error.status >= 500 && !NO_CAPACITY.test(error.message) };
}

/** A refusal: the call made nothing (a create may say nothing was created). */
export function nutanixRefused(error: unknown): boolean {
  if (error instanceof NutanixTaskError) return true;
  if (error instanceof NutanixHttpError) return [400, 401, 403, 404, 422, 429].includes(error.status) || NO_CAPACITY.test(error.message);
  return error instanceof PoolformError && error.nothingCreated === true;
}

export interface NutanixErrorContext {
  where: string;
  operation: string;
}

export function toNutanixError(error: unknown, ctx: NutanixErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  const fail = (code: PoolformErrorCode, message: string, retryable: boolean, status?: number): PoolformError =>
    new PoolformError(code, `${ctx.where}: ${message}`, {
      retryable,
      cause: error,
      details: { operation: ctx.operation, ...(status !== undefined ? { http_status: status } : {}) },
    });
  const text = error instanceof Error ? (error.message.split('\n')[0] ?? '').trim().slice(0, 300) : String(error);
  if (NO_CAPACITY.test(text)) {
    return fail(
      'nutanix-insufficient-capacity',
      `the Nutanix cluster has no room for the VM right now (${ctx.operation}: ${text}); poolform retries later with backoff. Free memory/CPU on the cluster or lower max_instances`,
      true,
    );
  }
  if (error instanceof NutanixTaskError) return fail('nutanix-task-failed', `the ${ctx.operation} task ${error.taskUuid} failed: ${text}`, true);
  if (error instanceof TransportError) {
    if (error.tls) {
      return fail(
        'nutanix-tls-failed',
        `TLS: certificate not trusted by poolform for ${ctx.operation} (${text}). Set ca_cert to the CA that signs the Prism Central certificate`,
        false,
      );
    }
    return fail('nutanix-unreachable', `${ctx.operation}: ${text}; poolform will try again`, true);
  }
  if (!(error instanceof NutanixHttpError)) return fail('nutanix-error', `${ctx.operation} failed: ${text}`, true);
  const { status } = error;
  if (status === 401) {
    return fail('nutanix-auth-failed', `Prism Central rejected the credentials (${text}). Check username and password (a secret reference)`, false, status);
  }
  if (status === 403) {
    return fail(
      'nutanix-unauthorized',
      `the Prism user may not call ${ctx.operation} (${text}). See docs/providers/nutanix.md for the role needed`,
      false,
      status,
    );
  }
  if (isThrottled(error))
    return fail('nutanix-throttled', `Prism Central is throttling requests (${ctx.operation}: ${text}); poolform backs off and tries again`, true, status);
  if (status === 400 || status === 422)
    return fail('nutanix-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${text}`, false, status);
  return fail('nutanix-error', `${ctx.operation} failed: ${text}`, status >= 500, status);
}
