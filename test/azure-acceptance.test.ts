// Acceptance test against real Azure: one VM (NIC, no public IP, OS disk)
// created, observed and destroyed through the provider, then checked gone with
// its NIC and disk; with a DNS zone given, one A record written, observed and
// deleted. Runs only with POOLFORM_ACC_AZURE=1 and the variables listed in
// docs/providers/azure.md ("Acceptance tests against real Azure"); skipped
// otherwise. Costs a few cents of VM time; everything is deleted in `finally`.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AzureDnsProvider, AzureVmProvider } from '../src/generated/config.ts';
import { createAzureVmProvider } from '../src/providers/azure/index.ts';
import { resourceNames } from '../src/providers/azure/names.ts';
import { createAzureDnsProvider } from '../src/providers/azure-dns/index.ts';
import { acceptanceGate, accRecord, expectDnsRoundTrip } from './support/acceptance.ts';

const env = process.env;
const REQUIRED = [
  'AZURE_SUBSCRIPTION_ID',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'POOLFORM_ACC_AZURE_RESOURCE_GROUP',
  'POOLFORM_ACC_AZURE_LOCATION',
  'POOLFORM_ACC_AZURE_SUBNET_ID',
] as const;
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_AZURE',
  REQUIRED,
  'skipped: set POOLFORM_ACC_AZURE=1 and the Azure credentials to run against real Azure',
);

const need = (name: string): string => env[name] ?? '';

describe.skipIf(!enabled)(`Azure acceptance (real subscription)${enabled ? '' : ` — ${reason}`}`, () => {
  it('creates, observes and destroys a VM with nothing left behind', { timeout: 30 * 60_000 }, async () => {
    const config: AzureVmProvider = {
      kind: 'VmProvider',
      name: `acc-${randomBytes(3).toString('hex')}`,
      type: 'azure',
      max_instances: 1,
      subscription_id: need('AZURE_SUBSCRIPTION_ID'),
      tenant_id: need('AZURE_TENANT_ID'),
      client_id: need('AZURE_CLIENT_ID'),
      client_secret: '${env:AZURE_CLIENT_SECRET}',
      resource_group: need('POOLFORM_ACC_AZURE_RESOURCE_GROUP'),
      location: need('POOLFORM_ACC_AZURE_LOCATION'),
      vm_size: env['POOLFORM_ACC_AZURE_VM_SIZE'] ?? 'Standard_B1s',
      image: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
      os_type: 'linux',
      subnet_id: need('POOLFORM_ACC_AZURE_SUBNET_ID'),
      admin_username: 'poolform',
      admin_password: '${env:POOLFORM_ACC_AZURE_ADMIN_PASSWORD}',
      startup_script: '#!/bin/sh\necho poolform-acceptance\n',
    };
    const client = createAzureVmProvider({
      config,
      secrets: { clientSecret: need('AZURE_CLIENT_SECRET'), adminPassword: `Pf-${randomBytes(12).toString('base64url')}1!` },
    });
    const intent = `acc-intent-${randomBytes(6).toString('hex')}`;
    const names = resourceNames(intent);
    try {
      const vm = await client.create({
        intent_id: intent,
        server_id: `acc-${intent}`,
        hostname: 'pfacc',
        pool: 'acc',
        autoscale: 'acc',
        user_data: config.startup_script,
      });
      expect(vm.provider_id).toBe(names.vm);
      expect(vm.private_ip).not.toBeNull();
      expect((await client.observe()).map((v) => v.provider_id)).toContain(names.vm);
      expect(await client.capacity()).toMatchObject({ cores: expect.any(Number), memory_mb: expect.any(Number) });
    } finally {
      // Always: also removes a NIC left by a create that failed half-way.
      const [result] = await client.destroy([{ provider_id: names.vm, server_id: `acc-${intent}` }]);
      expect(result?.error).toBeUndefined();
    }
    expect((await client.observe()).map((v) => v.provider_id)).not.toContain(names.vm);
  });

  it.skipIf(!env['POOLFORM_ACC_AZURE_DNS_ZONE'] || !env['POOLFORM_ACC_AZURE_DNS_RESOURCE_GROUP'])(
    'writes, observes and deletes an A record',
    { timeout: 5 * 60_000 },
    async () => {
      const config: AzureDnsProvider = {
        kind: 'DnsProvider',
        name: 'acc-dns',
        type: 'azure',
        subscription_id: need('AZURE_SUBSCRIPTION_ID'),
        tenant_id: need('AZURE_TENANT_ID'),
        client_id: need('AZURE_CLIENT_ID'),
        client_secret: '${env:AZURE_CLIENT_SECRET}',
        resource_group: need('POOLFORM_ACC_AZURE_DNS_RESOURCE_GROUP'),
      };
      const zone = need('POOLFORM_ACC_AZURE_DNS_ZONE');
      const dns = createAzureDnsProvider({ config, clientSecret: need('AZURE_CLIENT_SECRET') });
      await expectDnsRoundTrip(dns, zone, accRecord(zone, 'pfacc-', 'acc'));
    },
  );
});

describe.skipIf(enabled)('Azure acceptance', () => {
  it.skip(reason, () => undefined);
});
