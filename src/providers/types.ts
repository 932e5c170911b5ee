// Provider interfaces: one per kind (VM, DNS, directory). Every
// implementation (local, AWS EC2, Route 53, LDAP) passes the shared
// conformance suite (providers/conformance.ts).
//
// Guarantees every implementation gives:
// - observe() is bulk: one listing (paginated) per call, never a call per resource.
// - create() is idempotent for the same intent id: calling it again after a
//   crash or retry returns the same resource, never a second one.
// - if destroy() rejects (or reports an error for an item), the resource is
//   assumed to still exist.
// - only resources carrying poolform's ownership marker are ever observed or
//   deleted.
import type { Resources } from '../model/compute.ts';
import type { DnsRecord, ObservedComputer, ObservedVm } from '../model/observed.ts';

// What providers report lives in src/model/observed.ts (the planner reads it);
// re-exported here for the provider implementations.
export type { DnsRecord, ObservedComputer, ObservedVm, VmState } from '../model/observed.ts';

export interface VmCreateRequest {
  /** Idempotency key (EC2 ClientToken, local directory marker). */
  intent_id: string;
  server_id: string;
  hostname: string;
  pool: string;
  autoscale: string;
  /** The rendered startup script (contains secrets: never log it). */
  user_data: string;
}

export interface VmRef {
  provider_id: string;
  server_id: string;
}

/** Per-item outcome of a bulk call. */
export interface ItemResult<T> {
  item: T;
  error?: Error;
}

export interface VmProviderClient {
  /** Provider kind, for `{provider_name}`: `aws`, `local`. */
  readonly kind: string;
  /** Name of the VmProvider config this client serves. */
  readonly name: string;
  /** Every VM this provider config holds that poolform owns (terminated ones may be included with that state). */
  observe(): Promise<ObservedVm[]>;
  create(request: VmCreateRequest): Promise<ObservedVm>;
  /** Destroys many at once (EC2 TerminateInstances takes many ids). Unknown/already gone counts as success. */
  destroy(refs: readonly VmRef[]): Promise<ItemResult<VmRef>[]>;
  /** What one VM offers (docker agent sizing); undefined when unknown. */
  capacity(): Promise<Resources | undefined>;
}

export interface DnsProviderClient {
  readonly kind: string;
  readonly name: string;
  /** Records poolform owns under the zone of `baseDomain` (one listing walk per zone). */
  observe(baseDomain: string): Promise<DnsRecord[]>;
  /** Create or replace, batched. */
  upsert(baseDomain: string, records: readonly DnsRecord[]): Promise<ItemResult<DnsRecord>[]>;
  /** Delete, batched. A record already gone counts as success. */
  delete(baseDomain: string, records: readonly DnsRecord[]): Promise<ItemResult<DnsRecord>[]>;
}

export interface ComputerCreateRequest {
  intent_id: string;
  server_id: string;
  name: string;
  /** OU DN. */
  container_dn: string;
  dns_host_name: string;
  /** One-time join password (secret: never logged or persisted). */
  password: string;
}

export interface DirectoryProviderClient {
  readonly kind: string;
  readonly name: string;
  /** The records in `containerDn` marked as poolform's (one paged search). */
  observe(containerDn: string): Promise<ObservedComputer[]>;
  /** Idempotent by intent id: an existing record of the same intent gets the new password set. */
  create(request: ComputerCreateRequest): Promise<ObservedComputer>;
  /** Never deletes a record not marked as poolform's. */
  delete(computer: ObservedComputer, options: { recursive: boolean }): Promise<void>;
}
