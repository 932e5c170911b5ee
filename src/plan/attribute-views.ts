// Typed views of a resource change's attributes. `before`/`after` are plain
// JSON (what state and saved plans hold, possibly written by an older
// version); these read each known attribute of a resource type with its type,
// so apply and the planner use fields, not string keys. A value of the wrong
// type reads as null, like a missing one. Conventions: plan/attributes.ts.
import type { Resources } from '../model/compute.ts';
import type { JsonObject, JsonValue } from '../model/json.ts';
import { bool, num, str } from './json-attrs.ts';
import type { AdComputerChange, DnsRecordChange, ServerChange, VmChange } from './types.ts';

export interface VmAttributes {
  server_id: string | null;
  pool: string | null;
  autoscale: string | null;
  hostname: string | null;
  vm_provider: string | null;
  zone: string | null;
  fqdn: string | null;
  ip: string | null;
  private_ip: string | null;
  public_ip: string | null;
  intent_id: string | null;
  provider_id: string | null;
  /** Server status the change sets (`draining`, `starting`, `running`), when it sets one. */
  status: string | null;
  require_checkin: boolean | null;
  connection_type: string | null;
  connection_port: number | null;
  max_sessions: number | null;
  reusable: boolean | null;
  /** Docker agents: what one agent offers. */
  capacity: Resources | null;
}

export interface DnsRecordAttributes {
  fqdn: string | null;
  base_domain: string | null;
  server_id: string | null;
  type: string | null;
  value: string | null;
  ttl: number | null;
}

export interface AdComputerAttributes {
  name: string | null;
  server_id: string | null;
  container_dn: string | null;
  dns_host_name: string | null;
  dn: string | null;
  intent_id: string | null;
}

export interface FixedServerAttributes {
  pool: string | null;
  name: string | null;
  hostname: string | null;
  connection_type: string | null;
  connection_port: number | null;
  max_sessions: number | null;
  reusable: boolean | null;
  enabled: boolean | null;
  /** Fixed docker agents carry their size; fixed servers have none. */
  capacity: Resources | null;
}

/** `{cores, memory_mb, gpus}` from JSON; null unless cores and memory are numbers. */
export function resourcesOf(value: JsonValue | undefined): Resources | null {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return null;
  const cores = num(value, 'cores');
  const memory = num(value, 'memory_mb');
  if (cores === null || memory === null) return null;
  return { cores, memory_mb: memory, gpus: num(value, 'gpus') ?? 0 };
}

export function vmAttributeView(attrs: JsonObject | null | undefined): VmAttributes {
  return {
    server_id: str(attrs, 'server_id'),
    pool: str(attrs, 'pool'),
    autoscale: str(attrs, 'autoscale'),
    hostname: str(attrs, 'hostname'),
    vm_provider: str(attrs, 'vm_provider'),
    zone: str(attrs, 'zone'),
    fqdn: str(attrs, 'fqdn'),
    ip: str(attrs, 'ip'),
    private_ip: str(attrs, 'private_ip'),
    public_ip: str(attrs, 'public_ip'),
    intent_id: str(attrs, 'intent_id'),
    provider_id: str(attrs, 'provider_id'),
    status: str(attrs, 'status'),
    require_checkin: bool(attrs, 'require_checkin'),
    connection_type: str(attrs, 'connection_type'),
    connection_port: num(attrs, 'connection_port'),
    max_sessions: num(attrs, 'max_sessions'),
    reusable: bool(attrs, 'reusable'),
    capacity: resourcesOf(attrs?.['capacity']),
  };
}

export function dnsRecordAttributeView(attrs: JsonObject | null | undefined): DnsRecordAttributes {
  return {
    fqdn: str(attrs, 'fqdn'),
    base_domain: str(attrs, 'base_domain'),
    server_id: str(attrs, 'server_id'),
    type: str(attrs, 'type'),
    value: str(attrs, 'value'),
    ttl: num(attrs, 'ttl'),
  };
}

export function adComputerAttributeView(attrs: JsonObject | null | undefined): AdComputerAttributes {
  return {
    name: str(attrs, 'name'),
    server_id: str(attrs, 'server_id'),
    container_dn: str(attrs, 'container_dn'),
    dns_host_name: str(attrs, 'dns_host_name'),
    dn: str(attrs, 'dn'),
    intent_id: str(attrs, 'intent_id'),
  };
}

export function fixedServerAttributeView(attrs: JsonObject | null | undefined): FixedServerAttributes {
  return {
    pool: str(attrs, 'pool'),
    name: str(attrs, 'name'),
    hostname: str(attrs, 'hostname'),
    connection_type: str(attrs, 'connection_type'),
    connection_port: num(attrs, 'connection_port'),
    max_sessions: num(attrs, 'max_sessions'),
    reusable: bool(attrs, 'reusable'),
    enabled: bool(attrs, 'enabled'),
    capacity: resourcesOf(attrs?.['capacity']),
  };
}

/** The typed attributes of one side of a change, by its resource type. */
export function attributesOf(change: VmChange, side: 'before' | 'after'): VmAttributes;
export function attributesOf(change: DnsRecordChange, side: 'before' | 'after'): DnsRecordAttributes;
export function attributesOf(change: AdComputerChange, side: 'before' | 'after'): AdComputerAttributes;
export function attributesOf(change: ServerChange, side: 'before' | 'after'): FixedServerAttributes;
export function attributesOf(
  change: VmChange | DnsRecordChange | AdComputerChange | ServerChange,
  side: 'before' | 'after',
): VmAttributes | DnsRecordAttributes | AdComputerAttributes | FixedServerAttributes {
  const attrs = change[side];
  switch (change.type) {
    case 'vm':
      return vmAttributeView(attrs);
    case 'dns_record':
      return dnsRecordAttributeView(attrs);
    case 'ad_computer':
      return adComputerAttributeView(attrs);
    case 'server':
      return fixedServerAttributeView(attrs);
    default: {
      const never: never = change;
      throw new Error(`unknown resource type ${String((never as { type: unknown }).type)}`);
    }
  }
}
