// Acceptance test against a real vCenter: one VM cloned, observed and
// destroyed through the provider. Runs only with POOLFORM_ACC_VSPHERE=1 and
// VSPHERE_URL, VSPHERE_USERNAME, VSPHERE_PASSWORD, VSPHERE_DATACENTER,
// VSPHERE_TEMPLATE, VSPHERE_FOLDER and VSPHERE_RESOURCE_POOL or
// VSPHERE_CLUSTER (VSPHERE_CA_CERT_FILE optional), as docs/providers/vsphere.md
// describes; skipped otherwise, with the reason in the suite's name. The VM is
// deleted in `finally`.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { VsphereVmProvider } from '../src/generated/config.ts';
import { createVsphereVmProvider } from '../src/providers/vsphere/index.ts';

const env = process.env;
const missing = ['VSPHERE_URL', 'VSPHERE_USERNAME', 'VSPHERE_PASSWORD', 'VSPHERE_DATACENTER', 'VSPHERE_TEMPLATE', 'VSPHERE_FOLDER'].filter(
  (name) => !env[name],
);
if (!env['VSPHERE_RESOURCE_POOL'] && !env['VSPHERE_CLUSTER']) missing.push('VSPHERE_RESOURCE_POOL or VSPHERE_CLUSTER');
const enabled = env['POOLFORM_ACC_VSPHERE'] === '1' && missing.length === 0;
const reason =
  env['POOLFORM_ACC_VSPHERE'] !== '1'
    ? 'skipped: set POOLFORM_ACC_VSPHERE=1 and the VSPHERE_* variables to run against a real vCenter'
    : `skipped: POOLFORM_ACC_VSPHERE=1 but ${missing.join(', ')} not set`;

describe.skipIf(!enabled)(`vSphere acceptance (real vCenter)${enabled ? '' : ` — ${reason}`}`, () => {
  it('clones, observes and destroys a VM', { timeout: 30 * 60_000 }, async () => {
    const config: VsphereVmProvider = {
      kind: 'VmProvider',
      name: 'acc',
      type: 'vsphere',
      max_instances: 1,
      startup_script: '#!/bin/sh\necho poolform acceptance\n',
      vcenter_url: env['VSPHERE_URL'] ?? '',
      username: env['VSPHERE_USERNAME'] ?? '',
      password: '${env:VSPHERE_PASSWORD}',
      datacenter: env['VSPHERE_DATACENTER'] ?? '',
      template: env['VSPHERE_TEMPLATE'] ?? '',
      folder: env['VSPHERE_FOLDER'] ?? '',
      ...(env['VSPHERE_RESOURCE_POOL'] ? { resource_pool: env['VSPHERE_RESOURCE_POOL'] } : { cluster: env['VSPHERE_CLUSTER'] ?? '' }),
    };
    const caFile = env['VSPHERE_CA_CERT_FILE'];
    const client = createVsphereVmProvider({
      config,
      secrets: { password: env['VSPHERE_PASSWORD'] ?? '', ...(caFile ? { caCert: readFileSync(caFile, 'utf8') } : {}) },
    });
    const id = randomBytes(4).toString('hex');
    const vm = await client.create({
      intent_id: `acc-${id}`,
      server_id: id,
      hostname: `acc-${id}`,
      pool: 'acceptance',
      autoscale: 'acc',
      user_data: config.startup_script,
    });
    try {
      expect(vm.state).toBe('running');
      const seen = (await client.observe()).filter((v) => v.server_id === id);
      expect(seen.map((v) => v.provider_id)).toEqual([vm.provider_id]);
    } finally {
      const results = await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
      expect(results.filter((r) => r.error)).toEqual([]);
    }
    expect((await client.observe()).some((v) => v.server_id === id)).toBe(false);
  });
});
