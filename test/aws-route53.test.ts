// The Route 53 DNS provider against moto's standalone server: the shared
// conformance suite, zone lookup, batching into few ChangeResourceRecordSets
// requests, one listing walk per observe, ownership (never touching records
// poolform did not create), and failures injected through SDK middleware.
import { randomBytes } from 'node:crypto';
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import type { Route53DnsProvider } from '../src/generated/config.ts';
import { defineDnsProviderConformance } from '../src/providers/conformance.ts';
import { createRoute53Client, createRoute53DnsProvider, type Route53DnsProviderOptions } from '../src/providers/route53/index.ts';
import type { DnsProviderClient, DnsRecord } from '../src/providers/types.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { awsError, captureInputs, countAttempts, countCalls, FAKE_CREDENTIALS, injectFaults, motoForSuite, requireMoto } from './support/moto.ts';

const enabled = requireMoto();
const hex = (n: number): string => randomBytes(n).toString('hex');
const FAST_RETRY = { baseDelayMs: 5, throttlingBaseDelayMs: 10, maxDelayMs: 100 };

const endpoint = motoForSuite(enabled).endpoint;

function sdk(): Route53Client {
  return new Route53Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
}

async function createZone(name: string): Promise<string> {
  const out = await sdk().send(new CreateHostedZoneCommand({ Name: name, CallerReference: hex(8) }));
  return (out.HostedZone?.Id ?? '').replace('/hostedzone/', '');
}

async function listZone(zoneId: string): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let start: string | undefined;
  let type: ResourceRecordSet['Type'];
  for (;;) {
    const page = await sdk().send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...(start ? { StartRecordName: start, StartRecordType: type } : {}) }),
    );
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return out;
    start = page.NextRecordName;
    type = page.NextRecordType;
  }
}

async function rrset(zoneId: string, fqdn: string, type: string): Promise<ResourceRecordSet | undefined> {
  return (await listZone(zoneId)).find((r) => r.Name === `${fqdn}.` && r.Type === type);
}

async function createForeignRecord(zoneId: string, fqdn: string, type: 'A' | 'TXT', value: string): Promise<void> {
  await sdk().send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: fqdn, Type: type, TTL: 300, ResourceRecords: [{ Value: value }] } }] },
    }),
  );
}

interface Harness {
  provider: DnsProviderClient;
  client: Route53Client;
  config: Route53DnsProvider;
}

function harness(over: Partial<Route53DnsProvider> = {}, options: Partial<Route53DnsProviderOptions> = {}): Harness {
  const config: Route53DnsProvider = { kind: 'DnsProvider', name: `r53-${hex(3)}`, type: 'route53', endpoint: endpoint(), ...over };
  const client = createRoute53Client({ endpoint: endpoint(), credentials: FAKE_CREDENTIALS, retry: FAST_RETRY });
  return { provider: createRoute53DnsProvider({ config, client, ...options }), client, config };
}

function records(count: number, baseDomain: string): DnsRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    fqdn: `pf-${i}-${hex(3)}.${baseDomain}`,
    type: 'A' as const,
    value: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    ttl: 60,
    server_id: `srv-${i}-${hex(4)}`,
  }));
}

function errorsOf(results: { error?: Error }[]): string[] {
  return results.flatMap((r) => (r.error ? [r.error.message] : []));
}

let conformanceZone: Promise<string> | undefined;

defineDnsProviderConformance('route53 (moto)', async () => {
  if (!enabled) return null;
  conformanceZone ??= createZone('conformance.poolform.test');
  const zoneId = await conformanceZone;
  return {
    client: harness().provider,
    baseDomain: 'conformance.poolform.test',
    createForeign: (fqdn, value) => createForeignRecord(zoneId, fqdn, 'A', value),
    async foreignExists(fqdn, value) {
      const found = await rrset(zoneId, fqdn, 'A');
      return found?.ResourceRecords?.map((r) => r.Value).join(',') === value;
    },
  };
});

