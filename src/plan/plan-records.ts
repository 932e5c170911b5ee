// DNS records (`dns.<fqdn>`, after their VM) and AD computer records
// (`ad_computer.<name>`, before their VM) of autoscaled servers: created with
// new servers, repointed or given a fresh join password for replacements,
// recreated when deleted outside poolform, adopted when an interrupted apply
// left them, deleted (in reverse order) with their server, and orphans —
// records marked as poolform's whose server no longer exists — deleted.
// Records of a provider scope that could not be observed are left alone.
import type { Config } from '../config/model.ts';
import { autoscaleKey } from '../config/model.ts';
import { findComputer, findDnsRecord } from '../model/observed.ts';
import type { ObservedComputer } from '../model/observed.ts';
import type { JsonObject } from '../model/json.ts';
import {
  adTarget,
  computerAttributes,
  dnsRecordAttributes,
  dnsTarget,
  domainFromSearchBase,
  fqdnOf,
  normalizeDomainName,
  DEFAULT_DNS_TTL,
} from './attributes.ts';
import { adAddress, byAddress, dnsAddress, nameOf } from './addresses.ts';
import { adComputerAttributeView, dnsRecordAttributeView, vmAttributeView } from './attribute-views.ts';
import type { PlanContext, ServerPlan } from './plan-context.ts';
import type { ResourceChange } from './types.ts';
import { KNOWN_AFTER_APPLY, SENSITIVE } from './types.ts';
import { findDnsProvider, findLdapConfig } from '../config/lookup.ts';

export function planRecords(ctx: PlanContext): void {
  const { config, snapshot, observed, resources, serverPlans, changes, drift, autoscales } = ctx;
  const { put, report, unknownProvider, scopeStatus } = ctx;
  /**
   * VMs that still exist at a provider but that poolform does not manage (no server plan:
   * forgotten with `state rm`). Their records are theirs, not orphans: deleting them would
   * cut off a machine the admin chose to keep.
   */
  const unmanagedVms = new Set<string>();
  if (observed) {
    for (const vms of observed.vms.values()) {
      for (const vm of vms) if (vm.state !== 'terminated' && vm.state !== 'shutting-down' && !serverPlans.has(vm.server_id)) unmanagedVms.add(vm.server_id);
    }
  }
  /** A server whose records may exist: anything not being deleted (unknown providers included), or a forgotten VM that still runs. */
  const isLive = (serverId: string | null): boolean => {
    if (serverId === null) return false;
    const sp = serverPlans.get(serverId);
    if (sp === undefined) return unmanagedVms.has(serverId);
    return sp.fate !== 'delete';
  };
  const desiredRecords = new Set<string>();

  const vmIp = (sp: ServerPlan, which: 'private' | 'public'): string | null => {
    if (sp.fate === 'create' || sp.fate === 'replace') return null;
    const attrs = vmAttributeView(sp.change?.after ?? sp.attrs);
    const ip = which === 'public' ? (attrs.public_ip ?? attrs.ip) : (attrs.private_ip ?? attrs.ip);
    return ip === KNOWN_AFTER_APPLY ? null : ip;
  };

  const dnsSettings = (provider: string): { ttl: number; ip: 'private' | 'public' } => {
    const p = findDnsProvider(config, provider);
    return { ttl: p?.ttl ?? DEFAULT_DNS_TTL, ip: p?.ip ?? 'private' };
  };

  const ldapDomain = (ldapConfig: string): string => {
    const l = findLdapConfig(config, ldapConfig);
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
        } else if (vmChange && vmChange.action === 'update' && value !== null && dnsRecordAttributeView(stateRec.attributes).value !== value) {
          put({ ...base, action: 'update', before: stateRec.attributes, after, reason: `the server's address changed to ${value}` });
        }
      } else if (seen) {
        put({
          ...base,
          action: 'update',
          before: null,
          after: dnsRecordAttributes(seen, dns.baseDomain),
          reason: 'adopt: the record exists at the provider but not in state (left by an interrupted apply, or forgotten with state rm)',
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
          report('computer-name-taken', `${address}: a computer record with that name belongs to server ${seen.server_id}`, { address });
        }
        let c: ResourceChange;
        if (stateRec && seen !== null) {
          // Same record, fresh one-time password (the directory's create is idempotent by the record's intent id).
          const intentId = adComputerAttributeView(stateRec.attributes).intent_id ?? seen?.intent_id ?? null;
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
          reason: 'adopt: the computer record exists in the directory but not in state (left by an interrupted apply, or forgotten with state rm)',
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
    // dns_record and ad_computer attributes both carry server_id.
    const serverId = dnsRecordAttributeView(r.attributes).server_id;
    if (isLive(serverId)) continue; // settings changed under a live server: left alone
    const provider = r.provider ?? '';
    if (r.type === 'dns_record') {
      const base = dnsRecordAttributeView(r.attributes).base_domain ?? nameOf(r.address, 'dns_record').split('.').slice(1).join('.');
      const status = scopeStatus('dns', provider, base);
      if (status === 'unknown') {
        unknownProvider('dns', provider, base, 'its records are left as they are');
        continue;
      }
      const seen = status === 'ok' && observed ? findDnsRecord(observed, provider, base, nameOf(r.address, 'dns_record')) : undefined;
      deleteRecord(r.address, 'dns_record', provider, r.attributes, serverId, seen === null, 'orphan: its server no longer exists');
    } else {
      const ou = adComputerAttributeView(r.attributes).container_dn ?? '';
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
        deleteRecord(
          address,
          'dns_record',
          provider,
          dnsRecordAttributes(rec, base),
          rec.server_id,
          false,
          'orphan: poolform-owned record whose server no longer exists',
        );
      }
    }
    for (const [key, computers] of [...observed.computers.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const provider = key.slice(0, key.indexOf('/'));
      for (const c of [...computers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const address = adAddress(c.name);
        if (resources.has(address) || changes.has(address) || isLive(c.server_id)) continue;
        const ou = containerOf(c, config, provider);
        deleteRecord(
          address,
          'ad_computer',
          provider,
          computerAttributes(c, ou),
          c.server_id,
          false,
          'orphan: poolform-owned computer record whose server no longer exists',
        );
      }
    }
  }
}

function containerOf(c: ObservedComputer, config: Config, ldapConfig: string): string {
  const parent = c.dn.slice(c.dn.search(/(?<!\\),/) + 1).trim();
  for (const pool of config.pools) {
    for (const a of pool.autoscale ?? []) {
      if (
        a.ldap_config === ldapConfig &&
        a.ad_computer_container_dn &&
        a.ad_computer_container_dn.replace(/\s/g, '').toLowerCase() === parent.replace(/\s/g, '').toLowerCase()
      ) {
        return a.ad_computer_container_dn;
      }
    }
  }
  return parent;
}
