// Records kept in the state store, and the store interface. Two
// implementations satisfy it unchanged: SQLite (node:sqlite, the embedded
// default, state/sqlite-store.ts) and PostgreSQL (state/postgres-store.ts).
// One shared suite (state/store-suite.ts) proves every behaviour on both.
//
// Times are ISO-8601 UTC strings. Every mutation of resources, servers or
// intents bumps `serial`; sessions, audit entries and server status updates
// (`updateServerStatus`: check-ins, progress, drain marks) do not (they are
// runtime data, not infrastructure), so a saved plan is not made stale by user
// traffic or by servers reporting in.
// Writing a record identical to the stored one is not a mutation (no bump).

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

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

/**
 * Server lifecycle.
 * provisioning: create in flight; starting: exists, awaiting check-in (or booting);
 * running: usable; failed: check-in said failed or timed out (will be replaced);
 * draining: no new sessions, destroyed when idle; destroying: delete in flight.
 */
export type ServerStatus = 'provisioning' | 'starting' | 'running' | 'failed' | 'draining' | 'destroying';

export interface Resources {
  cores: number;
  memory_mb: number;
  gpus: number;
}

/** A server sessions can be placed on: a fixed server or an autoscaled VM. */
export interface ServerRecord {
  /** Autoscaled: generated server id. Fixed: `fixed.<pool>.<name>`. */
  id: string;
  pool: string;
  /** Autoscale config name; null for fixed servers. */
  autoscale: string | null;
  /** Resource address this server belongs to. */
  address: string;
  hostname: string;
  /** IP or DNS name clients connect to; null until known. */
  ip: string | null;
  connection_type: string | null;
  connection_port: number | null;
  status: ServerStatus;
  status_message: string;
  /** 0..100 */
  status_progress: number;
  /** Session slots (server pools). */
  max_sessions: number;
  reusable: boolean;
  /** Docker agents: what the agent offers. Null for server pools. */
  capacity: Resources | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  checked_in_at: string | null;
}

export type SessionStatus = 'queued' | 'running' | 'ended' | 'failed';

export interface SessionRecord {
  id: string;
  pool: string;
  user: string;
  zone: string | null;
  workspace: string | null;
  server_id: string | null;
  status: SessionStatus;
  /** For docker sessions: what the session uses on its agent. */
  resources: Resources | null;
  /** True for a pre-created (staged) docker session not yet handed to a user. */
  staged: boolean;
  /** Staging config name, for staged sessions. */
  staging: string | null;
  created_at: string;
  updated_at: string;
  last_keepalive_at: string;
  ended_at: string | null;
  /** Why it ended or failed, e.g. `deleted`, `keepalive_timeout`, `queue_timeout`, `server_destroyed`. */
  end_reason: string | null;
  /** Which API key created it. */
  api_key: string | null;
}

/** A create that was started. Its id is the provider's idempotency key. Payload never holds secrets. */
export interface IntentRecord {
  id: string;
  address: string;
  type: ResourceType;
  payload: JsonObject;
  created_at: string;
}

