// Ownership markers on every instance poolform launches: freeform tags (OCI
// allows 50 per resource, keys ≤ 100 characters, values ≤ 256).
// - `poolform-managed` = `true` and `poolform-provider` = <provider config
//   name> scope one provider config: observe keeps only instances carrying both,
//   destroy refuses any other.
// - `poolform-intent` makes create idempotent across the 24 h opc-retry-token
//   window (create looks the intent up in a listing first).
// - server id, pool and autoscale are read back by observe.
import type { VmCreateRequest } from '../types.ts';

export const TAG_MANAGED = 'poolform-managed';
export const TAG_PROVIDER = 'poolform-provider';
export const TAG_INTENT = 'poolform-intent';
export const TAG_SERVER = 'poolform-server';
export const TAG_POOL = 'poolform-pool';
export const TAG_AUTOSCALE = 'poolform-autoscale';

/** The config's own freeform tags, then poolform's (which win). */
export function ownershipTags(providerName: string, request: VmCreateRequest, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...extra,
    [TAG_MANAGED]: 'true',
    [TAG_PROVIDER]: providerName,
    [TAG_INTENT]: request.intent_id,
    [TAG_SERVER]: request.server_id,
    [TAG_POOL]: request.pool,
    [TAG_AUTOSCALE]: request.autoscale,
  };
}

export function ownedBy(tags: Readonly<Record<string, string>> | undefined, providerName: string): boolean {
  return tags?.[TAG_MANAGED] === 'true' && tags[TAG_PROVIDER] === providerName;
}
