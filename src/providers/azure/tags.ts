// Ownership tags on every resource poolform makes in Azure (VM, NIC, public
// IP, OS disk). observe() reports only VMs tagged `poolform:managed=true` for
// this provider config; destroy() refuses VMs without the tags; the orphan
// sweep removes only NICs/IPs/disks carrying them. Azure allows 50 tags per
// resource (names ≤ 512, values ≤ 256 characters; no < > % & \ ? /): these take
// up to 10 (8 on every resource, the 2 address tags on the VM).
import type { AzureVmProvider } from '../../generated/config.ts';
import type { VmCreateRequest } from '../types.ts';

export const TAG_MANAGED = 'poolform:managed';
export const TAG_PROVIDER = 'poolform:provider';
export const TAG_POOL = 'poolform:pool';
export const TAG_AUTOSCALE = 'poolform:autoscale';
export const TAG_SERVER_ID = 'poolform:server-id';
export const TAG_INTENT_ID = 'poolform:intent-id';
export const TAG_HOSTNAME = 'poolform:hostname';
/** When poolform created the resource (ISO 8601): the orphan sweep's grace period counts from it. */
export const TAG_CREATED_AT = 'poolform:created-at';
/** The VM's addresses, known when its NIC and IP are made: observe needs no NIC/IP listing. */
export const TAG_PRIVATE_IP = 'poolform:private-ip';
export const TAG_PUBLIC_IP = 'poolform:public-ip';

export const OWN_TAG_COUNT = 10;

/** Tags for every resource of one VM; the config's own tags first, poolform's win. */
export function ownershipTags(config: AzureVmProvider, request: VmCreateRequest, createdAt: string): Record<string, string> {
  return {
    ...(config.tags ?? {}),
    [TAG_MANAGED]: 'true',
    [TAG_PROVIDER]: config.name,
    [TAG_POOL]: request.pool,
    [TAG_AUTOSCALE]: request.autoscale,
    [TAG_SERVER_ID]: request.server_id,
    [TAG_INTENT_ID]: request.intent_id,
    [TAG_HOSTNAME]: request.hostname,
    [TAG_CREATED_AT]: createdAt,
  };
}

/** True when the tags mark the resource as poolform's for this provider config. */
export function ownedBy(tags: Record<string, string> | undefined, providerName: string): boolean {
  return tags?.[TAG_MANAGED] === 'true' && tags[TAG_PROVIDER] === providerName;
}
