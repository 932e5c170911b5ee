// The Cloud DNS provider against the fake (loopback HTTP, @google-cloud/dns):
// the shared DNS conformance suite, the zone found from base_domain_name,
// the TXT ownership marker written atomically with the A record, foreign
// records untouched, a stale view recovered from (Cloud DNS rejects the
// change, the zone is read again), and one paginated listing per observe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineDnsProviderConformance } from '../src/providers/conformance.ts';
import type { DnsRecord } from '../src/providers/types.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { fakeGcpDnsProvider } from './fakes/gcp/harness.ts';
import { type FakeGcp, startFakeGcp } from './fakes/gcp/server.ts';

const ZONE = 'desk.example.test';
const ZONE_NAME = 'desk-zone';
let fake: FakeGcp;
beforeAll(async () => {
  fake = await startFakeGcp({ dnsZones: { [ZONE]: ZONE_NAME, 'other.example.test': 'other-zone' } });
});
afterAll(async () => {
  await fake.close();
});

const key = (fqdn: string, type: string) => `${ZONE_NAME}|${fqdn.toLowerCase()}.|${type}`;

defineDnsProviderConformance('gcp (Cloud DNS fake)', async () => ({
  client: fakeGcpDnsProvider(fake),
  baseDomain: ZONE,
  async createForeign(fqdn, value) {
    fake.putRrsetDirect(ZONE_NAME, { name: `${fqdn}.`, type: 'A', ttl: 300, rrdatas: [value] });
  },
  async foreignExists(fqdn, value) {
    const set = fake.rrsets.get(key(fqdn, 'A'));
    return set?.rrdatas.length === 1 && set.rrdatas[0] === value && !fake.rrsets.has(key(fqdn, 'TXT'));
  },
}));

const rec = (name: string, value: string, serverId = `srv-${name}`): DnsRecord => ({ fqdn: `${name}.${ZONE}`, type: 'A', value, ttl: 60, server_id: serverId });

