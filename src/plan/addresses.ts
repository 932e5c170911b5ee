// Resource addresses, Terraform-style (see plan/types.ts and state/types.ts).
import type { ResourceType } from '../model/resource.ts';

/** Last segment of an address: server id, fixed server name, fqdn, computer name. */
export function nameOf(address: string, type: ResourceType): string {
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
/** Server record id of a fixed server. */
export function fixedServerId(pool: string, name: string): string {
  return `fixed.${pool}.${name}`;
}
export function dnsAddress(fqdn: string): string {
  return `dns.${fqdn.toLowerCase()}`;
}
export function adAddress(name: string): string {
  return `ad_computer.${name.toLowerCase()}`;
}

export function byAddress<T extends { address: string }>(a: T, b: T): number {
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/** Whether `address` is selected by a `--target` value (exact, or a prefix ending at a dot). */
export function matchesTarget(address: string, target: string): boolean {
  const t = target.replace(/\.$/, '');
  return address === t || address.startsWith(`${t}.`);
}
