// The Azure DNS provider against the ARM fake (HTTPS, @azure/arm-dns,
// ClientSecretCredential): the shared DNS conformance suite, the zone found
// from base_domain_name, ownership metadata, etag conditions (a record
// changed behind poolform's back is re-read, never overwritten blindly), and
// one paginated listing per observe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineDnsProviderConformance } from '../src/providers/conformance.ts';
import type { DnsRecord } from '../src/providers/types.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { DNS_RG, fakeDnsProvider, releaseFakeAgent } from './fakes/azure/harness.ts';
import { type FakeAzure, startFakeAzure } from './fakes/azure/server.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const ZONE = 'desk.example.test';
let fake: FakeAzure;
beforeAll(async () => {
  fake = await startFakeAzure({ dnsZones: { [ZONE]: DNS_RG, 'other.example.test': 'rg-elsewhere' }, pageSize: 50 });
});
afterAll(async () => {
  releaseFakeAgent(fake);
  await fake.close();
});

function recordKey(fqdn: string): string {
  const relative = fqdn.slice(0, -(ZONE.length + 1));
  return `/subscriptions/${fake.subscriptionId}/resourcegroups/${DNS_RG}/providers/microsoft.network/dnszones/${ZONE}/a/${relative}`.toLowerCase();
}

defineDnsProviderConformance('azure (Azure DNS fake)', async () => ({
  client: fakeDnsProvider(fake),
  baseDomain: ZONE,
  async createForeign(fqdn, value) {
    fake.putRecordDirect(DNS_RG, ZONE, 'A', fqdn.slice(0, -(ZONE.length + 1)), { TTL: 300, ARecords: [{ ipv4Address: value }] });
  },
  async foreignExists(fqdn, value) {
    const set = fake.recordSets.get(recordKey(fqdn));
    const records = (set?.properties['ARecords'] ?? []) as { ipv4Address: string }[];
    return records.length === 1 && records[0]?.ipv4Address === value;
  },
}));

const rec = (name: string, value: string, serverId = `srv-${name}`): DnsRecord => ({ fqdn: `${name}.${ZONE}`, type: 'A', value, ttl: 60, server_id: serverId });