describe('Cloud DNS provider', { timeout: 60_000 }, () => {
  it('writes the A record and its TXT marker in one change, in the zone found from a deeper base domain', async () => {
    const client = fakeGcpDnsProvider(fake);
    const before = fake.count('dns.changes.create');
    const results = await client.upsert(ZONE, [rec('kasm-aaaa0001', '10.0.0.11'), rec('kasm-aaaa0002', '10.0.0.12')]);
    expect(results.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(fake.count('dns.changes.create') - before).toBe(1);
    expect(fake.rrsets.get(key(`kasm-aaaa0001.${ZONE}`, 'A'))).toEqual({ name: `kasm-aaaa0001.${ZONE}.`, type: 'A', ttl: 60, rrdatas: ['10.0.0.11'] });
    expect(fake.rrsets.get(key(`kasm-aaaa0001.${ZONE}`, 'TXT'))?.rrdatas).toEqual(['"poolform:server-id=srv-kasm-aaaa0001"']);
    const deeper = fakeGcpDnsProvider(fake, { name: 'deeper' });
    expect(await deeper.upsert(`lab.${ZONE}`, [rec('x.lab', '10.0.0.13')])).toEqual([{ item: rec('x.lab', '10.0.0.13') }]);
    expect((await deeper.observe(`lab.${ZONE}`)).map((r) => r.fqdn)).toEqual([`x.lab.${ZONE}`]);
    await client.delete(ZONE, [rec('kasm-aaaa0001', '10.0.0.11'), rec('kasm-aaaa0002', '10.0.0.12'), rec('x.lab', '10.0.0.13')]);
    expect(fake.rrsets.has(key(`kasm-aaaa0001.${ZONE}`, 'TXT'))).toBe(false);
  });

  it('other TXT values at the name are kept', async () => {
    const client = fakeGcpDnsProvider(fake);
    const a = rec('kasm-spf00001', '10.0.0.31');
    fake.putRrsetDirect(ZONE_NAME, { name: `${a.fqdn}.`, type: 'TXT', ttl: 300, rrdatas: ['"v=spf1 -all"'] });
    await client.upsert(ZONE, [a]);
    expect(fake.rrsets.get(key(a.fqdn, 'TXT'))?.rrdatas).toEqual(['"v=spf1 -all"', '"poolform:server-id=srv-kasm-spf00001"']);
    await client.delete(ZONE, [a]);
    expect(fake.rrsets.get(key(a.fqdn, 'TXT'))?.rrdatas).toEqual(['"v=spf1 -all"']);
    expect(fake.rrsets.has(key(a.fqdn, 'A'))).toBe(false);
  });

  it('a record changed behind its back: the change is rejected, the zone read again, the new state respected', async () => {
    const client = fakeGcpDnsProvider(fake);
    const a = rec('kasm-stale001', '10.0.0.41');
    await client.upsert(ZONE, [a]);
    await client.observe(ZONE);
    // Someone moves it (still marked poolform's): the provider's view is stale.
    fake.putRrsetDirect(ZONE_NAME, { name: `${a.fqdn}.`, type: 'A', ttl: 60, rrdatas: ['10.9.9.9'] });
    const moved = { ...a, value: '10.0.0.42' };
    expect((await client.upsert(ZONE, [moved]))[0]?.error).toBeUndefined();
    expect(fake.rrsets.get(key(a.fqdn, 'A'))?.rrdatas).toEqual(['10.0.0.42']);
    // A foreign A record appears where poolform's was: refused, not overwritten.
    await client.delete(ZONE, [moved]);
    fake.putRrsetDirect(ZONE_NAME, { name: `${a.fqdn}.`, type: 'A', ttl: 60, rrdatas: ['10.7.7.7'] });
    const refused = await client.upsert(ZONE, [a]);
    expect((refused[0]?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    expect(fake.rrsets.get(key(a.fqdn, 'A'))?.rrdatas).toEqual(['10.7.7.7']);
  });

  it('observe walks the zone once, paginated; an unknown zone is dns-zone-not-found on base_domain_name', async () => {
    const client = fakeGcpDnsProvider(fake);
    const many = Array.from({ length: 1200 }, (_, i) => rec(`bulk-${String(i).padStart(5, '0')}`, `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`));
    const results = await client.upsert(ZONE, many);
    expect(results.filter((r) => r.error)).toEqual([]);
    const before = fake.count('dns.resourceRecordSets.list');
    const seen = await fakeGcpDnsProvider(fake).observe(ZONE);
    expect(seen.filter((r) => r.fqdn.startsWith('bulk-'))).toHaveLength(1200);
    // 2,400 record sets (A + TXT) at 1,000 a page.
    expect(fake.count('dns.resourceRecordSets.list') - before).toBe(3);
    await client.delete(ZONE, many);
    const missing = await client.observe('nowhere.invalid').catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'dns-zone-not-found', field: 'base_domain_name' });
  });

  it('a throttled change (429) is retried and lands once', async () => {
    const client = fakeGcpDnsProvider(fake);
    const a = rec('kasm-thr00001', '10.0.0.51');
    await client.observe(ZONE);
    const before = fake.count('dns.changes.create');
    fake.inject({ method: 'POST', path: '/changes', status: 429, retryAfter: 1 });
    expect((await client.upsert(ZONE, [a]))[0]?.error).toBeUndefined();
    expect(fake.count('dns.changes.create') - before).toBe(2);
    expect(fake.rrsets.get(key(a.fqdn, 'A'))?.rrdatas).toEqual(['10.0.0.51']);
    await client.delete(ZONE, [a]);
  });

  it('credential errors name the provider', async () => {
    const revoked = await startFakeGcp({ dnsZones: { [ZONE]: ZONE_NAME } });
    try {
      const client = fakeGcpDnsProvider(revoked);
      revoked.revokeTokens();
      const error = await client.observe(ZONE).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'gcp-auth-failed' });
      expect((error as PoolformError).message).toMatch(/^DnsProvider gdns: /);
    } finally {
      await revoked.close();
    }
  });
});
