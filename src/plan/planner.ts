// The planner: desired state (config + the decision core's result) vs state
// vs what providers report → a Plan. PURE: no I/O, no clock (`now` and `at`
// are arguments), randomness only through the injected `idGen`.
//
// Addresses:
//   server.<pool>.<name>               fixed servers (registered, no infrastructure)
//   vm.<pool>.<autoscale>.<server_id>  autoscaled VMs (new ids generated here, so a
//                                      saved plan applies exactly these)
//   dns.<fqdn>                         A records of VMs with register_dns (depend on the VM)
//   ad_computer.<name>                 AD computer records (the VM depends on them)
//
// `depends_on` always lists what must succeed first: for creates AD → VM →
// DNS; for deletes the reverse (DNS → VM → AD), written out explicitly.
//
// Observations: `observed === null` (no refresh) trusts state. With a
// refresh, a provider whose listing is missing is UNKNOWN: nothing that
// depends on it is created or destroyed, and plan.errors says why.
import type { Decision, DecisionResult } from '../autoscale/types.ts';
import type { AutoscaleConfig, Config, Pool } from '../config/model.ts';
import { autoscaleKey } from '../config/model.ts';
import type { Observed, ObserveKind } from '../providers/observe.ts';
import { directoryScopeKey, dnsScopeKey, findComputer, findDnsRecord, observeErrorFor } from '../providers/observe.ts';
import type { DnsRecord, ObservedComputer } from '../providers/types.ts';
import type { IntentRecord, JsonObject, ResourceType, Resources, Snapshot } from '../state/types.ts';
import {
  adTarget,
  computerAttributes,
  dnsRecordAttributes,
  dnsTarget,
  domainFromSearchBase,
  fixedServerAttributes,
  fqdnOf,
  newVmAttributes,
  normalizeDomainName,
  observedVmAttributes,
  DEFAULT_DNS_TTL,
} from './attributes.ts';
import { jsonEqual, str } from './json-attrs.ts';
import type { IdGen } from './names.ts';
import { allocateServerName, hostnamePrefix } from './names.ts';
import type { DriftEntry, Plan, ResourceChange, StateCleanup } from './types.ts';
import { KNOWN_AFTER_APPLY, SENSITIVE } from './types.ts';
import { vmPresence } from './vm-presence.ts';
import type { VmPresence } from './vm-presence.ts';

export interface BuildPlanArgs {
  config: Config;
  snapshot: Snapshot;
  /** What providers reported; null when not refreshed (`--refresh=false`). */
  observed: Observed | null;
  result: DecisionResult;
  /** ISO time the plan is made (created_at). */
  now: string;
  /** ISO instant the decisions were made for (`--at`); default `now`. */
  at?: string;
  idGen: IdGen;
  /** `--target`: limit the plan to these addresses (or address prefixes) and what they depend on. */
  targets?: readonly string[];
  /** Per VmProvider name: what one VM offers (docker agent sizing without overrides). */
  providerCapacity?: Readonly<Record<string, Resources>>;
}

/** A server the plan knows about, with what happens to it. */
interface ServerPlan {
  serverId: string;
  pool: string;
  autoscale: string;
  hostname: string;
  address: string;
  /** VmProvider it lives on (or will). */
  provider: string;
  fate: 'keep' | 'create' | 'replace' | 'adopt' | 'delete';
  /** The VM's change in this plan, if any. */
  change: ResourceChange | null;
  /** Last known VM attributes (state or observed); null for new VMs. */
  attrs: JsonObject | null;
  /** False when the VM provider is unknown: its records are left alone. */
  known: boolean;
}

const SERVER_STATUS_DRAINING = 'draining';

function nameOf(address: string, type: ResourceType): string {
  switch (type) {
    case 'vm':
    case 'server':
      return address.slice(address.lastIndexOf('.') + 1);
    case 'dns_record':
      return address.slice('dns.'.length);
    case 'ad_computer':
      return address.slice('ad_computer.'.length);
    default: {
      const never: never = type;
      throw new Error(`unknown resource type ${String(never)}`);
    }
  }
}

export function vmAddress(pool: string, autoscale: string, serverId: string): string {
  return `vm.${pool}.${autoscale}.${serverId}`;
}
export function fixedServerAddress(pool: string, name: string): string {
  return `server.${pool}.${name}`;
}
export function fixedServerId(pool: string, name: string): string {
  return `fixed.${pool}.${name}`;
}
export function dnsAddress(fqdn: string): string {
  return `dns.${fqdn.toLowerCase()}`;
}
export function adAddress(name: string): string {
  return `ad_computer.${name.toLowerCase()}`;
}

