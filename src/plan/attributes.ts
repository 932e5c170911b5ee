// Attributes of each resource type as the plan shows them and state keeps
// them. Never secret values: secret fields become SENSITIVE. Conventions
// shared with apply and the observe scopes (providers/observe.ts):
// - vm:          server_id, pool, autoscale, hostname, zone, fqdn, ip,
//                private_ip, public_ip, intent_id (+ plan-only fields below);
// - dns_record:  fqdn, base_domain, server_id, type, value, ttl;
// - ad_computer: name, server_id, container_dn, dns_host_name, dn, intent_id;
// - server:      the fixed server's configuration.
import type { AutoscaleConfig, Config, FixedServer, Pool } from '../config/model.ts';
import type { FixedAgent } from '../generated/config.ts';
import type { DnsRecord, ObservedComputer, ObservedVm } from '../model/observed.ts';
import type { Resources } from '../model/compute.ts';
import type { JsonObject } from '../model/json.ts';
import { toJson } from './json-attrs.ts';
import { KNOWN_AFTER_APPLY, SENSITIVE } from './types.ts';
import { domainFromSearchBase as adDomainFromSearchBase } from '../model/dn.ts';

/** Session placeholders passed per user at session time: not secrets, shown as they are. */
const SSO_PLACEHOLDERS = new Set(['{sso_username}', '{sso_cred}']);

function secretShown(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  return SSO_PLACEHOLDERS.has(value) ? value : SENSITIVE;
}

export const DEFAULT_DNS_TTL = 60;

/** Desired attributes of a fixed server (`server.<pool>.<name>`). */
export function fixedServerAttributes(pool: Pool, server: FixedServer): JsonObject {
  return {
    pool: pool.name,
    name: server.name,
    hostname: server.hostname,
    friendly_name: server.friendly_name ?? null,
    zone: server.zone ?? null,
    enabled: server.enabled ?? true,
    connection_type: server.connection_type,
    connection_port: server.connection_port ?? null,
    connection_username: server.connection_username ?? null,
    connection_password: secretShown(server.connection_password),
    use_user_private_key: server.use_user_private_key ?? false,
    connection_private_key: secretShown(server.connection_private_key),
    connection_passphrase: secretShown(server.connection_passphrase),
    connection_info: toJson(server.connection_info ?? {}),
    max_sessions: server.max_simultaneous_sessions ?? 1,
    reusable: server.reusable ?? true,
    agent_installed: server.agent_installed ?? false,
  };
}

/**
 * Desired attributes of a fixed docker agent (`server.<pool>.<name>` of a
 * docker agent pool's `agents:`): registered like a fixed server, sized by
 * its own cores / memory / GPUs, never destroyed.
 */
export function fixedAgentAttributes(pool: Pool, agent: FixedAgent): JsonObject {
  return {
    pool: pool.name,
    name: agent.name,
    kind: 'agent',
    hostname: agent.hostname,
    friendly_name: agent.friendly_name ?? null,
    zone: agent.zone ?? null,
    enabled: agent.enabled ?? true,
    capacity: { cores: agent.cores, memory_mb: agent.memory_mb, gpus: agent.gpus ?? 0 },
    max_sessions: FIXED_AGENT_MAX_SESSIONS,
  };
}

/** Docker agents are limited by resources, not slots. */
const FIXED_AGENT_MAX_SESSIONS = 1_000_000;

/** Session slots of an autoscaled server. Docker agents are limited by resources, not slots. */
export function autoscaleMaxSessions(pool: Pool, autoscale: AutoscaleConfig): number {
  if (pool.type === 'docker_agent') return 1_000_000;
  return autoscale.max_simultaneous_sessions_per_server ?? 1;
}

/** What one docker agent offers: the overrides, else the provider's instance size, else unknown (null). */
export function agentCapacity(pool: Pool, autoscale: AutoscaleConfig, providerCapacity: Resources | undefined): Resources | null {
  if (pool.type !== 'docker_agent') return null;
  const cores = autoscale.agent_cores_override ?? providerCapacity?.cores;
  const memory = autoscale.agent_memory_override_gb !== undefined ? Math.round(autoscale.agent_memory_override_gb * 1024) : providerCapacity?.memory_mb;
  const gpus = autoscale.agent_gpus_override ?? providerCapacity?.gpus ?? 0;
  if (cores === undefined || memory === undefined) return null;
  return { cores, memory_mb: memory, gpus };
}

