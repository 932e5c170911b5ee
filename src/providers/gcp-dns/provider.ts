// The Google Cloud DNS provider. Contracts (providers/types.ts) and how they are met:
// - observe(baseDomain): one paginated resourceRecordSets.list walk of the
//   managed zone; only A records with poolform's TXT marker are reported.
// - upsert/delete: all records of one call go into atomic `changes.create`
//   requests (additions + deletions; at most `maxRecordsPerChange` records,
//   each up to two additions and two deletions, well inside Cloud DNS's
//   per-change limits). Decisions use the zone view of the last walk (at most
//   `snapshotMaxAgeMs` old, kept current with poolform's own changes); every
//   deletion names the exact record set seen, so a stale view makes Cloud DNS
//   reject the change: the zone is walked again and the change re-planned
//   once, then sent record by record so only the conflicting record reports
//   an error.
// - The zone: `managed_zone`, else the zone whose dnsName is base_domain_name
//   or its closest parent (managedZones.list?dnsName=).
// Throttling and 5xx are retried with backoff (shared/backoff.ts).
import type { DNS, Zone } from '@google-cloud/dns';
import type { GcpDnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { CallTimeoutError, type RetryOptions, withRetries, withTimeout } from '../shared/backoff.ts';
import { toGcpError, transientGcpError } from '../gcp/errors.ts';
import type { DnsProviderClient, DnsRecord, ItemResult } from '../types.ts';
import { applyToView, type ItemChange, indexRrsets, ownedRecords, planDelete, planUpsert, type Rrset, type ZoneView } from './records.ts';

export interface GcpDnsProviderInternals {
  config: GcpDnsProvider;
  dns: DNS;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<Pick<RetryOptions, 'maxRetries' | 'baseMs' | 'maxMs'>>;
  /** How old a zone walk may be for upsert/delete decisions (default 10 minutes; conditional changes keep it safe). */
  snapshotMaxAgeMs?: number;
  /** Records per changes.create (default 250). */
  maxRecordsPerChange?: number;
  /** Longest wait for one API call, the client's own retries and token requests included (default 5 minutes). */
  callTimeoutMs?: number;
}

interface ZoneRef {
  name: string;
  dnsName: string;
}

/** Candidate zone names for a base domain, most specific first. */
export function enclosingNames(baseDomain: string): string[] {
  const labels = baseDomain.replace(/\.$/, '').toLowerCase().split('.').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  if (out.length === 0 && labels[0]) out.push(labels[0]);
  return out;
}

const CONFLICT = new Set([404, 409, 412]);

/** One resourceRecordSets.list page as Cloud DNS sent it. */
function listPage(zone: Zone, pageToken: string | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    zone.getRecords(
      { autoPaginate: false, maxResults: 1000, ...(pageToken ? { pageToken } : {}) },
      (error: Error | null, _records: unknown, _next: unknown, raw?: unknown) => {
        if (error) reject(error);
        else resolve(raw);
      },
    );
  });
}

