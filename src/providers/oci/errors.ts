// OCI API errors → PoolformError with a stable code, a message naming the
// provider config and what to fix, and whether trying again later helps.
// The oci-sdk throws OciError {statusCode, serviceCode, message, opcRequestId}
// from OCI's error body `{code, message}` (API Errors, docs.oracle.com/iaas/
// Content/API/References/apierrors.htm): 401 NotAuthenticated, 404
// NotAuthorizedOrNotFound (also "no permission"), 400 LimitExceeded /
// QuotaExceeded, 429 TooManyRequests, 500 InternalError "Out of host
// capacity." when the availability domain cannot place the shape.
// A 429 or 5xx reaching this point was already retried (client.ts).
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';

export interface OciErrorContext {
  /** `VmProvider name` or `DnsProvider name`. */
  where: string;
  /** e.g. `LaunchInstance`. */
  operation: string;
  /** Words for capacity messages, e.g. `shape VM.Standard.E5.Flex in Uocm:US-ASHBURN-AD-1`. */
  what?: string;
}

const CAPACITY = /out of (host )?capacity|insufficient capacity/i;

/** What poolform reads of an OciError. oci-core and oci-dns each pin their own oci-common copy, so `instanceof OciError` is unreliable: the shape decides. */
export interface OciErrorShape {
  statusCode: number;
  serviceCode: string;
  message: string;
  opcRequestId: string | null;
}

export function asOciError(error: unknown): OciErrorShape | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { statusCode?: unknown; serviceCode?: unknown; opcRequestId?: unknown };
  if (typeof e.statusCode !== 'number' || typeof e.serviceCode !== 'string') return undefined;
  return { statusCode: e.statusCode, serviceCode: e.serviceCode, message: e.message, opcRequestId: typeof e.opcRequestId === 'string' ? e.opcRequestId : null };
}

export function ociStatus(error: unknown): number | undefined {
  const cause = error instanceof PoolformError ? error.cause : error;
  return asOciError(cause)?.statusCode;
}

/** A transient answer worth retrying in place (429, 5xx other than capacity, no answer at all). */
export function transientOciError(raw: unknown): { retry: boolean } {
  const error = asOciError(raw);
  if (!error) return { retry: !(raw instanceof PoolformError) };
  if (CAPACITY.test(error.message)) return { retry: false };
  return {
    retry: error.statusCode === 429 || (error.statusCode === 409 && error.serviceCode === 'Conflict') || error.statusCode >= 500 || error.statusCode === -1,
  };
}

/** Whether OCI refused the call, so it certainly did nothing (4xx, or a capacity refusal). */
export function ociRefused(raw: unknown): boolean {
  const error = asOciError(raw);
  if (!error) return false;
  return (error.statusCode >= 400 && error.statusCode < 500) || CAPACITY.test(error.message);
}

export function toOciError(raw: unknown, ctx: OciErrorContext): PoolformError {
  if (raw instanceof PoolformError) return raw;
  const error = asOciError(raw);
  if (!error || error.statusCode === -1) {
    const text = raw instanceof Error ? raw.message : String(raw);
    return new PoolformError('oci-error', `${ctx.where}: ${ctx.operation} got no answer from OCI (${text}); poolform will try again`, {
      retryable: true,
      cause: raw,
      details: { operation: ctx.operation },
    });
  }
  const refused = ociRefused(raw);
  const details = { provider_code: error.serviceCode, http_status: error.statusCode, operation: ctx.operation, opc_request_id: error.opcRequestId };
  const fail = (code: PoolformErrorCode, message: string, retryable = false, field?: string): PoolformError =>
    new PoolformError(code, `${ctx.where}: ${message}`, {
      retryable,
      cause: raw,
      providerCode: error.serviceCode,
      nothingCreated: refused,
      ...(field !== undefined ? { field } : {}),
      details,
    });
  const code = error.serviceCode;
  if (error.statusCode === 401 || code === 'NotAuthenticated') {
    return fail(
      'oci-auth-failed',
      "OCI rejected the request signature (NotAuthenticated): check tenancy_ocid, user_ocid, fingerprint and private_key (the API key must be uploaded for that user, and the fingerprint must be that key's)",
      false,
      'private_key',
    );
  }
  if (error.statusCode === 429 || code === 'TooManyRequests') {
    return fail('oci-throttled', `OCI is still throttling ${ctx.operation} (TooManyRequests) after retries; poolform will try again later`, true);
  }
  if (CAPACITY.test(error.message)) {
    return fail(
      'oci-insufficient-capacity',
      `OCI cannot place ${ctx.what ?? 'the instance'} right now (${error.message}); poolform retries later with backoff. To avoid waiting, choose another shape or availability domain`,
      true,
    );
  }
  if (code === 'LimitExceeded' || code === 'QuotaExceeded') {
    return fail(
      'oci-limit-exceeded',
      `the tenancy's ${code === 'QuotaExceeded' ? 'compartment quota' : 'service limit'} is reached for ${ctx.what ?? ctx.operation} (${error.message}); poolform retries later. Lower max_instances or raise the limit`,
      true,
    );
  }
  if (error.statusCode === 404) {
    return fail(
      'oci-not-found',
      `${ctx.operation}: not found or not authorized (${code}: ${error.message}); check the OCIDs and that the user's group has the policies in docs/providers/oci.md`,
    );
  }
  if (error.statusCode === 403)
    return fail('oci-unauthorized', `the API user may not call ${ctx.operation} (${code}: ${error.message}); see docs/providers/oci.md for the policies`);
  if (error.statusCode >= 400 && error.statusCode < 500)
    return fail('oci-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${code}: ${error.message}`);
  return fail('oci-error', `${ctx.operation} failed: ${code}: ${error.message}`, true);
}
