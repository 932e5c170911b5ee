import { describe, expect, it } from 'vitest';
import { TransportError } from '../shared/http-transport.ts';
import { NutanixHttpError, NutanixTaskError, nutanixRefused, parseErrorAnswer, toNutanixError, transientAnswer } from './errors.ts';

const v3 = (status: number, reason: string, message: string) =>
  JSON.stringify({ api_version: '3.1', code: status, kind: 'vm', state: 'ERROR', message_list: [{ reason, message, details: {} }] });
const ctx = { where: 'VmProvider ahv', operation: 'create' };

describe('nutanix error mapping', () => {
  it('reads the v3 error body; falls back to the status', () => {
    const e = parseErrorAnswer(422, v3(422, 'INVALID_REQUEST', 'Cluster x does not exist.'));
    expect([e.status, e.reason, e.message]).toEqual([422, 'INVALID_REQUEST', 'INVALID_REQUEST: Cluster x does not exist.']);
    expect(parseErrorAnswer(502, '<html>bad gateway</html>').message).toBe('HTTP 502');
  });

  it.each([
    [new NutanixHttpError(401, 'AUTHENTICATION_REQUIRED: Authentication required.'), 'nutanix-auth-failed', false, true],
    [new NutanixHttpError(403, 'ACCESS_DENIED'), 'nutanix-unauthorized', false, true],
    [new NutanixHttpError(429, 'Too many requests', undefined, 2000), 'nutanix-throttled', true, true],
    [new NutanixHttpError(500, 'too many requests in flight'), 'nutanix-throttled', true, false],
    [new NutanixHttpError(422, 'INVALID_REQUEST: bad'), 'nutanix-invalid-request', false, true],
    [new NutanixHttpError(500, 'INTERNAL_ERROR'), 'nutanix-error', true, false],
    [new NutanixTaskError('t-1', 'INSUFFICIENT_RESOURCES: Not enough memory available on cluster'), 'nutanix-insufficient-capacity', true, true],
    [new NutanixTaskError('t-1', 'INTERNAL_ERROR: clone failed'), 'nutanix-task-failed', true, true],
    [new TransportError('GET https://pc: self-signed certificate', { cause: undefined, tls: true }), 'nutanix-tls-failed', false, false],
    [new TransportError('GET https://pc: ECONNREFUSED', { cause: undefined, tls: false }), 'nutanix-unreachable', true, false],
  ] as const)('%s → %s (retryable %s, refused %s)', (error, code, retryable, refused) => {
    const mapped = toNutanixError(error, ctx);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.message.startsWith('VmProvider ahv: ')).toBe(true);
    expect(nutanixRefused(error)).toBe(refused);
  });

  it('retries 429/503 with the Retry-After hint on any call, other 5xx and network errors only on reads, never TLS', () => {
    expect(transientAnswer(new NutanixHttpError(429, 'x', undefined, 7000), false)).toEqual({ retry: true, hintMs: 7000 });
    expect(transientAnswer(new NutanixHttpError(503, 'x'), false)).toEqual({ retry: true });
    expect(transientAnswer(new NutanixHttpError(500, 'x'), false).retry).toBe(false);
    expect(transientAnswer(new NutanixHttpError(500, 'x'), true).retry).toBe(true);
    expect(transientAnswer(new NutanixHttpError(500, 'not enough memory'), true).retry).toBe(false);
    expect(transientAnswer(new NutanixHttpError(404, 'x'), true).retry).toBe(false);
    expect(transientAnswer(new TransportError('reset', { cause: undefined, tls: false }), true).retry).toBe(true);
    expect(transientAnswer(new TransportError('reset', { cause: undefined, tls: false }), false).retry).toBe(false);
    expect(transientAnswer(new TransportError('cert', { cause: undefined, tls: true }), true).retry).toBe(false);
  });
});
