import { describe, expect, it } from 'vitest';
import type { ObservedVm, VmState } from '../types.ts';
import { liveVmCount } from './live-count.ts';

const vm = (id: string, state: VmState): ObservedVm => ({
  provider_id: id,
  server_id: `s-${id}`,
  pool: 'p',
  autoscale: 'a',
  hostname: id,
  intent_id: `i-${id}`,
  state,
  private_ip: null,
  public_ip: null,
  launched_at: null,
});
const isLive = (state: VmState): boolean => state !== 'terminated' && state !== 'shutting-down';

describe('liveVmCount', () => {
  it('counts created and listed live VMs once each; a listing that shows one gone wins over the create', () => {
    const created = [{ vm: vm('a', 'pending') }, { vm: vm('b', 'running') }, { vm: vm('c', 'running') }];
    const listed = [vm('a', 'running'), vm('b', 'terminated'), vm('d', 'running'), vm('e', 'shutting-down')];
    expect(liveVmCount(created, listed, isLive)).toBe(3); // a, c, d
  });
});
