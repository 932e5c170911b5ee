// The typed view of an intent's payload (what apply records before a create;
// JSON in state, possibly written by an older version). A value of the wrong
// type reads as null, like a missing one. Never holds secrets.
import type { JsonObject } from './json.ts';

export interface IntentPayload {
  /** VmProvider / DnsProvider / LdapConfig name the create went to. */
  provider: string | null;
  server_id: string | null;
  hostname: string | null;
  pool: string | null;
  autoscale: string | null;
  /** dns_record intents: the zone's base domain. */
  base_domain: string | null;
  /** ad_computer intents: the OU. */
  container_dn: string | null;
  /** How the create ended, when apply could tell (a PoolformError code). */
  create_error: string | null;
  /** Whether that failure could pass; false: nothing was made, the intent can go at once. */
  create_retryable: boolean | null;
}

function text(payload: JsonObject | null | undefined, key: string): string | null {
  const v = payload?.[key];
  return typeof v === 'string' ? v : null;
}

/** Reads the payload (`''` stays `''`: callers that need a name check for it). */
export function intentPayloadView(payload: JsonObject | null | undefined): IntentPayload {
  const retryable = payload?.['create_retryable'];
  return {
    provider: text(payload, 'provider'),
    server_id: text(payload, 'server_id'),
    hostname: text(payload, 'hostname'),
    pool: text(payload, 'pool'),
    autoscale: text(payload, 'autoscale'),
    base_domain: text(payload, 'base_domain'),
    container_dn: text(payload, 'container_dn'),
    create_error: text(payload, 'create_error'),
    create_retryable: typeof retryable === 'boolean' ? retryable : null,
  };
}
