// VM names as poolform's ownership marker and identity on vSphere.
//
// Why the name: the Automation API's VM list (`GET /api/vcenter/vm`) answers
// only {vm, name, power_state, cpu_count, memory_size_MiB}, and neither custom
// attributes nor tag names can be read for many VMs in one call (tag names
// take a GET per tag). So the name carries everything observe must report,
// and one list call per folder reads it all:
//
//   <hostname>_pf<owner>_<pool>_<autoscale>_<server_id>
//
// - `owner`: 8 hex of SHA-256 over the provider config name: VMs of another
//   config (or made by hand) in the same folder are never reported or deleted.
// - pool / autoscale: kept as is when they match [A-Za-z0-9.-]+, else `~` and
//   the UTF-8 hex (so `_` never appears inside a field).
// - server_id last. A retried create of the same intent carries the same
//   server id, so the name is deterministic per intent: create looks the name
//   up before cloning, and vCenter refuses a second VM of that name in the
//   folder (ALREADY_EXISTS), which closes the race.
// vSphere allows 80 characters in a VM name; a longer one is refused before
// any call (vsphere-name-too-long, nothing created).
import { createHash } from 'node:crypto';

export const VM_NAME_MAX = 80;

export function ownerMarker(providerName: string): string {
  return `pf${createHash('sha256').update(`poolform-vsphere:${providerName}`).digest('hex').slice(0, 8)}`;
}

const PLAIN = /^[A-Za-z0-9.-]+$/;

export function encodeField(value: string): string {
  return PLAIN.test(value) ? value : `~${Buffer.from(value, 'utf8').toString('hex')}`;
}

export function decodeField(value: string): string | undefined {
  if (!value.startsWith('~')) return PLAIN.test(value) ? value : undefined;
  const hex = value.slice(1);
  if (!/^([0-9a-f]{2})*$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex').toString('utf8');
}

export interface VmIdentity {
  hostname: string;
  pool: string;
  autoscale: string;
  server_id: string;
}

export function vmName(providerName: string, id: VmIdentity): string {
  return [encodeField(id.hostname), ownerMarker(providerName), encodeField(id.pool), encodeField(id.autoscale), encodeField(id.server_id)].join('_');
}

/** The identity in a VM name of this provider config, or undefined when the name is not one of its VMs. */
export function parseVmName(providerName: string, name: string): VmIdentity | undefined {
  const parts = name.split('_');
  if (parts.length !== 5 || parts[1] !== ownerMarker(providerName)) return undefined;
  const [hostname, , pool, autoscale, serverId] = parts.map((p) => decodeField(p ?? ''));
  if (hostname === undefined || pool === undefined || autoscale === undefined || serverId === undefined || serverId === '') return undefined;
  return { hostname, pool, autoscale, server_id: serverId };
}
