// Session allocation over a SqlDriver, with a per-pool capacity index
// (capacity-index.ts) so that a placement costs the same in a pool of 100
// servers as in one of 10,000.
//
// Contract (both backends, any number of processes on one database):
// - The chooser decides from the index (no read of the pool); the store then
//   re-checks the one chosen server in the database inside the write
//   transaction that inserts the session: the server row is locked
//   (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write transaction is
//   already exclusive), still usable, and its running sessions leave room.
//   Only then is the session inserted. A pick that fails the check (another
//   process filled or changed that server) refreshes that server in the index
//   and the chooser is asked again: the index can make placement uneven for a
//   moment, never over-full.
// - Every writer that puts a running session on a server takes the same row
//   lock first (allocation, queue assignment, putSession), so a count read
//   under the lock is exact on PostgreSQL under READ COMMITTED.
// - The index is kept current by the paths that commit in this process
//   (sessions placed and ended; a server write committed here marks the
//   index behind, and the next pick catches up first). It catches writes of
//   other processes by `state_meta.server_version` (every server write bumps
//   it and stamps the row's `sv`, so a catch-up reads only the servers
//   written since): the placing transaction reads the version in the same
//   statement that inserts, and a newer one marks the index behind. So the
//   common placement reads nothing before it writes, and a pick from an
//   index that missed another process's server write is one the re-check
//   accepts (the server is still usable with room) or refuses (the next
//   candidate is tried). Before answering "no room" the index always catches
//   up (a server another process just added counts), then is rebuilt in full
//   when it was read more than NO_ROOM_REBUILD_MS before the request began;
//   and a full rebuild runs in the background every REBUILD_MS (sessions
//   that other processes ended).
import { PoolformError } from '../util/errors.ts';
import { type IndexedChooser, PoolCapacityIndex } from './capacity-index.ts';
import { hasRoom } from './placement.ts';
import { SESSION_COLUMNS, serverFromRow, sessionFromRow, sessionParams, toMs } from './rows.ts';
import type { SqlDriver, SqlRunner } from './sql-driver.ts';
import type { AllocationOptions, AllocationResult, NewSession, PlacementChooser, Resources, ServerRecord, SessionRecord } from './types.ts';

/** Full rebuild of a pool's index (in the background) at least this often: sessions ended by other processes are seen then. */
export const REBUILD_MS = 60_000;
/** When the index finds no room, rebuild it from the database first unless it is younger than this. */
export const NO_ROOM_REBUILD_MS = 1_000;
/** More servers written since the last refresh than this: rebuild the pool instead of reading them one by one. */
const INCREMENTAL_LIMIT = 64;
/** Picks per request re-checked in the database before giving up (each failed one refreshes that server). */
const MAX_ATTEMPTS = 8;

const INSERT_SESSION = `INSERT INTO sessions (${SESSION_COLUMNS.join(', ')}) VALUES (${SESSION_COLUMNS.map(() => '?').join(', ')})`;
/**
 * SQLite's one-statement placement on a server of a server pool: inserted only while the server
 * is usable and has fewer running sessions than its limit (the write transaction is exclusive,
 * so the count cannot change under it). 0 rows: full, changed, or a docker agent: the caller
 * reads the server (checkServer).
 */
const INSERT_IF_ROOM =
  `INSERT INTO sessions (${SESSION_COLUMNS.join(', ')}) SELECT ${SESSION_COLUMNS.map(() => '?').join(', ')} ` +
  "WHERE EXISTS (SELECT 1 FROM servers v WHERE v.id = ? AND v.pool = ? AND v.enabled = 1 AND v.status = 'running' AND v.capacity IS NULL " +
  "AND v.max_sessions > (SELECT COUNT(*) FROM sessions c WHERE c.server_id = v.id AND c.status = 'running')) " +
  // The server version in the same statement: no extra read to learn of other processes' server writes.
  'RETURNING (SELECT server_version FROM state_meta WHERE id = 1) AS server_version';
/** PostgreSQL: the row lock first (with the server version); the count after it (READ COMMITTED: a new snapshot that sees the previous holder's commit). */
const LOCK_LIGHT =
  'SELECT pool, enabled, status, max_sessions, capacity, (SELECT server_version FROM state_meta WHERE id = 1) AS server_version FROM servers WHERE id = ? FOR UPDATE';
