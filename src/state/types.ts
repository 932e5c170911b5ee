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

// The domain records live in src/model/; re-exported here so importers of
// state/types.ts keep working.
export type { JsonObject, JsonValue } from '../model/json.ts';
export type { Resources } from '../model/compute.ts';
export type { IntentRecord, ResourceRecord, ResourceType } from '../model/resource.ts';
export type { ServerRecord, ServerStatus } from '../model/server.ts';
export type { SessionRecord, SessionStatus } from '../model/session.ts';
export type { AutoscaleHistory } from '../model/autoscale-history.ts';
export type { Snapshot, StateMeta } from '../model/snapshot.ts';
import type { JsonObject } from '../model/json.ts';
import type { Resources } from '../model/compute.ts';
import type { IntentRecord, ResourceRecord } from '../model/resource.ts';
import type { ServerRecord, ServerStatus } from '../model/server.ts';
import type { SessionRecord, SessionStatus } from '../model/session.ts';
import type { AutoscaleHistory } from '../model/autoscale-history.ts';
import type { BootSample, IdleLevel, IdleTotals } from '../model/capacity-usage.ts';
import type { Snapshot, StateMeta } from '../model/snapshot.ts';

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
  /** A targeted request: only this server may take it (the chooser enforces it; queued ones remember it). */
  target_server_id?: string | null;
}

/**
 * Chooses a server for a request among the pool's candidates, or null when none has room.
 * Pure; the store offers the candidates from its capacity index (usable servers that could
 * take a session), re-checks the pick in the database and asks again if it lost a race. A
 * chooser may carry an indexed path (capacity-index.ts, withIndexedPath) that decides without
 * listing the pool.
 */
export type PlacementChooser = (candidates: readonly PlacementCandidate[], request: NewSession) => string | null;

export interface AllocationOptions {
  /** What to do when the chooser finds no room: queue the request (aggressive scaling) or reject it. */
  onNoCapacity: 'queue' | 'reject';
}

export type AllocationResult =
  /**
   * `server`: the server as the store knew it when placing (its capacity index: current
   * with every server write of this process, and re-checked in the database for the
   * placement itself), so the caller need not read it again; absent when the store does
   * not have it at hand.
   */
  | { outcome: 'placed'; session: SessionRecord; server?: ServerRecord }
  | { outcome: 'queued'; session: SessionRecord; position: number }
  | { outcome: 'rejected' };

/** What a client's request to end its session did (SessionStore.endSessionAs). */
export type ClientEndResult =
  /** No such session, a staged one, or one the caller may not see. */
  | { outcome: 'not_found' }
  /** It had already ended or failed: returned unchanged (DELETE is idempotent). */
  | { outcome: 'unchanged'; session: SessionRecord }
  /**
   * It ended now. `previous`: what it was. `server`: the server it ran on: for a reusable
   * server still running (as committed) the placement index's record (its runtime fields,
   * e.g. progress, may lag), else as read in the same transaction; undefined when queued or gone.
   * `queuedInPool`: whether its pool had queued requests when it ended.
   */
  | { outcome: 'ended'; session: SessionRecord; previous: 'queued' | 'running'; server: ServerRecord | undefined; queuedInPool: boolean };

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

// The store is composed from role interfaces; a consumer (or a test fake) takes only
// the role it needs, e.g. `store: LeaseStore` or `Pick<SessionStore, 'assignQueued'>`.

/** Infrastructure state (resources, servers, intents, autoscale history): what plan and apply read and write. Mutations bump `serial` (see the top of this file). */
export interface InfrastructureStore {
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

  putIntent(intent: IntentRecord): Promise<void>;
  listIntents(): Promise<IntentRecord[]>;
  deleteIntent(id: string): Promise<void>;

  getHistory(): Promise<Record<string, AutoscaleHistory>>;
  putHistory(key: string, history: AutoscaleHistory): Promise<void>;
}

/** User sessions: allocation, the queue, keepalives, expiry. Runtime data: never bumps `serial`. */
export interface SessionStore {
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
   * A client ends its session (DELETE /api/v1/sessions/:id), in one write transaction and
   * usually one statement: the session ends when it is queued or running, not staged, and
   * `owner` created it (`owner` null: any key may, an admin). What the caller does next
   * (single-use retirement, the queue, a drained server) needs no further read; see ClientEndResult.
   */
  endSessionAs(id: string, owner: string | null, reason: string, at: string): Promise<ClientEndResult>;
  /**
   * Ends running sessions idle past keepaliveMs (`keepalive_timeout`; staged sessions are
   * left alone) and fails queued ones older than queueMs (`queue_timeout`). Returns what changed.
   */
  expireSessions(now: string, keepaliveMs: number, queueMs: number): Promise<SessionRecord[]>;
  /** Running (or queued-for) sessions on a server, read fresh; apply checks this under the lock before a destroy. */
  activeSessionCount(serverId: string): Promise<number>;
}

/** The state lock that serialises plan/apply runs. */
export interface LockStore {
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
}

/** Named leases (leader election of `serve` replicas, the wake-up row). */
export interface LeaseStore {
  /**
   * Leader lease for several `serve` replicas. Returns true when `holder`
   * holds the lease named `name` until now + ttlMs (acquired or renewed).
   */
  tryAcquireLease(name: string, holder: string, ttlMs: number, now: string): Promise<boolean>;
  getLease(name: string): Promise<{ holder: string; expires_at: string } | undefined>;
}

/** The audit log. */
export interface AuditStore {
  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** The latest `limit` entries, newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;
}

/** Capacity usage history (boot samples, idle time) for prewarming and reports. */
export interface UsageStore {
  /**
   * A server's first `running` check-in (prewarm: auto). One sample per server
   * (a later one for the same server is ignored); the newest 20 per config are kept.
   */
  recordBoot(sample: BootSample): Promise<void>;
  /** Every kept boot sample, oldest first. */
  listBoots(): Promise<BootSample[]>;
  /**
   * Accrues idle time per config up to `now`: the time since each config's last
   * sample (at most `maxGapMs`: a daemon that was down does not guess) counts at
   * the level that sample saw; then `levels` become the new samples. Kept 48 h.
   */
  accrueIdle(now: string, levels: Readonly<Record<string, IdleLevel>>, maxGapMs: number): Promise<void>;
  /** Idle time per config accrued from `since` (ISO; 5-minute buckets) on. */
  idleTotals(since: string): Promise<Record<string, IdleTotals>>;
}

/** Generated secrets kept in state (e.g. the check-in signing key). */
export interface SecretStore {
  /** A named secret generated once and kept (e.g. the check-in JWT signing key). */
  getOrCreateSecret(name: string, generate: () => string): Promise<string>;
}

/** Everything a backend (SQLite, PostgreSQL) provides. */
export interface StateStore extends InfrastructureStore, SessionStore, LockStore, LeaseStore, AuditStore, UsageStore, SecretStore {
  close(): Promise<void>;
}
