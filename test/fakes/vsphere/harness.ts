// Helpers for suites that run the vSphere provider against the fake: a
// provider config aimed at it, its credentials as resolved secrets, and
// tuning with instant sleeps so tests assert call counts, never durations.
import type { VsphereVmProvider } from '../../../src/generated/config.ts';
import { createVsphereVmProvider, type VsphereVmProviderOptions } from '../../../src/providers/vsphere/index.ts';
import type { VmProviderClient } from '../../../src/providers/types.ts';
import { FAKE_VSPHERE_USER, type FakeVsphere } from './server.ts';

export const FAST_VSPHERE_TUNING = {
  sleep: async () => undefined,
  pollIntervalMs: 1,
  pollMaxIntervalMs: 5,
  retry: { maxRetries: 3, baseMs: 1, maxMs: 5 },
} as const;

export function vsphereVmConfig(fake: FakeVsphere, over: Partial<VsphereVmProvider> = {}): VsphereVmProvider {
  return {
    kind: 'VmProvider',
    name: 'vc',
    type: 'vsphere',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    vcenter_url: fake.url,
    username: FAKE_VSPHERE_USER.username,
    password: '${env:VSPHERE_PASSWORD}',
    datacenter: 'dc-1',
    template: 'ubuntu-2404-template',
    folder: 'poolform',
    resource_pool: 'rp-desktops',
    ...over,
  };
}

export function fakeVsphereVmProvider(
  fake: FakeVsphere,
  over: Partial<VsphereVmProvider> = {},
  options: Partial<VsphereVmProviderOptions> = {},
): VmProviderClient {
  return createVsphereVmProvider({
    config: vsphereVmConfig(fake, over),
    secrets: { password: FAKE_VSPHERE_USER.password },
    ...FAST_VSPHERE_TUNING,
    ...options,
  });
}
