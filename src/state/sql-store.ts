// The StateStore behaviour, written once over a SqlDriver. The backends
// (sqlite-store.ts, postgres-store.ts) supply the driver and the state lock,
// which is the one part that differs in substance between them.
import { randomUUID } from 'node:crypto';
import { PoolformError } from '../util/errors.ts';
import { migrate } from './migrations.ts';
import { hasRoom, isUsable } from './placement.ts';
import {
  RESOURCE_COLUMNS,
  SERVER_COLUMNS,
  SESSION_COLUMNS,
  auditFromRow,
  HISTORY_COLUMNS,
  historyFromRow,
  historyParams,
  intentFromRow,
  resourceFromRow,
  resourceParams,
  serverFromRow,
  serverParams,
  sessionFromRow,
  sessionParams,
  toMs,
  upsertSql,
} from './rows.ts';
import type { SqlDriver, SqlRunner, SqlValue } from './sql-driver.ts';
import type {
  AllocationOptions,
  AllocationResult,
  AuditEntry,
  AutoscaleHistory,
  IntentRecord,
  LockInfo,
  NewSession,
  PlacementCandidate,
  PlacementChooser,
  ResourceRecord,
  ServerRecord,
  SessionRecord,
  Snapshot,
  StateMeta,
  StateStore,
} from './types.ts';

/** The state lock, implemented per backend. */
export interface StateLocker {
  acquire(holder: LockInfo, waitMs: number): Promise<void>;
  release(id: string): Promise<void>;
  get(): Promise<LockInfo | undefined>;
  forceUnlock(id: string): Promise<boolean>;
  close(): Promise<void>;
}

const UPSERT_RESOURCE = upsertSql('resources', RESOURCE_COLUMNS, 'address', true);
const UPSERT_SERVER = upsertSql('servers', SERVER_COLUMNS, 'id', true);
const UPSERT_INTENT = upsertSql('intents', ['id', 'address', 'type', 'payload', 'created_at'], 'id', true);
const UPSERT_SESSION = upsertSql('sessions', SESSION_COLUMNS, 'id');
const INSERT_SESSION = `INSERT INTO sessions (${SESSION_COLUMNS.join(', ')}) VALUES (${SESSION_COLUMNS.map(() => '?').join(', ')})`;
const BUMP_SERIAL = 'UPDATE state_meta SET serial = serial + 1 WHERE id = 1';
/** A change to the servers table that is infrastructure (record created, replaced, removed, address set). */
const BUMP_SERVERS = 'UPDATE state_meta SET serial = serial + 1, server_version = server_version + 1 WHERE id = 1';
/** A runtime change to a server (check-in, progress, status): placement must see it, saved plans must not go stale. */
const BUMP_SERVER_VERSION = 'UPDATE state_meta SET server_version = server_version + 1 WHERE id = 1';

const SESSION_ORDER = 'ORDER BY created_ms, id';

async function readMeta(tx: SqlRunner): Promise<StateMeta> {
  const row = await tx.get('SELECT lineage, serial FROM state_meta WHERE id = 1');
  if (!row) throw new PoolformError('state-corrupt', 'state has no lineage row (state_meta); the state database is damaged');
  return { lineage: String(row['lineage']), serial: Number(row['serial']) };
}

/**
 * A server is offered only when a session could go there: enabled, running,
 * and (server pools) fewer running sessions than max_sessions. Docker agents
 * (capacity set) are offered whatever their load; the chooser weighs resources.
 * Leaving full servers out keeps allocation cheap in large, busy pools.
 */
const OFFERED =
  "v.pool = ? AND v.enabled = 1 AND v.status = 'running' AND (v.capacity IS NOT NULL OR v.max_sessions > " +
  "(SELECT COUNT(*) FROM sessions c WHERE c.server_id = v.id AND c.status = 'running'))";

/**
 * The usable servers of each pool, as of a server version. Every write to the
 * servers table (check-ins included, which do not bump the serial) bumps
 * `state_meta.server_version` in the same transaction, so while it is
 * unchanged the cached records are exactly what the table holds, and an
 * allocation reads one small row instead of every server of the pool.
 * Records are frozen: choosers see them but must not change them.
 */
type ServerCache = Map<string, { version: number; servers: readonly ServerRecord[] }>;

async function readServerVersion(tx: SqlRunner): Promise<number> {
  const row = await tx.get('SELECT server_version FROM state_meta WHERE id = 1');
  if (!row) throw new PoolformError('state-corrupt', 'state has no lineage row (state_meta); the state database is damaged');
  return Number(row['server_version']);
}

