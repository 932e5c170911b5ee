// Pure Azure DNS record logic: names relative to the zone, the ownership
// marker in record-set metadata, and the zone view built from one listing.
//
// Ownership: each A record set poolform writes carries metadata
// `poolform_managed=true` and `poolform_server_id=<id>`. A record set
// without them is never modified or deleted. (Metadata keys are kept to
// letters, digits and underscores.)
//
// Concurrency: every change is conditional (Azure DNS etags): a name the view
// shows empty is created with `If-None-Match: *`, an owned one replaced or
// deleted with `If-Match: <etag seen>`. A stale view can therefore never
// overwrite or remove what someone else wrote since: Azure answers 412 and the
// provider reads that one record again.
import type { RecordSet } from '@azure/arm-dns';
import type { DnsRecord } from '../types.ts';

export const META_MANAGED = 'poolform_managed';
export const META_SERVER_ID = 'poolform_server_id';

export function normalizeName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** The record-set name relative to the zone (`@` for the apex); undefined when the fqdn is outside the zone. */
export function relativeName(fqdn: string, zone: string): string | undefined {
  const name = normalizeName(fqdn);
  const apex = normalizeName(zone);
  if (name === apex) return '@';
  return name.endsWith(`.${apex}`) ? name.slice(0, -(apex.length + 1)) : undefined;
}

export function fqdnOf(relative: string, zone: string): string {
  return relative === '@' ? normalizeName(zone) : `${normalizeName(relative)}.${normalizeName(zone)}`;
}

export function ownerMetadata(serverId: string): Record<string, string> {
  return { [META_MANAGED]: 'true', [META_SERVER_ID]: serverId };
}

/** The server id of a record set poolform wrote, else undefined. */
export function ownerOf(set: Pick<RecordSet, 'metadata'>): string | undefined {
  const meta = set.metadata ?? {};
  const id = meta[META_SERVER_ID];
  return meta[META_MANAGED] === 'true' && id ? id : undefined;
}

export interface ViewEntry {
  relative: string;
  etag: string | undefined;
  owner: string | undefined;
  values: string[];
  ttl: number;
}

/** fqdn → what the zone holds there (A record sets only). */
export type ZoneView = Map<string, ViewEntry>;

export function entryOf(set: RecordSet): ViewEntry | undefined {
  if (!set.name) return undefined;
  return {
    relative: set.name.toLowerCase(),
    etag: set.etag,
    owner: ownerOf(set),
    values: (set.aRecords ?? []).map((a) => a.ipv4Address ?? '').filter((v) => v !== ''),
    ttl: set.ttl ?? 0,
  };
}

/** Records poolform owns, as the planner sees them (one value per record). */
export function ownedRecords(view: ZoneView, zone: string): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (const entry of view.values()) {
    if (!entry.owner) continue;
    const value = entry.values[0];
    if (value === undefined) continue;
    out.push({ fqdn: fqdnOf(entry.relative, zone), type: 'A', value, ttl: entry.ttl, server_id: entry.owner });
  }
  return out.sort((a, b) => a.fqdn.localeCompare(b.fqdn));
}