export interface LockInfo {
  /** Lock id (UUID), printed so `poolform force-unlock ID` can name it. */
  id: string;
  operation: string;
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

export interface AuditEntry {
  at: string;
  /** Who: `serve`, `cli`, an API key name. */
  actor: string;
  /** e.g. create, destroy, drain, hold, apply, checkin, force-unlock. */
  action: string;
  address: string | null;
  reason: string;
  detail: JsonObject | null;
}

/** Per autoscale config memory the decision core needs (key `pool/autoscale`). */
export interface AutoscaleHistory {
  last_create_at: string | null;
  last_destroy_at: string | null;
  consecutive_failures: number;
  last_failure_at: string | null;
  /**
   * Consecutive apply rounds in which a create of this config was refused by
   * the provider with a retryable error that made nothing (AWS capacity or
   * instance limits, throttling after retries). Feeds the create backoff; a
   * successful create resets it. Optional: absent means 0.
   */
  create_errors?: number;
  /** ISO time of the last such refusal. */
  last_create_error_at?: string | null;
  /** For people: what the provider said, e.g. "InsufficientInstanceCapacity (aws-insufficient-capacity)". Never a secret. */
  last_create_error?: string | null;
}

export interface StateMeta {
  lineage: string;
  serial: number;
}

/** Everything the planner reads, taken in one consistent read. */
export interface Snapshot extends StateMeta {
  resources: ResourceRecord[];
  servers: ServerRecord[];
  /** Sessions that are queued or running (ended ones are left out). */
  sessions: SessionRecord[];
  intents: IntentRecord[];
  history: Record<string, AutoscaleHistory>;
}

/** A candidate server for a placement, read inside the allocation transaction. */
export interface PlacementCandidate {
  server: ServerRecord;
  /** Running sessions on it (user sessions and staged ones). */
  sessions: SessionRecord[];
}

export interface NewSession {
  id: string;
  pool: string;
  user: string;
  zone: string | null;
  workspace: string | null;
  resources: Resources | null;
  api_key: string | null;
  now: string;
}

/**
 * Chooses a server for a request among the pool's candidates, or null when none has room.
 * Pure; called by the store inside its allocation transaction.
 */
export type PlacementChooser = (candidates: readonly PlacementCandidate[], request: NewSession) => string | null;

export interface AllocationOptions {
  /** What to do when the chooser finds no room: queue the request (aggressive scaling) or reject it. */
  onNoCapacity: 'queue' | 'reject';
}

export type AllocationResult =
  | { outcome: 'placed'; session: SessionRecord }
  | { outcome: 'queued'; session: SessionRecord; position: number }
  | { outcome: 'rejected' };

export class LockHeldError extends Error {
  readonly code = 'state-locked';
  readonly holder: LockInfo;
  /** The holder is a dead process on this host. */
  readonly stale: boolean;
  constructor(holder: LockInfo, stale: boolean) {
    super(
      `state is locked by ${holder.operation} (pid ${holder.pid} on ${holder.host}, since ${holder.since}, lock id ${holder.id})` +
        (stale ? '; that process is no longer running: the lock is stale, remove it with `poolform force-unlock ' + holder.id + '`' : ''),
    );
    this.name = 'LockHeldError';
    this.holder = holder;
    this.stale = stale;
  }
}

export interface StateStore {
  /** Lineage and serial. The store creates its lineage (UUID) on first open. */
  meta(): Promise<StateMeta>;
  snapshot(): Promise<Snapshot>;

  listResources(): Promise<ResourceRecord[]>;
  getResource(address: string): Promise<ResourceRecord | undefined>;
  putResource(resource: ResourceRecord): Promise<void>;
  /** Forget a resource (and nothing else). Returns false when it was not there. */
  deleteResource(address: string): Promise<boolean>;

  listServers(): Promise<ServerRecord[]>;
  getServer(id: string): Promise<ServerRecord | undefined>;
  putServer(server: ServerRecord): Promise<void>;
  /**
   * Check-in and progress updates. Runtime data: does NOT bump `serial` (a server
   * checking in must not make a saved plan stale), but allocation sees the new
   * status at once. Returns the updated server, or undefined when unknown.
   */
  updateServerStatus(
    id: string,
    update: { status: ServerStatus; message: string; progress: number; at: string; checkedIn: boolean },
  ): Promise<ServerRecord | undefined>;
  deleteServer(id: string): Promise<boolean>;
  /**
   * Apply's write-back after a VM create: sets the server's address, and its status,
   * message and progress only while no check-in has landed (checked_in_at null), in one
   * atomic statement. A VM that boots fast and checks in (`running`) before apply gets here
   * is never downgraded to `starting`. Returns the server, or undefined when unknown.
   */
  recordServerLaunch(
    id: string,
    update: { ip: string | null; status: ServerStatus; message: string; progress: number; at: string },
  ): Promise<ServerRecord | undefined>;

