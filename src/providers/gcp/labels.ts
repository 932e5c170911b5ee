// Ownership labels on every instance (and its boot disk) poolform creates in
// Compute Engine (keys with underscores: list filters name them as field
// paths, `labels.poolform_managed`, where a hyphen is not safe). observe() lists with a `filter` on the first two, so only
// poolform's instances of this provider config come back; destroy() refuses
// instances without them. GCP label rules: keys start with a lowercase
// letter, keys and values use lowercase letters, digits, `_` and `-`, at most
// 63 characters, 64 labels per resource. Values are sanitized to fit; the exact
// values (server id, intent id, hostname, pool, autoscale) also go into
// instance metadata items (`poolform-*`), which observe reads back.
import { createHash } from 'node:crypto';
import type { GcpVmProvider } from '../../generated/config.ts';
import type { VmCreateRequest } from '../types.ts';

export const LABEL_MANAGED = 'poolform_managed';
export const LABEL_PROVIDER = 'poolform_provider';
export const LABEL_POOL = 'poolform_pool';
export const LABEL_AUTOSCALE = 'poolform_autoscale';
export const LABEL_SERVER_ID = 'poolform_server_id';
export const LABEL_INTENT_ID = 'poolform_intent_id';

/** Metadata keys holding the exact (unsanitized) values. */
export const META_SERVER_ID = 'poolform-server-id';
export const META_INTENT_ID = 'poolform-intent-id';
export const META_POOL = 'poolform-pool';
export const META_AUTOSCALE = 'poolform-autoscale';
export const META_HOSTNAME = 'poolform-hostname';
export const META_PROVIDER = 'poolform-provider';
export const OWN_META_KEYS: readonly string[] = [META_SERVER_ID, META_INTENT_ID, META_POOL, META_AUTOSCALE, META_HOSTNAME, META_PROVIDER];

export const OWN_LABEL_COUNT = 6;

/**
 * A label value from any string: lowercased, characters outside [a-z0-9_-]
 * become `_`, and a value longer than 63 characters keeps 54 of them plus `-`
 * and 8 hex digits of its SHA-256, so distinct long values stay distinct.
 */
export function labelValue(value: string): string {
  const clean = value.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (clean.length <= 63 && clean === value) return clean;
  if (clean.length <= 63 && clean !== value) {
    // Sanitizing lost information (upper case, dots…): keep it recognisable but unique.
    const hash = createHash('sha256').update(value).digest('hex').slice(0, 8);
    return clean.length <= 54 ? `${clean}-${hash}` : `${clean.slice(0, 54)}-${hash}`;
  }
  return `${clean.slice(0, 54)}-${createHash('sha256').update(value).digest('hex').slice(0, 8)}`;
}

/** The labels every instance and boot disk carries; the config's own labels first, poolform's win. */
export function ownershipLabels(config: GcpVmProvider, request: VmCreateRequest): Record<string, string> {
  return {
    ...(config.labels ?? {}),
    [LABEL_MANAGED]: 'true',
    [LABEL_PROVIDER]: labelValue(config.name),
    [LABEL_POOL]: labelValue(request.pool),
    [LABEL_AUTOSCALE]: labelValue(request.autoscale),
    [LABEL_SERVER_ID]: labelValue(request.server_id),
    [LABEL_INTENT_ID]: labelValue(request.intent_id),
  };
}

/** The Compute list filter selecting this provider config's instances. */
export function ownershipFilter(providerName: string): string {
  return `(labels.${LABEL_MANAGED} = "true") AND (labels.${LABEL_PROVIDER} = "${labelValue(providerName)}")`;
}

export function ownedBy(labels: Record<string, string> | null | undefined, providerName: string): boolean {
  return labels?.[LABEL_MANAGED] === 'true' && labels[LABEL_PROVIDER] === labelValue(providerName);
}

/** Metadata items with the exact values observe reports. */
export function ownershipMetadata(config: GcpVmProvider, request: VmCreateRequest): { key: string; value: string }[] {
  return [
    { key: META_PROVIDER, value: config.name },
    { key: META_SERVER_ID, value: request.server_id },
    { key: META_INTENT_ID, value: request.intent_id },
    { key: META_POOL, value: request.pool },
    { key: META_AUTOSCALE, value: request.autoscale },
    { key: META_HOSTNAME, value: request.hostname },
  ];
}
