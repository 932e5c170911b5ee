import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { belongsTo, isLive, mapInstanceState, toObservedVm } from './instances.ts';

const instance = (over: Partial<Instance> = {}, tags: Record<string, string> = {}): Instance => ({
  InstanceId: 'i-0abc',
  State: { Name: 'running' },
  PrivateIpAddress: '10.0.0.5',
  PublicIpAddress: '203.0.113.5',
  LaunchTime: new Date('2026-01-02T03:04:05Z'),
  Tags: Object.entries({
    'poolform:managed': 'true',
    'poolform:provider': 'aws-main',
    'poolform:pool': 'desktops',
    'poolform:autoscale': 'day',
    'poolform:server-id': 'srv1',
    'poolform:intent-id': 'intent-1',
    Name: 'desk-srv1',
    ...tags,
  }).map(([Key, Value]) => ({ Key, Value })),
  ...over,
});

describe('EC2 instance → observed VM', () => {
  it('maps every EC2 state to the server status of the same name; only the last two count as gone', () => {
    for (const state of ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const) {
      expect(mapInstanceState(state)).toBe(state);
    }
    expect(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'].filter((s) => !isLive(mapInstanceState(s)))).toEqual([
      'shutting-down',
      'terminated',
    ]);
    // An unknown (future) state name: the instance exists.
    expect(mapInstanceState('hibernating')).toBe('pending');
  });

  it('reads the ownership tags into the observed VM', () => {
    expect(toObservedVm(instance())).toEqual({
      provider_id: 'i-0abc',
      server_id: 'srv1',
      pool: 'desktops',
      autoscale: 'day',
      hostname: 'desk-srv1',
      intent_id: 'intent-1',
      state: 'running',
      private_ip: '10.0.0.5',
      public_ip: '203.0.113.5',
      launched_at: '2026-01-02T03:04:05.000Z',
    });
    expect(toObservedVm(instance({ State: { Name: 'stopped' } }))?.state).toBe('stopped');
  });

  it("is poolform's only with poolform:managed=true and a matching (or no) provider tag", () => {
    expect(belongsTo(instance(), 'aws-main')).toBe(true);
    expect(belongsTo(instance(), 'aws-other')).toBe(false);
    expect(belongsTo(instance({}, { 'poolform:managed': 'false' }), 'aws-main')).toBe(false);
    expect(belongsTo({ ...instance(), Tags: instance().Tags?.filter((t) => t.Key !== 'poolform:provider') }, 'aws-other')).toBe(true);
    expect(toObservedVm({ ...instance(), Tags: instance().Tags?.filter((t) => t.Key !== 'poolform:server-id') })).toBeUndefined();
  });
});
