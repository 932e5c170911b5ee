// Acceptance test against a real OpenStack cloud: one server created,
// observed and destroyed through the provider (with POOLFORM_ACC_OPENSTACK_VOLUME_GB,
// booted from a volume that must go with it). Runs only with
// POOLFORM_ACC_OPENSTACK=1, the openrc variables (OS_AUTH_URL, OS_USERNAME /
// OS_PASSWORD / OS_PROJECT_NAME, or OS_AUTH_TYPE=v3applicationcredential with
// OS_APPLICATION_CREDENTIAL_ID / _SECRET) and POOLFORM_ACC_OPENSTACK_FLAVOR,
// _IMAGE, _NETWORK, as docs/providers/openstack.md describes; skipped
// otherwise, with the reason in the suite's name. Everything is deleted in `finally`.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import type { OpenStackVmProvider } from '../src/generated/config.ts';
import { createOpenStackVmProvider, type OpenStackSecrets } from '../src/providers/openstack/index.ts';
import { acceptanceGate, expectVmRoundTrip } from './support/acceptance.ts';

const env = process.env;
const appCred = env['OS_AUTH_TYPE'] === 'v3applicationcredential';
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_OPENSTACK',
  [
    'OS_AUTH_URL',
    ...(appCred ? ['OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_SECRET'] : ['OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME']),
    'POOLFORM_ACC_OPENSTACK_FLAVOR',
    'POOLFORM_ACC_OPENSTACK_IMAGE',
    'POOLFORM_ACC_OPENSTACK_NETWORK',
  ],
  'skipped: set POOLFORM_ACC_OPENSTACK=1 and the OS_* openrc variables to run against a real OpenStack cloud',
);

describe.skipIf(!enabled)(`OpenStack acceptance (real cloud)${enabled ? '' : ` — ${reason}`}`, () => {
  it('creates, observes and destroys a server', { timeout: 20 * 60_000 }, async () => {
    const volumeGb = env['POOLFORM_ACC_OPENSTACK_VOLUME_GB'] ? Number(env['POOLFORM_ACC_OPENSTACK_VOLUME_GB']) : undefined;
    const config: OpenStackVmProvider = {
      kind: 'VmProvider',
      name: 'acc',
      type: 'openstack',
      max_instances: 1,
      auth_url: env['OS_AUTH_URL'] ?? '',
      auth_type: appCred ? 'v3applicationcredential' : 'password',
      ...(appCred
        ? {}
        : {
            username: env['OS_USERNAME'] ?? '',
            password: '(resolved)',
            project_name: env['OS_PROJECT_NAME'] ?? '',
            user_domain_name: env['OS_USER_DOMAIN_NAME'] ?? 'Default',
            project_domain_name: env['OS_PROJECT_DOMAIN_NAME'] ?? 'Default',
          }),
      ...(env['OS_REGION_NAME'] ? { region_name: env['OS_REGION_NAME'] } : {}),
      ...(env['OS_INTERFACE'] ? { interface: env['OS_INTERFACE'] as 'public' | 'internal' | 'admin' } : {}),
      flavor: env['POOLFORM_ACC_OPENSTACK_FLAVOR'] ?? '',
      image_id: env['POOLFORM_ACC_OPENSTACK_IMAGE'] ?? '',
      networks: [env['POOLFORM_ACC_OPENSTACK_NETWORK'] ?? ''],
      ...(volumeGb ? { boot_from_volume: true, volume_size_gb: volumeGb } : {}),
      startup_script: '#!/bin/sh\necho poolform-acceptance\n',
    };
    const secrets: OpenStackSecrets = appCred
      ? { applicationCredentialId: env['OS_APPLICATION_CREDENTIAL_ID'] ?? '', applicationCredentialSecret: env['OS_APPLICATION_CREDENTIAL_SECRET'] ?? '' }
      : { password: env['OS_PASSWORD'] ?? '' };
    if (env['OS_CACERT']) secrets.caCert = readFileSync(env['OS_CACERT'], 'utf8');
    const client = createOpenStackVmProvider({ config, secrets });
    await expectVmRoundTrip(client, config.startup_script);
  });
});
