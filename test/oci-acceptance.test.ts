// Acceptance test against real Oracle Cloud: one instance launched, observed
// and terminated through the provider (boot volume not preserved); with a DNS
// zone given, one A record written, observed and deleted. Runs only with
// POOLFORM_ACC_OCI=1 and the variables listed in docs/providers/oci.md
// ("Acceptance tests against real OCI"); skipped otherwise with that reason.
// Costs a few cents of instance time; everything is deleted in `finally`.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { OciDnsProvider, OciVmProvider } from '../src/generated/config.ts';
import { createOciDnsProvider } from '../src/providers/oci-dns/index.ts';
import { createOciVmProvider } from '../src/providers/oci/index.ts';
import { acceptanceGate, accRecord, expectDnsRoundTrip } from './support/acceptance.ts';

const env = process.env;
const REQUIRED = [
  'OCI_TENANCY_OCID',
  'OCI_USER_OCID',
  'OCI_FINGERPRINT',
  'OCI_PRIVATE_KEY_PATH',
  'OCI_REGION',
  'POOLFORM_ACC_OCI_COMPARTMENT_ID',
  'POOLFORM_ACC_OCI_AD',
  'POOLFORM_ACC_OCI_SUBNET_ID',
  'POOLFORM_ACC_OCI_IMAGE_ID',
] as const;
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_OCI',
  REQUIRED,
  'skipped: set POOLFORM_ACC_OCI=1 and the OCI API key variables to run against real Oracle Cloud',
);

const need = (name: string): string => env[name] ?? '';
const privateKey = (): string => readFileSync(need('OCI_PRIVATE_KEY_PATH').replace(/^~(?=\/)/, homedir()), 'utf8');

function signing(): Pick<OciVmProvider, 'tenancy_ocid' | 'user_ocid' | 'fingerprint' | 'private_key' | 'region' | 'compartment_id'> {
  return {
    tenancy_ocid: need('OCI_TENANCY_OCID'),
    user_ocid: need('OCI_USER_OCID'),
    fingerprint: need('OCI_FINGERPRINT'),
    private_key: '${file:oci_api_key.pem}',
    region: need('OCI_REGION'),
    compartment_id: need('POOLFORM_ACC_OCI_COMPARTMENT_ID'),
  };
}

describe.skipIf(!enabled)(`OCI acceptance (real tenancy)${enabled ? '' : ` — ${reason}`}`, () => {
  it('launches, observes and terminates an instance', { timeout: 30 * 60_000 }, async () => {
    const shape = env['POOLFORM_ACC_OCI_SHAPE'] ?? 'VM.Standard.E4.Flex';
    const config: OciVmProvider = {
      kind: 'VmProvider',
      name: `acc-${randomBytes(3).toString('hex')}`,
      type: 'oci',
      max_instances: 1,
      ...signing(),
      availability_domain: need('POOLFORM_ACC_OCI_AD'),
      shape,
      ...(shape.endsWith('.Flex') ? { shape_config: { ocpus: 1, memory_in_gbs: 8 } } : {}),
      image_id: need('POOLFORM_ACC_OCI_IMAGE_ID'),
      subnet_id: need('POOLFORM_ACC_OCI_SUBNET_ID'),
      startup_script: '#!/bin/sh\necho poolform-acceptance\n',
    };
    const client = createOciVmProvider({ config, secrets: { privateKey: privateKey() } });
    const intent = `acc-intent-${randomBytes(6).toString('hex')}`;
    let id: string | undefined;
    try {
      const vm = await client.create({
        intent_id: intent,
        server_id: `acc-${intent}`,
        hostname: 'pfacc',
        pool: 'acc',
        autoscale: 'acc',
        user_data: config.startup_script,
      });
      id = vm.provider_id;
      expect(vm.intent_id).toBe(intent);
      expect((await client.observe()).map((v) => v.provider_id)).toContain(id);
    } finally {
      const ids = id ? [id] : (await client.observe()).filter((v) => v.intent_id === intent).map((v) => v.provider_id);
      const results = await client.destroy(ids.map((provider_id) => ({ provider_id, server_id: `acc-${intent}` })));
      expect(results.map((r) => r.error)).toEqual(ids.map(() => undefined));
    }
    const after = (await client.observe()).find((v) => v.provider_id === id);
    expect(after === undefined || after.state === 'terminated' || after.state === 'shutting-down').toBe(true);
  });

  it.skipIf(!env['POOLFORM_ACC_OCI_DNS_ZONE'])('writes, observes and deletes an A record', { timeout: 5 * 60_000 }, async () => {
    const config: OciDnsProvider = { kind: 'DnsProvider', name: 'acc-dns', type: 'oci', ...signing() };
    const zone = need('POOLFORM_ACC_OCI_DNS_ZONE');
    const dns = createOciDnsProvider({ config, secrets: { privateKey: privateKey() } });
    await expectDnsRoundTrip(dns, zone, accRecord(zone, 'pfacc-', 'acc'));
  });
});

describe.skipIf(enabled)('OCI acceptance', () => {
  it.skip(reason, () => undefined);
});
