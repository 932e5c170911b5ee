import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toKubeError } from './errors.ts';

const ctx = { where: 'VmProvider kv (kubevirt)', operation: 'create virtualmachines', server: 'https://k8s:6443' };
const status = (code: number, reason: string, message: string, headers: Record<string, string> = {}) =>
  new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code }), headers);

describe('toKubeError', () => {
  it.each([
    [401, 'Unauthorized', 'Unauthorized', 'kubevirt-auth-failed', false, true],
    [
      403,
      'Forbidden',
      'virtualmachines.kubevirt.io "pf-1" is forbidden: exceeded quota: q, requested: count/virtualmachines.kubevirt.io=1',
      'kubevirt-quota-exceeded',
      true,
      true,
    ],
    [403, 'Forbidden', 'User "x" cannot create resource "virtualmachines"', 'kubevirt-unauthorized', false, true],
    [429, 'TooManyRequests', 'slow down', 'kubevirt-throttled', true, true],
    [422, 'Invalid', 'Insufficient memory on the node', 'kubevirt-insufficient-capacity', true, true],
    [422, 'Invalid', 'spec.template.spec.domain.memory.guest: Invalid value', 'kubevirt-invalid-request', false, true],
    [404, 'NotFound', 'namespaces "vms" not found', 'kubevirt-not-found', false, true],
    [500, 'InternalError', 'etcd timeout', 'kubevirt-error', true, false],
  ] as const)('%i %s → %s', (code, reason, message, expected, retryable, nothingCreated) => {
    const e = toKubeError(status(code, reason, message), ctx);
    expect(e.code).toBe(expected);
    expect(e.retryable).toBe(retryable);
    expect(e.nothingCreated).toBe(nothingCreated);
    expect(e.message.startsWith('VmProvider kv (kubevirt): ')).toBe(true);
  });

  it('TLS verification failures name ca_cert and are not retried; connection failures are retried', () => {
    const tls = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    });
    expect(toKubeError(tls, ctx)).toMatchObject({ code: 'kubevirt-tls-failed', retryable: false });
    expect(toKubeError(tls, ctx).message).toContain('ca_cert');
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(toKubeError(refused, ctx)).toMatchObject({ code: 'kubevirt-unreachable', retryable: true });
  });
});
