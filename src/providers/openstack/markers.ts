// Ownership markers on every server poolform creates in Nova:
// - server metadata (exact values; Nova: keys and values at most 255
//   characters): poolform:managed, :provider, :pool, :autoscale, :server-id,
//   :intent-id, :hostname. observe() reports, and destroy() deletes, only
//   servers whose metadata marks them as this provider config's.
// - server tags (microversion 2.52 sets them at create; 2.26 filters by them):
//   `poolform:managed` and `poolform:provider=<name>` so observe's listing
//   asks Nova for this config's servers only (GET /servers/detail?tags=a,b
//   matches servers having all of them). Nova tags are at most 60 characters
//   without `/` or `,`: a provider name too long for that is hashed.
import { createHash } from 'node:crypto';
import type { OpenStackVmProvider } from '../../generated/config.ts';
import type { VmCreateRequest } from '../types.ts';

export const META_MANAGED = 'poolform:managed';
export const META_PROVIDER = 'poolform:provider';
export const META_POOL = 'poolform:pool';
export const META_AUTOSCALE = 'poolform:autoscale';
export const META_SERVER_ID = 'poolform:server-id';
export const META_INTENT_ID = 'poolform:intent-id';
export const META_HOSTNAME = 'poolform:hostname';
export const RESERVED_META_PREFIX = 'poolform:';

export const TAG_MANAGED = 'poolform:managed';

export function providerTag(providerName: string): string {
  const plain = `poolform:provider=${providerName}`;
  if (plain.length <= 60 && !/[,/]/.test(providerName)) return plain;
  return `poolform:provider#${createHash('sha256').update(providerName).digest('hex').slice(0, 32)}`;
}

export function ownershipTags(providerName: string): string[] {
  return [TAG_MANAGED, providerTag(providerName)];
}

/** Metadata of a new server: the config's own items first, poolform's win. */
export function ownershipMetadata(config: OpenStackVmProvider, request: VmCreateRequest): Record<string, string> {
  return {
    ...(config.metadata ?? {}),
    [META_MANAGED]: 'true',
    [META_PROVIDER]: config.name,
    [META_POOL]: request.pool,
    [META_AUTOSCALE]: request.autoscale,
    [META_SERVER_ID]: request.server_id,
    [META_INTENT_ID]: request.intent_id,
    [META_HOSTNAME]: request.hostname,
  };
}

export function ownedBy(metadata: Record<string, string> | undefined, providerName: string): boolean {
  return metadata?.[META_MANAGED] === 'true' && metadata[META_PROVIDER] === providerName;
}
