// The DigitalOcean DNS provider against the API fake: the shared DNS
// conformance suite, the domain found from base_domain_name, the ownership
// marker (a TXT record `poolform:server-id=<id>` at the record's name, since
// DigitalOcean records carry no metadata), refusal to touch unmarked records,
// crash-safe ordering (marker first, removed last), and one paginated listing
// per observe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineDnsProviderConformance } from '../src/providers/conformance.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { testConfig } from '../src/providers/testing.ts';
import type { DnsRecord } from '../src/providers/types.ts';
import { testTimeout } from '../src/testing/timeouts.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { doDnsConfig, fakeDnsProvider } from './fakes/digital-ocean/harness.ts';
import { type FakeDigitalOcean, fqdnOf, startFakeDigitalOcean } from './fakes/digital-ocean/server.ts';

const DOMAIN = 'example.test';
const BASE = `desk.${DOMAIN}`;
let fake: FakeDigitalOcean;
beforeAll(async () => {
  fake = await startFakeDigitalOcean({ domains: [DOMAIN, 'other.test'], maxPerPage: 7 });
});
afterAll(async () => {
  await fake.close();
});

const zoneRecords = (): { type: string; name: string; data: string; ttl: number }[] => [...(fake.records.get(DOMAIN)?.values() ?? [])];
const at = (fqdn: string) => zoneRecords().filter((r) => fqdnOf(r.name, DOMAIN) === fqdn);

defineDnsProviderConformance('digital_ocean (API fake)', async () => ({
  client: fakeDnsProvider(fake),
  baseDomain: BASE,
  async createForeign(fqdn, value) {
    fake.putRecord(DOMAIN, { type: 'A', name: fqdn.slice(0, -(DOMAIN.length + 1)), data: value, ttl: 300 });
  },
  async foreignExists(fqdn, value) {
    const a = at(fqdn).filter((r) => r.type === 'A');
    return a.length === 1 && a[0]?.data === value;
  },
}));

const rec = (host: string, value: string, serverId = `srv-${host}`): DnsRecord => ({ fqdn: `${host}.${BASE}`, type: 'A', value, ttl: 60, server_id: serverId });

