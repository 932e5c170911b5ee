import { describe, expect, it } from 'vitest';
import { PoolformError } from '../../util/errors.ts';
import { ociRefused, toOciError, transientOciError } from './errors.ts';

/** What oci-common's OciError looks like (read by shape: several copies of oci-common exist). */
function ociError(statusCode: number, serviceCode: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, serviceCode, opcRequestId: 'REQ1' });
}
const ctx = { where: 'VmProvider oci', operation: 'LaunchInstance', what: 'shape VM.Standard.E5.Flex in AD-1' };

describe('OCI error mapping', () => {
  it.each([
    [401, 'NotAuthenticated', 'bad', 'oci-auth-failed', false],
    [429, 'TooManyRequests', 'slow down', 'oci-throttled', true],
    [500, 'InternalError', 'Out of host capacity.', 'oci-insufficient-capacity', true],
    [400, 'LimitExceeded', 'limit', 'oci-limit-exceeded', true],
    [400, 'QuotaExceeded', 'quota', 'oci-limit-exceeded', true],
    [404, 'NotAuthorizedOrNotFound', 'nope', 'oci-not-found', false],
    [400, 'InvalidParameter', 'bad shape', 'oci-invalid-request', false],
    [503, 'ServiceUnavailable', 'later', 'oci-error', true],
  ])('%s %s (%s) → %s, retryable %s', (status, code, message, expected, retryable) => {
    const e = toOciError(ociError(status, code, message), ctx);
    expect(e.code).toBe(expected);
    expect(e.retryable).toBe(retryable);
    expect(e.message.startsWith('VmProvider oci: ')).toBe(true);
    expect(e.providerCode).toBe(code);
  });

  it('retries in place only throttling and 5xx other than capacity; refusals are 4xx and capacity', () => {
    expect(transientOciError(ociError(429, 'TooManyRequests', 'x')).retry).toBe(true);
    expect(transientOciError(ociError(502, 'BadGateway', 'x')).retry).toBe(true);
    expect(transientOciError(ociError(500, 'InternalError', 'Out of host capacity.')).retry).toBe(false);
    expect(transientOciError(ociError(400, 'LimitExceeded', 'x')).retry).toBe(false);
    expect(transientOciError(new PoolformError('oci-error', 'x')).retry).toBe(false);
    expect(ociRefused(ociError(500, 'InternalError', 'Out of host capacity.'))).toBe(true);
    expect(ociRefused(ociError(502, 'BadGateway', 'x'))).toBe(false);
    expect(toOciError(ociError(502, 'BadGateway', 'x'), ctx).nothingCreated).toBe(false);
  });

  it('no answer at all is retryable oci-error', () => {
    const e = toOciError(new Error('ECONNREFUSED'), ctx);
    expect(e.code).toBe('oci-error');
    expect(e.retryable).toBe(true);
  });
});
