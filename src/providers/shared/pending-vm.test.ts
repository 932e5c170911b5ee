import { describe, expect, it } from 'vitest';
import { pendingVm } from './pending-vm.ts';

describe('pendingVm', () => {
  const request = { intent_id: 'i-1', server_id: 's-1', hostname: 'h1', pool: 'p', autoscale: 'a', user_data: '' };
  it("carries the request's ids, state pending and the known facts; unknown addresses are null", () => {
    expect(pendingVm('vm-1', request, { launched_at: null })).toEqual({
      provider_id: 'vm-1',
      server_id: 's-1',
      pool: 'p',
      autoscale: 'a',
      hostname: 'h1',
      intent_id: 'i-1',
      state: 'pending',
      private_ip: null,
      public_ip: null,
      launched_at: null,
    });
    expect(pendingVm('vm-1', request, { private_ip: '10.0.0.4', public_ip: undefined, launched_at: '2026-01-01T00:00:00.000Z' })).toMatchObject({
      private_ip: '10.0.0.4',
      public_ip: null,
      launched_at: '2026-01-01T00:00:00.000Z',
    });
  });
});
