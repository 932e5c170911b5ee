// Helpers for suites that run the OpenStack provider against the fake:
// provider configs aimed at its Keystone URL, the fake's credentials as
// resolved secrets, and tuning with instant sleeps so tests assert call
// counts, never durations.
import type { OpenStackVmProvider } from '../../../src/generated/config.ts';
import { createOpenStackVmProvider, type OpenStackSecrets, type OpenStackVmProviderOptions } from '../../../src/providers/openstack/index.ts';
import type { VmProviderClient } from '../../../src/providers/types.ts';
import { FAKE_APP_CRED, FAKE_IMAGE, FAKE_NETWORK, FAKE_USER, type FakeOpenStack } from './server.ts';

export const FAST_OPENSTACK_TUNING = {
  sleep: async () => undefined,
  pollIntervalMs: 1,
  pollMaxIntervalMs: 5,
  retry: { maxRetries: 3, baseMs: 1, maxMs: 5 },
} as const;

export const PASSWORD_SECRETS: OpenStackSecrets = { password: FAKE_USER.password };
export const APP_CRED_SECRETS: OpenStackSecrets = { applicationCredentialId: FAKE_APP_CRED.id, applicationCredentialSecret: FAKE_APP_CRED.secret };

export function openstackVmConfig(fake: FakeOpenStack, over: Partial<OpenStackVmProvider> = {}): OpenStackVmProvider {
  return {
    kind: 'VmProvider',
    name: 'osp',
    type: 'openstack',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    auth_url: fake.authUrl,
    auth_type: 'password',
    username: FAKE_USER.name,
    password: '${env:OS_PASSWORD}',
    user_domain_name: FAKE_USER.domain,
    project_name: FAKE_USER.project,
    project_domain_name: FAKE_USER.projectDomain,
    region_name: 'RegionOne',
    flavor: 'm1.small',
    image_id: FAKE_IMAGE,
    networks: [FAKE_NETWORK],
    ...over,
  };
}

export function fakeOpenStackVmProvider(
  fake: FakeOpenStack,
  over: Partial<OpenStackVmProvider> = {},
  options: Partial<OpenStackVmProviderOptions> = {},
): VmProviderClient {
  const config = openstackVmConfig(fake, over);
  return createOpenStackVmProvider({
    config,
    secrets: config.auth_type === 'v3applicationcredential' ? APP_CRED_SECRETS : PASSWORD_SECRETS,
    ...FAST_OPENSTACK_TUNING,
    ...options,
  });
}
