// Pure Route 53 record logic: the ownership marker, reading a zone listing,
// turning upserts/deletes into changes, and packing changes into requests
// within Route 53's limits.
//
// Ownership: next to each A record poolform writes a TXT record at the same
// name holding `"poolform:server-id=<id>"`, in the same (atomic) change
// batch. An A record without that marker is never modified or deleted. Other
// TXT values at the name (SPF, verification tokens) are preserved.
//
// Concurrency: a name the listing shows empty gets CREATE (not UPSERT) and a
// delete names the exact record set seen, so a listing that is out of date
// cannot overwrite or remove what someone else wrote since: Route 53 rejects
// the batch.
import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { PoolformError } from '../../util/errors.ts';
import type { DnsRecord } from '../types.ts';

export const OWNER_PREFIX = 'poolform:server-id=';

/** Route 53 limits for one ChangeResourceRecordSets request (an UPSERT's records count twice). */
export const MAX_CHANGES = 1000;
export const MAX_RESOURCE_RECORDS = 1000;
export const MAX_VALUE_CHARS = 32_000;

export function ownerTxtValue(serverId: string): string {
  return `"${OWNER_PREFIX}${serverId}"`;
}

/** The server id in a TXT value written by poolform, else undefined. */
export function parseOwnerTxt(value: string): string | undefined {
  const text = value.replace(/^"(.*)"$/s, '$1');
  return text.startsWith(OWNER_PREFIX) && text.length > OWNER_PREFIX.length ? text.slice(OWNER_PREFIX.length) : undefined;
}

