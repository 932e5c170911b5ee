// What the providers report (one refresh), and the pure lookups the planner
// uses on it. The I/O that fills it is providers/observe.ts (observeAll).
//
// A provider that failed is recorded in `errors` and left out of the maps:
// callers must treat its resources as UNKNOWN (keep them, plan nothing against
// them), never as gone.

import { normalizeDn } from './dn.ts';
import type { PoolformErrorCode } from '../util/errors.ts';

export { normalizeDn, parentDn } from './dn.ts';

export type VmState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface ObservedVm {
  /** Instance id at the provider. */
  provider_id: string;
  server_id: string;
  pool: string;
  autoscale: string;
  hostname: string;
  /** The intent id it was created with, where the provider can tell. */
  intent_id: string | null;
  state: VmState;
  private_ip: string | null;
  public_ip: string | null;
  launched_at: string | null;
}

export interface DnsRecord {
  /** Fully qualified name without trailing dot, lowercase. */
  fqdn: string;
  type: 'A';
  value: string;
  ttl: number;
  /** Server id that owns it. */
  server_id: string;
}

export interface ObservedComputer {
  /** Computer name (cn), at most 15 characters. */
  name: string;
  dn: string;
  server_id: string | null;
  intent_id: string | null;
  dns_host_name: string | null;
}

export type ObserveKind = 'vm' | 'dns' | 'directory';

/** One provider (scope) that could not be observed. */
export interface ObserveError {
  kind: ObserveKind;
  /** Provider config name (VmProvider, DnsProvider or LdapConfig). */
  provider: string;
  /** Base domain (dns) or container DN (directory); null for VM providers. */
  scope: string | null;
  /** PoolformError code, or `provider-error` for anything else. */
  code: PoolformErrorCode;
  message: string;
  retryable: boolean;
  /** The configuration field the message names (PoolformError.field), if any. */
  field?: string;
}

/**
 * What the providers reported. A key present in a map = observed successfully
 * (an empty array means "observed: nothing there"); a key absent = not
 * observed or failed (see `errors`): unknown. Use the lookup helpers below.
 */
export interface Observed {
  /** VmProvider name → its VMs (terminated ones may be included with that state). */
  vms: Map<string, ObservedVm[]>;
  /** dnsScopeKey(provider, baseDomain) → poolform's records under that domain. */
  dns: Map<string, DnsRecord[]>;
  /** directoryScopeKey(ldapConfig, containerDn) → poolform's computer records in that OU. */
  computers: Map<string, ObservedComputer[]>;
  errors: ObserveError[];
}

/** Nothing observed: every provider unknown (`plan --refresh=false`). */
export function emptyObserved(): Observed {
  return { vms: new Map(), dns: new Map(), computers: new Map(), errors: [] };
}

export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

/** Key of `Observed.dns`: `<provider>/<base domain, lowercase>`. */
export function dnsScopeKey(provider: string, baseDomain: string): string {
  return `${provider}/${normalizeDomain(baseDomain)}`;
}

/** Key of `Observed.computers`: `<ldap config>/<container DN, normalized>`. */
export function directoryScopeKey(ldapConfig: string, containerDn: string): string {
  return `${ldapConfig}/${normalizeDn(containerDn)}`;
}

export function observedDns(observed: Observed, provider: string, baseDomain: string): DnsRecord[] | undefined {
  return observed.dns.get(dnsScopeKey(provider, baseDomain));
}

export function observedComputers(observed: Observed, ldapConfig: string, containerDn: string): ObservedComputer[] | undefined {
  return observed.computers.get(directoryScopeKey(ldapConfig, containerDn));
}

const vmIndex = new WeakMap<ObservedVm[], Map<string, ObservedVm>>();
const dnsIndex = new WeakMap<DnsRecord[], Map<string, DnsRecord>>();
const computerIndex = new WeakMap<ObservedComputer[], Map<string, ObservedComputer>>();

function indexed<T>(cache: WeakMap<T[], Map<string, T>>, list: T[], key: (item: T) => string, prefer?: (a: T, b: T) => T): Map<string, T> {
  let map = cache.get(list);
  if (!map) {
    map = new Map();
    for (const item of list) {
      const k = key(item);
      const seen = map.get(k);
      map.set(k, seen !== undefined && prefer ? prefer(seen, item) : item);
    }
    cache.set(list, map);
  }
  return map;
}

/**
 * The VM of `serverId` at `provider`: the VM, null when the provider was
 * observed and has none, undefined when the provider is unknown. When several
 * carry the server id (e.g. a terminated one and a live one), a live one wins.
 */
export function findVm(observed: Observed, provider: string, serverId: string): ObservedVm | null | undefined {
  const list = observed.vms.get(provider);
  if (!list) return undefined;
  const live = (vm: ObservedVm): boolean => vm.state !== 'terminated' && vm.state !== 'shutting-down';
  return (
    indexed(
      vmIndex,
      list,
      (vm) => vm.server_id,
      (a, b) => (live(a) || !live(b) ? a : b),
    ).get(serverId) ?? null
  );
}

/** The record `fqdn` (null: observed, absent; undefined: unknown). */
export function findDnsRecord(observed: Observed, provider: string, baseDomain: string, fqdn: string): DnsRecord | null | undefined {
  const list = observedDns(observed, provider, baseDomain);
  if (!list) return undefined;
  return indexed(dnsIndex, list, (r) => normalizeDomain(r.fqdn)).get(normalizeDomain(fqdn)) ?? null;
}

/** The computer record named `name` (case-insensitive) in the OU (null: observed, absent; undefined: unknown). */
export function findComputer(observed: Observed, ldapConfig: string, containerDn: string, name: string): ObservedComputer | null | undefined {
  const list = observedComputers(observed, ldapConfig, containerDn);
  if (!list) return undefined;
  return indexed(computerIndex, list, (c) => c.name.toLowerCase()).get(name.toLowerCase()) ?? null;
}

/** The error recorded for a provider (and scope), if its observe failed. */
export function observeErrorFor(observed: Observed, kind: ObserveKind, provider: string, scope?: string): ObserveError | undefined {
  const norm = (s: string): string => (kind === 'dns' ? normalizeDomain(s) : normalizeDn(s));
  return observed.errors.find((e) => e.kind === kind && e.provider === provider && (scope === undefined || e.scope === null || norm(e.scope) === norm(scope)));
}
