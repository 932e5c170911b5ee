// The DigitalOcean DNS provider (`DnsProvider` type `digital_ocean`): A records
// `<hostname>.<base_domain_name>` in the DigitalOcean domain that holds the
// base domain (the configured `domain`, else the longest matching domain from
// `GET /v2/domains`, looked up once per process and base domain).
// - observe(): one paginated walk of `GET /v2/domains/{domain}/records`
//   (per_page=200), the A records marked by a TXT companion (records.ts).
// - upsert(): one listing, then per record: an owned A record with another
//   value is updated (`PUT .../records/{id}`); a name with no A record gets
//   the marker TXT (unless present) and then the A record
//   (`POST .../records`); an A record without poolform's marker is refused
//   (`dns-record-not-owned`), and so is a name holding a CNAME.
// - delete(): owned A records at the name, then the marker (404 = gone).
// - A marker left alone (a crash between the A record's delete and its
//   marker's) is removed by observe once this process has seen it alone for
//   `markerGraceMs` (an upsert in flight writes its A record within moments).
import type { DigitalOceanDnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { DoApiError, type DoClient } from '../digital-ocean/client.ts';
import { toDoError } from '../digital-ocean/errors.ts';
import type { DnsProviderClient, DnsRecord, ItemResult } from '../types.ts';
import { type DoDomainRecord, indexRecords, ownedRecords, ownerTxtData, relativeName, zoneFor } from './records.ts';

export const DEFAULT_TTL = 60;
/** DigitalOcean's smallest record TTL. */
export const MIN_TTL = 30;

export interface DoDnsProviderInternals {
  config: DigitalOceanDnsProvider;
  client: DoClient;
  now?: () => number;
  /** How long a marker TXT must have been seen without its A record before observe deletes it (default 10 minutes). */
  markerGraceMs?: number;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function createDoDnsProviderClient(internals: DoDnsProviderInternals): DnsProviderClient {
  const { config, client } = internals;
  const where = `DnsProvider ${config.name}`;
  const zones = new Map<string, Promise<string>>();
  const now = internals.now ?? Date.now;
  const markerGraceMs = internals.markerGraceMs ?? 10 * 60_000;
  /** Marker record id → when this process first saw it without an A record. */
  const loneSince = new Map<number, number>();

  /** Deletes markers seen alone for markerGraceMs (best effort: the next observe tries again). */
  async function sweepLoneMarkers(zone: string, view: ReturnType<typeof indexRecords>, baseDomain: string): Promise<void> {
    const at = now();
    const base = baseDomain.toLowerCase();
    const lone = new Set<number>();
    for (const [fqdn, state] of view) {
      if (state.a.length > 0 || (fqdn !== base && !fqdn.endsWith(`.${base}`))) continue;
      for (const m of state.markers) lone.add(m.record.id);
    }
    for (const id of [...loneSince.keys()]) if (!lone.has(id)) loneSince.delete(id);
    for (const id of lone) {
      const since = loneSince.get(id);
      if (since === undefined) loneSince.set(id, at);
      else if (at - since >= markerGraceMs) {
        await deleteRecord(zone, id).then(
          () => loneSince.delete(id),
          () => undefined,
        );
      }
    }
  }

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDoError(error, { where, operation });
    }
  }

  function zoneOf(baseDomain: string): Promise<string> {
    const key = baseDomain.toLowerCase();
    let hit = zones.get(key);
    if (!hit) {
      hit = (async () => {
        if (config.domain !== undefined) {
          if (relativeName(key, config.domain) === undefined) {
            throw new PoolformError('dns-zone-not-found', `${where}: base_domain_name ${baseDomain} is not inside domain ${config.domain}`, {
              field: 'domain',
            });
          }
          return config.domain.toLowerCase();
        }
        const domains = await call('GET /v2/domains', () => client.listAll<{ name: string }>('/v2/domains', 'domains'));
        const zone = zoneFor(
          key,
          domains.map((d) => d.name),
        );
        if (zone === undefined) {
          throw new PoolformError(
            'dns-zone-not-found',
            `${where}: no DigitalOcean domain holds ${baseDomain}; add the domain (or its parent) in DigitalOcean, or set domain`,
            { field: 'base_domain_name' },
          );
        }
        return zone;
      })();
      zones.set(key, hit);
      hit.catch(() => zones.delete(key));
    }
    return hit;
  }

  const recordsPath = (zone: string): string => `/v2/domains/${encodeURIComponent(zone)}/records`;

  async function listZone(zone: string): Promise<DoDomainRecord[]> {
    return await call('GET /v2/domains/{domain}/records', () => client.listAll<DoDomainRecord>(recordsPath(zone), 'domain_records'));
  }

  async function deleteRecord(zone: string, id: number): Promise<void> {
    try {
      await client.request('DELETE', `${recordsPath(zone)}/${id}`);
    } catch (error) {
      if (error instanceof DoApiError && error.status === 404) return;
      throw toDoError(error, { where, operation: 'DELETE /v2/domains/{domain}/records/{id}' });
    }
  }

  const ttlOf = (record: DnsRecord): number => Math.max(MIN_TTL, record.ttl > 0 ? record.ttl : (config.ttl ?? DEFAULT_TTL));

  return {
    kind: 'digital_ocean',
    name: config.name,

    async observe(baseDomain) {
      const zone = await zoneOf(baseDomain);
      const view = indexRecords(await listZone(zone), zone);
      await sweepLoneMarkers(zone, view, baseDomain);
      return ownedRecords(view, baseDomain);
    },

    async upsert(baseDomain, records) {
      const results: ItemResult<DnsRecord>[] = records.map((item) => ({ item }));
      if (records.length === 0) return results;
      const zone = await zoneOf(baseDomain);
      const view = indexRecords(await listZone(zone), zone);
      for (const result of results) {
        const record = result.item;
        try {
          const fqdn = record.fqdn.toLowerCase();
          const name = relativeName(fqdn, zone);
          if (name === undefined) throw new PoolformError('dns-change-rejected', `${where}: ${fqdn} is not inside domain ${zone}`);
          const state = view.get(fqdn) ?? { a: [], markers: [], cname: false };
          if (state.cname) throw new PoolformError('dns-record-not-owned', `${where}: ${fqdn} holds a CNAME record; poolform does not replace it`);
          const marker = state.markers[0];
          if (state.a.length > 0 && !marker) {
            throw new PoolformError('dns-record-not-owned', `${where}: ${fqdn} has an A record without poolform's marker TXT; poolform does not change it`);
          }
          const ttl = ttlOf(record);
          if (!marker) {
            await call('POST /v2/domains/{domain}/records', () =>
              client.request('POST', recordsPath(zone), { body: { type: 'TXT', name, data: ownerTxtData(record.server_id), ttl } }),
            );
          } else if (marker.serverId !== record.server_id) {
            await call('PUT /v2/domains/{domain}/records/{id}', () =>
              client.request('PUT', `${recordsPath(zone)}/${marker.record.id}`, { body: { data: ownerTxtData(record.server_id) } }),
            );
          }
          const [first, ...extra] = state.a;
          if (!first) {
            await call('POST /v2/domains/{domain}/records', () =>
              client.request('POST', recordsPath(zone), { body: { type: 'A', name, data: record.value, ttl } }),
            );
          } else if (first.data !== record.value || (first.ttl ?? 0) !== ttl) {
            await call('PUT /v2/domains/{domain}/records/{id}', () =>
              client.request('PUT', `${recordsPath(zone)}/${first.id}`, { body: { type: 'A', name, data: record.value, ttl } }),
            );
          }
          for (const other of extra) await deleteRecord(zone, other.id);
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
      const view = indexRecords(await listZone(zone), zone);
      for (const result of results) {
        try {
          const state = view.get(result.item.fqdn.toLowerCase());
          if (!state) continue;
          if (state.markers.length === 0) {
            if (state.a.length > 0)
              throw new PoolformError('dns-record-not-owned', `${where}: ${result.item.fqdn} has no poolform marker TXT; poolform does not delete it`);
            continue;
          }
          for (const a of state.a) await deleteRecord(zone, a.id);
          for (const m of state.markers) await deleteRecord(zone, m.record.id);
        } catch (error) {
          result.error = asError(error);
        }
      }
      return results;
    },
  };
}