function byAddress<T extends { address: string }>(a: T, b: T): number {
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/** Whether `address` is selected by a `--target` value (exact, or a prefix ending at a dot). */
export function matchesTarget(address: string, target: string): boolean {
  const t = target.replace(/\.$/, '');
  return address === t || address.startsWith(`${t}.`);
}

export function buildPlan(args: BuildPlanArgs): Plan {
  const { config, snapshot, observed, result } = args;
  const at = args.at ?? args.now;
  const changes = new Map<string, ResourceChange>();
  const drift: DriftEntry[] = [];
  const errors: string[] = [];
  const errorSet = new Set<string>();
  const cleanup: StateCleanup[] = [];

  const addError = (message: string): void => {
    if (!errorSet.has(message)) {
      errorSet.add(message);
      errors.push(message);
    }
  };

  const resources = new Map(snapshot.resources.map((r) => [r.address, r]));
  const serversById = new Map(snapshot.servers.map((s) => [s.id, s]));
  const intentsByAddress = new Map<string, IntentRecord[]>();
  for (const i of snapshot.intents) intentsByAddress.set(i.address, [...(intentsByAddress.get(i.address) ?? []), i]);

  const pools = new Map(config.pools.map((p) => [p.name, p]));
  const autoscales = new Map<string, { pool: Pool; autoscale: AutoscaleConfig }>();
  for (const pool of config.pools) for (const a of pool.autoscale ?? []) autoscales.set(autoscaleKey(pool.name, a.name), { pool, autoscale: a });

  const takenIds = new Set<string>();
  const takenHostnames = new Set<string>();
  for (const s of snapshot.servers) {
    takenIds.add(s.id);
    takenHostnames.add(s.hostname.toLowerCase());
  }
  for (const r of snapshot.resources) {
    if (r.type === 'vm') {
      takenIds.add(str(r.attributes, 'server_id') ?? nameOf(r.address, 'vm'));
      const h = str(r.attributes, 'hostname');
      if (h) takenHostnames.add(h.toLowerCase());
    } else if (r.type === 'ad_computer') {
      takenHostnames.add(nameOf(r.address, 'ad_computer'));
    }
  }
  for (const i of snapshot.intents) {
    const id = str(i.payload, 'server_id');
    if (id) takenIds.add(id);
    const h = str(i.payload, 'hostname');
    if (h) takenHostnames.add(h.toLowerCase());
  }

  const put = (change: ResourceChange): ResourceChange => {
    changes.set(change.address, change);
    return change;
  };

  /** Message for an unknown provider scope, recorded once. */
  const describe = (kind: ObserveKind, provider: string, scope: string | null): string =>
    kind === 'vm' ? `VmProvider ${provider}` : kind === 'dns' ? `DnsProvider ${provider} (${scope ?? ''})` : `LdapConfig ${provider} (${scope ?? ''})`;
  // Every failed listing is reported once, whatever depends on it.
  for (const e of observed?.errors ?? []) {
    addError(`${describe(e.kind, e.provider, e.scope)} could not be observed: ${e.message}; nothing that depends on it is created or destroyed`);
  }
  /** Reports a provider scope that is unknown without a recorded error (e.g. its config was removed). */
  const unknownProvider = (kind: ObserveKind, provider: string, scope: string | null, consequence: string): void => {
    if (observed && observeErrorFor(observed, kind, provider, scope ?? undefined)) return;
    addError(`${describe(kind, provider, scope)} is not configured or was not observed; ${consequence}`);
  };

  /** ok: listing known; unrefreshed: trust state; unknown: do nothing on it. */
  const scopeStatus = (kind: 'dns' | 'directory', provider: string, scope: string): 'ok' | 'unrefreshed' | 'unknown' => {
    if (observed === null) return 'unrefreshed';
    const map = kind === 'dns' ? observed.dns : observed.computers;
    const key = kind === 'dns' ? dnsScopeKey(provider, scope) : directoryScopeKey(provider, scope);
    return map.has(key) ? 'ok' : 'unknown';
  };
  const vmStatus = (provider: string): 'ok' | 'unrefreshed' | 'unknown' =>
    observed === null ? 'unrefreshed' : observed.vms.has(provider) ? 'ok' : 'unknown';

  // ---------------------------------------------------------------- fixed servers
  const desiredFixed = new Set<string>();
  for (const pool of config.pools) {
    for (const server of pool.servers ?? []) {
      const address = fixedServerAddress(pool.name, server.name);
      desiredFixed.add(address);
      const after = fixedServerAttributes(pool, server);
      const existing = resources.get(address);
      if (!existing) {
        put({
          address,
          type: 'server',
          name: server.name,
          action: 'create',
          before: null,
          after,
          reason: `fixed server ${server.name} added to pool ${pool.name}`,
          depends_on: [],
          provider: null,
          pool: pool.name,
        });
      } else if (!jsonEqual(existing.attributes, after)) {
        const changed = Object.keys({ ...existing.attributes, ...after })
          .filter((k) => !jsonEqual(existing.attributes[k], after[k]))
          .sort();
        put({
          address,
          type: 'server',
          name: server.name,
          action: 'update',
          before: existing.attributes,
          after,
          reason: `configuration changed: ${changed.join(', ')}`,
          depends_on: [],
          provider: null,
          pool: pool.name,
        });
      }
    }
  }
  for (const r of snapshot.resources) {
    if (r.type !== 'server' || desiredFixed.has(r.address)) continue;
    put({
      address: r.address,
      type: 'server',
      name: nameOf(r.address, 'server'),
      action: 'delete',
      before: r.attributes,
      after: null,
      reason: 'removed from the configuration (kept until its sessions end)',
      depends_on: [],
      provider: null,
      pool: str(r.attributes, 'pool'),
    });
  }

  // ---------------------------------------------------------------- VMs in state
  const serverPlans = new Map<string, ServerPlan>();
  /** Gone VMs per `pool/autoscale`, in address order: replaced by create decisions, else forgotten. */
  const goneByAutoscale = new Map<string, ServerPlan[]>();

  const vmResources = snapshot.resources.filter((r) => r.type === 'vm').sort(byAddress);
  for (const r of vmResources) {
    const parts = r.address.split('.');
    const serverId = str(r.attributes, 'server_id') ?? parts[3] ?? '';
    const pool = str(r.attributes, 'pool') ?? parts[1] ?? '';
    const autoscale = str(r.attributes, 'autoscale') ?? parts[2] ?? '';
    const provider = r.provider ?? '';
    const presence: VmPresence = vmPresence(observed, provider, serverId);
    const sp: ServerPlan = {
      serverId,
      pool,
      autoscale,
      hostname: str(r.attributes, 'hostname') ?? serversById.get(serverId)?.hostname ?? serverId,
      address: r.address,
      provider,
      fate: 'keep',
      change: null,
      attrs: r.attributes,
      known: presence.kind !== 'unknown',
    };
    serverPlans.set(serverId, sp);

    if (presence.kind === 'unknown') {
      unknownProvider('vm', provider, null, 'its VMs are left as they are (no creates or destroys on it)');
      continue;
    }
    const gone = presence.kind === 'gone';
    if (r.status === 'deleting') {
      // Our own destroy was interrupted: finish it (not drift).
      sp.fate = 'delete';
      sp.change = put({
        address: r.address,
        type: 'vm',
        name: serverId,
        action: 'delete',
        before: r.attributes,
        after: null,
        reason: gone ? 'finish an interrupted destroy (already gone at the provider)' : 'finish an interrupted destroy',
        depends_on: [],
        provider,
        pool,
        ...(gone ? { observed_gone: true } : {}),
      });
      continue;
    }
    if (gone) {
      const vm = presence.vm;
      drift.push({
        address: r.address,
        type: 'vm',
        before: r.attributes,
        after: vm ? { ...r.attributes, state: vm.state } : null,
        reason: vm
          ? `changed outside poolform: VM ${vm.state} at VmProvider ${provider}`
          : `changed outside poolform: VM no longer exists at VmProvider ${provider}`,
      });
      const key = autoscaleKey(pool, autoscale);
      goneByAutoscale.set(key, [...(goneByAutoscale.get(key) ?? []), sp]);
      continue;
    }
    if (presence.kind === 'present') {
      const vm = presence.vm;
      const ip = vm.private_ip ?? vm.public_ip;
      const known = str(r.attributes, 'ip');
      if (ip !== null && known !== null && ip !== known) {
        const after = observedVmAttributes(vm, r.attributes);
        drift.push({ address: r.address, type: 'vm', before: r.attributes, after, reason: `changed outside poolform: address ${known} → ${ip}` });
        sp.attrs = after;
        sp.change = put({
          address: r.address,
          type: 'vm',
          name: serverId,
          action: 'update',
          before: r.attributes,
          after,
          reason: `record the VM's new address ${ip}`,
          depends_on: [],
          provider,
          pool,
        });
      }
    }
  }

  // ---------------------------------------------------------------- unfinished creates (intents)
  const discardIntent = (intent: IntentRecord, reason: string): void => {
    cleanup.push({ kind: 'intent', id: intent.id, address: intent.address, reason });
  };
  for (const intent of [...snapshot.intents].sort((a, b) => (a.address === b.address ? (a.id < b.id ? -1 : 1) : byAddress(a, b)))) {
    if (resources.has(intent.address)) {
      discardIntent(intent, 'the resource was recorded; only the intent was left');
      continue;
    }
    if (intent.type !== 'vm') {
      // Records are reconciled from what the DNS provider / directory lists (adopted or removed below).
      if (observed === null) {
        addError(`unfinished create of ${intent.address} (intent ${intent.id}): run plan with refresh to resolve it`);
      } else {
        discardIntent(intent, 'unfinished record create: what it made is adopted or removed from the provider listing');
      }
      continue;
    }
    const serverId = str(intent.payload, 'server_id') ?? nameOf(intent.address, 'vm');
    const provider = str(intent.payload, 'provider') ?? '';
    if (serverPlans.has(serverId)) {
      discardIntent(intent, 'superseded');
      continue;
    }
    const presence = vmPresence(observed, provider, serverId, intent.id);
    switch (presence.kind) {
      case 'unrefreshed':
        addError(`unfinished create of ${intent.address} (intent ${intent.id}): run plan with refresh to resolve it`);
        serverPlans.set(serverId, unresolved(intent, serverId, provider));
        break;
      case 'unknown':
        unknownProvider('vm', provider, null, `unfinished create of ${intent.address} waits`);
        serverPlans.set(serverId, unresolved(intent, serverId, provider));
        break;
      case 'gone':
        discardIntent(intent, 'interrupted before the provider created anything');
        break;
      case 'present': {
        const vm = presence.vm;
        const ref = autoscales.get(autoscaleKey(vm.pool, vm.autoscale));
        const requireCheckin = ref ? ref.pool.type === 'server' && (ref.autoscale.require_checkin ?? true) : true;
        const base = ref
          ? newVmAttributes({
              config,
              pool: ref.pool,
              autoscale: ref.autoscale,
              serverId,
              hostname: vm.hostname,
              providerCapacity: args.providerCapacity?.[provider],
            })
          : {};
        const after: JsonObject = {
          ...observedVmAttributes(vm, base),
          intent_id: intent.id,
          status: requireCheckin ? 'starting' : 'running',
        };
        delete after['startup_script'];
        const change = put({
          address: intent.address,
          type: 'vm',
          name: serverId,
          action: 'update',
          before: null,
          after,
          reason: `adopt: created by an interrupted apply (intent ${intent.id})`,
          depends_on: [],
          provider,
          pool: vm.pool,
          intent_id: intent.id,
        });
        serverPlans.set(serverId, {
          serverId,
          pool: vm.pool,
          autoscale: vm.autoscale,
          hostname: vm.hostname,
          address: intent.address,
          provider,
          fate: 'adopt',
          change,
          attrs: after,
          known: true,
        });
        break;
      }
      default: {
        const never: never = presence;
        throw new Error(`unknown presence ${String(never)}`);
      }
    }
  }

  // ---------------------------------------------------------------- decisions
  const decisions: Decision[] = [...result.decisions];
  const creates: Decision[] = [];
  for (const d of decisions) {
    switch (d.action) {
      case 'create':
        creates.push(d);
        break;
      case 'hold':
        break;
      case 'drain': {
        const sp = d.server_id ? serverPlans.get(d.server_id) : undefined;
        const server = d.server_id ? serversById.get(d.server_id) : undefined;
        if (!sp || !server || sp.fate !== 'keep' || server.status === SERVER_STATUS_DRAINING) break;
        const base = sp.change?.after ?? sp.attrs ?? {};
        sp.change = put({
          address: sp.address,
          type: 'vm',
          name: sp.serverId,
          action: 'update',
          before: { ...(sp.attrs ?? {}), status: server.status },
          after: { ...base, status: SERVER_STATUS_DRAINING },
          reason: d.reason,
          depends_on: [],
          provider: sp.provider,
          pool: sp.pool,
        });
        break;
      }
      case 'destroy': {
        const sp = d.server_id ? serverPlans.get(d.server_id) : undefined;
        if (!sp || sp.fate !== 'keep') break; // leftovers and gone VMs are handled on their own
        if (goneByAutoscale.get(autoscaleKey(sp.pool, sp.autoscale))?.includes(sp)) break;
        if (!sp.known) break; // error already recorded
        const r = resources.get(sp.address);
        sp.fate = 'delete';
        sp.change = put({
          address: sp.address,
          type: 'vm',
          name: sp.serverId,
          action: 'delete',
          before: r?.attributes ?? sp.attrs,
          after: null,
          reason: d.reason,
          depends_on: [],
          provider: sp.provider,
          pool: sp.pool,
        });
        break;
      }
      default: {
        const never: never = d.action;
        throw new Error(`unknown decision ${String(never)}`);
      }
    }
  }

  for (const d of creates) {
    const ref = autoscales.get(autoscaleKey(d.pool, d.autoscale));
    if (!ref) {
      addError(`decision to create in ${d.pool}/${d.autoscale}: no such autoscale config`);
      continue;
    }
    const { pool, autoscale } = ref;
    // Everything the new server needs must be observable, or nothing is created for it.
    const blockers: string[] = [];
    if (vmStatus(autoscale.vm_provider) === 'unknown') {
      unknownProvider('vm', autoscale.vm_provider, null, `creates in ${pool.name}/${autoscale.name} wait`);
      blockers.push('vm');
    }
    const dns = dnsTarget(autoscale);
    if (dns && scopeStatus('dns', dns.provider, dns.baseDomain) === 'unknown') {
      unknownProvider('dns', dns.provider, dns.baseDomain, `creates in ${pool.name}/${autoscale.name} wait`);
      blockers.push('dns');
    }
    const ad = adTarget(autoscale);
    if (ad && scopeStatus('directory', ad.ldapConfig, ad.containerDn) === 'unknown') {
      unknownProvider('directory', ad.ldapConfig, ad.containerDn, `creates in ${pool.name}/${autoscale.name} wait`);
      blockers.push('directory');
    }
    if (blockers.length > 0) continue;

    const gone = goneByAutoscale.get(autoscaleKey(pool.name, autoscale.name))?.shift();
    if (gone) {
      // Same address, same server id and hostname: a replacement for a VM lost outside poolform.
      const after = newVmAttributes({
        config,
        pool,
        autoscale,
        serverId: gone.serverId,
        hostname: gone.hostname,
        providerCapacity: args.providerCapacity?.[autoscale.vm_provider],
      });
      gone.fate = 'replace';
      gone.provider = autoscale.vm_provider;
      gone.change = put({
        address: gone.address,
        type: 'vm',
        name: gone.serverId,
        action: 'replace',
        before: gone.attrs,
        after,
        reason: `${d.reason}; replaces the VM lost outside poolform`,
        depends_on: [],
        provider: autoscale.vm_provider,
        pool: pool.name,
        observed_gone: true,
      });
      continue;
    }
    const { serverId, hostname } = allocateServerName(
      args.idGen,
      hostnamePrefix(pool.name, autoscale.hostname_prefix),
      takenIds,
      takenHostnames,
    );
    const address = vmAddress(pool.name, autoscale.name, serverId);
    const change = put({
      address,
      type: 'vm',
      name: serverId,
      action: 'create',
      before: null,
      after: newVmAttributes({ config, pool, autoscale, serverId, hostname, providerCapacity: args.providerCapacity?.[autoscale.vm_provider] }),
      reason: d.reason,
      depends_on: [],
      provider: autoscale.vm_provider,
      pool: pool.name,
    });
    serverPlans.set(serverId, {
      serverId,
      pool: pool.name,
      autoscale: autoscale.name,
      hostname,
      address,
      provider: autoscale.vm_provider,
      fate: 'create',
      change,
      attrs: null,
      known: true,
    });
  }

  // Gone VMs no create decision replaces: forget them (their records go too).
  for (const list of goneByAutoscale.values()) {
    for (const sp of list) {
      const r = resources.get(sp.address);
      sp.fate = 'delete';
      sp.change = put({
        address: sp.address,
        type: 'vm',
        name: sp.serverId,
        action: 'delete',
        before: r?.attributes ?? sp.attrs,
        after: null,
        reason: 'the VM is gone (changed outside poolform): remove it from state',
        depends_on: [],
        provider: sp.provider,
        pool: sp.pool,
        observed_gone: true,
      });
    }
  }

  // ---------------------------------------------------------------- records (DNS, AD)
  /** A server whose records may exist: anything not being deleted (unknown providers included). */
  const isLive = (serverId: string | null): boolean => {
    if (serverId === null) return false;
    const sp = serverPlans.get(serverId);
    return sp !== undefined && sp.fate !== 'delete';
  };
  const desiredRecords = new Set<string>();

  const vmIp = (sp: ServerPlan, which: 'private' | 'public'): string | null => {
    if (sp.fate === 'create' || sp.fate === 'replace') return null;
    const attrs = sp.change?.after ?? sp.attrs;
    const ip = which === 'public' ? (str(attrs, 'public_ip') ?? str(attrs, 'ip')) : (str(attrs, 'private_ip') ?? str(attrs, 'ip'));
    return ip === KNOWN_AFTER_APPLY ? null : ip;
  };

  const dnsSettings = (provider: string): { ttl: number; ip: 'private' | 'public' } => {
    const p = config.dnsProviders.find((x) => x.name === provider);
    return { ttl: p?.ttl ?? DEFAULT_DNS_TTL, ip: p?.ip ?? 'private' };
  };

  const ldapDomain = (ldapConfig: string): string => {
    const l = config.ldapConfigs.find((x) => x.name === ldapConfig);
    return l ? domainFromSearchBase(l.search_base) : '';
  };

  const planOrder = [...serverPlans.values()].sort(byAddress);
  for (const sp of planOrder) {
    if (sp.fate === 'delete' || !sp.known) continue;
    const ref = autoscales.get(autoscaleKey(sp.pool, sp.autoscale));
    if (!ref) continue; // config removed: records stay until the VM goes
    const vmChange = sp.change;
    const isNew = sp.fate === 'create' || sp.fate === 'replace';

    // DNS: after the VM.
    const dns = dnsTarget(ref.autoscale);
    if (dns) {
      const fqdn = fqdnOf(sp.hostname, dns.baseDomain);
      const address = dnsAddress(fqdn);
      desiredRecords.add(address);
      const settings = dnsSettings(dns.provider);
      const stateRec = resources.get(address);
      const status = scopeStatus('dns', dns.provider, dns.baseDomain);
      const seen = status === 'ok' && observed ? findDnsRecord(observed, dns.provider, dns.baseDomain, fqdn) : undefined;
      const value = vmIp(sp, settings.ip);
      const after: JsonObject = {
        fqdn,
        base_domain: dns.baseDomain,
        server_id: sp.serverId,
        type: 'A',
        value: value ?? KNOWN_AFTER_APPLY,
        ttl: settings.ttl,
      };
      const deps = vmChange && vmChange.action !== 'delete' ? [vmChange.address] : [];
      const base = { address, type: 'dns_record' as const, name: fqdn, depends_on: deps, provider: dns.provider, pool: sp.pool };
      if (status === 'unknown') {
        unknownProvider('dns', dns.provider, dns.baseDomain, 'its records are left as they are');
      } else if (isNew) {
        if (stateRec) put({ ...base, action: 'update', before: stateRec.attributes, after, reason: `point ${fqdn} at the replacement VM` });
        else put({ ...base, action: 'create', before: null, after, reason: `register_dns: ${fqdn} for new server ${sp.serverId}` });
      } else if (stateRec) {
        if (status === 'ok' && seen === null) {
          drift.push({ address, type: 'dns_record', before: stateRec.attributes, after: null, reason: 'changed outside poolform: record deleted' });
          put({ ...base, action: 'create', before: null, after, reason: 'recreate the record deleted outside poolform' });
        } else if (seen && value !== null && seen.value !== value) {
          put({ ...base, action: 'update', before: stateRec.attributes, after, reason: `record points at ${seen.value}, the server is at ${value}` });
        } else if (vmChange && vmChange.action === 'update' && value !== null && str(stateRec.attributes, 'value') !== value) {
          put({ ...base, action: 'update', before: stateRec.attributes, after, reason: `the server's address changed to ${value}` });
        }
      } else if (seen) {
        put({
          ...base,
          action: 'update',
          before: null,
          after: dnsRecordAttributes(seen, dns.baseDomain),
          reason: 'adopt: the record exists at the provider (left by an interrupted apply)',
        });
      } else {
        put({ ...base, action: 'create', before: null, after, reason: `register_dns: ${fqdn} is missing` });
      }
    }

    // AD computer record: before the VM.
    const ad = adTarget(ref.autoscale);
    if (ad) {
      const name = sp.hostname.toLowerCase();
      const address = adAddress(name);
      desiredRecords.add(address);
      const stateRec = resources.get(address);
      const status = scopeStatus('directory', ad.ldapConfig, ad.containerDn);
      const seen = status === 'ok' && observed ? findComputer(observed, ad.ldapConfig, ad.containerDn, name) : undefined;
      const domain = ldapDomain(ad.ldapConfig);
      const fqdn = dns ? fqdnOf(sp.hostname, dns.baseDomain) : domain ? `${name}.${domain}` : name;
      const after: JsonObject = {
        name,
        server_id: sp.serverId,
        container_dn: ad.containerDn,
        dns_host_name: fqdn,
        password: SENSITIVE,
      };
      const base = { address, type: 'ad_computer' as const, name, depends_on: [] as string[], provider: ad.ldapConfig, pool: sp.pool };
      const mustPrecede = (change: ResourceChange): void => {
        if (vmChange && (vmChange.action === 'create' || vmChange.action === 'replace') && !vmChange.depends_on.includes(change.address)) {
          vmChange.depends_on.push(change.address);
        }
      };
      if (status === 'unknown') {
        unknownProvider('directory', ad.ldapConfig, ad.containerDn, 'its computer records are left as they are');
      } else if (isNew) {
        if (seen && seen.server_id !== null && seen.server_id !== sp.serverId) {
          addError(`${address}: a computer record with that name belongs to server ${seen.server_id}`);
        }
        let c: ResourceChange;
        if (stateRec && seen !== null) {
          // Same record, fresh one-time password (the directory's create is idempotent by the record's intent id).
          const intentId = str(stateRec.attributes, 'intent_id') ?? seen?.intent_id ?? null;
          c = put({
            ...base,
            action: 'update',
            before: stateRec.attributes,
            after: { ...stateRec.attributes, ...after, intent_id: intentId },
            reason: 'the replacement VM needs a fresh one-time join password',
          });
        } else {
          if (stateRec) {
            drift.push({ address, type: 'ad_computer', before: stateRec.attributes, after: null, reason: 'changed outside poolform: computer record deleted' });
          }
          c = put({ ...base, action: 'create', before: null, after, reason: `ad_create_machine_record: computer record for server ${sp.serverId}` });
        }
        mustPrecede(c);
      } else if (stateRec) {
        if (status === 'ok' && seen === null) {
          drift.push({ address, type: 'ad_computer', before: stateRec.attributes, after: null, reason: 'changed outside poolform: computer record deleted' });
          put({ ...base, action: 'create', before: null, after, reason: 'recreate the computer record deleted outside poolform' });
        }
      } else if (seen && (seen.server_id === sp.serverId || seen.server_id === null)) {
        put({
          ...base,
          action: 'update',
          before: null,
          after: computerAttributes(seen, ad.containerDn),
          reason: 'adopt: the computer record exists in the directory (left by an interrupted apply)',
        });
      }
    }
  }

  // Records in state that are no longer wanted: those of servers being deleted, and orphans.
  const deleteRecord = (
    address: string,
    type: 'dns_record' | 'ad_computer',
    provider: string | null,
    before: JsonObject,
    serverId: string | null,
    gone: boolean,
    orphanReason: string,
  ): void => {
    const sp = serverId ? serverPlans.get(serverId) : undefined;
    const vmChange = sp?.fate === 'delete' ? sp.change : null;
    const change = put({
      address,
      type,
      name: nameOf(address, type),
      action: 'delete',
      before,
      after: null,
      reason: vmChange ? `its server ${serverId ?? ''} is destroyed` : orphanReason,
      depends_on: [],
      provider,
      pool: sp?.pool ?? null,
      ...(gone ? { observed_gone: true } : {}),
    });
    if (vmChange) {
      // Deletes in reverse: DNS record before the VM, the VM before its AD record.
      if (type === 'dns_record') vmChange.depends_on.push(change.address);
      else change.depends_on.push(vmChange.address);
    }
  };

  for (const r of [...snapshot.resources].sort(byAddress)) {
    if (r.type !== 'dns_record' && r.type !== 'ad_computer') continue;
    if (desiredRecords.has(r.address)) continue;
    const serverId = str(r.attributes, 'server_id');
    if (isLive(serverId)) continue; // settings changed under a live server: left alone
    const provider = r.provider ?? '';
    if (r.type === 'dns_record') {
      const base = str(r.attributes, 'base_domain') ?? nameOf(r.address, 'dns_record').split('.').slice(1).join('.');
      const status = scopeStatus('dns', provider, base);
      if (status === 'unknown') {
        unknownProvider('dns', provider, base, 'its records are left as they are');
        continue;
      }
      const seen = status === 'ok' && observed ? findDnsRecord(observed, provider, base, nameOf(r.address, 'dns_record')) : undefined;
      deleteRecord(r.address, 'dns_record', provider, r.attributes, serverId, seen === null, 'orphan: its server no longer exists');
    } else {
      const ou = str(r.attributes, 'container_dn') ?? '';
      const status = scopeStatus('directory', provider, ou);
      if (status === 'unknown') {
        unknownProvider('directory', provider, ou, 'its computer records are left as they are');
        continue;
      }
      const seen = status === 'ok' && observed ? findComputer(observed, provider, ou, nameOf(r.address, 'ad_computer')) : undefined;
      deleteRecord(r.address, 'ad_computer', provider, r.attributes, serverId, seen === null, 'orphan: its server no longer exists');
    }
  }

  // Records the providers list as poolform's that state does not know and no live server owns: orphans.
  if (observed) {
    for (const [key, records] of [...observed.dns.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const provider = key.slice(0, key.indexOf('/'));
      const base = key.slice(key.indexOf('/') + 1);
      for (const rec of [...records].sort((a, b) => (a.fqdn < b.fqdn ? -1 : 1))) {
        const address = dnsAddress(normalizeDomainName(rec.fqdn));
        if (resources.has(address) || changes.has(address) || isLive(rec.server_id)) continue;
        deleteRecord(address, 'dns_record', provider, dnsRecordAttributes(rec, base), rec.server_id, false, 'orphan: poolform-owned record whose server no longer exists');
      }
    }
    for (const [key, computers] of [...observed.computers.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const provider = key.slice(0, key.indexOf('/'));
      for (const c of [...computers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const address = adAddress(c.name);
        if (resources.has(address) || changes.has(address) || isLive(c.server_id)) continue;
        const ou = containerOf(c, config, provider);
        deleteRecord(address, 'ad_computer', provider, computerAttributes(c, ou), c.server_id, false, 'orphan: poolform-owned computer record whose server no longer exists');
      }
    }
  }

  // ---------------------------------------------------------------- leftover server records
  const discarded = new Set(cleanup.filter((c) => c.kind === 'intent').map((c) => c.address));
  const discardedIds = new Set(cleanup.filter((c) => c.kind === 'intent').map((c) => c.id));
  for (const s of [...snapshot.servers].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (resources.has(s.address) || changes.has(s.address)) continue;
    const pending = intentsByAddress.get(s.address)?.some((i) => !discardedIds.has(i.id));
    if (pending) continue;
    if (discarded.has(s.address)) continue; // removed with its intent
    cleanup.push({ kind: 'server', id: s.id, address: s.address, reason: 'server record without a resource (left by an interrupted apply)' });
  }

  // ---------------------------------------------------------------- targets, order
  let list = [...changes.values()];
  let driftList = drift;
  let cleanupList = cleanup;
  if (args.targets && args.targets.length > 0) {
    const targets = args.targets;
    const selected = new Set<string>();
    const visit = (address: string): void => {
      if (selected.has(address)) return;
      const c = changes.get(address);
      if (!c) return;
      selected.add(address);
      for (const dep of c.depends_on) visit(dep);
    };
    for (const c of list) if (targets.some((t) => matchesTarget(c.address, t))) visit(c.address);
    list = list.filter((c) => selected.has(c.address));
    driftList = drift.filter((d) => targets.some((t) => matchesTarget(d.address, t)) || selected.has(d.address));
    cleanupList = cleanup.filter((c) => targets.some((t) => matchesTarget(c.address, t)));
  }
  const inPlan = new Set(list.map((c) => c.address));
  for (const c of list) c.depends_on = [...new Set(c.depends_on)].filter((d) => inPlan.has(d)).sort();
  list.sort(byAddress);
  driftList = [...driftList].sort(byAddress);

  const plan: Plan = {
    format_version: '1.0',
    lineage: snapshot.lineage,
    serial: snapshot.serial,
    created_at: args.now,
    at,
    changes: list,
    drift: driftList,
    decisions,
    held: [],
    errors,
  };
  if (cleanupList.length > 0) plan.cleanup = cleanupList;
  return plan;
}

/** An intent that cannot be resolved yet: its server is treated as live (records untouched). */
function unresolved(intent: IntentRecord, serverId: string, provider: string): ServerPlan {
  const parts = intent.address.split('.');
  return {
    serverId,
    pool: str(intent.payload, 'pool') ?? parts[1] ?? '',
    autoscale: str(intent.payload, 'autoscale') ?? parts[2] ?? '',
    hostname: str(intent.payload, 'hostname') ?? serverId,
    address: intent.address,
    provider,
    fate: 'keep',
    change: null,
    attrs: null,
    known: false,
  };
}

/** The OU an observed computer came from: its DN's parent as configured (case kept from config when it matches). */
function containerOf(c: ObservedComputer, config: Config, ldapConfig: string): string {
  const parent = c.dn.slice(c.dn.search(/(?<!\\),/) + 1).trim();
  for (const pool of config.pools) {
    for (const a of pool.autoscale ?? []) {
      if (a.ldap_config === ldapConfig && a.ad_computer_container_dn && a.ad_computer_container_dn.replace(/\s/g, '').toLowerCase() === parent.replace(/\s/g, '').toLowerCase()) {
        return a.ad_computer_container_dn;
      }
    }
  }
  return parent;
}

/** Record of a DNS entry for apply (delete needs the full record). */
export function dnsRecordFromAttributes(attrs: JsonObject, fqdn: string): DnsRecord {
  const ttl = attrs['ttl'];
  return {
    fqdn,
    type: 'A',
    value: str(attrs, 'value') ?? '',
    ttl: typeof ttl === 'number' ? ttl : DEFAULT_DNS_TTL,
    server_id: str(attrs, 'server_id') ?? '',
  };
}