async function usableServers(tx: SqlRunner, pool: string, cache: ServerCache): Promise<readonly ServerRecord[]> {
  const version = await readServerVersion(tx);
  const hit = cache.get(pool);
  if (hit && hit.version === version) return hit.servers;
  const servers = (
    await tx.all("SELECT * FROM servers WHERE pool = ? AND enabled = 1 AND status = 'running' ORDER BY created_ms, id", [pool])
  ).map((row) => Object.freeze(serverFromRow(row)));
  cache.set(pool, { version, servers });
  return servers;
}

/** The pool's servers that could take a session, with their running sessions, read inside the caller's transaction. */
async function readCandidates(tx: SqlRunner, pool: string, cache: ServerCache): Promise<PlacementCandidate[]> {
  const servers = await usableServers(tx, pool, cache);
  if (servers.length === 0) return [];
  const counts = new Map<string, number>();
  for (const row of await tx.all(
    "SELECT s.server_id AS id, COUNT(*) AS n FROM sessions s JOIN servers v ON v.id = s.server_id WHERE v.pool = ? AND s.status = 'running' GROUP BY s.server_id",
    [pool],
  )) {
    counts.set(String(row['id']), Number(row['n']));
  }
  const byId = new Map<string, PlacementCandidate>();
  for (const server of servers) {
    if (server.capacity === null && (counts.get(server.id) ?? 0) >= server.max_sessions) continue;
    byId.set(server.id, { server, sessions: [] });
  }
  if (byId.size > 0 && counts.size > 0) {
    const sessions = await tx.all(
      `SELECT s.* FROM sessions s WHERE s.status = 'running' AND s.server_id IN (SELECT v.id FROM servers v WHERE ${OFFERED}) ORDER BY s.created_ms, s.id`,
      [pool],
    );
    for (const row of sessions) {
      const session = sessionFromRow(row);
      if (session.server_id !== null) byId.get(session.server_id)?.sessions.push(session);
    }
  }
  return [...byId.values()];
}

/** The store re-checks the chooser's pick: a pick without room is a bug in the chooser, never an over-allocation. */
function checkedChoice(candidates: readonly PlacementCandidate[], chosen: string, request: NewSession): PlacementCandidate {
  const candidate = candidates.find((c) => c.server.id === chosen);
  if (!candidate || !isUsable(candidate.server) || !hasRoom(candidate, request.resources)) {
    throw new PoolformError('placement-invalid', `placement chose server ${chosen}, which is not a usable server with room in pool ${request.pool}`);
  }
  return candidate;
}

async function queuePositionIn(tx: SqlRunner, session: { pool: string; created_at: string; id: string }): Promise<number> {
  const row = await tx.get(
    "SELECT COUNT(*) AS n FROM sessions WHERE pool = ? AND status = 'queued' AND (created_ms < ? OR (created_ms = ? AND id <= ?))",
    [session.pool, toMs(session.created_at), toMs(session.created_at), session.id],
  );
  return Number(row?.['n'] ?? 0);
}

function newSessionRecord(request: NewSession, serverId: string | null): SessionRecord {
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
  };
}

/**
 * Builds a StateStore over a driver: applies pending migrations and creates
 * the lineage on first open (both safe when several processes open at once).
 */