describe('DigitalOcean DNS provider', { timeout: testTimeout(60_000) }, () => {
  it('writes the marker TXT and the A record in the parent domain of base_domain_name', async () => {
    const client = fakeDnsProvider(fake);
    expect((await client.upsert(BASE, [rec('kasm-a1', '10.0.0.11')])).map((r) => r.error)).toEqual([undefined]);
    const written = at(`kasm-a1.${BASE}`).map((r) => ({ type: r.type, name: r.name, data: r.data, ttl: r.ttl }));
    expect(written).toEqual(
      expect.arrayContaining([
        { type: 'TXT', name: 'kasm-a1.desk', data: 'poolform:server-id=srv-kasm-a1', ttl: 60 },
        { type: 'A', name: 'kasm-a1.desk', data: '10.0.0.11', ttl: 60 },
      ]),
    );
    expect(await client.observe(BASE)).toContainEqual(rec('kasm-a1', '10.0.0.11'));
    // A changed address updates the A record in place.
    await client.upsert(BASE, [rec('kasm-a1', '10.0.0.12')]);
    expect(
      at(`kasm-a1.${BASE}`)
        .filter((r) => r.type === 'A')
        .map((r) => r.data),
    ).toEqual(['10.0.0.12']);
    await client.delete(BASE, [rec('kasm-a1', '10.0.0.12')]);
    expect(at(`kasm-a1.${BASE}`)).toEqual([]);
  });

  it('never changes or deletes an A record without the marker, nor writes next to a CNAME', async () => {
    fake.putRecord(DOMAIN, { type: 'A', name: 'hand.desk', data: '10.9.9.9', ttl: 300 });
    fake.putRecord(DOMAIN, { type: 'CNAME', name: 'alias.desk', data: 'elsewhere.test.', ttl: 300 });
    const client = fakeDnsProvider(fake);
    const [a, c] = await client.upsert(BASE, [rec('hand', '10.0.0.1'), rec('alias', '10.0.0.2')]);
    expect((a?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    expect((c?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    const [d] = await client.delete(BASE, [rec('hand', '10.9.9.9')]);
    expect((d?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    expect(at(`hand.${BASE}`).map((r) => r.data)).toEqual(['10.9.9.9']);
    expect((await client.observe(BASE)).map((r) => r.fqdn)).not.toContain(`hand.${BASE}`);
  });

  it('a crash after the marker was written leaves no unmarked A record: the next upsert reuses the marker', async () => {
    const client = fakeDnsProvider(fake);
    // What a crash between the two POSTs leaves: the marker alone.
    fake.putRecord(DOMAIN, { type: 'TXT', name: 'half.desk', data: 'poolform:server-id=srv-half', ttl: 60 });
    expect(await client.observe(BASE)).not.toContainEqual(expect.objectContaining({ fqdn: `half.${BASE}` }));
    expect((await client.upsert(BASE, [rec('half', '10.0.0.5')])).map((r) => r.error)).toEqual([undefined]);
    expect(at(`half.${BASE}`).filter((r) => r.type === 'TXT')).toHaveLength(1);
    expect(await client.observe(BASE)).toContainEqual(rec('half', '10.0.0.5'));
  });

  it('a marker left without its A record (crash inside a delete) is removed by observe after the grace period', async () => {
    let clock = 1_000_000;
    const client = fakeDnsProvider(fake, {}, { now: () => clock, markerGraceMs: 600_000 });
    const marker = fake.putRecord(DOMAIN, { type: 'TXT', name: 'gone.desk', data: 'poolform:server-id=srv-gone', ttl: 60 });
    const spf = fake.putRecord(DOMAIN, { type: 'TXT', name: 'gone2.desk', data: 'v=spf1 -all', ttl: 60 });
    await client.observe(BASE);
    clock += 599_000;
    await client.observe(BASE);
    expect(fake.records.get(DOMAIN)?.has(marker.id)).toBe(true);
    clock += 2000;
    await client.observe(BASE);
    expect(fake.records.get(DOMAIN)?.has(marker.id)).toBe(false);
    expect(fake.records.get(DOMAIN)?.has(spf.id)).toBe(true);
  });

  it('observe is one paginated walk of the domain; the domain lookup is cached', async () => {
    const client = fakeDnsProvider(fake);
    for (let i = 0; i < 20; i++) fake.putRecord(DOMAIN, { type: 'TXT', name: `noise${i}`, data: 'v=spf1 -all', ttl: 300 });
    await client.observe(BASE);
    const domainsBefore = fake.count('domains.list');
    const before = fake.count('records.list');
    await client.observe(BASE);
    const pages = Math.ceil(zoneRecords().length / 7);
    expect(fake.count('records.list') - before).toBe(pages);
    expect(fake.count('domains.list')).toBe(domainsBefore);
  });

  it('the registry builds it with the token resolved from ${file:}, and a set domain is used without a lookup', async () => {
    const config = testConfig({ dnsProviders: [doDnsConfig(fake, { name: 'reg', token: '${file:do-token}', domain: DOMAIN })] });
    const registry = createProviderRegistry({ config, stateDir: '/nonexistent', env: {}, readFile: () => `${fake.token}\n` });
    const client = registry.dns('reg');
    expect(client.kind).toBe('digital_ocean');
    const before = fake.count('domains.list');
    expect(Array.isArray(await client.observe(BASE))).toBe(true);
    expect(fake.count('domains.list')).toBe(before);
  });

  it('a base domain in no DigitalOcean domain is dns-zone-not-found; a bad token is do-auth-failed', async () => {
    const e1 = (await fakeDnsProvider(fake)
      .observe('nowhere.invalid')
      .catch((e: unknown) => e)) as PoolformError;
    expect(e1.code).toBe('dns-zone-not-found');
    const e2 = (await fakeDnsProvider(fake, {}, { token: 'nope' })
      .observe(BASE)
      .catch((e: unknown) => e)) as PoolformError;
    expect(e2.code).toBe('do-auth-failed');
    expect(e2.message).toContain('DnsProvider dodns');
  });
});
