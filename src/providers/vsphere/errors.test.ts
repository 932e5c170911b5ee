import { describe, expect, it } from 'vitest';
import { TransportError } from '../shared/http-transport.ts';
import { parseVsphereError, toVsphereError, transientVsphereError, vsphereRefused } from './errors.ts';

const body = (type: string, message = 'msg'): string => JSON.stringify({ error_type: type, messages: [{ id: 'x', default_message: message, args: [] }] });
const ctx = { where: 'VmProvider vc', operation: 'POST /api/vcenter/vm', what: 'a clone of tpl' };

describe('vsphere error mapping', () => {
  it.each([
    [401, 'UNAUTHENTICATED', 'vsphere-auth-failed', false, true],
    [403, 'UNAUTHORIZED', 'vsphere-unauthorized', false, true],
    [500, 'UNABLE_TO_ALLOCATE_RESOURCE', 'vsphere-insufficient-capacity', true, true],
    [400, 'INVALID_ARGUMENT', 'vsphere-invalid-request', false, true],
    [404, 'NOT_FOUND', 'vsphere-not-found', false, true],
    [429, 'HTTP 429', 'vsphere-throttled', true, true],
    [500, 'RESOURCE_BUSY', 'vsphere-throttled', true, false],
    [503, 'SERVICE_UNAVAILABLE', 'vsphere-throttled', true, false],
    [500, 'ERROR', 'vsphere-error', true, false],
  ])('%i %s → %s (retryable %s, refused %s)', (status, type, code, retryable, refused) => {
    const error = parseVsphereError(status, type.startsWith('HTTP') ? 'Too Many Requests' : body(type));
    const mapped = toVsphereError(error, ctx);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.message.startsWith('VmProvider vc: ')).toBe(true);
    expect(vsphereRefused(error)).toBe(refused);
  });

  it('insufficient-resources messages are capacity whatever the type', () => {
    const error = parseVsphereError(500, body('ERROR', 'Insufficient resources to satisfy configured failover level for vSphere HA.'));
    expect(toVsphereError(error, ctx).code).toBe('vsphere-insufficient-capacity');
  });

  it('Retry-After becomes the retry hint of transient answers only', () => {
    expect(transientVsphereError(parseVsphereError(429, '', '7'))).toEqual({ retry: true, hintMs: 7000 });
    expect(transientVsphereError(parseVsphereError(400, body('INVALID_ARGUMENT'), '7'))).toEqual({ retry: false });
  });

  it('TLS failures are plan errors naming ca_cert; other network failures are retryable', () => {
    const tls = toVsphereError(new TransportError('self-signed certificate in certificate chain', { cause: undefined, tls: true }), ctx);
    expect(tls).toMatchObject({ code: 'vsphere-tls-failed', retryable: false });
    expect(tls.message).toContain('ca_cert');
    expect(toVsphereError(new TransportError('ECONNREFUSED', { cause: undefined, tls: false }), ctx)).toMatchObject({
      code: 'vsphere-unreachable',
      retryable: true,
    });
  });

  it('a proxy page (not JSON) keeps its text', () => {
    const error = parseVsphereError(502, '<html>Bad Gateway</html>');
    expect(error.errorType).toBe('HTTP 502');
    expect(error.message).toContain('Bad Gateway');
  });
});
