import { describe, expect, it } from 'vitest';
import { mapServerStatus, nextPath, toObservedVm } from './provider.ts';

describe('OpenStack server mapping', () => {
  it('maps Nova status and task state', () => {
    expect(mapServerStatus('BUILD', 'spawning', false)).toBe('pending');
    expect(mapServerStatus('ACTIVE', null, false)).toBe('running');
    expect(mapServerStatus('ACTIVE', 'powering-off', false)).toBe('stopping');
    expect(mapServerStatus('SHUTOFF', null, false)).toBe('stopped');
    expect(mapServerStatus('ERROR', null, false)).toBe('stopped');
    expect(mapServerStatus('ACTIVE', 'deleting', false)).toBe('shutting-down');
    expect(mapServerStatus('ACTIVE', null, true)).toBe('shutting-down');
    expect(mapServerStatus('DELETED', null, false)).toBe('terminated');
    expect(mapServerStatus('SOFT_DELETED', null, false)).toBe('terminated');
  });

  it('reads the markers and the first fixed / floating IPv4 addresses', () => {
    const vm = toObservedVm({
      id: 'u-1',
      status: 'ACTIVE',
      created: '2026-12-04T10:00:00Z',
      metadata: { 'poolform:server-id': 's1', 'poolform:intent-id': 'i1', 'poolform:pool': 'p', 'poolform:autoscale': 'a', 'poolform:hostname': 'h' },
      addresses: {
        net: [
          { addr: 'fd00::5', version: 6, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '10.0.0.5', version: 4, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '203.0.113.5', version: 4, 'OS-EXT-IPS:type': 'floating' },
        ],
      },
    });
    expect(vm).toEqual({
      provider_id: 'u-1',
      server_id: 's1',
      pool: 'p',
      autoscale: 'a',
      hostname: 'h',
      intent_id: 'i1',
      state: 'running',
      private_ip: '10.0.0.5',
      public_ip: '203.0.113.5',
      launched_at: '2026-12-04T10:00:00.000Z',
    });
    expect(toObservedVm({ id: 'u-2', metadata: {} })).toBeUndefined();
  });

  it('follows servers_links next on our own endpoint (Nova may advertise another host)', () => {
    expect(nextPath([{ rel: 'next', href: 'http://nova.internal:8774/v2.1/servers/detail?limit=1000&marker=abc&tags=a%2Cb' }])).toBe(
      '/servers/detail?limit=1000&marker=abc&tags=a%2Cb',
    );
    expect(nextPath([{ rel: 'self', href: 'x' }])).toBeUndefined();
    expect(nextPath(undefined)).toBeUndefined();
  });
});
