// Acceptance test against real Google Cloud: one e2-micro instance created,
// observed and destroyed through the provider, then checked gone with its boot
// disk; with POOLFORM_ACC_GCP_DNS_DOMAIN (the domain of a Cloud DNS managed
// zone in the project), one A record written, observed and deleted. Runs only
// with POOLFORM_ACC_GCP=1, POOLFORM_ACC_GCP_PROJECT and Application Default
// Credentials (GOOGLE_APPLICATION_CREDENTIALS or gcloud's ADC file), as
// docs/providers/gcp.md ("Acceptance tests against real Google Cloud")
// describes; skipped otherwise, with the reason in the suite's name.
// Costs a few cents of instance time; everything is deleted in `finally`.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { GcpDnsProvider, GcpVmProvider } from '../src/generated/config.ts';
import { createGcpVmProvider, instanceName } from '../src/providers/gcp/index.ts';
import { createGcpDnsProvider } from '../src/providers/gcp-dns/index.ts';
import { acceptanceGate, accRecord, expectDnsRoundTrip } from './support/acceptance.ts';

const env = process.env;
const project = env['POOLFORM_ACC_GCP_PROJECT'] ?? '';
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_GCP',
  ['POOLFORM_ACC_GCP_PROJECT'],
  'skipped: set POOLFORM_ACC_GCP=1, POOLFORM_ACC_GCP_PROJECT and Application Default Credentials to run against real Google Cloud',
);

describe.skipIf(!enabled)(`GCP acceptance (real project)${enabled ? '' : ` — ${reason}`}`, () => {
  it('creates, observes and destroys an instance with its boot disk', { timeout: 20 * 60_000 }, async () => {
    const config: GcpVmProvider = {
      kind: 'VmProvider',
      name: 'acc',
      type: 'gcp',
      max_instances: 1,
      project,
      zone: env['POOLFORM_ACC_GCP_ZONE'] ?? 'us-east4-b',
      machine_type: env['POOLFORM_ACC_GCP_MACHINE_TYPE'] ?? 'e2-micro',
      source_image: 'projects/debian-cloud/global/images/family/debian-12',
      startup_script: '#!/bin/sh\necho poolform-acceptance\n',
    };
    // Application Default Credentials: no credentials_json.
    const client = createGcpVmProvider({ config });
    const intent = `acc-intent-${randomBytes(6).toString('hex')}`;
    const ref = { provider_id: instanceName(intent), server_id: `acc-${randomBytes(3).toString('hex')}` };
    try {
      const vm = await client.create({
        intent_id: intent,
        server_id: ref.server_id,
        hostname: ref.server_id,
        pool: 'acc',
        autoscale: 'acc',
        user_data: config.startup_script,
      });
      expect(vm.provider_id).toBe(ref.provider_id);
      expect(vm.private_ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const again = await client.create({
        intent_id: intent,
        server_id: ref.server_id,
        hostname: ref.server_id,
        pool: 'acc',
        autoscale: 'acc',
        user_data: config.startup_script,
      });
      expect(again.provider_id).toBe(vm.provider_id);
      expect((await client.observe()).map((v) => v.server_id)).toContain(ref.server_id);
      expect(await client.capacity()).toMatchObject({ cores: expect.any(Number), memory_mb: expect.any(Number) });
    } finally {
      const results = await client.destroy([ref]);
      expect(results[0]?.error).toBeUndefined();
    }
    expect((await client.observe()).some((v) => v.provider_id === ref.provider_id)).toBe(false);
  });

  it.skipIf(!env['POOLFORM_ACC_GCP_DNS_DOMAIN'])(
    'writes, observes and deletes an A record (POOLFORM_ACC_GCP_DNS_DOMAIN)',
    { timeout: 5 * 60_000 },
    async () => {
      const domain = env['POOLFORM_ACC_GCP_DNS_DOMAIN'] ?? '';
      const config: GcpDnsProvider = { kind: 'DnsProvider', name: 'acc-dns', type: 'gcp', project };
      const dns = createGcpDnsProvider({ config });
      await expectDnsRoundTrip(dns, domain, accRecord(domain, 'pf-acc-', 'acc-dns'));
    },
  );
});
