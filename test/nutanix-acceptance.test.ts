// Acceptance test against a real Prism Central: one VM created from an image
// with cloud-init user data, observed and deleted through the provider. Runs
// only with POOLFORM_ACC_NUTANIX=1 and NUTANIX_PC_URL, NUTANIX_USERNAME,
// NUTANIX_PASSWORD, NUTANIX_CLUSTER_UUID, NUTANIX_SUBNET_UUID,
// NUTANIX_IMAGE_UUID (optional NUTANIX_CA_CERT, a PEM file path), as
// docs/providers/nutanix.md describes; skipped otherwise, with the reason in
// the suite's name. Everything is deleted in `finally` (the Poolform*
// categories it creates stay: they are reused).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NutanixVmProvider } from '../src/generated/config.ts';
import { createNutanixVmProvider } from '../src/providers/nutanix/index.ts';

const env = process.env;
const missing = ['NUTANIX_PC_URL', 'NUTANIX_USERNAME', 'NUTANIX_PASSWORD', 'NUTANIX_CLUSTER_UUID', 'NUTANIX_SUBNET_UUID', 'NUTANIX_IMAGE_UUID'].filter(
  (name) => !env[name],
);
const enabled = env['POOLFORM_ACC_NUTANIX'] === '1' && missing.length === 0;
const reason =
  env['POOLFORM_ACC_NUTANIX'] !== '1'
    ? 'skipped: set POOLFORM_ACC_NUTANIX=1 and the NUTANIX_* variables to run against a real Prism Central'
    : `skipped: POOLFORM_ACC_NUTANIX=1 but ${missing.join(', ')} not set`;

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
    const serverId = `acc-${randomBytes(3).toString('hex')}`;
    let providerId: string | undefined;
    try {
      const vm = await client.create({
        intent_id: `acc-intent-${randomBytes(6).toString('hex')}`,
        server_id: serverId,
        hostname: serverId,
        pool: 'acc',
        autoscale: 'acc',
        user_data: config.startup_script,
      });
      providerId = vm.provider_id;
      expect(['running', 'pending']).toContain(vm.state);
      const seen = (await client.observe()).filter((v) => v.server_id === serverId);
      expect(seen.map((v) => v.provider_id)).toEqual([vm.provider_id]);
    } finally {
      if (providerId) {
        const results = await client.destroy([{ provider_id: providerId, server_id: serverId }]);
        expect(results[0]?.error).toBeUndefined();
        expect((await client.observe()).some((v) => v.server_id === serverId)).toBe(false);
      }
    }
  });
});
