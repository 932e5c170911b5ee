// Pure DigitalOcean DNS record logic. DigitalOcean domain records carry no
// metadata, so ownership is marked the way the Route 53 provider does it: next
// to each A record poolform writes a TXT record at the same name whose data is
// `poolform:server-id=<id>`. An A record without that marker is never changed
// or deleted. The TXT is written before the A record and deleted after it, so
// a crash in between leaves at most a marker without an A record (reused by
// the next upsert of that name), never an unmarked A record poolform would
// then refuse to touch.
import type { DnsRecord } from '../types.ts';

export const OWNER_PREFIX = 'poolform:server-id=';

/** A domain record as DigitalOcean returns it (Domain Records - List All Domain Records). */
export interface DoDomainRecord {
  id: number;
  type: string;
  /** Relative to the domain; `@` is the apex. */
  name: string;
  data: string;
  ttl?: number;
}

export function ownerTxtData(serverId: string): string {
  return `${OWNER_PREFIX}${serverId}`;
}

/** The server id in a TXT value written by poolform (quotes tolerated), else undefined. */
export function parseOwnerTxt(data: string): string | undefined {
  const text = data.replace(/^"(.*)"$/s, '$1');
  return text.startsWith(OWNER_PREFIX) && text.length > OWNER_PREFIX.length ? text.slice(OWNER_PREFIX.length) : undefined;
}

/** `host.sub` for `host.sub.example.com` in domain `example.com`; `@` for the apex; undefined when outside the domain. */
export function relativeName(fqdn: string, domain: string): string | undefined {
  const f = fqdn.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (f === d) return '@';
  return f.endsWith(`.${d}`) ? f.slice(0, -(d.length + 1)) : undefined;
}

export function fqdnOf(name: string, domain: string): string {
  const d = domain.toLowerCase();
  return name === '@' || name === '' ? d : `${name.toLowerCase()}.${d}`;
}

/** What exists at one name. */
export interface NameState {
  a: DoDomainRecord[];
  /** poolform's marker TXT records, with the server id each names. */
  markers: { record: DoDomainRecord; serverId: string }[];
  /** A CNAME forbids an A record at the name. */
  cname: boolean;
}

export type ZoneView = Map<string, NameState>;

/** Indexes a domain's records by fqdn. */
export function indexRecords(records: readonly DoDomainRecord[], domain: string): ZoneView {
  const view: ZoneView = new Map();
  for (const r of records) {
    const fqdn = fqdnOf(r.name, domain);
    let state = view.get(fqdn);
    if (!state) {
      state = { a: [], markers: [], cname: false };
      view.set(fqdn, state);
    }
    if (r.type === 'A') state.a.push(r);
    else if (r.type === 'CNAME') state.cname = true;
    else if (r.type === 'TXT') {
      const serverId = parseOwnerTxt(r.data);
      if (serverId !== undefined) state.markers.push({ record: r, serverId });
    }
  }
  return view;
}

/** poolform's A records under `baseDomain` (those with a marker at their name). */
export function ownedRecords(view: ZoneView, baseDomain: string): DnsRecord[] {
  const base = baseDomain.toLowerCase().replace(/\.$/, '');
  const out: DnsRecord[] = [];
  for (const [fqdn, state] of view) {
    if (fqdn !== base && !fqdn.endsWith(`.${base}`)) continue;
    const marker = state.markers[0];
    if (!marker) continue;
    for (const a of state.a) out.push({ fqdn, type: 'A', value: a.data, ttl: a.ttl ?? 0, server_id: marker.serverId });
  }
  return out;
}

/** The longest DigitalOcean domain that `baseDomain` is in (or equals), else undefined. */
export function zoneFor(baseDomain: string, domains: readonly string[]): string | undefined {
  const base = baseDomain.toLowerCase().replace(/\.$/, '');
  let best: string | undefined;
  for (const d of domains) {
    const name = d.toLowerCase().replace(/\.$/, '');
    if ((base === name || base.endsWith(`.${name}`)) && (best === undefined || name.length > best.length)) best = name;
  }
  return best;
}