/** A Route 53 name → lowercase fqdn without the trailing dot (octal escapes such as \052 decoded). */
export function normalizeName(name: string): string {
  return name
    .replace(/\\(\d{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
    .replace(/\.$/, '')
    .toLowerCase();
}

export function rrsetName(fqdn: string): string {
  return `${normalizeName(fqdn)}.`;
}

/** What exists at one name in the zone. */
export interface NameState {
  a?: ResourceRecordSet;
  txt?: ResourceRecordSet;
  /** Other types present (a CNAME forbids an A record). */
  others: Set<string>;
}

export type ZoneView = Map<string, NameState>;

export function indexRecordSets(rrsets: readonly ResourceRecordSet[]): ZoneView {
  const view: ZoneView = new Map();
  for (const rrset of rrsets) {
    if (!rrset.Name || !rrset.Type) continue;
    // Weighted/latency/geo sets (SetIdentifier) are never poolform's: treat as "other".
    const name = normalizeName(rrset.Name);
    let state = view.get(name);
    if (!state) {
      state = { others: new Set() };
      view.set(name, state);
    }
    if (rrset.SetIdentifier !== undefined) state.others.add(`${rrset.Type}:set`);
    else if (rrset.Type === 'A' && !rrset.AliasTarget) state.a = rrset;
    else if (rrset.Type === 'TXT') state.txt = rrset;
    else state.others.add(rrset.Type);
  }
  return view;
}

function values(rrset: ResourceRecordSet | undefined): string[] {
  return (rrset?.ResourceRecords ?? []).map((r) => r.Value ?? '').filter((v) => v !== '');
}

export function ownerOf(state: NameState | undefined): string | undefined {
  for (const value of values(state?.txt)) {
    const id = parseOwnerTxt(value);
    if (id !== undefined) return id;
  }
  return undefined;
}

function isUnder(fqdn: string, baseDomain: string): boolean {
  const base = normalizeName(baseDomain);
  return fqdn === base || fqdn.endsWith(`.${base}`);
}

/** The A records poolform owns under `baseDomain`. */
export function ownedRecords(view: ZoneView, baseDomain: string): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (const [fqdn, state] of view) {
    const owner = ownerOf(state);
    const value = values(state.a)[0];
    if (owner === undefined || value === undefined || !isUnder(fqdn, baseDomain)) continue;
    out.push({ fqdn, type: 'A', value, ttl: state.a?.TTL ?? 0, server_id: owner });
  }
  return out.sort((x, y) => x.fqdn.localeCompare(y.fqdn));
}

export type ItemPlan = { kind: 'changes'; changes: Change[] } | { kind: 'noop' } | { kind: 'error'; error: PoolformError };

function notOwned(fqdn: string, why: string): ItemPlan {
  return {
    kind: 'error',
    error: new PoolformError(
      'dns-record-not-owned',
      `${fqdn}: ${why}; poolform does not modify records it did not create (remove it, or choose another hostname/base_domain_name)`,
    ),
  };
}

/**
 * Changes that make `record` exist at its name, given what the view says is
 * there. A name the view shows empty gets CREATE, never UPSERT, so a view that
 * has gone stale cannot make poolform overwrite a record someone else created
 * since: Route 53 rejects the batch, and the provider walks the zone again and
 * plans anew. A record set the view shows as poolform's is replaced with
 * UPSERT. Only what differs is changed: a new address or TTL touches the A
 * record alone.
 */
export function planUpsert(view: ZoneView, record: DnsRecord): ItemPlan {
  const fqdn = normalizeName(record.fqdn);
  const state = view.get(fqdn);
  if (state?.others.has('CNAME')) return notOwned(fqdn, 'a CNAME record exists at this name');
  if (state?.others.has('A')) return notOwned(fqdn, 'an alias A record exists at this name');
  if ([...(state?.others ?? [])].some((t) => t.startsWith('A:') || t.startsWith('TXT:')))
    return notOwned(fqdn, 'a routing-policy record set exists at this name');
  const owner = ownerOf(state);
  if (state?.a && owner === undefined) return notOwned(fqdn, "an A record without poolform's TXT ownership marker exists");
  const currentValues = values(state?.a);
  const aCurrent = owner === record.server_id && currentValues.length === 1 && currentValues[0] === record.value && state?.a?.TTL === record.ttl;
  const markerCurrent = owner === record.server_id;
  if (aCurrent && markerCurrent) return { kind: 'noop' };
  const name = rrsetName(fqdn);
  const changes: Change[] = [];
  if (!aCurrent) {
    changes.push({
      Action: state?.a ? 'UPSERT' : 'CREATE',
      ResourceRecordSet: { Name: name, Type: 'A', TTL: record.ttl, ResourceRecords: [{ Value: record.value }] },
    });
  }
  if (!markerCurrent) {
    const foreignTxt = values(state?.txt).filter((v) => parseOwnerTxt(v) === undefined);
    changes.push({
      Action: state?.txt ? 'UPSERT' : 'CREATE',
      ResourceRecordSet: {
        Name: name,
        Type: 'TXT',
        TTL: state?.txt?.TTL ?? record.ttl,
        ResourceRecords: [...foreignTxt, ownerTxtValue(record.server_id)].map((Value) => ({ Value })),
      },
    });
  }
  return { kind: 'changes', changes };
}

/** Changes that remove `record` (only when poolform owns it for that server); gone = noop. DELETE names the exact set seen: a set changed since is rejected. */
export function planDelete(view: ZoneView, record: DnsRecord): ItemPlan {
  const fqdn = normalizeName(record.fqdn);
  const state = view.get(fqdn);
  const owner = ownerOf(state);
  // Not there, or not this server's: nothing of ours to delete.
  if (!state || owner === undefined || owner !== record.server_id) return { kind: 'noop' };
  const changes: Change[] = [];
  if (state.a) changes.push({ Action: 'DELETE', ResourceRecordSet: state.a });
  const foreignTxt = values(state.txt).filter((v) => parseOwnerTxt(v) === undefined);
  if (state.txt) {
    changes.push(
      foreignTxt.length > 0
        ? { Action: 'UPSERT', ResourceRecordSet: { ...state.txt, ResourceRecords: foreignTxt.map((Value) => ({ Value })) } }
        : { Action: 'DELETE', ResourceRecordSet: state.txt },
    );
  }
  return changes.length > 0 ? { kind: 'changes', changes } : { kind: 'noop' };
}

/** Applies committed changes to the view, so later plans in this process see them. */
export function applyChanges(view: ZoneView, changes: readonly Change[]): void {
  for (const change of changes) {
    const rrset = change.ResourceRecordSet;
    if (!rrset?.Name || !rrset.Type) continue;
    const name = normalizeName(rrset.Name);
    let state = view.get(name);
    if (!state) {
      state = { others: new Set() };
      view.set(name, state);
    }
    const key = rrset.Type === 'A' ? 'a' : rrset.Type === 'TXT' ? 'txt' : undefined;
    if (!key) continue;
    if (change.Action === 'DELETE') delete state[key];
    else state[key] = rrset;
    if (!state.a && !state.txt && state.others.size === 0) view.delete(name);
  }
}

/** What a change costs against the request limits. */
export function changeWeight(change: Change): { records: number; chars: number } {
  const factor = change.Action === 'UPSERT' ? 2 : 1;
  const vals = values(change.ResourceRecordSet);
  return { records: vals.length * factor, chars: vals.reduce((sum, v) => sum + v.length, 0) * factor };
}

/**
 * Packs groups of changes (each group must stay in one request: it is one
 * record plus its ownership marker) into as few requests as the limits allow,
 * preserving order.
 */
export function packBatches<G extends { changes: readonly Change[] }>(groups: readonly G[]): G[][] {
  const batches: G[][] = [];
  let current: G[] = [];
  let changes = 0;
  let records = 0;
  let chars = 0;
  for (const group of groups) {
    const weight = group.changes.reduce(
      (acc, c) => {
        const w = changeWeight(c);
        return { records: acc.records + w.records, chars: acc.chars + w.chars };
      },
      { records: 0, chars: 0 },
    );
    const fits = changes + group.changes.length <= MAX_CHANGES && records + weight.records <= MAX_RESOURCE_RECORDS && chars + weight.chars <= MAX_VALUE_CHARS;
    if (!fits && current.length > 0) {
      batches.push(current);
      current = [];
      changes = 0;
      records = 0;
      chars = 0;
    }
    current.push(group);
    changes += group.changes.length;
    records += weight.records;
    chars += weight.chars;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
