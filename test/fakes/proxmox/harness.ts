// Helpers for suites that run the Proxmox VE provider against the fake:
// provider configs aimed at its API URL, the fake's token as the resolved
// secret, and tuning with instant sleeps so tests assert call counts, never
// durations.
import type { ProxmoxVmProvider } from '../../../src/generated/config.ts';
import { createProxmoxVmProvider, type ProxmoxVmProviderOptions } from '../../../src/providers/proxmox/index.ts';
import type { VmProviderClient } from '../../../src/providers/types.ts';
import { FAKE_NODE, FAKE_TEMPLATE, FAKE_TOKEN, type FakeProxmox } from './server.ts';

export const FAST_PROXMOX_TUNING = {
  sleep: async () => undefined,
  taskPollMs: 1,
  taskPollMaxMs: 2,
  agentPollMs: 1,
  agentPollMaxMs: 2,
  retry: { maxRetries: 3, baseMs: 1, maxMs: 5 },
} as const;

export function proxmoxVmConfig(fake: FakeProxmox, over: Partial<ProxmoxVmProvider> = {}): ProxmoxVmProvider {
  return {
    kind: 'VmProvider',
    name: 'pve',
    type: 'proxmox',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    api_url: fake.baseUrl,
    token_id: FAKE_TOKEN.id,
    token_secret: '${env:PVE_TOKEN_SECRET}',
    node: FAKE_NODE,
    template_vmid: FAKE_TEMPLATE,
    ...over,
  };
}

export function fakeProxmoxVmProvider(
  fake: FakeProxmox,
  over: Partial<ProxmoxVmProvider> = {},
  options: Partial<ProxmoxVmProviderOptions> = {},
): VmProviderClient {
  return createProxmoxVmProvider({
    config: proxmoxVmConfig(fake, over),
    secrets: { tokenSecret: FAKE_TOKEN.secret },
    ...FAST_PROXMOX_TUNING,
    ...options,
  });
}
