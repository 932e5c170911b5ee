// Acceptance test against real DigitalOcean: one small droplet created
// (twice with the same intent: one droplet), observed and destroyed through
// the provider; with POOLFORM_ACC_DO_DOMAIN (a domain in the account), one A
// record written, observed and deleted. Runs only with
// POOLFORM_ACC_DIGITAL_OCEAN=1 and DIGITALOCEAN_TOKEN, as
// docs/providers/digital-ocean.md ("Acceptance tests against real
// DigitalOcean") describes; skipped otherwise, with the reason in the suite's
// name. Costs a few cents of droplet time; everything is deleted in `finally`.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DigitalOceanDnsProvider, DigitalOceanVmProvider } from '../src/generated/config.ts';
import { createDigitalOceanVmProvider } from '../src/providers/digital-ocean/index.ts';
import { createDigitalOceanDnsProvider } from '../src/providers/digital-ocean-dns/index.ts';
import { acceptanceGate, accRecord, expectDnsRoundTrip } from './support/acceptance.ts';

const env = process.env;
const token = env['DIGITALOCEAN_TOKEN'] ?? '';
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_DIGITAL_OCEAN',
  ['DIGITALOCEAN_TOKEN'],
  'skipped: set POOLFORM_ACC_DIGITAL_OCEAN=1 and DIGITALOCEAN_TOKEN to run against real DigitalOcean',
);

describe.skipIf(!enabled)(`DigitalOcean acceptance (real account)${enabled ? '' : ` — ${reason}`}`, () => {
  it('creates (idempotently), observes and destroys a droplet', { timeout: 15 * 60_000 }, async () => {
    const config: DigitalOceanVmProvider = {
      kind: 'VmProvider',
      name: 'acc',
      type: 'digital_ocean',
      max_instances: 1,
      token: '${env:DIGITALOCEAN_TOKEN}',
      region: env['POOLFORM_ACC_DO_REGION'] ?? 'ams3',
      size: env['POOLFORM_ACC_DO_SIZE'] ?? 's-1vcpu-512mb-10gb',
      image: 'ubuntu-24-04-x64',
      startup_script: '#!/bin/sh\necho poolform-acceptance\n',
    };
    const client = createDigitalOceanVmProvider({ config, token });
    const suffix = randomBytes(4).toString('hex');
    const request = {
      intent_id: `acc-intent-${suffix}`,
      server_id: `acc-${suffix}`,
      hostname: `pf-acc-${suffix}`,
      pool: 'acc',
      autoscale: 'acc',
      user_data: config.startup_script,
    };
    try {
      const vm = await client.create(request);
      expect(vm.private_ip ?? vm.public_ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const again = await createDigitalOceanVmProvider({ config, token }).create(request);
      expect(again.provider_id).toBe(vm.provider_id);
      expect((await client.observe()).map((v) => v.server_id)).toContain(request.server_id);
      expect(await client.capacity()).toMatchObject({ cores: expect.any(Number), memory_mb: expect.any(Number) });
    } finally {
      const mine = (await client.observe()).filter((v) => v.server_id === request.server_id);
      const results = await client.destroy(mine.map((v) => ({ provider_id: v.provider_id, server_id: v.server_id })));
      expect(results.filter((r) => r.error)).toEqual([]);
    }
    const left = (await client.observe()).filter((v) => v.server_id === request.server_id && v.state !== 'terminated');
    expect(left).toEqual([]);
  });

  it.skipIf(!env['POOLFORM_ACC_DO_DOMAIN'])('writes, observes and deletes an A record (POOLFORM_ACC_DO_DOMAIN)', { timeout: 5 * 60_000 }, async () => {
    const domain = env['POOLFORM_ACC_DO_DOMAIN'] ?? '';
    const config: DigitalOceanDnsProvider = { kind: 'DnsProvider', name: 'acc-dns', type: 'digital_ocean', token: '${env:DIGITALOCEAN_TOKEN}' };
    const dns = createDigitalOceanDnsProvider({ config, token });
    const record = accRecord(domain, 'pf-acc-', 'acc-dns');
    await expectDnsRoundTrip(dns, domain, record);
    expect((await dns.observe(domain)).some((r) => r.fqdn === record.fqdn)).toBe(false);
  });
});