export async function createSqlStore(driver: SqlDriver, locker: StateLocker): Promise<StateStore> {
  await migrate(driver);
  await driver.write(async (tx) => {
    await tx.run('INSERT INTO state_meta (id, lineage, serial) VALUES (1, ?, 0) ON CONFLICT (id) DO NOTHING', [randomUUID()]);
  });

  let closed = false;
  const serverCache: ServerCache = new Map();

  const store: StateStore = {
    meta: () => driver.read(readMeta),

    snapshot: () =>
      driver.read(async (tx) => {
        const meta = await readMeta(tx);
        const resources = (await tx.all('SELECT * FROM resources ORDER BY address')).map(resourceFromRow);
        const servers = (await tx.all('SELECT * FROM servers ORDER BY created_ms, id')).map(serverFromRow);
        const sessions = (await tx.all(`SELECT * FROM sessions WHERE status IN ('queued', 'running') ${SESSION_ORDER}`)).map(sessionFromRow);
        const intents = (await tx.all('SELECT * FROM intents ORDER BY created_at, id')).map(intentFromRow);
        const history: Record<string, AutoscaleHistory> = {};
        for (const row of await tx.all('SELECT * FROM autoscale_history ORDER BY key')) history[String(row['key'])] = historyFromRow(row);
        return { ...meta, resources, servers, sessions, intents, history } satisfies Snapshot;
      }),

    // ------------------------------------------------------------ resources

    listResources: async () => (await driver.all('SELECT * FROM resources ORDER BY address')).map(resourceFromRow),

    getResource: async (address) => {
      const row = await driver.get('SELECT * FROM resources WHERE address = ?', [address]);
      return row ? resourceFromRow(row) : undefined;
    },

    // Writing a record identical to the stored one is not a change: serial stays (so a
    // reconcile that re-writes what it read does not make saved plans stale).
    putResource: (resource: ResourceRecord) =>
      driver.write(async (tx) => {
        if ((await tx.run(UPSERT_RESOURCE, resourceParams(resource))) > 0) await tx.run(BUMP_SERIAL);
      }),

    deleteResource: (address) =>
      driver.write(async (tx) => {
        const n = await tx.run('DELETE FROM resources WHERE address = ?', [address]);
        if (n > 0) await tx.run(BUMP_SERIAL);
        return n > 0;
      }),

    // ------------------------------------------------------------ servers

    listServers: async () => (await driver.all('SELECT * FROM servers ORDER BY created_ms, id')).map(serverFromRow),

    getServer: async (id) => {
      const row = await driver.get('SELECT * FROM servers WHERE id = ?', [id]);
      return row ? serverFromRow(row) : undefined;
    },

    putServer: (server: ServerRecord) =>
      driver.write(async (tx) => {
        if ((await tx.run(UPSERT_SERVER, serverParams(server))) > 0) await tx.run(BUMP_SERVERS);
      }),

    updateServerStatus: (id, update) =>
      driver.write(async (tx) => {
        const params: SqlValue[] = [update.status, update.message, Math.round(update.progress), update.at];
        let sql = 'UPDATE servers SET status = ?, status_message = ?, status_progress = ?, updated_at = ?';
        if (update.checkedIn) {
          sql += ', checked_in_at = ?';
          params.push(update.at);
        }
        const n = await tx.run(`${sql} WHERE id = ?`, [...params, id]);
        if (n === 0) return undefined;
        await tx.run(BUMP_SERVER_VERSION);
        const row = await tx.get('SELECT * FROM servers WHERE id = ?', [id]);
        return row ? serverFromRow(row) : undefined;
      }),

    // One conditional statement (atomic in both dialects, no read-modify-write race with a
    // check-in committed by the API in another process): the address always, the status only
    // while no check-in has landed.
    recordServerLaunch: (id, update) =>
      driver.write(async (tx) => {
        const n = await tx.run(
          `UPDATE servers SET ip = ?, updated_at = ?,
             status = CASE WHEN checked_in_at IS NULL THEN ? ELSE status END,
             status_message = CASE WHEN checked_in_at IS NULL THEN ? ELSE status_message END,
             status_progress = CASE WHEN checked_in_at IS NULL THEN ? ELSE status_progress END
           WHERE id = ?`,
          [update.ip, update.at, update.status, update.message, Math.round(update.progress), id],
        );
        if (n === 0) return undefined;
        await tx.run(BUMP_SERVERS);
        const row = await tx.get('SELECT * FROM servers WHERE id = ?', [id]);
        return row ? serverFromRow(row) : undefined;
      }),

    deleteServer: (id) =>
      driver.write(async (tx) => {
        const n = await tx.run('DELETE FROM servers WHERE id = ?', [id]);
        if (n > 0) await tx.run(BUMP_SERVERS);
        return n > 0;
      }),

    // ------------------------------------------------------------ sessions

    allocateSession: (request: NewSession, choose: PlacementChooser, options: AllocationOptions) =>
      driver.write(async (tx): Promise<AllocationResult> => {
        const candidates = await readCandidates(tx, request.pool, serverCache);
        const chosen = choose(candidates, request);
        if (chosen !== null) {
          checkedChoice(candidates, chosen, request);
          const session = newSessionRecord(request, chosen);
          await tx.run(INSERT_SESSION, sessionParams(session));
          return { outcome: 'placed', session };
        }
        if (options.onNoCapacity === 'reject') return { outcome: 'rejected' };
        const session = newSessionRecord(request, null);
        await tx.run(INSERT_SESSION, sessionParams(session));
        return { outcome: 'queued', session, position: await queuePositionIn(tx, session) };
      }, `alloc:${request.pool}`),

    assignQueued: (pool, choose, now) =>
      driver.write(async (tx) => {
        const queued = (await tx.all(`SELECT * FROM sessions WHERE pool = ? AND status = 'queued' ${SESSION_ORDER}`, [pool])).map(sessionFromRow);
        if (queued.length === 0) return [];
        const candidates = await readCandidates(tx, pool, serverCache);
        const placed: SessionRecord[] = [];
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
          };
          const chosen = choose(candidates, request);
          if (chosen === null) break; // FIFO: nobody overtakes the head of the queue
          const candidate = checkedChoice(candidates, chosen, request);
          // The keepalive clock starts when the session is handed out, not when it was queued.
          const session: SessionRecord = { ...q, status: 'running', server_id: chosen, updated_at: now, last_keepalive_at: now };
          // Still queued? (It may have been ended meanwhile by a request that does not take the pool lock.)
          const n = await tx.run(
            "UPDATE sessions SET status = 'running', server_id = ?, updated_at = ?, last_keepalive_at = ?, last_keepalive_ms = ? WHERE id = ? AND status = 'queued'",
            [chosen, now, now, toMs(now), q.id],
          );
          if (n === 0) continue;
          candidate.sessions.push(session);
          placed.push(session);
        }
        return placed;
      }, `alloc:${pool}`),

    getSession: async (id) => {
      const row = await driver.get('SELECT * FROM sessions WHERE id = ?', [id]);
      return row ? sessionFromRow(row) : undefined;
    },

    queuePosition: (id) =>
      driver.read(async (tx) => {
        const row = await tx.get('SELECT * FROM sessions WHERE id = ?', [id]);
        if (!row) return null;
        const session = sessionFromRow(row);
        if (session.status !== 'queued') return null;
        return queuePositionIn(tx, session);
      }),

    listSessions: async (filter = {}) => {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (filter.pool !== undefined) {
        where.push('pool = ?');
        params.push(filter.pool);
      }
      if (filter.status !== undefined) {
        if (filter.status.length === 0) return [];
        where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
        params.push(...filter.status);
      }
      if (filter.server_id !== undefined) {
        where.push('server_id = ?');
        params.push(filter.server_id);
      }
      const sql = `SELECT * FROM sessions${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ${SESSION_ORDER}`;
      return (await driver.all(sql, params)).map(sessionFromRow);
    },

    // Under the pool's allocation lock: a staged session written by the reconciler and a
    // user allocation on another replica are serialized, so the allocation counts it.
    putSession: (session) =>
      driver.write(async (tx) => {
        await tx.run(UPSERT_SESSION, sessionParams(session));
      }, `alloc:${session.pool}`),

    keepalive: (id, at) =>
      driver.write(async (tx) => {
        await tx.run(
          "UPDATE sessions SET last_keepalive_at = ?, last_keepalive_ms = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')",
          [at, toMs(at), at, id],
        );
        const row = await tx.get('SELECT * FROM sessions WHERE id = ?', [id]);
        return row ? sessionFromRow(row) : undefined;
      }),

    endSession: (id, reason, at, status = 'ended') =>
      driver.write(async (tx) => {
        // A session that already ended keeps its first end (idempotent DELETE).
        await tx.run(
          "UPDATE sessions SET status = ?, end_reason = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')",
          [status, reason, at, at, id],
        );
        const row = await tx.get('SELECT * FROM sessions WHERE id = ?', [id]);
        return row ? sessionFromRow(row) : undefined;
      }),

    expireSessions: (now, keepaliveMs, queueMs) =>
      driver.write(async (tx) => {
        const nowMs = toMs(now);
        const idle = (
          await tx.all(`SELECT * FROM sessions WHERE status = 'running' AND staged = 0 AND last_keepalive_ms < ? ${SESSION_ORDER}`, [nowMs - keepaliveMs])
        ).map(sessionFromRow);
        const stale = (
          await tx.all(`SELECT * FROM sessions WHERE status = 'queued' AND created_ms < ? ${SESSION_ORDER}`, [nowMs - queueMs])
        ).map(sessionFromRow);
        const changed: SessionRecord[] = [];
        // The conditions are repeated in each UPDATE: a keepalive, end or assignment that
        // committed after the SELECT (another replica) wins over the expiry.
        for (const s of idle) {
          const n = await tx.run(
            "UPDATE sessions SET status = 'ended', end_reason = 'keepalive_timeout', ended_at = ?, updated_at = ? WHERE id = ? AND status = 'running' AND last_keepalive_ms < ?",
            [now, now, s.id, nowMs - keepaliveMs],
          );
          if (n > 0) changed.push({ ...s, status: 'ended', end_reason: 'keepalive_timeout', ended_at: now, updated_at: now });
        }
        for (const s of stale) {
          const n = await tx.run(
            "UPDATE sessions SET status = 'failed', end_reason = 'queue_timeout', ended_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
            [now, now, s.id],
          );
          if (n > 0) changed.push({ ...s, status: 'failed', end_reason: 'queue_timeout', ended_at: now, updated_at: now });
        }
        return changed;
      }),

    activeSessionCount: async (serverId) => {
      const row = await driver.get("SELECT COUNT(*) AS n FROM sessions WHERE server_id = ? AND status IN ('queued', 'running')", [serverId]);
      return Number(row?.['n'] ?? 0);
    },

    // ------------------------------------------------------------ intents

    putIntent: (intent: IntentRecord) =>
      driver.write(async (tx) => {
        const n = await tx.run(UPSERT_INTENT, [intent.id, intent.address, intent.type, JSON.stringify(intent.payload), intent.created_at]);
        if (n > 0) await tx.run(BUMP_SERIAL);
      }),

    listIntents: async () => (await driver.all('SELECT * FROM intents ORDER BY created_at, id')).map(intentFromRow),

    deleteIntent: (id) =>
      driver.write(async (tx) => {
        const n = await tx.run('DELETE FROM intents WHERE id = ?', [id]);
        if (n > 0) await tx.run(BUMP_SERIAL);
      }),

    // ------------------------------------------------------------ lock

    acquireLock: (holder, options) => locker.acquire(holder, Math.max(0, options.waitMs)),
    releaseLock: (id) => locker.release(id),
    getLock: () => locker.get(),
    forceUnlock: (id) => locker.forceUnlock(id),

    // ------------------------------------------------------------ audit, history, secrets

    appendAudit: (entries: AuditEntry[]) =>
      driver.write(async (tx) => {
        for (const e of entries) {
          await tx.run('INSERT INTO audit (at, actor, action, address, reason, detail) VALUES (?, ?, ?, ?, ?, ?)', [
            e.at,
            e.actor,
            e.action,
            e.address,
            e.reason,
            e.detail === null ? null : JSON.stringify(e.detail),
          ]);
        }
      }),

    listAudit: async (limit) => {
      if (limit <= 0) return [];
      const rows = await driver.all('SELECT * FROM audit ORDER BY seq DESC LIMIT ?', [Math.floor(limit)]);
      return rows.map(auditFromRow);
    },

    getHistory: async () => {
      const history: Record<string, AutoscaleHistory> = {};
      for (const row of await driver.all('SELECT * FROM autoscale_history ORDER BY key')) history[String(row['key'])] = historyFromRow(row);
      return history;
    },

    putHistory: (key, h) =>
      driver.write(async (tx) => {
        await tx.run(upsertSql('autoscale_history', HISTORY_COLUMNS, 'key'), historyParams(key, h));
      }),

    getOrCreateSecret: async (name, generate) => {
      const existing = await driver.get('SELECT value FROM secrets WHERE name = ?', [name]);
      if (existing) return String(existing['value']);
      const candidate = generate();
      // First writer wins when several processes race; everyone returns the stored value.
      return driver.write(async (tx) => {
        await tx.run('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [name, candidate]);
        const row = await tx.get('SELECT value FROM secrets WHERE name = ?', [name]);
        return String(row?.['value']);
      });
    },

    // ------------------------------------------------------------ leases

    // Leases run on the driver's lease connections when it has them (PostgreSQL), so a
    // renewal never queues behind allocations; each is one atomic statement either way.
    tryAcquireLease: async (name, holder, ttlMs, now) => {
      const nowMs = toMs(now);
      const expiresMs = nowMs + ttlMs;
      // One atomic statement: take a free or expired lease, or renew our own.
      const acquire = (runner: SqlRunner): Promise<number> =>
        runner.run(
          'INSERT INTO leases (name, holder, expires_at, expires_ms) VALUES (?, ?, ?, ?) ' +
            'ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, expires_ms = excluded.expires_ms ' +
            'WHERE leases.expires_ms <= ? OR leases.holder = ?',
          [name, holder, new Date(expiresMs).toISOString(), expiresMs, nowMs, holder],
        );
      const n = driver.lease ? await acquire(driver.lease) : await driver.write(acquire);
      return n > 0;
    },

    getLease: async (name) => {
      const row = await (driver.lease ?? driver).get('SELECT holder, expires_at FROM leases WHERE name = ?', [name]);
      return row ? { holder: String(row['holder']), expires_at: String(row['expires_at']) } : undefined;
    },

    close: async () => {
      if (closed) return;
      closed = true;
      await locker.close();
      await driver.close();
    },
  };
  return store;
}
