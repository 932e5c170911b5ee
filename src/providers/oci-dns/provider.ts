// The OCI DNS provider (`DnsProvider` type `oci`): A records
// `<hostname>.<base_domain_name>` in the OCI DNS zone that holds the base
// domain (the configured `zone`, else the longest matching zone name from
// ListZones in compartment_id, looked up once per process and base domain).
// OCI records carry no metadata, so ownership is marked as for Route 53 and
// DigitalOcean: a TXT record `poolform:server-id=<id>` at the same name
// (digital-ocean-dns/records.ts holds the shared pure logic). The TXT is
// written before the A record and removed after it, so a crash in between
// leaves at most a marker without an A record, never an unmarked A record.
// - observe(): one paginated GetZoneRecords walk of the zone (100 per page).
// - upsert(): one walk, then per record UpdateRRSet (PUT
//   /zones/{zone}/records/{domain}/TXT, then .../A: each replaces the whole
//   RRSet, so retries are harmless); an A record without poolform's marker is
//   refused (`dns-record-not-owned`), and so is a name holding a CNAME.
// - delete(): DeleteRRSet of the A record, then of the marker TXT (other TXT
//   records at the name are kept: the TXT RRSet is rewritten without ours).
import type { DnsClient, models } from 'oci-dns';
import type { OciDnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { type DoDomainRecord, indexRecords, ownedRecords, ownerTxtData, parseOwnerTxt, relativeName, zoneFor } from '../digital-ocean-dns/records.ts';
import { withRetries } from '../shared/backoff.ts';
import { ociStatus, toOciError, transientOciError } from '../oci/errors.ts';
import type { DnsProviderClient, DnsRecord, ItemResult } from '../types.ts';

export const DEFAULT_TTL = 60;
/** DNS list pages: 100 items (the DNS API's documented upper bound for `limit`, stricter than Core Services' 1,000). */
const PAGE_LIMIT = 100;

export interface OciDnsProviderInternals {
  config: OciDnsProvider;
  client: DnsClient;
  sleep?: (ms: number) => Promise<void>;
  maxRetries?: number;
  retryBaseMs?: number;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** OCI record (fully qualified `domain`) → the shape the shared helpers read (name relative to the zone). */
function asDomainRecord(r: models.Record, zone: string): DoDomainRecord | undefined {
  const name = relativeName(r.domain ?? '', zone);
  if (name === undefined || !r.rtype || r.rdata === undefined) return undefined;
  return { id: 0, type: r.rtype, name, data: r.rdata, ttl: r.ttl ?? 0 };
}

export function createOciDnsProviderClient(internals: OciDnsProviderInternals): DnsProviderClient {
  const { config, client } = internals;
  const where = `DnsProvider ${config.name}`;
  const zones = new Map<string, Promise<string>>();
  const retry = {
    maxRetries: internals.maxRetries ?? 4,
    baseMs: internals.retryBaseMs ?? 1000,
    maxMs: 30_000,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(run, transientOciError, retry);
    } catch (error) {
      throw toOciError(error, { where, operation });
    }
  }

  function zoneOf(baseDomain: string): Promise<string> {
    const key = baseDomain.toLowerCase().replace(/\.$/, '');
    let hit = zones.get(key);
    if (!hit) {
      hit = (async () => {
        if (config.zone !== undefined) {
          if (relativeName(key, config.zone) === undefined) {
            throw new PoolformError('dns-zone-not-found', `${where}: base_domain_name ${baseDomain} is not inside zone ${config.zone}`, { field: 'zone' });
          }
          return config.zone.toLowerCase();
        }
        const names: string[] = [];
        let page: string | undefined;
        do {
          const current = page;
          const res = await call('ListZones', () =>
            client.listZones({ compartmentId: config.compartment_id, limit: PAGE_LIMIT, ...(current ? { page: current } : {}) }),
          );
          for (const z of res.items) if (z.name) names.push(z.name);
          page = res.opcNextPage || undefined;
        } while (page);
        const zone = zoneFor(key, names);
        if (zone === undefined) {
          throw new PoolformError(
            'dns-zone-not-found',
            `${where}: no OCI DNS zone in compartment_id holds ${baseDomain}; create the zone (or its parent), or set zone`,
            {
              field: 'base_domain_name',
            },
          );
        }
        return zone;
      })();
      zones.set(key, hit);
      hit.catch(() => zones.delete(key));
    }
    return hit;
  }

  async function listZone(zone: string): Promise<{ records: DoDomainRecord[]; txt: Map<string, models.Record[]> }> {
    const records: DoDomainRecord[] = [];
    const txt = new Map<string, models.Record[]>();
    let page: string | undefined;
    do {
      const current = page;
      const res = await call('GetZoneRecords', () =>
        client.getZoneRecords({ zoneNameOrId: zone, compartmentId: config.compartment_id, limit: PAGE_LIMIT, ...(current ? { page: current } : {}) }),
      );
      for (const r of res.recordCollection.items ?? []) {
        const rec = asDomainRecord(r, zone);
        if (rec) records.push(rec);
        if (r.rtype === 'TXT' && r.domain) {
          const key = r.domain.toLowerCase();
          txt.set(key, [...(txt.get(key) ?? []), r]);
        }
      }
      page = res.opcNextPage || undefined;
    } while (page);
    return { records, txt };
  }

  const putRRSet = (zone: string, domain: string, rtype: 'A' | 'TXT', items: models.RecordDetails[]): Promise<unknown> =>
    call(`UpdateRRSet ${rtype}`, () =>
      client.updateRRSet({ zoneNameOrId: zone, domain, rtype, compartmentId: config.compartment_id, updateRRSetDetails: { items } }),
    );

  async function deleteRRSet(zone: string, domain: string, rtype: 'A' | 'TXT'): Promise<void> {
    try {
      await withRetries(() => client.deleteRRSet({ zoneNameOrId: zone, domain, rtype, compartmentId: config.compartment_id }), transientOciError, retry);
    } catch (error) {
      if (ociStatus(error) !== 404) throw toOciError(error, { where, operation: `DeleteRRSet ${rtype}` });
    }
  }

  const ttlOf = (record: DnsRecord): number => (record.ttl > 0 ? record.ttl : (config.ttl ?? DEFAULT_TTL));

  return {
    kind: 'oci',
    name: config.name,

    async observe(baseDomain) {
      const zone = await zoneOf(baseDomain);
      return ownedRecords(indexRecords((await listZone(zone)).records, zone), baseDomain);
    },

    async upsert(baseDomain, records) {
      const results: ItemResult<DnsRecord>[] = records.map((item) => ({ item }));
      if (records.length === 0) return results;
      const zone = await zoneOf(baseDomain);
      const listing = await listZone(zone);
      const view = indexRecords(listing.records, zone);
      for (const result of results) {
        const record = result.item;
        try {
          const fqdn = record.fqdn.toLowerCase();
          if (relativeName(fqdn, zone) === undefined) throw new PoolformError('dns-change-rejected', `${where}: ${fqdn} is not inside zone ${zone}`);
          const state = view.get(fqdn) ?? { a: [], markers: [], cname: false };
          if (state.cname) throw new PoolformError('dns-record-not-owned', `${where}: ${fqdn} holds a CNAME record; poolform does not replace it`);
          const marker = state.markers[0];
          if (state.a.length > 0 && !marker) {
            throw new PoolformError('dns-record-not-owned', `${where}: ${fqdn} has an A record without poolform's marker TXT; poolform does not change it`);
          }
          const ttl = ttlOf(record);
          if (!marker || marker.serverId !== record.server_id || state.markers.length > 1) {
            // Keep other TXT records at the name; replace poolform's marker.
            const others = (listing.txt.get(fqdn) ?? []).filter((r) => parseOwnerTxt(r.rdata ?? '') === undefined);
            await putRRSet(zone, fqdn, 'TXT', [
              ...others.map((r) => ({ domain: fqdn, rtype: 'TXT', rdata: r.rdata ?? '', ttl: r.ttl ?? ttl })),
              { domain: fqdn, rtype: 'TXT', rdata: `"${ownerTxtData(record.server_id)}"`, ttl },
            ]);
          }
          const [first, ...extra] = state.a;
          if (!first || extra.length > 0 || first.data !== record.value || (first.ttl ?? 0) !== ttl) {
            await putRRSet(zone, fqdn, 'A', [{ domain: fqdn, rtype: 'A', rdata: record.value, ttl }]);
          }
        } catch (error) {
          result.error = asError(error);
        }
      }
      return results;
    },

    async delete(baseDomain, records) {
      const results: ItemResult<DnsRecord>[] = records.map((item) => ({ item }));
      if (records.length === 0) return results;
      const zone = await zoneOf(baseDomain);
      const listing = await listZone(zone);
      const view = indexRecords(listing.records, zone);
      for (const result of results) {
        try {
          const fqdn = result.item.fqdn.toLowerCase();
          const state = view.get(fqdn);
          if (!state) continue;
          if (state.markers.length === 0) {
            if (state.a.length > 0)
              throw new PoolformError('dns-record-not-owned', `${where}: ${result.item.fqdn} has no poolform marker TXT; poolform does not delete it`);
            continue;
          }
          if (state.a.length > 0) await deleteRRSet(zone, fqdn, 'A');
          const others = (listing.txt.get(fqdn) ?? []).filter((r) => parseOwnerTxt(r.rdata ?? '') === undefined);
          if (others.length === 0) await deleteRRSet(zone, fqdn, 'TXT');
          else
            await putRRSet(
              zone,
              fqdn,
              'TXT',
              others.map((r) => ({ domain: fqdn, rtype: 'TXT', rdata: r.rdata ?? '', ttl: r.ttl ?? DEFAULT_TTL })),
            );
        } catch (error) {
          result.error = asError(error);
        }
      }
      return results;
    },
  };
}
