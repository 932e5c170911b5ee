// Ownership tags: what marks an EC2 instance as poolform's. observe() lists
// only instances tagged `poolform:managed=true`; destroy() refuses instances
// without it. `poolform:provider` scopes instances to one VmProvider config
// (instances without it, e.g. adopted or created by hand with the other tags,
// are seen by every aws provider config in that account and region).
import type { Tag } from '@aws-sdk/client-ec2';
import type { VmCreateRequest } from '../types.ts';

export const TAG_MANAGED = 'poolform:managed';
export const TAG_PROVIDER = 'poolform:provider';
export const TAG_POOL = 'poolform:pool';
export const TAG_AUTOSCALE = 'poolform:autoscale';
export const TAG_SERVER_ID = 'poolform:server-id';
export const TAG_INTENT_ID = 'poolform:intent-id';
export const TAG_NAME = 'Name';

/** Tags every launched instance carries; they win over custom tags and the config override. */
export function ownershipTags(providerName: string, request: VmCreateRequest): Record<string, string> {
  return {
    [TAG_MANAGED]: 'true',
    [TAG_PROVIDER]: providerName,
    [TAG_POOL]: request.pool,
    [TAG_AUTOSCALE]: request.autoscale,
    [TAG_SERVER_ID]: request.server_id,
    [TAG_INTENT_ID]: request.intent_id,
    [TAG_NAME]: request.hostname,
  };
}

export function tagsToMap(tags: readonly Tag[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const tag of tags ?? []) {
    if (tag.Key !== undefined) map.set(tag.Key, tag.Value ?? '');
  }
  return map;
}

export function mapToTags(map: ReadonlyMap<string, string>): Tag[] {
  return [...map].map(([Key, Value]) => ({ Key, Value }));
}