describe.skipIf(!enabled)('Route 53 provider against moto', () => {
  it('200 upserts go out in one ChangeResourceRecordSets request; observe is one walk; 200 deletes one request', async () => {
    const base = `batch-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    const calls = countCalls(h.client);
    const recs = records(200, base);

    expect(errorsOf(await h.provider.upsert(base, recs))).toEqual([]);
    expect(calls.count('ChangeResourceRecordSets')).toBe(1);
    expect(calls.count('ListHostedZonesByName')).toBe(1);

    calls.reset();
    const seen = await h.provider.observe(base);
    expect(seen).toEqual([...recs].sort((a, b) => a.fqdn.localeCompare(b.fqdn)));
    // One walk: 400 record sets + NS + SOA at 300 per page = 2 pages; the zone id is cached.
    expect(calls.all()).toEqual({ ListResourceRecordSets: 2 });

    calls.reset();
    expect(errorsOf(await h.provider.delete(base, recs))).toEqual([]);
    expect(calls.all()).toEqual({ ChangeResourceRecordSets: 1 });
    expect(await h.provider.observe(base)).toEqual([]);
  });

  it('calls made close together (one record each) are gathered into one request', async () => {
    const base = `gather-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    const calls = countCalls(h.client);
    const recs = records(50, base);
    const results = await Promise.all(recs.map((r) => h.provider.upsert(base, [r])));
    expect(results.flat().filter((r) => r.error)).toEqual([]);
    expect(calls.count('ChangeResourceRecordSets')).toBe(1);
    expect(await h.provider.observe(base)).toHaveLength(50);
  });

  it('large change sets are split within Route 53 limits (1,000 changes per request)', async () => {
    const base = `split-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    const calls = countCalls(h.client);
    const sent = captureInputs(h.client, 'ChangeResourceRecordSets');
    const recs = records(600, base);
    expect(errorsOf(await h.provider.upsert(base, recs))).toEqual([]);
    // Each new record is an A and a TXT CREATE = 2 changes: 500 per request.
    expect(calls.count('ChangeResourceRecordSets')).toBe(2);
    for (const input of sent) {
      const changes = (input['ChangeBatch'] as { Changes: unknown[] }).Changes;
      expect(changes.length).toBeLessThanOrEqual(1000);
    }
    expect(await h.provider.observe(base)).toHaveLength(600);
  });

  it('an unchanged record costs no change request', async () => {
    const base = `noop-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    const [rec] = records(1, base);
    if (!rec) throw new Error('no record');
    await h.provider.upsert(base, [rec]);
    const calls = countCalls(h.client);
    expect(errorsOf(await h.provider.upsert(base, [rec]))).toEqual([]);
    expect(calls.count('ChangeResourceRecordSets')).toBe(0);
  });

  it('finds the enclosing zone of a base domain; a missing zone is a clear error naming base_domain_name', async () => {
    const parent = `parent-${hex(3)}.test`;
    const zoneId = await createZone(parent);
    const h = harness();
    const base = `agents.${parent}`;
    const [rec] = records(1, base);
    if (!rec) throw new Error('no record');
    expect(errorsOf(await h.provider.upsert(base, [rec]))).toEqual([]);
    expect((await rrset(zoneId, rec.fqdn, 'A'))?.ResourceRecords).toEqual([{ Value: rec.value }]);
    expect(await h.provider.observe(base)).toEqual([rec]);

    const missing = `nowhere-${hex(3)}.invalid`;
    await expect(h.provider.observe(missing)).rejects.toMatchObject({
      code: 'dns-zone-not-found',
      message: expect.stringContaining(`base_domain_name ${missing}`),
    });
    const results = await h.provider.upsert(missing, records(2, missing));
    expect(results.map((r) => (r.error as PoolformError | undefined)?.code)).toEqual(['dns-zone-not-found', 'dns-zone-not-found']);
  });

  it('an explicit hosted_zone_id wins over the lookup (and settles same-name zones)', async () => {
    const name = `dup-${hex(3)}.test`;
    await createZone(name);
    const second = await createZone(name);
    const [rec] = records(1, name);
    if (!rec) throw new Error('no record');

    const ambiguous = harness();
    await expect(ambiguous.provider.observe(name)).rejects.toMatchObject({ code: 'dns-zone-ambiguous', message: expect.stringContaining('hosted_zone_id') });

    const h = harness({ hosted_zone_id: second });
    const calls = countCalls(h.client);
    expect(errorsOf(await h.provider.upsert(name, [rec]))).toEqual([]);
    expect(calls.count('ListHostedZonesByName')).toBe(0);
    expect((await rrset(second, rec.fqdn, 'A'))?.ResourceRecords).toEqual([{ Value: rec.value }]);
  });

  it('never overwrites an A record it did not create, and keeps foreign TXT values at a name', async () => {
    const base = `owner-${hex(3)}.test`;
    const zoneId = await createZone(base);
    const h = harness();
    const [taken, shared] = records(2, base);
    if (!taken || !shared) throw new Error('no records');
    await createForeignRecord(zoneId, taken.fqdn, 'A', '192.0.2.10');
    await createForeignRecord(zoneId, shared.fqdn, 'TXT', '"v=spf1 -all"');

    const results = await h.provider.upsert(base, [taken, shared]);
    expect((results[0]?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    expect(results[1]?.error).toBeUndefined();
    expect((await rrset(zoneId, taken.fqdn, 'A'))?.ResourceRecords).toEqual([{ Value: '192.0.2.10' }]);
    expect((await rrset(zoneId, shared.fqdn, 'TXT'))?.ResourceRecords?.map((r) => r.Value)).toEqual([
      '"v=spf1 -all"',
      `"poolform:server-id=${shared.server_id}"`,
    ]);
    expect((await h.provider.observe(base)).map((r) => r.fqdn)).toEqual([shared.fqdn]);

    // Deleting: the foreign A stays; at the shared name only poolform's values go.
    expect(errorsOf(await h.provider.delete(base, [taken, shared]))).toEqual([]);
    expect((await rrset(zoneId, taken.fqdn, 'A'))?.ResourceRecords).toEqual([{ Value: '192.0.2.10' }]);
    expect(await rrset(zoneId, shared.fqdn, 'A')).toBeUndefined();
    expect((await rrset(zoneId, shared.fqdn, 'TXT'))?.ResourceRecords?.map((r) => r.Value)).toEqual(['"v=spf1 -all"']);
  });

  it('a reconcile reads the zone once: upserts and deletes after observe use its walk', async () => {
    const base = `once-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    const calls = countCalls(h.client);
    expect(await h.provider.observe(base)).toEqual([]);
    const recs = records(20, base);
    expect(errorsOf(await h.provider.upsert(base, recs))).toEqual([]);
    expect(errorsOf(await h.provider.delete(base, recs.slice(0, 5)))).toEqual([]);
    expect(calls.all()).toEqual({ ListHostedZonesByName: 1, ListResourceRecordSets: 1, ChangeResourceRecordSets: 2 });
  });

  it('a name someone else took after the last walk is not overwritten: CREATE is refused, the zone re-read, the record reported', async () => {
    const base = `race-${hex(3)}.test`;
    const zoneId = await createZone(base);
    const h = harness();
    const [first, raced] = records(2, base);
    if (!first || !raced) throw new Error('no records');
    expect(errorsOf(await h.provider.upsert(base, [first]))).toEqual([]); // walks the zone; the walk is reused below
    await sdk().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            { Action: 'CREATE', ResourceRecordSet: { Name: raced.fqdn, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.77' }] } },
            { Action: 'CREATE', ResourceRecordSet: { Name: raced.fqdn, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=spf1 -all"' }] } },
          ],
        },
      }),
    );
    // Route 53 refuses a CREATE onto an existing name; moto only does for a repeated identical change, so that answer is injected.
    injectFaults(h.client, (command, input) => {
      const changes = (input['ChangeBatch'] as { Changes?: Change[] } | undefined)?.Changes ?? [];
      const clash =
        command === 'ChangeResourceRecordSets' ? changes.find((c) => c.Action === 'CREATE' && c.ResourceRecordSet?.Name === `${raced.fqdn}.`) : undefined;
      return clash
        ? awsError(
            'InvalidChangeBatch',
            `Tried to create resource record set [name='${raced.fqdn}.', type='${clash.ResourceRecordSet?.Type}'] but it already exists`,
          )
        : undefined;
    });
    const sent = captureInputs(h.client, 'ChangeResourceRecordSets');
    const calls = countCalls(h.client);
    const [result] = await h.provider.upsert(base, [raced]);
    expect((result?.error as PoolformError | undefined)?.code).toBe('dns-record-not-owned');
    // Only conditional changes went out, and the zone was read again after the refusal.
    expect(sent.flatMap((input) => (input['ChangeBatch'] as { Changes: Change[] }).Changes.map((c) => c.Action))).toEqual(['CREATE', 'CREATE']);
    expect(calls.count('ListResourceRecordSets')).toBeGreaterThanOrEqual(1);
    expect((await rrset(zoneId, raced.fqdn, 'A'))?.ResourceRecords).toEqual([{ Value: '192.0.2.77' }]);
    expect((await rrset(zoneId, raced.fqdn, 'TXT'))?.ResourceRecords).toEqual([{ Value: '"v=spf1 -all"' }]);
  });

  it('records changed or deleted behind its back: delete still converges', async () => {
    const base = `drift-${hex(3)}.test`;
    const zoneId = await createZone(base);
    const h = harness();
    const [gone, moved, kept] = records(3, base);
    if (!gone || !moved || !kept) throw new Error('no records');
    await h.provider.upsert(base, [gone, moved, kept]);
    // Someone deletes one and changes another's address, after poolform's last walk.
    const current = await listZone(zoneId);
    const changes: Change[] = current.filter((r) => r.Name === `${gone.fqdn}.`).map((r) => ({ Action: 'DELETE', ResourceRecordSet: r }));
    changes.push({ Action: 'UPSERT', ResourceRecordSet: { Name: moved.fqdn, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.9.9.9' }] } });
    await sdk().send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));

    expect(errorsOf(await h.provider.delete(base, [gone, moved]))).toEqual([]);
    expect(await h.provider.observe(base)).toEqual([kept]);
    expect(await rrset(zoneId, moved.fqdn, 'A')).toBeUndefined();
  });

  it('throttling is retried; the batch goes through once', async () => {
    const base = `throttle-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    let faults = 0;
    injectFaults(h.client, (command) => {
      if (command === 'ChangeResourceRecordSets' && faults < 2) {
        faults++;
        return awsError(faults === 1 ? 'Throttling' : 'PriorRequestNotComplete', 'Rate exceeded', 400);
      }
      return undefined;
    });
    const attempts = countAttempts(h.client);
    const calls = countCalls(h.client);
    const recs = records(20, base);
    expect(errorsOf(await h.provider.upsert(base, recs))).toEqual([]);
    expect(calls.count('ChangeResourceRecordSets')).toBe(1);
    expect(attempts.count('ChangeResourceRecordSets')).toBe(3);
    expect(await h.provider.observe(base)).toHaveLength(20);
  });

  it('a record Route 53 rejects fails alone; the rest of its batch is applied', async () => {
    const base = `reject-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    const recs = records(10, base);
    const bad = recs[6];
    if (!bad) throw new Error('no record');
    injectFaults(h.client, (command, input) => {
      const changes = (input['ChangeBatch'] as { Changes?: { ResourceRecordSet?: { Name?: string } }[] } | undefined)?.Changes ?? [];
      return command === 'ChangeResourceRecordSets' && changes.some((c) => c.ResourceRecordSet?.Name === `${bad.fqdn}.`)
        ? awsError('InvalidChangeBatch', `[RRSet with DNS name ${bad.fqdn}. is not permitted in zone]`)
        : undefined;
    });
    const results = await h.provider.upsert(base, recs);
    expect(results.map((r) => (r.error as PoolformError | undefined)?.code)).toEqual(recs.map((r) => (r === bad ? 'dns-change-rejected' : undefined)));
    expect(results[6]?.error?.message).toContain(bad.fqdn);
    const seen = (await h.provider.observe(base)).map((r) => r.fqdn);
    expect(seen).toEqual(
      recs
        .filter((r) => r !== bad)
        .map((r) => r.fqdn)
        .sort(),
    );
  });

  it('access denied names the missing permission', async () => {
    const base = `denied-${hex(3)}.test`;
    await createZone(base);
    const h = harness();
    injectFaults(h.client, (command) => (command === 'ListResourceRecordSets' ? awsError('AccessDenied', 'User is not authorized', 403) : undefined));
    await expect(h.provider.observe(base)).rejects.toMatchObject({
      code: 'aws-unauthorized',
      message: expect.stringContaining('route53:ListResourceRecordSets'),
    });
  });
});