const COUNT_RUNNING = "SELECT COUNT(*) AS n FROM sessions WHERE server_id = ? AND status = 'running'";
const RUNNING_ON = "SELECT * FROM sessions WHERE server_id = ? AND status = 'running' ORDER BY created_ms, id";

/**
 * What placement reads of a running session. A full build of a pool's index
 * reads every running session of the pool, so it reads these columns only
 * (several times cheaper than whole rows at 50,000 sessions); the other fields
 * of the records it holds are left blank (timestamps = created_at, nulls).
 */
const PLACEMENT_SESSION_COLUMNS = 'id, pool, user_name, zone, workspace, server_id, staged, resources, created_at';

function placementSession(row: Record<string, unknown>): SessionRecord {
  const created = String(row['created_at']);
  const resources = row['resources'];
  return {
    id: String(row['id']),
    pool: String(row['pool']),
    user: String(row['user_name']),
    zone: row['zone'] === null || row['zone'] === undefined ? null : String(row['zone']),
    workspace: row['workspace'] === null || row['workspace'] === undefined ? null : String(row['workspace']),
    server_id: String(row['server_id']),
    status: 'running',
    resources: typeof resources === 'string' ? (JSON.parse(resources) as Resources) : null,
    staged: Number(row['staged']) === 1,
    staging: null,
    created_at: created,
    updated_at: created,
    last_keepalive_at: created,
    ended_at: null,
    end_reason: null,
    api_key: null,
  };
}

/** A full build: the pool's usable servers, running sessions per server, and the sessions of servers that could take one. */
const USABLE_SERVERS = "SELECT * FROM servers WHERE pool = ? AND enabled = 1 AND status = 'running' ORDER BY created_ms, id";
const RUNNING_COUNTS = "SELECT server_id, COUNT(*) AS n FROM sessions WHERE pool = ? AND status = 'running' AND server_id IS NOT NULL GROUP BY server_id";
const SESSIONS_WITH_ROOM =
  `SELECT ${PLACEMENT_SESSION_COLUMNS} FROM sessions s WHERE s.pool = ? AND s.status = 'running' AND s.server_id IN ` +
  "(SELECT v.id FROM servers v WHERE v.pool = ? AND v.enabled = 1 AND v.status = 'running' AND (v.capacity IS NOT NULL OR " +
  "v.max_sessions > (SELECT COUNT(*) FROM sessions c WHERE c.server_id = v.id AND c.status = 'running'))) ORDER BY s.created_ms, s.id";
export interface Allocator {
  allocate(request: NewSession, choose: PlacementChooser, options: AllocationOptions): Promise<AllocationResult>;
  assignQueued(pool: string, choose: PlacementChooser, now: string): Promise<SessionRecord[]>;
  /** Locks the server row a running session is about to be written on (PostgreSQL), inside the caller's transaction. */
  lockServer(tx: SqlRunner, serverId: string): Promise<void>;
  /** After a commit: a session was written (staged session, upsert). */
  sessionWritten(session: SessionRecord): void;
  /** After a commit: these sessions stopped running. */
  sessionsEnded(sessions: readonly SessionRecord[]): void;
  /** After a commit: a server row was deleted. */
  serverDeleted(id: string): void;
  /** After a commit: this process wrote server rows (placement reads them before its next pick). */
  serversWritten(): void;
  /**
   * The server as the pool's index holds it (usable when indexed), with no read; undefined when
   * the index does not hold it. Its runtime fields (status) may lag a write of another process;
   * its identity and settings (autoscale, reusable) do not change.
   */
  indexedServer(pool: string, serverId: string): ServerRecord | undefined;
}

interface Check {
  ok: boolean;
  /** The database's server version as the placing transaction saw it (when it read it). */
  serverVersion?: number;
  /** The server as the database holds it (undefined: gone), with its running sessions. */
  server?: ServerRecord;
  sessions?: SessionRecord[];
}

async function readServerVersion(tx: Pick<SqlRunner, 'get'>): Promise<number> {
  const row = await tx.get('SELECT server_version FROM state_meta WHERE id = 1');
  if (!row) throw new PoolformError('state-corrupt', 'state has no lineage row (state_meta); the state database is damaged');
  return Number(row['server_version']);
}

async function queuePositionIn(tx: SqlRunner, session: { pool: string; created_at: string; id: string }): Promise<number> {
  const row = await tx.get(
    "SELECT COUNT(*) AS n FROM sessions WHERE pool = ? AND status = 'queued' AND (created_ms < ? OR (created_ms = ? AND id <= ?))",
    [session.pool, toMs(session.created_at), toMs(session.created_at), session.id],
  );
  return Number(row?.['n'] ?? 0);
}