export function createGcpDnsProviderClient(internals: GcpDnsProviderInternals): DnsProviderClient {
  const { config, dns } = internals;
  const where = `DnsProvider ${config.name}`;
  const now = internals.now ?? Date.now;
  const retry: RetryOptions = {
    maxRetries: internals.retry?.maxRetries ?? 1,
    baseMs: internals.retry?.baseMs ?? 1000,
    maxMs: internals.retry?.maxMs ?? 30_000,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  const maxAge = internals.snapshotMaxAgeMs ?? 10 * 60_000;
  const perChange = Math.max(1, internals.maxRecordsPerChange ?? 250);
  const zones = new Map<string, Promise<ZoneRef>>();
  const views = new Map<string, { at: number; view: ZoneView }>();
  /** One change at a time per zone: views stay consistent with what was sent. */
  const queues = new Map<string, Promise<unknown>>();

  const callTimeoutMs = internals.callTimeoutMs ?? 5 * 60_000;

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(() => withTimeout(run(), callTimeoutMs), transientGcpError, retry);
    } catch (error) {
      if (error instanceof CallTimeoutError) {
        throw new PoolformError(
          'gcp-operation-timeout',
          `${where}: ${operation} got no answer within ${Math.round(callTimeoutMs / 1000)} s; poolform will look again`,
          {
            retryable: true,
            cause: error,
          },
        );
      }
      throw toGcpError(error, { where, operation });
    }
  }

  async function findZone(baseDomain: string): Promise<ZoneRef> {
    if (config.managed_zone) {
      const [metadata] = await call('dns.managedZones.get', async () => await dns.zone(config.managed_zone ?? '').getMetadata());
      return { name: config.managed_zone, dnsName: String((metadata as { dnsName?: string }).dnsName ?? '') };
    }
    for (const name of enclosingNames(baseDomain)) {
      const [found] = await call(
        'dns.managedZones.list',
        async () => await dns.getZones({ dnsName: `${name}.`, autoPaginate: false } as Parameters<DNS['getZones']>[0] & object),
      );
      const matches = found.filter((z) => String((z.metadata as { dnsName?: string }).dnsName ?? '').toLowerCase() === `${name}.`);
      if (matches.length > 1) {
        const want = (config.ip ?? 'private') === 'private' ? 'private' : 'public';
        const preferred = matches.filter((z) => ((z.metadata as { visibility?: string }).visibility ?? 'public') === want);
        if (preferred.length !== 1)
          throw new PoolformError('dns-zone-ambiguous', `${where}: ${matches.length} managed zones are named ${name}; set managed_zone to choose one`);
        return { name: String(preferred[0]?.name), dnsName: `${name}.` };
      }
      if (matches[0]) return { name: String(matches[0].name), dnsName: `${name}.` };
    }
    const base = baseDomain.replace(/\.$/, '').toLowerCase();
    throw new PoolformError(
      'dns-zone-not-found',
      `${where}: no Cloud DNS managed zone found for base_domain_name ${base} in project ${config.project}; create the zone, or set managed_zone`,
      {
        field: 'base_domain_name',
        details: { base_domain_name: base },
      },
    );
  }

  function zoneOf(baseDomain: string): Promise<ZoneRef> {
    const key = baseDomain.replace(/\.$/, '').toLowerCase();
    let hit = zones.get(key);
    if (!hit) {
      hit = findZone(key);
      zones.set(key, hit);
      const cached = hit;
      cached.catch(() => {
        if (zones.get(key) === cached) zones.delete(key);
      });
    }
    return hit;
  }

  async function walk(zone: ZoneRef): Promise<ZoneView> {
    const at = now();
    const rrsets: Rrset[] = [];
    const handle: Zone = dns.zone(zone.name);
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      // With autoPaginate false the callback form also hands over the raw answer (rrsets, nextPageToken).
      const raw = await call('dns.resourceRecordSets.list', () => listPage(handle, token));
      const body = (raw ?? {}) as { rrsets?: Rrset[]; nextPageToken?: string };
      for (const r of body.rrsets ?? []) rrsets.push({ name: r.name, type: r.type, ttl: Number(r.ttl ?? 0), rrdatas: [...(r.rrdatas ?? [])] });
      pageToken = body.nextPageToken || undefined;
    } while (pageToken);
    const view = indexRrsets(rrsets);
    views.set(zone.name, { at, view });
    return view;
  }

  async function viewOf(zone: ZoneRef): Promise<ZoneView> {
    const cached = views.get(zone.name);
    return cached && now() - cached.at <= maxAge ? cached.view : await walk(zone);
  }

  async function send(zone: ZoneRef, change: ItemChange): Promise<void> {
    if (change.additions.length === 0 && change.deletions.length === 0) return;
    const handle = dns.zone(zone.name);
    const record = (r: Rrset) => handle.record(r.type.toLowerCase(), { name: r.name, ttl: r.ttl, data: r.rrdatas });
    await call('dns.changes.create', async () => await handle.createChange({ add: change.additions.map(record), delete: change.deletions.map(record) }));
  }

  function conflict(error: unknown): boolean {
    const status = (error as PoolformError).details?.['http_status'];
    return typeof status === 'number' && CONFLICT.has(status);
  }

  function merge(changes: readonly ItemChange[]): ItemChange {
    return { additions: changes.flatMap((c) => c.additions), deletions: changes.flatMap((c) => c.deletions) };
  }

  /** Plans and sends the records of one call; per-record results. */
  async function run(baseDomain: string, records: readonly DnsRecord[], plan: (view: ZoneView, r: DnsRecord) => ItemChange): Promise<ItemResult<DnsRecord>[]> {
    const results: ItemResult<DnsRecord>[] = records.map((item) => ({ item }));
    if (records.length === 0) return results;
    let zone: ZoneRef;
    try {
      zone = await zoneOf(baseDomain);
    } catch (error) {
      for (const r of results) r.error = error instanceof Error ? error : new Error(String(error));
      return results;
    }
    const previous = queues.get(zone.name) ?? Promise.resolve();
    const work = previous.then(async () => {
      for (let start = 0; start < results.length; start += perChange) {
        const slice = results.slice(start, start + perChange);
        await runSlice(zone, slice, plan);
      }
    });
    queues.set(
      zone.name,
      work.catch(() => undefined),
    );
    await work.catch((error: unknown) => {
      for (const r of results) if (!r.error) r.error = error instanceof Error ? error : new Error(String(error));
    });
    return results;
  }

  async function runSlice(zone: ZoneRef, slice: ItemResult<DnsRecord>[], plan: (view: ZoneView, r: DnsRecord) => ItemChange): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const view = attempt === 0 ? await viewOf(zone) : await walk(zone);
      const planned = slice.map((r) => ({ r, change: plan(view, r.item) }));
      for (const p of planned) if (p.change.refusal) p.r.error = new PoolformError('dns-record-not-owned', `${where}: ${p.change.refusal}`);
      const ok = planned.filter((p) => !p.change.refusal);
      const change = merge(ok.map((p) => p.change));
      try {
        await send(zone, change);
        for (const p of ok) applyToView(view, p.change);
        return;
      } catch (error) {
        if (!conflict(error)) throw error;
        for (const p of planned) delete p.r.error;
      }
    }
    // Still rejected after a fresh walk: record by record, so only the conflicting one fails.
    const view = await walk(zone);
    for (const r of slice) {
      const change = plan(view, r.item);
      if (change.refusal) {
        r.error = new PoolformError('dns-record-not-owned', `${where}: ${change.refusal}`);
        continue;
      }
      try {
        await send(zone, change);
        applyToView(view, change);
      } catch (error) {
        r.error = conflict(error)
          ? new PoolformError(
              'dns-change-rejected',
              `${where}: Cloud DNS rejected the change for ${r.item.fqdn} (the record changed meanwhile); poolform will look again`,
              { retryable: true, cause: error },
            )
          : error instanceof Error
            ? error
            : new Error(String(error));
      }
    }
  }

  return {
    kind: 'gcp',
    name: config.name,

    async observe(baseDomain) {
      const zone = await zoneOf(baseDomain);
      const view = await walk(zone);
      const base = baseDomain.replace(/\.$/, '').toLowerCase();
      return ownedRecords(view).filter((r) => r.fqdn === base || r.fqdn.endsWith(`.${base}`));
    },

    upsert: (baseDomain, records) => run(baseDomain, records, planUpsert),
    delete: (baseDomain, records) => run(baseDomain, records, planDelete),
  };
}
