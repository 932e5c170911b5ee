import { describe, expect, it } from 'vitest';
import { PoolformError } from '../../util/errors.ts';
import { DoApiError, DoNetworkError } from './client.ts';
import { toDoError } from './errors.ts';

const ctx = { where: 'VmProvider do', operation: 'POST /v2/droplets', what: 'size s-2vcpu-4gb in nyc3' };
const api = (status: number, id: string, message: string) => new DoApiError(status, id, message, 'POST', '/v2/droplets');

describe('DigitalOcean error mapping', () => {
  it.each([
    [401, 'unauthorized', 'Unable to authenticate you.', 'do-auth-failed', false, true],
    [403, 'forbidden', 'You do not have access for the attempted action.', 'do-unauthorized', false, true],
    [422, 'unprocessable_entity', 'Size is not available in this region.', 'do-insufficient-capacity', true, true],
    [422, 'unprocessable_entity', 'Region is not available', 'do-insufficient-capacity', true, true],
    [422, 'unprocessable_entity', 'creating this/these droplet(s) will exceed your droplet limit', 'do-droplet-limit', true, true],
    [403, 'forbidden', 'You have reached your droplet limit', 'do-droplet-limit', true, true],
    [422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.', 'do-invalid-request', false, true],
    [404, 'not_found', 'The resource you were accessing could not be found.', 'do-not-found', false, true],
    [429, 'too_many_requests', 'API Rate limit exceeded.', 'do-throttled', true, true],
    [500, 'server_error', 'Server was unable to give you a response.', 'do-error', true, false],
    [503, 'service_unavailable', 'try later', 'do-error', true, false],
  ])('%i %s (%s) → %s, retryable %s, nothing created %s', (status, id, message, code, retryable, nothingCreated) => {
    const e = toDoError(api(status, id, message), ctx);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.nothingCreated).toBe(nothingCreated);
    expect(e.providerCode).toBe(id);
    expect(e.message.startsWith('VmProvider do: ')).toBe(true);
  });

  it('no answer is retryable and not "nothing created"; PoolformErrors pass through', () => {
    const e = toDoError(new DoNetworkError('POST /v2/droplets: fetch failed', 'POST', '/v2/droplets', new Error('ECONNRESET')), ctx);
    expect(e.code).toBe('do-error');
    expect(e.retryable).toBe(true);
    expect(e.nothingCreated).toBe(false);
    const own = new PoolformError('user-data-too-large', 'x');
    expect(toDoError(own, ctx)).toBe(own);
  });
});