export { queuePositionIn };

export function newSessionRecord(request: NewSession, serverId: string | null): SessionRecord {
  return {
    id: request.id,
    pool: request.pool,
    user: request.user,
    zone: request.zone,
    workspace: request.workspace,
    server_id: serverId,
    status: serverId === null ? 'queued' : 'running',
    resources: request.resources,
    staged: false,
    staging: null,
    created_at: request.now,
    updated_at: request.now,
    last_keepalive_at: request.now,
    ended_at: null,
    end_reason: null,
    api_key: request.api_key,
    // issue 16: a targeted request remembers its server (a queued one is placed there only).
    ...(request.target_server_id ? { target_server_id: request.target_server_id } : {}),
  };
}

/** What a request did before answering "no room" (see pickAndReserve). */
interface NoRoomSteps {
  /** The index read the server version during this request. */
  caughtUp: boolean;
  /** The index was rebuilt in full during this request. */
  done: boolean;
  /** When the request began (caller's clock). */
  startedAt: number;
}

function invalidPick(chosen: string, pool: string): PoolformError {
  return new PoolformError('placement-invalid', `placement chose server ${chosen}, which is not a usable server with room in pool ${pool}`);
}

export function createAllocator(driver: SqlDriver, clock: () => number = Date.now): Allocator {
  const forUpdate = driver.dialect === 'postgres' ? ' FOR UPDATE' : '';
  const lockSql = `SELECT * FROM servers WHERE id = ?${forUpdate}`;
  const indexes = new Map<string, PoolCapacityIndex>();
  const rebuildingInBackground = new Set<string>();
  /** One refresh per pool at a time; concurrent callers share it. */
  const refreshing = new Map<string, { promise: Promise<PoolCapacityIndex>; rebuild: boolean }>();

  async function build(pool: string): Promise<PoolCapacityIndex> {
    // The index is as old as its read, not as its construction (a large pool takes a while to index).
    const readAt = clock();
    // Sessions are read only for servers that could take one (full servers of server pools: a
    // count), so a busy pool of 10,000 servers and 50,000 sessions is indexed without reading them.
    const { version, servers, counts, sessions } = await driver.read(async (tx) => ({
      version: await readServerVersion(tx),
      servers: (await tx.all(USABLE_SERVERS, [pool])).map(serverFromRow),
      counts: await tx.all(RUNNING_COUNTS, [pool]),
      sessions: (await tx.all(SESSIONS_WITH_ROOM, [pool, pool])).map(placementSession),
    }));
    const countOf = new Map<string, number>();
    for (const row of counts) countOf.set(String(row['server_id']), Number(row['n']));
    const byServer = new Map<string, SessionRecord[]>();
    for (const s of sessions) {
      const id = s.server_id ?? '';
      const list = byServer.get(id);
      if (list) list.push(s);
      else byServer.set(id, [s]);
    }
    const idx = new PoolCapacityIndex(pool, version, readAt);
    // Reservations of this process still in flight stay counted.
    for (const p of indexes.get(pool)?.pending() ?? []) idx.reserve(p);
    for (const server of servers) {
      const n = countOf.get(server.id) ?? 0;
      if (server.capacity === null && n >= server.max_sessions) idx.setFullServer(server, n);
      else idx.setServer(server, byServer.get(server.id) ?? []);
    }
    return idx;
  }

  /** Reads again the opaque servers that lost a session (see PoolCapacityIndex.setFullServer). */
  async function reloadStale(idx: PoolCapacityIndex): Promise<void> {
    const ids = idx.staleServers();
    const fresh = await driver.read(async (tx) => {
      const out: { id: string; server?: ServerRecord; sessions: SessionRecord[] }[] = [];
      for (const id of ids) {
        const row = await tx.get('SELECT * FROM servers WHERE id = ?', [id]);
        out.push({ id, ...(row ? { server: serverFromRow(row) } : {}), sessions: row ? (await tx.all(RUNNING_ON, [id])).map(sessionFromRow) : [] });
      }
      return out;
    });
    for (const f of fresh) {
      if (f.server) idx.setServer(f.server, f.sessions);
      else idx.removeServer(f.id);
    }
  }

  /** Reads the servers written since the index's version; null when a rebuild is cheaper. */
  async function catchUp(idx: PoolCapacityIndex): Promise<boolean> {
    const changed = await driver.read(async (tx) => {
      const version = await readServerVersion(tx);
      const rows = await tx.all(`SELECT * FROM servers WHERE pool = ? AND sv > ? LIMIT ${INCREMENTAL_LIMIT + 1}`, [idx.pool, idx.version]);
      if (rows.length > INCREMENTAL_LIMIT) return null;
      const out: { server: ServerRecord; sessions: SessionRecord[] }[] = [];
      for (const row of rows) {
        const server = serverFromRow(row);
        out.push({ server, sessions: (await tx.all(RUNNING_ON, [server.id])).map(sessionFromRow) });
      }
      return { version, out };
    });
    if (changed === null) return false;
    for (const { server, sessions } of changed.out) idx.setServer(server, sessions);
    idx.version = Math.max(idx.version, changed.version);
    return true;
  }

  /** The periodic rebuild runs beside requests (they go on with the current index meanwhile). */
  function rebuildInBackground(pool: string): void {
    if (rebuildingInBackground.has(pool)) return;
    rebuildingInBackground.add(pool);
    void build(pool)
      .then(
        (rebuilt) => {
          const current = indexes.get(pool);
          if (!current || current.builtAt < rebuilt.builtAt) indexes.set(pool, rebuilt);
        },
        () => undefined, // the next request tries again
      )
      .finally(() => rebuildingInBackground.delete(pool));
  }

  /** `rebuildBefore`: rebuild unless the index was built at or after this instant (another caller rebuilt it meanwhile). */
  async function refresh(pool: string, rebuildBefore: number | undefined): Promise<PoolCapacityIndex> {
    let idx = indexes.get(pool);
    if (!idx || (rebuildBefore !== undefined && idx.builtAt < rebuildBefore)) {
      idx = await build(pool);
      indexes.set(pool, idx);
      return idx;
    }
    if (clock() - idx.builtAt >= REBUILD_MS) rebuildInBackground(pool);
    // Cleared before the read: a server write committed while it runs marks the index behind again.
    idx.behind = false;
    const version = await readServerVersion(driver);
    if (version !== idx.version && !(await catchUp(idx))) {
      idx = await build(pool);
      indexes.set(pool, idx);
    }
    if (idx.staleServers().length > 0) await reloadStale(idx);
    return idx;
  }

  /**
   * The pool's index, current with the database's server version (or rebuilt
   * from the database when `rebuild`). One refresh per pool runs at a time;
   * callers arriving meanwhile share it, or the next one.
   */
  function fresh(pool: string, rebuild = false): Promise<PoolCapacityIndex> {
    const running = refreshing.get(pool);
    if (running && (running.rebuild || !rebuild)) return running.promise;
    const rebuildBefore = rebuild ? clock() : undefined;
    const promise: Promise<PoolCapacityIndex> = (running?.promise ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => refresh(pool, rebuildBefore))
      .finally(() => {
        if (refreshing.get(pool)?.promise === promise) refreshing.delete(pool);
      });
    refreshing.set(pool, { promise, rebuild });
    return promise;
  }

  /**
   * The pool's index for a pick: as it is, with no read at all, unless it is
   * missing, behind a server write, has opaque servers that lost a session, or
   * is being refreshed (then it is caught up first; see fresh).
   */
  function current(pool: string): PoolCapacityIndex | Promise<PoolCapacityIndex> {
    const idx = indexes.get(pool);
    if (!idx || idx.behind || refreshing.has(pool) || idx.staleServers().length > 0) return fresh(pool);
    if (clock() - idx.builtAt >= REBUILD_MS) rebuildInBackground(pool);
    return idx;
  }

  /** After a placing transaction: a server version newer than the index's means another process wrote servers. */
  function noteVersion(idx: PoolCapacityIndex, check: Check): void {
    if (check.serverVersion !== undefined && check.serverVersion > idx.version) idx.behind = true;
  }

  function pick(idx: PoolCapacityIndex, choose: PlacementChooser, request: NewSession): string | null {
    // issue 16: a targeted request (target_server_id) goes through the plain chooser, which honours the target.
    const indexed = request.target_server_id ? undefined : (choose as IndexedChooser).indexed;
    return indexed ? indexed(idx, request) : choose(idx.all(), request);
  }

  /** Applies to the pool's current index (and the one the reservation was made on, if replaced since). */
  function settle(idx: PoolCapacityIndex, sessionId: string, committed: boolean): void {
    for (const target of new Set([idx, indexes.get(idx.pool)])) {
      if (!target) continue;
      if (committed) target.commit(sessionId);
      else target.release(sessionId);
    }
  }

  function learn(pool: string, serverId: string, check: Check): void {
    const idx = indexes.get(pool);
    if (!idx) return;
    if (check.server) idx.setServer(check.server, check.sessions ?? []);
    else idx.removeServer(serverId);
  }

  /** Inside a write transaction: lock the server row, read it and its running sessions, and say whether one more session fits. */
  async function checkServer(tx: SqlRunner, serverId: string, pool: string, resources: Resources | null): Promise<Check> {
    const row = await tx.get(lockSql, [serverId]);
    if (!row) return { ok: false };
    const server = serverFromRow(row);
    const sessions = (await tx.all(RUNNING_ON, [serverId])).map(sessionFromRow);
    return { ok: server.pool === pool && hasRoom({ server, sessions }, resources), server, sessions };
  }

  /** Inside a write transaction: inserts the session on its server if it has room (the common case in few statements), else says why not. */
  async function placeOn(tx: SqlRunner, session: SessionRecord, resources: Resources | null): Promise<Check> {
    const serverId = session.server_id ?? '';
    if (driver.dialect === 'sqlite') {
      const inserted = await tx.get(INSERT_IF_ROOM, [...sessionParams(session), serverId, session.pool]);
      if (inserted) return { ok: true, serverVersion: Number(inserted['server_version']) };
    } else {
      const row = await tx.get(LOCK_LIGHT, [serverId]);
      if (row && row['capacity'] === null && String(row['pool']) === session.pool && Number(row['enabled']) === 1 && row['status'] === 'running') {
        const n = Number((await tx.get(COUNT_RUNNING, [serverId]))?.['n'] ?? 0);
        if (n < Number(row['max_sessions'])) {
          await tx.run(INSERT_SESSION, sessionParams(session));
          return { ok: true, serverVersion: Number(row['server_version']) };
        }
      }
    }
    const check = await checkServer(tx, serverId, session.pool, resources);
    if (check.ok) await tx.run(INSERT_SESSION, sessionParams(session));
    return check;
  }

  /** Picks from the index and reserves there; null when the chooser finds no room (after one rebuild if the index was not fresh). */
  async function pickAndReserve(
    pool: string,
    choose: PlacementChooser,
    request: NewSession,
    session: (serverId: string) => SessionRecord,
    rebuilt: NoRoomSteps,
  ): Promise<{ idx: PoolCapacityIndex; session: SessionRecord } | null> {
    for (;;) {
      const idx = indexes.get(pool) ?? (await fresh(pool));
      const chosen = pick(idx, choose, request);
      if (chosen === null) {
        // No room is never answered from an index that has not read the server version during
        // this request: a server another process added or re-enabled counts.
        if (!rebuilt.caughtUp) {
          rebuilt.caughtUp = true;
          idx.behind = true;
          await fresh(pool);
          continue;
        }
        // Rebuild only an index read well before this request began (not one this request waited for).
        if (rebuilt.done || idx.builtAt >= rebuilt.startedAt - NO_ROOM_REBUILD_MS) return null;
        rebuilt.done = true;
        await fresh(pool, true);
        continue;
      }
      const candidate = idx.get(chosen);
      if (!candidate || !hasRoom(candidate, request.resources)) throw invalidPick(chosen, pool);
      const s = session(chosen);
      idx.reserve(s);
      return { idx, session: s };
    }
  }

  const allocator: Allocator = {
    allocate: async (request, choose, options) => {
      const startedAt = clock();
      const idx0 = current(request.pool);
      const rebuilt: NoRoomSteps = { caughtUp: idx0 instanceof Promise, done: false, startedAt };
      await idx0;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const picked = await pickAndReserve(request.pool, choose, request, (id) => newSessionRecord(request, id), rebuilt);
        if (picked === null) break;
        const { idx, session } = picked;
        const serverId = session.server_id ?? '';
        let check: Check;
        try {
          check = await driver.write((tx) => placeOn(tx, session, request.resources));
        } catch (err) {
          settle(idx, session.id, false);
          throw err;
        }
        settle(idx, session.id, check.ok);
        noteVersion(idx, check);
        // The index's record (or the row just read): the caller need not read the server again.
        if (check.ok) return { outcome: 'placed', session, server: check.server ?? idx.get(serverId)?.server };
        learn(request.pool, serverId, check);
      }
      if (options.onNoCapacity === 'reject') return { outcome: 'rejected' };
      const queued = newSessionRecord(request, null);
      // Under the pool's lock: queue positions and assignQueued see queued sessions in one order.
      return driver.write(async (tx) => {
        await tx.run(INSERT_SESSION, sessionParams(queued));
        return { outcome: 'queued' as const, session: queued, position: await queuePositionIn(tx, queued) };
      }, `alloc:${request.pool}`);
    },

    assignQueued: async (pool, choose, now) => {
      // Nothing queued (the common case when a session ends): no write transaction at all. A request
      // queued after this read is placed by the next assignQueued (its own queue event triggers one).
      if (!(await driver.get("SELECT 1 AS q FROM sessions WHERE pool = ? AND status = 'queued' LIMIT 1", [pool]))) return [];
      await fresh(pool);
      const reserved: { idx: PoolCapacityIndex; id: string }[] = [];
      let placed: SessionRecord[];
      try {
        placed = await driver.write(async (tx) => {
          const queued = (await tx.all(`SELECT * FROM sessions WHERE pool = ? AND status = 'queued' ORDER BY created_ms, id`, [pool])).map(sessionFromRow);
          const out: SessionRecord[] = [];
          // No catch-up or rebuild inside the transaction (SQLite: one connection); the index was caught up just before.
          const rebuilt: NoRoomSteps = { caughtUp: true, done: true, startedAt: 0 };
          for (const q of queued) {
            const request: NewSession = {
              id: q.id,
              pool: q.pool,
              user: q.user,
              zone: q.zone,
              workspace: q.workspace,
              resources: q.resources,
              api_key: q.api_key,
              now,
              target_server_id: q.target_server_id ?? null,
            };
            // The keepalive clock starts when the session is handed out, not when it was queued.
            const running = (serverId: string): SessionRecord => ({ ...q, status: 'running', server_id: serverId, updated_at: now, last_keepalive_at: now });
            let done = false;
            for (let attempt = 0; attempt < MAX_ATTEMPTS && !done; attempt++) {
              const picked = await pickAndReserve(pool, choose, request, running, rebuilt);
              // issue 16: a targeted request waits for its own server only; it holds up nobody else.
              if (picked === null && q.target_server_id) break;
              if (picked === null) return out; // FIFO: nobody overtakes the head of the queue
              reserved.push({ idx: picked.idx, id: q.id });
              const serverId = picked.session.server_id ?? '';
              const check = await checkServer(tx, serverId, pool, q.resources);
              if (!check.ok) {
                picked.idx.release(q.id);
                reserved.pop();
                learn(pool, serverId, check);
                continue;
              }
              done = true;
              // Still queued? (It may have been ended meanwhile by a request that does not take the pool lock.)
              const n = await tx.run(
                "UPDATE sessions SET status = 'running', server_id = ?, updated_at = ?, last_keepalive_at = ?, last_keepalive_ms = ? WHERE id = ? AND status = 'queued'",
                [serverId, now, now, toMs(now), q.id],
              );
              if (n === 0) {
                picked.idx.release(q.id);
                reserved.pop();
                continue;
              }
              out.push(picked.session);
            }
            if (!done && !q.target_server_id) return out;
          }
          return out;
        }, `alloc:${pool}`);
      } catch (err) {
        for (const r of reserved) settle(r.idx, r.id, false);
        throw err;
      }
      for (const r of reserved) settle(r.idx, r.id, true);
      return placed;
    },

    lockServer: async (tx, serverId) => {
      if (forUpdate !== '') await tx.get(lockSql, [serverId]);
    },

    sessionWritten: (session) => {
      for (const idx of indexes.values()) idx.removeSession(session.id);
      if (session.status === 'running') indexes.get(session.pool)?.addSession(session);
    },

    sessionsEnded: (sessions) => {
      for (const s of sessions) indexes.get(s.pool)?.sessionEnded(s);
    },

    serverDeleted: (id) => {
      for (const idx of indexes.values()) idx.removeServer(id);
    },

    serversWritten: () => {
      for (const idx of indexes.values()) idx.behind = true;
    },

    indexedServer: (pool, serverId) => indexes.get(pool)?.get(serverId)?.server,
  };
  return allocator;
}