/** The DNS registration of an autoscale config, when it registers names. */
export function dnsTarget(autoscale: AutoscaleConfig): { provider: string; baseDomain: string } | null {
  if (!autoscale.register_dns || !autoscale.dns_provider || !autoscale.base_domain_name) return null;
  return { provider: autoscale.dns_provider, baseDomain: normalizeDomainName(autoscale.base_domain_name) };
}

/** The AD computer records of an autoscale config, when it creates them. */
export function adTarget(autoscale: AutoscaleConfig): { ldapConfig: string; containerDn: string } | null {
  if (!autoscale.ad_create_machine_record || !autoscale.ldap_config || !autoscale.ad_computer_container_dn) return null;
  return { ldapConfig: autoscale.ldap_config, containerDn: autoscale.ad_computer_container_dn.trim() };
}

export function normalizeDomainName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * DC=corp,DC=example,DC=com → corp.example.com (the AD `{domain}`); empty when
 * the DN has no DC parts (validate reports that; the planner must not throw).
 * The DN parsing is the directory provider's (pure string code).
 */
export function domainFromSearchBase(searchBase: string): string {
  try {
    return adDomainFromSearchBase(searchBase);
  } catch {
    return '';
  }
}

export function fqdnOf(hostname: string, baseDomain: string): string {
  return `${hostname}.${normalizeDomainName(baseDomain)}`.toLowerCase();
}

export interface NewVmArgs {
  config: Config;
  pool: Pool;
  autoscale: AutoscaleConfig;
  serverId: string;
  hostname: string;
  providerCapacity: Resources | undefined;
}

/** `after` of a VM create (or the create half of a replace). */
export function newVmAttributes(args: NewVmArgs): JsonObject {
  const { pool, autoscale, serverId, hostname } = args;
  const dns = dnsTarget(autoscale);
  const capacity = agentCapacity(pool, autoscale, args.providerCapacity);
  return {
    server_id: serverId,
    pool: pool.name,
    autoscale: autoscale.name,
    hostname,
    vm_provider: autoscale.vm_provider,
    zone: autoscale.zone ?? null,
    fqdn: dns ? fqdnOf(hostname, dns.baseDomain) : null,
    ip: KNOWN_AFTER_APPLY,
    connection_type: autoscale.connection_type ?? null,
    connection_port: autoscale.connection_port ?? null,
    connection_username: autoscale.connection_username ?? null,
    connection_password: secretShown(autoscale.connection_password),
    max_sessions: autoscaleMaxSessions(pool, autoscale),
    reusable: autoscale.reusable ?? true,
    // Docker agents too: an agent takes sessions only after it checked in (or registered) running.
    require_checkin: autoscale.require_checkin ?? true,
    capacity: capacity ? { ...capacity } : null,
    startup_script: SENSITIVE,
  };
}

/** What state keeps for a VM the provider reports (adoption, ip refresh). */
export function observedVmAttributes(vm: ObservedVm, base: JsonObject): JsonObject {
  return {
    ...base,
    provider_id: vm.provider_id,
    server_id: vm.server_id,
    pool: vm.pool,
    autoscale: vm.autoscale,
    hostname: vm.hostname,
    ip: vm.private_ip ?? vm.public_ip,
    private_ip: vm.private_ip,
    public_ip: vm.public_ip,
    intent_id: vm.intent_id,
    launched_at: vm.launched_at,
  };
}

export function dnsRecordAttributes(record: DnsRecord, baseDomain: string): JsonObject {
  return {
    fqdn: record.fqdn,
    base_domain: normalizeDomainName(baseDomain),
    server_id: record.server_id,
    type: record.type,
    value: record.value,
    ttl: record.ttl,
  };
}

export function computerAttributes(computer: ObservedComputer, containerDn: string): JsonObject {
  return {
    name: computer.name,
    server_id: computer.server_id,
    container_dn: containerDn,
    dns_host_name: computer.dns_host_name,
    dn: computer.dn,
    intent_id: computer.intent_id,
  };
}
