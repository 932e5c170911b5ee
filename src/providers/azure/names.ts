// Deterministic resource names from the intent id: the same intent always
// names the same VM, NIC, public IP and OS disk, so a create retried after a
// crash or a timeout PUTs the same resources again (ARM PUT is idempotent)
// instead of making a second VM. 20 hex digits of SHA-256 keep collisions out
// of reach and the name within every limit (VM names ≤ 64 characters on
// Linux; the Windows computer name is the server hostname, set separately).
import { createHash } from 'node:crypto';

export interface AzureResourceNames {
  vm: string;
  nic: string;
  publicIp: string;
  osDisk: string;
}

export const NAME_PREFIX = 'pf-';

export function resourceNames(intentId: string): AzureResourceNames {
  return namesFromVm(`${NAME_PREFIX}${createHash('sha256').update(intentId).digest('hex').slice(0, 20)}`);
}

/** The NIC, IP and disk names that belong with a VM name poolform gave. */
export function namesFromVm(vm: string): AzureResourceNames {
  return { vm, nic: `${vm}-nic`, publicIp: `${vm}-ip`, osDisk: `${vm}-osdisk` };
}

/** The VM name a NIC, IP or disk name belongs to (undefined when it is not one of poolform's names). */
export function vmNameOf(resourceName: string): string | undefined {
  const match = /^(pf-[0-9a-f]{20})(-nic|-ip|-osdisk)?$/i.exec(resourceName);
  return match ? match[1] : undefined;
}

/** The last segment of an ARM id (the resource name). */
export function nameOfId(id: string): string {
  return id.split('/').filter(Boolean).pop() ?? id;
}
