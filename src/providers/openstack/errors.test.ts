import { describe, expect, it } from 'vitest';
import { OpenStackHttpError, parseErrorAnswer, ServerFaultError, toOpenStackError, transientOpenStackError } from './errors.ts';
import { TransportError } from './http.ts';

const ctx = { where: 'VmProvider osp', operation: 'POST /servers', what: 'flavor m1.small' };

describe('OpenStack error bodies and mapping', () => {
  it("reads Nova's {fault: {code, message}} and Keystone's {error: {title, message}}, and Retry-After", () => {
    const nova = parseErrorAnswer('compute', 429, '{"overLimit": {"code": 429, "message": "This request was rate-limited."}}', '3');
    expect(nova).toMatchObject({ status: 429, fault: 'overLimit', message: 'This request was rate-limited.', retryAfterMs: 3000 });
    const ks = parseErrorAnswer(
      'identity',
      401,
      '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}',
      undefined,
    );
    expect(ks).toMatchObject({ fault: 'Unauthorized', message: 'The request you have made requires authentication.' });
    expect(parseErrorAnswer('compute', 502, '<html>Bad Gateway</html>', undefined)).toMatchObject({ fault: 'http502', message: '<html>Bad Gateway</html>' });
  });

  it('maps each kind of failure to a stable code, retryability and a message naming the provider', () => {
    const e = (status: number, fault: string, message: string) => new OpenStackHttpError('compute', status, fault, message);
    const table: [unknown, string, boolean][] = [
      [e(401, 'Unauthorized', 'x'), 'openstack-auth-failed', false],
      [e(403, 'forbidden', 'Quota exceeded for cores: Requested 4, but already used 20 of 20 cores'), 'openstack-quota-exceeded', true],
      [e(413, 'overLimit', 'Quota exceeded for instances'), 'openstack-quota-exceeded', true],
      [e(429, 'overLimit', 'This request was rate-limited.'), 'openstack-throttled', true],
      [e(403, 'forbidden', 'Policy does not allow os_compute_api:servers:create to be performed.'), 'openstack-unauthorized', false],
      [e(404, 'itemNotFound', 'Flavor 9 could not be found.'), 'openstack-not-found', false],
      [e(400, 'badRequest', 'Invalid input'), 'openstack-invalid-request', false],
      [e(409, 'conflictingRequest', 'x'), 'openstack-invalid-request', false],
      [e(500, 'computeFault', 'x'), 'openstack-error', true],
      [new ServerFaultError('No valid host was found. There are not enough hosts available.', 500), 'openstack-insufficient-capacity', true],
      [new ServerFaultError('Build of instance x aborted: Quota exceeded for volumes', 500), 'openstack-quota-exceeded', true],
      [new ServerFaultError('Build of instance aborted: Failure prepping block device.', 500), 'openstack-server-error', true],
      [new TransportError('GET https://k: self-signed certificate in certificate chain', { cause: new Error(), tls: true }), 'openstack-tls-failed', false],
      [new TransportError('GET http://k: connect ECONNREFUSED', { cause: new Error(), tls: false }), 'openstack-unreachable', true],
    ];
    for (const [error, code, retryable] of table) {
      const mapped = toOpenStackError(error, ctx);
      expect({ code: mapped.code, retryable: mapped.retryable }, String(error)).toEqual({ code, retryable });
      expect(mapped.message.startsWith('VmProvider osp: ')).toBe(true);
    }
  });

  it('retries in place only throttling (not quota) and 502/503/504, with the hint', () => {
    expect(transientOpenStackError(new OpenStackHttpError('compute', 429, 'overLimit', 'rate-limited', 2000))).toEqual({ retry: true, hintMs: 2000 });
    expect(transientOpenStackError(new OpenStackHttpError('compute', 413, 'overLimit', 'Quota exceeded for instances'))).toEqual({ retry: false });
    expect(transientOpenStackError(new OpenStackHttpError('compute', 503, 'serviceUnavailable', 'x'))).toEqual({ retry: true });
    expect(transientOpenStackError(new OpenStackHttpError('compute', 500, 'computeFault', 'x'))).toEqual({ retry: false });
    expect(transientOpenStackError(new Error('x'))).toEqual({ retry: false });
  });
});
