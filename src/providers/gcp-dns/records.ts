// Pure Cloud DNS record logic: the zone view built from one rrsets listing,
// the ownership marker, and turning upserts/deletes into the additions and
// deletions of one atomic `changes.create`.
//
// Ownership (as for Route 53, whose marker format this shares): next to each A
// record poolform writes a TXT record at the same name holding
// `"poolform:server-id=<id>"`, in the same atomic change. An A record without
// that marker is never modified or deleted; other TXT values at the name are
// preserved.
//
// Concurrency: Cloud DNS applies a change only when each deletion matches the
// existing record set exactly (name, type, ttl, rrdatas) and no addition
// exists already; a stale view therefore cannot overwrite or remove what
// someone else wrote since: the change is rejected (412/409/404) and the
// provider walks the zone again.
import { ownerTxtValue, parseOwnerTxt } from '../route53/records.ts';
import type { DnsRecord } from '../types.ts';

export { ownerTxtValue, parseOwnerTxt };

export interface Rrset {
  name: string;
  type: string;
  ttl: number;
  rrdatas: string[];
}

export interface NameState {
  a?: Rrset;
  txt?: Rrset;
  others: Set<string>;
}

export type ZoneView = Map<string, NameState>;

/** Cloud DNS names end with a dot; poolform's fqdns do not. */
export function rrsetName(fqdn: string): string {
  return `${fqdn.replace(/\.$/, '').toLowerCase()}.`;
}

export function fqdnOf(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

export function indexRrsets(rrsets: readonly Rrset[]): ZoneView {
  const view: ZoneView = new Map();
  for (const r of rrsets) {
    const name = rrsetName(r.name);
    const state = view.get(name) ?? { others: new Set<string>() };
    if (r.type === 'A') state.a = { ...r, name };
    else if (r.type === 'TXT') state.txt = { ...r, name };
    else state.others.add(r.type);
    view.set(name, state);
  }
  return view;
}

export function ownerOf(state: NameState | undefined): string | undefined {
  for (const v of state?.txt?.rrdatas ?? []) {
    const owner = parseOwnerTxt(v);
    if (owner !== undefined) return owner;
  }
  return undefined;
}

export function ownedRecords(view: ZoneView): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (const [name, state] of view) {
    const owner = ownerOf(state);
    const value = state.a?.rrdatas[0];
    if (owner === undefined || !state.a || value === undefined) continue;
    out.push({ fqdn: fqdnOf(name), type: 'A', value, ttl: state.a.ttl, server_id: owner });
  }
  return out.sort((a, b) => a.fqdn.localeCompare(b.fqdn));
}

export interface ItemChange {
  additions: Rrset[];
  deletions: Rrset[];
  /** Why the record cannot be written (a foreign record at the name). */
  refusal?: string;
}

const NONE: ItemChange = { additions: [], deletions: [] };

export function planUpsert(view: ZoneView, record: DnsRecord): ItemChange {
  const name = rrsetName(record.fqdn);
  const state = view.get(name);
  const owner = ownerOf(state);
  if (state?.others.has('CNAME')) return { ...NONE, refusal: `${record.fqdn} has a CNAME record; poolform does not replace it` };
  if (state?.a && owner !== record.server_id) {
    return {
      ...NONE,
      refusal: `${record.fqdn} has an A record poolform does not own${owner ? ` (marked for server ${owner})` : ''}; poolform leaves it alone`,
    };
  }
  const a: Rrset = { name, type: 'A', ttl: record.ttl, rrdatas: [record.value] };
  const sameA = state?.a && state.a.ttl === a.ttl && state.a.rrdatas.length === 1 && state.a.rrdatas[0] === record.value;
  const change: ItemChange = { additions: [], deletions: [] };
  if (!sameA) {
    if (state?.a) change.deletions.push(state.a);
    change.additions.push(a);
  }
  if (owner !== record.server_id) {
    const marker = ownerTxtValue(record.server_id);
    const kept = (state?.txt?.rrdatas ?? []).filter((v) => parseOwnerTxt(v) === undefined);
    if (state?.txt) change.deletions.push(state.txt);
    change.additions.push({ name, type: 'TXT', ttl: state?.txt?.ttl ?? record.ttl, rrdatas: [...kept, marker] });
  }
  return change;
}

export function planDelete(view: ZoneView, record: DnsRecord): ItemChange {
  const name = rrsetName(record.fqdn);
  const state = view.get(name);
  // Gone already, or not poolform's: nothing to do (never delete a foreign record).
  if (!state?.a || ownerOf(state) !== record.server_id) return NONE;
  const change: ItemChange = { additions: [], deletions: [state.a] };
  if (state.txt) {
    change.deletions.push(state.txt);
    const kept = state.txt.rrdatas.filter((v) => parseOwnerTxt(v) === undefined);
    if (kept.length > 0) change.additions.push({ ...state.txt, rrdatas: kept });
  }
  return change;
}

/** Applies a successful change to the view (keeps it current without another walk). */
export function applyToView(view: ZoneView, change: ItemChange): void {
  for (const d of change.deletions) {
    const state = view.get(d.name);
    if (!state) continue;
    if (d.type === 'A') delete state.a;
    else if (d.type === 'TXT') delete state.txt;
  }
  for (const a of change.additions) {
    const state = view.get(a.name) ?? { others: new Set<string>() };
    if (a.type === 'A') state.a = a;
    else if (a.type === 'TXT') state.txt = a;
    view.set(a.name, state);
  }
}
