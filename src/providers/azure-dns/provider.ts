// The Azure DNS provider. Contracts (see providers/types.ts) and how they are met:
// - observe(baseDomain): one paginated RecordSets_ListByType (A) walk of the
//   zone; only record sets with poolform's metadata marker are reported.
// - upsert/delete: Azure DNS has no multi-record change API, so each record is
//   one conditional call (records.ts: If-None-Match on create, If-Match with
//   the etag seen on replace/delete), a few at a time. Decisions use the last
//   walk of the zone (kept current with poolform's own changes, at most
//   `snapshotMaxAgeMs` old); a 412 (someone changed that record since) reads
//   that record again and decides once more. A record already gone, or one
//   the view shows unchanged, costs no call.
// - A record set without the marker is never changed: upsert and delete
//   report `dns-record-not-owned` for it.
import type { DnsManagementClient, RecordSet } from '@azure/arm-dns';
import type { AzureDnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { azureErrorShape, toAzureError } from '../azure/errors.ts';
import type { DnsProviderClient, DnsRecord, ItemResult } from '../types.ts';
import { entryOf, normalizeName, ownedRecords, ownerMetadata, relativeName, type ViewEntry, type ZoneView } from './records.ts';
import { findZone } from './zone.ts';

export const DEFAULT_TTL = 60;
export const DEFAULT_SNAPSHOT_MAX_AGE_MS = 10 * 60_000;
/** RecordSets_ListByType page size ($top; Azure's maximum page is larger). */
export const LIST_PAGE = 1000;

export interface AzureDnsProviderInternals {
  config: AzureDnsProvider;
  client: DnsManagementClient;
  snapshotMaxAgeMs?: number;
  /** Record changes in flight at once (default 8). */
  concurrency?: number;
  now?: () => number;
}

interface ZoneState {
  view?: ZoneView;
  viewAt: number;
}

export function createAzureDnsProviderClient(internals: AzureDnsProviderInternals): DnsProviderClient {
  const { config, client } = internals;
  const rg = config.resource_group;
  const where = `DnsProvider ${config.name}`;
  const now = internals.now ?? Date.now;
  const maxAge = internals.snapshotMaxAgeMs ?? DEFAULT_SNAPSHOT_MAX_AGE_MS;
  const concurrency = Math.max(1, internals.concurrency ?? 8);
  const zoneNames = new Map<string, Promise<string>>();
  const zones = new Map<string, ZoneState>();

  async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toAzureError(error, { where, operation });
    }
  }

  function statusOf(error: unknown): number | undefined {
    return azureErrorShape(error instanceof PoolformError ? error.cause : error).status;
  }

  function zoneFor(baseDomain: string): Promise<string> {
    const key = normalizeName(baseDomain);
    let found = zoneNames.get(key);
    if (!found) {
      found = findZone(client, config, key, send);
      zoneNames.set(key, found);
      const cached = found;
      cached.catch(() => {
        if (zoneNames.get(key) === cached) zoneNames.delete(key);
      });
    }
    return found;
  }

  function stateOf(zone: string): ZoneState {
    let state = zones.get(zone);
    if (!state) {
      state = { viewAt: 0 };
      zones.set(zone, state);
    }
    return state;
  }

  async function walk(zone: string): Promise<ZoneView> {
    const at = now();
    const view: ZoneView = new Map();
    await send('RecordSets_ListByType', async () => {
      for await (const page of client.recordSets.listByType(rg, zone, 'A', { top: LIST_PAGE }).byPage()) {
        for (const set of page) {
          const entry = entryOf(set);
          if (entry) view.set(entry.relative, entry);
        }
      }
    });
    const state = stateOf(zone);
    state.view = view;
    state.viewAt = at;
    return view;
  }

  async function currentView(zone: string): Promise<ZoneView> {
    const state = stateOf(zone);
    if (state.view && now() - state.viewAt <= maxAge) return state.view;
    return await walk(zone);
  }

  /** Reads one record set again (after a 412); undefined when it does not exist. */
  async function reread(zone: string, relative: string): Promise<ViewEntry | undefined> {
    try {
      const set = await send('RecordSets_Get', () => client.recordSets.get(rg, zone, relative, 'A'));
      return entryOf(set);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  function remember(zone: string, relative: string, entry: ViewEntry | undefined): void {
    const view = stateOf(zone).view;
    if (!view) return;
    if (entry) view.set(relative, entry);
    else view.delete(relative);
  }

  function notOwned(fqdn: string): PoolformError {
    return new PoolformError(
      'dns-record-not-owned',
      `${where}: an A record ${fqdn} exists that poolform did not create (no ${'poolform_managed'} metadata); poolform leaves it alone`,
    );
  }

  async function upsertOne(zone: string, record: DnsRecord, seen: ViewEntry | undefined, retry: boolean): Promise<void> {
    const relative = relativeName(record.fqdn, zone);
    if (!relative) throw new PoolformError('provider-config', `${where}: ${record.fqdn} is not inside the zone ${zone}`);
    const ttl = record.ttl > 0 ? record.ttl : (config.ttl ?? DEFAULT_TTL);
    if (seen && !seen.owner) throw notOwned(record.fqdn);
    if (seen && seen.owner === record.server_id && seen.ttl === ttl && seen.values.length === 1 && seen.values[0] === record.value) return;
    const body: RecordSet = { ttl, aRecords: [{ ipv4Address: record.value }], metadata: ownerMetadata(record.server_id) };
    try {
      const out = await send('RecordSets_CreateOrUpdate', () =>
        client.recordSets.createOrUpdate(rg, zone, relative, 'A', body, seen ? { ifMatch: seen.etag ?? '*' } : { ifNoneMatch: '*' }),
      );
      remember(zone, relative, entryOf({ ...out, name: out.name ?? relative }));
    } catch (error) {
      if (statusOf(error) !== 412 || !retry) throw error;
      const fresh = await reread(zone, relative);
      remember(zone, relative, fresh);
      await upsertOne(zone, record, fresh, false);
    }
  }

  async function deleteOne(zone: string, record: DnsRecord, seen: ViewEntry | undefined, retry: boolean): Promise<void> {
    const relative = relativeName(record.fqdn, zone);
    if (!relative || !seen) return; // outside the zone, or already gone
    if (!seen.owner) throw notOwned(record.fqdn);
    try {
      await send('RecordSets_Delete', () => client.recordSets.delete(rg, zone, relative, 'A', { ifMatch: seen.etag ?? '*' }));
      remember(zone, relative, undefined);
    } catch (error) {
      if (statusOf(error) === 404) {
        remember(zone, relative, undefined);
        return;
      }
      if (statusOf(error) !== 412 || !retry) throw error;
      const fresh = await reread(zone, relative);
      remember(zone, relative, fresh);
      await deleteOne(zone, record, fresh, false);
    }
  }

  async function apply(op: 'upsert' | 'delete', baseDomain: string, records: readonly DnsRecord[]): Promise<ItemResult<DnsRecord>[]> {
    const results: ItemResult<DnsRecord>[] = records.map((item) => ({ item }));
    if (records.length === 0) return results;
    let zone: string;
    let view: ZoneView;
    try {
      zone = await zoneFor(baseDomain);
      view = await currentView(zone);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const result of results) result.error = failure;
      return results;
    }
    // One change per name at a time: records for the same name go in order.
    let next = 0;
    const busy = new Set<string>();
    const worker = async (): Promise<void> => {
      while (next < results.length) {
        const result = results[next++];
        if (!result) continue;
        const relative = relativeName(result.item.fqdn, zone) ?? result.item.fqdn;
        while (busy.has(relative)) await new Promise((resolve) => setTimeout(resolve, 5));
        busy.add(relative);
        try {
          const seen = view.get(relative);
          if (op === 'upsert') await upsertOne(zone, result.item, seen, true);
          else await deleteOne(zone, result.item, seen, true);
        } catch (error) {
          result.error = error instanceof Error ? error : new Error(String(error));
        } finally {
          busy.delete(relative);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, results.length) }, worker));
    return results;
  }

  return {
    kind: 'azure',
    name: config.name,

    async observe(baseDomain) {
      const zone = await zoneFor(baseDomain);
      const view = await walk(zone);
      return ownedRecords(view, zone).filter((r) => r.fqdn === normalizeName(baseDomain) || r.fqdn.endsWith(`.${normalizeName(baseDomain)}`));
    },

    upsert: (baseDomain, records) => apply('upsert', baseDomain, records),
    delete: (baseDomain, records) => apply('delete', baseDomain, records),
  };
}
