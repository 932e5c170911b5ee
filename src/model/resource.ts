// Managed resources (Terraform-style records) and create intents.
// Times are ISO-8601 UTC strings.
import type { JsonObject } from './json.ts';

export type ResourceType = 'server' | 'vm' | 'dns_record' | 'ad_computer';

/** Something poolform manages, Terraform-style. Attributes never hold secrets. */
export interface ResourceRecord {
  /** `server.<pool>.<name>`, `vm.<pool>.<autoscale>.<server_id>`, `dns.<fqdn>`, `ad_computer.<name>`. */
  address: string;
  type: ResourceType;
  /** The provider config name (VmProvider/DnsProvider/LdapConfig name); null for fixed servers. */
  provider: string | null;
  /** Id at the provider (instance id, record name, computer DN); null until created. */
  provider_id: string | null;
  attributes: JsonObject;
  status: 'creating' | 'created' | 'deleting';
  created_at: string;
  updated_at: string;
}

/** A create that was started. Its id is the provider's idempotency key. Payload never holds secrets. */
export interface IntentRecord {
  id: string;
  address: string;
  type: ResourceType;
  payload: JsonObject;
  created_at: string;
}
