// Ownership markers on every VM poolform creates on Nutanix, in two places:
// - Categories (metadata.categories, what Prism Central filters, reports and
//   applies policies by): `PoolformProvider: <provider config>` (the
//   installation's marker), `PoolformPool: <pool>`, `PoolformAutoscale:
//   <autoscale>`. Categories must exist before a VM carries them: poolform
//   creates the keys and values on first use (PUT /categories/{key} and
//   /categories/{key}/{value}); their number stays bounded (one value per
//   provider config, pool and autoscale, never per VM).
// - The exact per-VM values (intent id, server id, hostname, and the names
//   again) in the VM's description as `poolform:v1 {json}`: a category value
//   per intent would leave thousands of values behind.
// observe() reports, and destroy() deletes, only VMs whose name has this
// config's prefix, whose PoolformProvider category is this config's value and
// whose description names this config.
import { createHash } from 'node:crypto';
import type { VmCreateRequest } from '../types.ts';

export const CATEGORY_PROVIDER = 'PoolformProvider';
export const CATEGORY_POOL = 'PoolformPool';
export const CATEGORY_AUTOSCALE = 'PoolformAutoscale';
const DESCRIPTION_PREFIX = 'poolform:v1 ';

/** A category value: the name itself when Prism Central accepts it as is, else a stable hash of it. */
export function categoryValue(name: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) ? name : `h-${createHash('sha256').update(name).digest('hex').slice(0, 24)}`;
}

export function ownershipCategories(
  providerName: string,
  request: Pick<VmCreateRequest, 'pool' | 'autoscale'>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...extra,
    [CATEGORY_PROVIDER]: categoryValue(providerName),
    [CATEGORY_POOL]: categoryValue(request.pool),
    [CATEGORY_AUTOSCALE]: categoryValue(request.autoscale),
  };
}

export interface Markers {
  provider: string;
  intentId: string;
  serverId: string;
  hostname: string;
  pool: string;
  autoscale: string;
}

export function ownershipDescription(providerName: string, request: VmCreateRequest): string {
  const m: Markers = {
    provider: providerName,
    intentId: request.intent_id,
    serverId: request.server_id,
    hostname: request.hostname,
    pool: request.pool,
    autoscale: request.autoscale,
  };
  return `${DESCRIPTION_PREFIX}${JSON.stringify(m)}`;
}

export function readMarkers(description: string | undefined): Markers | undefined {
  if (!description?.startsWith(DESCRIPTION_PREFIX)) return undefined;
  try {
    const m = JSON.parse(description.slice(DESCRIPTION_PREFIX.length)) as Partial<Markers>;
    const fields = [m.provider, m.intentId, m.serverId, m.hostname, m.pool, m.autoscale];
    if (!fields.every((f) => typeof f === 'string')) return undefined;
    return m as Markers;
  } catch {
    return undefined;
  }
}

/** Owned by this provider config: the category and the description agree. */
export function ownedBy(categories: Record<string, string> | undefined, markers: Markers | undefined, providerName: string): markers is Markers {
  return markers !== undefined && markers.provider === providerName && categories?.[CATEGORY_PROVIDER] === categoryValue(providerName);
}

/**
 * Deterministic VM name from the provider config and the intent id:
 * `pf-<8 hex of the config name>-<16 hex of the intent>`. The name prefix is
 * what the list filter selects (`vm_name==pf-xxxxxxxx-.*`), and a retried
 * create of the intent finds its VM by it even before the description is read.
 */
export function vmName(providerName: string, intentId: string): string {
  return `${configPrefix(providerName)}${createHash('sha256').update(intentId).digest('hex').slice(0, 16)}`;
}

export function configPrefix(providerName: string): string {
  return `pf-${createHash('sha256').update(providerName).digest('hex').slice(0, 8)}-`;
}

/** The v3 list filter (FIQL; the value is a regular expression) selecting this config's VMs. */
export function listFilter(providerName: string): string {
  return `vm_name==${configPrefix(providerName)}.*`;
}