  /**
   * One transaction: read the pool's usable candidates, let `choose` pick,
   * insert the session. Concurrent calls (across processes, for PostgreSQL
   * across replicas) never exceed a server's limit or give a slot twice.
   *
   * Candidates (oldest server first): enabled servers of the pool in status
   * `running` that could take a session: server pools (capacity null) only
   * when running sessions < max_sessions; docker agents (capacity set)
   * whatever their load. Each comes with its running sessions (staged ones
   * included). The store re-checks the pick with `hasRoom` (state/placement.ts);
   * a pick without room throws PoolformError `placement-invalid` (a chooser bug).
   * Queued sessions have server_id null; positions are FIFO by created_at, then id.
   */
  allocateSession(request: NewSession, choose: PlacementChooser, options: AllocationOptions): Promise<AllocationResult>;
  /**
   * Place queued sessions of a pool in FIFO order while `choose` finds room (stops at the
   * first it cannot place: nobody overtakes the head). Placed sessions get updated_at and
   * last_keepalive_at = now. Returns the sessions placed.
   */
  assignQueued(pool: string, choose: PlacementChooser, now: string): Promise<SessionRecord[]>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Queue position (1-based) of a queued session, else null. */
  queuePosition(id: string): Promise<number | null>;
  listSessions(filter?: { pool?: string; status?: SessionStatus[]; server_id?: string }): Promise<SessionRecord[]>;
  putSession(session: SessionRecord): Promise<void>;
  /** Refreshes last_keepalive_at of a queued/running session; an ended one is returned unchanged. */
  keepalive(id: string, at: string): Promise<SessionRecord | undefined>;
  /** Ends a queued/running session; a session that already ended keeps its first end and is returned unchanged. */
  endSession(id: string, reason: string, at: string, status?: 'ended' | 'failed'): Promise<SessionRecord | undefined>;
  /**
   * Ends running sessions idle past keepaliveMs (`keepalive_timeout`; staged sessions are
   * left alone) and fails queued ones older than queueMs (`queue_timeout`). Returns what changed.
   */
  expireSessions(now: string, keepaliveMs: number, queueMs: number): Promise<SessionRecord[]>;
  /** Running (or queued-for) sessions on a server, read fresh; apply checks this under the lock before a destroy. */
  activeSessionCount(serverId: string): Promise<number>;

  putIntent(intent: IntentRecord): Promise<void>;
  listIntents(): Promise<IntentRecord[]>;
  deleteIntent(id: string): Promise<void>;

  /**
   * Take the state lock. Waits up to `waitMs` (0 = fail at once) then throws LockHeldError.
   * Taking it again with the id already held succeeds (no-op). SQLite: a holder that is a
   * dead process on this host makes it throw at once with `stale: true` (never taken over).
   * PostgreSQL: backed by an advisory lock, so a dead holder's lock is simply free again.
   */
  acquireLock(holder: LockInfo, options: { waitMs: number }): Promise<void>;
  releaseLock(id: string): Promise<void>;
  getLock(): Promise<LockInfo | undefined>;
  /** Remove the lock with this id whoever holds it. Returns false when no such lock. */
  forceUnlock(id: string): Promise<boolean>;

  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** The latest `limit` entries, newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;

  getHistory(): Promise<Record<string, AutoscaleHistory>>;
  putHistory(key: string, history: AutoscaleHistory): Promise<void>;

  /** A named secret generated once and kept (e.g. the check-in JWT signing key). */
  getOrCreateSecret(name: string, generate: () => string): Promise<string>;

  /**
   * Leader lease for several `serve` replicas. Returns true when `holder`
   * holds the lease named `name` until now + ttlMs (acquired or renewed).
   */
  tryAcquireLease(name: string, holder: string, ttlMs: number, now: string): Promise<boolean>;
  getLease(name: string): Promise<{ holder: string; expires_at: string } | undefined>;

  close(): Promise<void>;
}
