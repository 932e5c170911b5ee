// The OCI DNS provider against the fake's DNS API (oci-dns DnsClient, signed
// requests): the shared DNS conformance suite, the zone found from
// base_domain_name (ListZones), TXT ownership markers next to each A record,
// foreign records left alone, throttling retried, and one paginated
// GetZoneRecords walk per observe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineDnsProviderConformance } from '../src/providers/conformance.ts';
import type { DnsRecord } from '../src/providers/types.ts';
import { testTimeout } from '../src/testing/timeouts.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { fakeDnsProvider, startFake } from './fakes/oci/harness.ts';
import type { FakeOci } from './fakes/oci/server.ts';

const ZONE = 'desk.example.test';
let fake: FakeOci;
beforeAll(async () => {
  fake = await startFake({ zones: [ZONE, 'example.test'] });
});
afterAll(async () => {
  await fake.close();
});

const records = (): { domain: string; rtype: string; rdata: string; ttl: number }[] => fake.zones.get(ZONE)?.records ?? [];

defineDnsProviderConformance('oci (OCI DNS fake)', async () => ({
  client: fakeDnsProvider(fake),
  baseDomain: ZONE,
  async createForeign(fqdn, value) {
    fake.zones.get(ZONE)?.records.push({ domain: fqdn, rtype: 'A', rdata: value, ttl: 300, recordHash: 'foreign' });
  },
  async foreignExists(fqdn, value) {
    return records().some((r) => r.domain === fqdn && r.rtype === 'A' && r.rdata === value);
  },
}));

const rec = (name: string, value: string, serverId = `srv-${name}`): DnsRecord => ({ fqdn: `${name}.${ZONE}`, type: 'A', value, ttl: 60, server_id: serverId });

describe('OCI DNS provider', { timeout: testTimeout(60_000) }, () => {
  it('writes the A record and a TXT marker in the deepest zone holding base_domain_name', async () => {
    const client = fakeDnsProvider(fake);
    expect((await client.upsert(ZONE, [rec('kasm-0001', '10.0.0.11')])).map((r) => r.error)).toEqual([undefined]);
    const at = records().filter((r) => r.domain === `kasm-0001.${ZONE}`);
    expect(at).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rtype: 'A', rdata: '10.0.0.11', ttl: 60 }),
        expect.objectContaining({ rtype: 'TXT', rdata: '"poolform:server-id=srv-kasm-0001"' }),
      ]),
    );
    expect(fake.zones.get('example.test')?.records).toEqual([]);
    expect(await client.observe(ZONE)).toEqual([rec('kasm-0001', '10.0.0.11')]);
    // A base domain below the zone: same zone, only its names.
    expect(await fakeDnsProvider(fake, { name: 'deeper' }).observe(`lab.${ZONE}`)).toEqual([]);
  });

  it('refuses to overwrite an A record without the marker', async () => {
    fake.zones.get(ZONE)?.records.push({ domain: `manual.${ZONE}`, rtype: 'A', rdata: '10.1.1.1', ttl: 300, recordHash: 'm' });
    const [result] = await fakeDnsProvider(fake).upsert(ZONE, [rec('manual', '10.0.0.5')]);
    expect((result?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    expect(records().find((r) => r.domain === `manual.${ZONE}`)?.rdata).toBe('10.1.1.1');
  });

  it('keeps other TXT records at the name when deleting', async () => {
    const client = fakeDnsProvider(fake);
    fake.zones.get(ZONE)?.records.push({ domain: `kasm-0002.${ZONE}`, rtype: 'TXT', rdata: '"v=spf1 -all"', ttl: 300, recordHash: 't' });
    await client.upsert(ZONE, [rec('kasm-0002', '10.0.0.12')]);
    expect(records().filter((r) => r.domain === `kasm-0002.${ZONE}` && r.rtype === 'TXT').length).toBe(2);
    expect((await client.delete(ZONE, [rec('kasm-0002', '10.0.0.12')])).map((r) => r.error)).toEqual([undefined]);
    expect(
      records()
        .filter((r) => r.domain === `kasm-0002.${ZONE}`)
        .map((r) => r.rdata),
    ).toEqual(['"v=spf1 -all"']);
  });

  it('throttled writes are retried; an unknown zone is dns-zone-not-found; bad credentials are oci-auth-failed', async () => {
    const client = fakeDnsProvider(fake);
    fake.inject({ method: 'PUT', path: /\/records\//, status: 429, code: 'TooManyRequests', times: 2 });
    expect((await client.upsert(ZONE, [rec('kasm-0003', '10.0.0.13')])).map((r) => r.error)).toEqual([undefined]);
    expect((await client.observe(ZONE)).some((r) => r.fqdn === `kasm-0003.${ZONE}`)).toBe(true);
    expect(((await client.observe('nowhere.invalid').catch((e: unknown) => e)) as PoolformError).code).toBe('dns-zone-not-found');
    const bad = fakeDnsProvider(fake, { name: 'bad', user_ocid: 'ocid1.user.oc1..someoneelse' });
    const error = (await bad.observe(ZONE).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('oci-auth-failed');
    expect(error.message).toContain('DnsProvider bad');
  });

  it('observe is one GetZoneRecords walk (100 per page)', async () => {
    const zone = fake.zones.get(ZONE);
    for (let i = 0; i < 1200; i++) zone?.records.push({ domain: `bulk-${i}.${ZONE}`, rtype: 'A', rdata: '10.2.0.1', ttl: 60, recordHash: `b${i}` });
    const client = fakeDnsProvider(fake, { zone: ZONE });
    const before = fake.count('GET', `/20180115/zones/${ZONE}/records`);
    await client.observe(ZONE);
    const total = fake.zones.get(ZONE)?.records.length ?? 0;
    expect(fake.count('GET', `/20180115/zones/${ZONE}/records`) - before).toBe(Math.ceil(total / 100));
  });
});
