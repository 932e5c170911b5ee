// Ownership tags on every droplet poolform makes. DigitalOcean tags are bare
// names (no key=value): letters, digits, `:`, `-`, `_`, at most 255
// characters, so poolform writes `poolform:<key>:<value>` names.
// - `poolform:provider:<name>` scopes one provider config: observe lists by it
//   (GET /v2/droplets?tag_name=...), destroy refuses droplets without it.
// - `poolform:intent:<id>` makes create idempotent (looked up before POST).
// - server id, pool and autoscale are read back by observe.
// Values outside the tag alphabet are mapped to `_` (pool and autoscale names
// and poolform's ids never contain such characters).
import type { VmCreateRequest } from '../types.ts';

export const TAG_PREFIX = 'poolform:';
export const TAG_MANAGED = 'poolform:managed';
export const TAG_MAX_LENGTH = 255;

function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9:_-]/g, '_');
}

function tag(key: string, value: string): string {
  return `${TAG_PREFIX}${key}:${tagValue(value)}`.slice(0, TAG_MAX_LENGTH);
}

export const providerTag = (providerName: string): string => tag('provider', providerName);
export const intentTag = (intentId: string): string => tag('intent', intentId);

/** poolform's tags for one droplet, then the config's own tags. */
export function ownershipTags(providerName: string, request: VmCreateRequest, extra: readonly string[] = []): string[] {
  const own = [
    TAG_MANAGED,
    providerTag(providerName),
    intentTag(request.intent_id),
    tag('server', request.server_id),
    tag('pool', request.pool),
    tag('autoscale', request.autoscale),
  ];
  return [...own, ...extra.filter((t) => !own.includes(t))];
}

/** The value of poolform's `poolform:<key>:<value>` tag, if present. */
export function tagOf(tags: readonly string[] | undefined, key: string): string | undefined {
  const prefix = `${TAG_PREFIX}${key}:`;
  const found = tags?.find((t) => t.startsWith(prefix));
  return found === undefined ? undefined : found.slice(prefix.length);
}

export function ownedBy(tags: readonly string[] | undefined, providerName: string): boolean {
  return tags?.includes(TAG_MANAGED) === true && tags.includes(providerTag(providerName));
}
