import { describe, expect, it } from 'vitest';
import { gcpRefused, operationError, toGcpError, transientGcpError } from './errors.ts';

/** A google-gax GoogleError as the REST transport builds it. */
function googleError(code: number, httpStatusCode: number, reason: string, message = reason, retrySeconds?: number): Error {
  return Object.assign(new Error(message), {
    code,
    httpStatusCode,
    reason,
    ...(retrySeconds !== undefined ? { statusDetails: [{ retryDelay: { seconds: retrySeconds, nanos: 0 } }] } : {}),
  });
}

const ctx = { where: 'VmProvider gce', operation: 'compute.instances.insert', what: 'machine_type e2-standard-4 in us-east4-b' };

describe('GCP error mapping', () => {
  it.each([
    [googleError(8, 429, 'rateLimitExceeded'), 'gcp-throttled', true],
    [googleError(7, 403, 'rateLimitExceeded'), 'gcp-throttled', true],
    [googleError(7, 403, 'quotaExceeded', "Quota 'CPUS' exceeded. Limit: 24.0 in region us-east4."), 'gcp-quota-exceeded', true],
    [
      operationError({ error: { errors: [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'no room' }] }, httpErrorStatusCode: 503 }),
      'gcp-insufficient-capacity',
      true,
    ],
    [operationError({ error: { errors: [{ code: 'QUOTA_EXCEEDED', message: 'quota' }] }, httpErrorStatusCode: 403 }), 'gcp-quota-exceeded', true],
    [googleError(16, 401, 'authError'), 'gcp-auth-failed', false],
    [new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication'), 'gcp-auth-failed', false],
    [googleError(7, 403, 'forbidden'), 'gcp-unauthorized', false],
    [googleError(5, 404, 'notFound'), 'gcp-not-found', false],
    [googleError(3, 400, 'invalid'), 'gcp-invalid-request', false],
    [googleError(14, 503, 'backendError'), 'gcp-error', true],
    // @google-cloud/common ApiError (Cloud DNS): HTTP code and errors[].reason.
    [Object.assign(new Error('Precondition not met'), { code: 412, errors: [{ reason: 'conditionNotMet' }] }), 'gcp-invalid-request', false],
  ])('%s → %s (retryable %s), naming the provider', (error, code, retryable) => {
    const mapped = toGcpError(error, ctx);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.message.startsWith('VmProvider gce: ')).toBe(true);
  });

  it('throttling and 5xx are transient (RetryInfo honoured); quota and capacity are refusals, not retried in place', () => {
    expect(transientGcpError(googleError(8, 429, 'rateLimitExceeded', 'slow down', 7))).toEqual({ retry: true, hintMs: 7000 });
    expect(transientGcpError(googleError(14, 503, 'backendError'))).toEqual({ retry: true });
    expect(transientGcpError(googleError(7, 403, 'quotaExceeded')).retry).toBe(false);
    expect(transientGcpError(googleError(16, 401, 'authError')).retry).toBe(false);
    expect(gcpRefused(googleError(7, 403, 'quotaExceeded'))).toBe(true);
    expect(gcpRefused(googleError(6, 409, 'alreadyExists'))).toBe(false);
    expect(gcpRefused(googleError(14, 503, 'backendError'))).toBe(false);
  });
});
