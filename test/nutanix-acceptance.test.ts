// Acceptance test against a real Prism Central: one VM created from an image
// with cloud-init user data, observed and deleted through the provider. Runs
// only with POOLFORM_ACC_NUTANIX=1 and NUTANIX_PC_URL, NUTANIX_USERNAME,
// NUTANIX_PASSWORD, NUTANIX_CLUSTER_UUID, NUTANIX_SUBNET_UUID,
// NUTANIX_IMAGE_UUID (optional NUTANIX_CA_CERT, a PEM file path), as
// docs/providers/nutanix.md describes; skipped otherwise, with the reason in
// the suite's name. Everything is deleted in `finally` (the Poolform*
// categories it creates stay: they are reused).
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import type { NutanixVmProvider } from '../src/generated/config.ts';
import { createNutanixVmProvider } from '../src/providers/nutanix/index.ts';
import { acceptanceGate, expectVmRoundTrip } from './support/acceptance.ts';

const env = process.env;
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_NUTANIX',
  ['NUTANIX_PC_URL', 'NUTANIX_USERNAME', 'NUTANIX_PASSWORD', 'NUTANIX_CLUSTER_UUID', 'NUTANIX_SUBNET_UUID', 'NUTANIX_IMAGE_UUID'],
  'skipped: set POOLFORM_ACC_NUTANIX=1 and the NUTANIX_* variables to run against a real Prism Central',
);

describe.skipIf(!enabled)(`Nutanix acceptance (real Prism Central)${enabled ? '' : ` — ${reason}`}`, () => {
  it('creates, observes and deletes a VM', { timeout: 30 * 60_000 }, async () => {
    const config: NutanixVmProvider = {
      kind: 'VmProvider',
      name: 'acc',
      type: 'nutanix',
      max_instances: 1,
      prism_central_url: env['NUTANIX_PC_URL'] ?? '',
      username: '(resolved)',
      password: '(resolved)',
      cluster_uuid: env['NUTANIX_CLUSTER_UUID'] ?? '',
      subnet_uuid: env['NUTANIX_SUBNET_UUID'] ?? '',
      image_uuid: env['NUTANIX_IMAGE_UUID'] ?? '',
      num_sockets: 1,
      num_vcpus_per_socket: 1,
      memory_mib: 1024,
      startup_script: '#cloud-config\nruncmd:\n  - echo poolform-acceptance > /tmp/poolform-acceptance\n',
    };
    const client = createNutanixVmProvider({
      config,
      secrets: {
        username: env['NUTANIX_USERNAME'] ?? '',
        password: env['NUTANIX_PASSWORD'] ?? '',
        ...(env['NUTANIX_CA_CERT'] ? { caCert: readFileSync(env['NUTANIX_CA_CERT'], 'utf8') } : {}),
      },
    });
    await expectVmRoundTrip(client, config.startup_script, { createdStates: ['running', 'pending'] });
  });
});
