// Refresh: what the providers report, in bulk. One observe() per VmProvider
// config, per (DnsProvider, base domain) and per (LdapConfig, OU) that the
// configuration uses or that state / unfinished intents still reference, all
// concurrently. A provider that fails is recorded in `errors` and left out of
// the maps: callers must treat its resources as UNKNOWN (keep them, plan
// nothing against them), never as gone. An outage of one provider never stops
// the others.
import { autoscaleConfigs } from '../config/model.ts';
import type { Config } from '../config/model.ts';
import type { JsonObject } from '../model/json.ts';
import type { IntentRecord, ResourceRecord } from '../model/resource.ts';
import { errorMessage, isPoolformError } from '../util/errors.ts';
import type { ProviderRegistry } from './registry.ts';
import { intentPayloadView } from '../model/intent-payload.ts';
import type { Observed, ObserveError, ObserveKind } from '../model/observed.ts';
import { directoryScopeKey, dnsScopeKey, emptyObserved, normalizeDomain, parentDn } from '../model/observed.ts';

// The Observed shape and its pure lookups live in src/model/observed.ts; re-exported for existing importers.
export type { Observed, ObserveError, ObserveKind } from '../model/observed.ts';
export {
  directoryScopeKey,
  dnsScopeKey,
  emptyObserved,
  findComputer,
  findDnsRecord,
  findVm,
  normalizeDn,
  normalizeDomain,
  observedComputers,
  observedDns,
  observeErrorFor,
  parentDn,
} from '../model/observed.ts';

export interface ObserveScopes {
  vm: string[];
  dns: Array<{ provider: string; baseDomain: string }>;
  directory: Array<{ provider: string; containerDn: string }>;
}

function str(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * What to observe: every provider the configuration uses (enabled autoscale configs'
 * vm_provider; dns_provider + base_domain_name when register_dns;
 * ldap_config + ad_computer_container_dn when ad_create_machine_record), plus
 * what state and unfinished intents still reference (so resources of a
 * removed config are seen and can be destroyed).
 *
 * Conventions read from state (written by apply): a `dns_record` resource's
 * base domain is `attributes.base_domain` (fallback: its fqdn minus the first
 * label); an `ad_computer` resource's OU is `attributes.container_dn`
 * (fallback: the parent of its provider_id DN). An intent's provider is
 * `payload.provider`, with `payload.base_domain` / `payload.container_dn`.
 */
export function observeScopes(config: Config, previousResources: readonly ResourceRecord[] = [], intents: readonly IntentRecord[] = []): ObserveScopes {
  const vm = new Set<string>();
  const dns = new Map<string, { provider: string; baseDomain: string }>();
  const directory = new Map<string, { provider: string; containerDn: string }>();
  const addDns = (provider: string, baseDomain: string): void => {
    dns.set(dnsScopeKey(provider, baseDomain), { provider, baseDomain: normalizeDomain(baseDomain) });
  };
  const addDirectory = (provider: string, containerDn: string): void => {
    const key = directoryScopeKey(provider, containerDn);
    if (!directory.has(key)) directory.set(key, { provider, containerDn: containerDn.trim() });
  };

  for (const { autoscale } of autoscaleConfigs(config)) {
    // A disabled config creates nothing, so its providers are not called for it
    // (a config shipped disabled until its credentials exist must not reach the
    // cloud); servers it still has are found through state below.
    if (autoscale.enabled === false) continue;
    vm.add(autoscale.vm_provider);
    if (autoscale.register_dns && autoscale.dns_provider && autoscale.base_domain_name) addDns(autoscale.dns_provider, autoscale.base_domain_name);
    if (autoscale.ad_create_machine_record && autoscale.ldap_config && autoscale.ad_computer_container_dn) {
      addDirectory(autoscale.ldap_config, autoscale.ad_computer_container_dn);
    }
  }

  for (const r of previousResources) {
    if (!r.provider) continue;
    switch (r.type) {
      case 'vm':
        vm.add(r.provider);
        break;
      case 'dns_record': {
        const fqdn = r.address.startsWith('dns.') ? r.address.slice(4) : (r.provider_id ?? '');
        const base = str(r.attributes, 'base_domain') ?? fqdn.slice(fqdn.indexOf('.') + 1);
        if (base) addDns(r.provider, base);
        break;
      }
      case 'ad_computer': {
        const ou = str(r.attributes, 'container_dn') ?? (r.provider_id ? parentDn(r.provider_id) : '');
        if (ou) addDirectory(r.provider, ou);
        break;
      }
      case 'server':
        break;
      default: {
        const never: never = r.type;
        throw new Error(`unknown resource type ${String(never)}`);
      }
    }
  }

  for (const intent of intents) {
    const { provider, base_domain: base, container_dn: ou } = intentPayloadView(intent.payload);
    if (!provider) continue;
    if (intent.type === 'vm') vm.add(provider);
    if (intent.type === 'dns_record' && base) addDns(provider, base);
    if (intent.type === 'ad_computer' && ou) addDirectory(provider, ou);
  }

  return { vm: [...vm].sort(), dns: [...dns.values()], directory: [...directory.values()] };
}

export interface ObserveAllOptions {
  config: Config;
  registry: ProviderRegistry;
  /** Resources in state (their providers are observed even when the config no longer uses them). */
  previousResources?: readonly ResourceRecord[];
  /** Unfinished intents (what a crashed apply may have left behind). */
  intents?: readonly IntentRecord[];
}

function toError(kind: ObserveKind, provider: string, scope: string | null, error: unknown): ObserveError {
  return {
    kind,
    provider,
    scope,
    code: isPoolformError(error) ? error.code : 'provider-error',
    message: errorMessage(error),
    retryable: isPoolformError(error) ? error.retryable : true,
    ...(isPoolformError(error) && error.field !== undefined ? { field: error.field } : {}),
  };
}

/** Observes every provider scope concurrently; never rejects because of a provider (failures land in `errors`). */
export async function observeAll(options: ObserveAllOptions): Promise<Observed> {
  const { registry } = options;
  const scopes = observeScopes(options.config, options.previousResources, options.intents);
  const observed = emptyObserved();
  // Errors are collected per task and appended in scope order, so the result does not depend on timing.
  const vmTasks = scopes.vm.map(async (name) => {
    try {
      observed.vms.set(name, await registry.vm(name).observe());
      return undefined;
    } catch (error) {
      return toError('vm', name, null, error);
    }
  });
  const dnsTasks = scopes.dns.map(async ({ provider, baseDomain }) => {
    try {
      observed.dns.set(dnsScopeKey(provider, baseDomain), await registry.dns(provider).observe(baseDomain));
      return undefined;
    } catch (error) {
      return toError('dns', provider, baseDomain, error);
    }
  });
  const directoryTasks = scopes.directory.map(async ({ provider, containerDn }) => {
    try {
      observed.computers.set(directoryScopeKey(provider, containerDn), await registry.directory(provider).observe(containerDn));
      return undefined;
    } catch (error) {
      return toError('directory', provider, containerDn, error);
    }
  });
  const errors = await Promise.all([...vmTasks, ...dnsTasks, ...directoryTasks]);
  observed.errors = errors.filter((e): e is ObserveError => e !== undefined);
  return observed;
}
