// Helpers for suites that run the Nutanix provider against the Prism Central
// v3 fake: provider configs aimed at its URL, the fake's credentials as the
// resolved secrets, and tuning with instant sleeps so tests assert call
// counts, never durations.
import type { NutanixVmProvider } from '../../../src/generated/config.ts';
import { createNutanixVmProvider, type NutanixVmProviderOptions } from '../../../src/providers/nutanix/index.ts';
import type { VmProviderClient } from '../../../src/providers/types.ts';
import { FAKE_NTNX, type FakeNutanix } from './server.ts';

export const FAST_NUTANIX_TUNING = {
  sleep: async () => undefined,
  taskPollMs: 1,
  taskPollMaxMs: 2,
  retry: { maxRetries: 3, baseMs: 1, maxMs: 5 },
} as const;

export function nutanixVmConfig(fake: FakeNutanix, over: Partial<NutanixVmProvider> = {}): NutanixVmProvider {
  return {
    kind: 'VmProvider',
    name: 'ahv',
    type: 'nutanix',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    prism_central_url: fake.baseUrl,
    username: FAKE_NTNX.username,
    password: '${env:NUTANIX_PASSWORD}',
    cluster_uuid: FAKE_NTNX.clusterUuid,
    subnet_uuid: FAKE_NTNX.subnetUuid,
    image_uuid: FAKE_NTNX.imageUuid,
    num_sockets: 2,
    num_vcpus_per_socket: 2,
    memory_mib: 8192,
    ...over,
  };
}

export function fakeNutanixVmProvider(
  fake: FakeNutanix,
  over: Partial<NutanixVmProvider> = {},
  options: Partial<NutanixVmProviderOptions> = {},
): VmProviderClient {
  return createNutanixVmProvider({
    config: nutanixVmConfig(fake, over),
    secrets: { username: FAKE_NTNX.username, password: FAKE_NTNX.password },
    ...FAST_NUTANIX_TUNING,
    ...options,
  });
}
