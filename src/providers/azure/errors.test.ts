import { describe, expect, it } from 'vitest';
import { PoolformError } from '../../util/errors.ts';
import { azureErrorShape, azureRefused, toAzureError } from './errors.ts';

function restError(code: string, statusCode: number, message = code): Error {
  return Object.assign(new Error(message), { name: 'RestError', code, statusCode });
}

const ctx = { where: 'VmProvider az', operation: 'VirtualMachines_CreateOrUpdate', what: 'vm_size Standard_D4s_v5 in eastus' };

describe('Azure error mapping', () => {
  it.each([
    ['OperationNotAllowed', 409, 'azure-quota-exceeded', true],
    ['QuotaExceeded', 409, 'azure-quota-exceeded', true],
    ['SkuNotAvailable', 409, 'azure-insufficient-capacity', true],
    ['AllocationFailed', 409, 'azure-insufficient-capacity', true],
    ['TooManyRequests', 429, 'azure-throttled', true],
    ['AuthenticationFailed', 401, 'azure-auth-failed', false],
    ['InvalidAuthenticationToken', 401, 'azure-auth-failed', false],
    ['AuthorizationFailed', 403, 'azure-unauthorized', false],
    ['ResourceGroupNotFound', 404, 'azure-resource-group-not-found', false],
    ['PlatformImageNotFound', 404, 'azure-invalid-image', false],
    ['InvalidParameter', 400, 'azure-invalid-request', false],
    ['InternalServerError', 500, 'azure-error', true],
  ] as const)('%s (%i) → %s, retryable %s', (code, status, expected, retryable) => {
    const mapped = toAzureError(restError(code, status), ctx);
    expect(mapped.code).toBe(expected);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.providerCode).toBe(code);
    expect(mapped.message.startsWith('VmProvider az: ')).toBe(true);
  });

  it('reads the code of a long-running operation that ended Failed', () => {
    const error = new Error('The long-running operation has failed. AllocationFailed. Allocation failed. We do not have sufficient capacity.');
    expect(azureErrorShape(error)).toMatchObject({ code: 'AllocationFailed', operationFailed: true });
    expect(azureRefused(error)).toBe(true);
    expect(toAzureError(error, ctx).code).toBe('azure-insufficient-capacity');
  });

  it('identity failures are credential errors naming the provider, network failures are retryable', () => {
    const auth = Object.assign(new Error('ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided.\nTrace ID: x'), {
      name: 'AuthenticationError',
    });
    const mapped = toAzureError(auth, ctx);
    expect(mapped.code).toBe('azure-auth-failed');
    expect(mapped.message).toContain('AADSTS7000215');
    expect(mapped.message).not.toContain('Trace ID');
    const network = toAzureError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx);
    expect(network).toMatchObject({ code: 'azure-error', retryable: true });
    expect(azureRefused(restError('InternalServerError', 500))).toBe(false);
    expect(azureRefused(restError('InvalidParameter', 400))).toBe(true);
    const passthrough = new PoolformError('not-owned', 'x');
    expect(toAzureError(passthrough, ctx)).toBe(passthrough);
  });
});