describe('Azure DNS provider', { timeout: testTimeout(60_000) }, () => {
  it('writes A records with TTL and ownership metadata, in the zone found from a deeper base domain', async () => {
    const client = fakeDnsProvider(fake);
    const results = await client.upsert(ZONE, [rec('kasm-aaaa0001', '10.0.0.11')]);
    expect(results.map((r) => r.error)).toEqual([undefined]);
    const stored = fake.recordSets.get(recordKey(`kasm-aaaa0001.${ZONE}`));
    expect(stored?.properties).toMatchObject({
      TTL: 60,
      ARecords: [{ ipv4Address: '10.0.0.11' }],
      metadata: { poolform_managed: 'true', poolform_server_id: 'srv-kasm-aaaa0001' },
    });
    // A base domain below the zone finds the enclosing zone.
    const deeper = fakeDnsProvider(fake, { name: 'deeper' });
    const seen = await deeper.observe(ZONE);
    expect(seen.map((r) => r.fqdn)).toContain(`kasm-aaaa0001.${ZONE}`);
    expect(await deeper.upsert(`lab.${ZONE}`, [rec('x.lab', '10.0.0.12')])).toEqual([{ item: rec('x.lab', '10.0.0.12') }]);
    expect((await deeper.observe(`lab.${ZONE}`)).map((r) => r.fqdn)).toEqual([`x.lab.${ZONE}`]);
    await client.delete(ZONE, [rec('kasm-aaaa0001', '10.0.0.11'), rec('x.lab', '10.0.0.12')]);
  });

  it('a record changed behind its back (etag mismatch, 412) is read again; a foreign one written meanwhile is never overwritten', async () => {
    const client = fakeDnsProvider(fake);
    const a = rec('kasm-etag0001', '10.0.0.21');
    await client.upsert(ZONE, [a]);
    await client.observe(ZONE); // the provider now holds etag E1
    // Someone else rewrites it (new etag), still poolform's metadata.
    const key = recordKey(a.fqdn);
    const before = fake.recordSets.get(key);
    if (!before) throw new Error('record missing');
    fake.recordSets.set(key, { ...before, etag: 'changed-elsewhere', properties: { ...before.properties, ARecords: [{ ipv4Address: '10.9.9.9' }] } });
    const calls = fake.count('Error:PreconditionFailed');
    expect((await client.upsert(ZONE, [{ ...a, value: '10.0.0.22' }])).map((r) => r.error)).toEqual([undefined]);
    expect(fake.count('Error:PreconditionFailed') - calls).toBe(1);
    expect(fake.recordSets.get(key)?.properties['ARecords']).toEqual([{ ipv4Address: '10.0.0.22' }]);

    // A name the provider saw empty is created with If-None-Match: someone else's record written since wins.
    const b = rec('kasm-race0001', '10.0.0.31');
    await client.observe(ZONE);
    fake.putRecordDirect(DNS_RG, ZONE, 'A', 'kasm-race0001', { TTL: 300, ARecords: [{ ipv4Address: '10.8.8.8' }] });
    const [result] = await client.upsert(ZONE, [b]);
    expect((result?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    expect(fake.recordSets.get(recordKey(b.fqdn))?.properties['ARecords']).toEqual([{ ipv4Address: '10.8.8.8' }]);
    await client.delete(ZONE, [{ ...a, value: '10.0.0.22' }]);
  });

  it('observe walks the zone with one paginated listing (nextLink), unchanged records cost no call', async () => {
    const client = fakeDnsProvider(fake);
    const many = Array.from({ length: 120 }, (_, i) => rec(`bulk-${String(i).padStart(3, '0')}`, `10.2.0.${i}`));
    expect((await client.upsert(ZONE, many)).filter((r) => r.error)).toEqual([]);
    fake.calls.length = 0;
    const seen = await client.observe(ZONE);
    expect(seen.filter((r) => r.fqdn.startsWith('bulk-'))).toHaveLength(120);
    expect(fake.count('RecordSets_ListByType')).toBe(Math.ceil(fake.recordSets.size / 50));
    fake.calls.length = 0;
    expect((await client.upsert(ZONE, many)).filter((r) => r.error)).toEqual([]);
    expect(fake.calls).toEqual([]);
    expect((await client.delete(ZONE, many)).filter((r) => r.error)).toEqual([]);
    expect(fake.count('RecordSets_Delete')).toBe(120);
  });

  it('a zone that does not exist in resource_group is a clear error per record', async () => {
    const client = fakeDnsProvider(fake, { name: 'nozone' });
    const [result] = await client.upsert('other.example.test', [{ ...rec('a', '10.0.0.1'), fqdn: 'a.other.example.test' }]);
    expect((result?.error as PoolformError | undefined)?.code).toBe('dns-zone-not-found');
    expect(result?.error?.message).toContain('resource_group rg-dns');
  });

  it('throttling is retried; a bad secret is a credential error naming the DNS provider', async () => {
    const client = fakeDnsProvider(fake, { name: 'throttled' });
    fake.inject({ method: 'PUT', path: '/dnszones/', status: 429, code: 'TooManyRequests', retryAfter: 0, times: 2 });
    expect((await client.upsert(ZONE, [rec('kasm-thr00001', '10.0.0.41')])).map((r) => r.error)).toEqual([undefined]);
    await client.delete(ZONE, [rec('kasm-thr00001', '10.0.0.41')]);
    const bad = fakeDnsProvider(fake, { name: 'baddns' }, { clientSecret: 'wrong' });
    const error = (await bad.observe(ZONE).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('azure-auth-failed');
    expect(error.message).toContain('DnsProvider baddns');
  });
});
