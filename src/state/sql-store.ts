// The StateStore behaviour, written once over a SqlDriver. The backends
// (sqlite-store.ts, postgres-store.ts) supply the driver and the state lock,
// which is the one part that differs in substance between them.
import { randomUUID } from 'node:crypto';
import { PoolformError } from '../util/errors.ts';
import { LIVE_SESSION, migrate } from './migrations.ts';
import type { IdleCursor } from './idle-buckets.ts';
import { IDLE_BUCKET_MS, IDLE_KEEP_MS, idleIncrements } from './idle-buckets.ts';
import { createAllocator, queuePositionIn } from './sql-allocation.ts';
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
  AuditEntry,
  AutoscaleHistory,
  ClientEndResult,
  IntentRecord,
  LockInfo,
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

/** Boot samples kept per autoscale config (prewarm: auto takes the median of the newest 20). */
const BOOT_SAMPLES_KEPT = 20;
const UPSERT_RESOURCE = upsertSql('resources', RESOURCE_COLUMNS, 'address', true);
const UPSERT_SERVER = upsertSql('servers', SERVER_COLUMNS, 'id', true);
const UPSERT_INTENT = upsertSql('intents', ['id', 'address', 'type', 'payload', 'created_at'], 'id', true);
const UPSERT_SESSION = upsertSql('sessions', SESSION_COLUMNS, 'id');
const BUMP_SERIAL = 'UPDATE state_meta SET serial = serial + 1 WHERE id = 1';
/** A change to the servers table that is infrastructure (record created, replaced, removed, address set). */
const BUMP_SERVERS = 'UPDATE state_meta SET serial = serial + 1, server_version = server_version + 1 WHERE id = 1';
/** A runtime change to a server (check-in, progress, status): placement must see it, saved plans must not go stale. */
const BUMP_SERVER_VERSION = 'UPDATE state_meta SET server_version = server_version + 1 WHERE id = 1';
/** After a BUMP_SERVERS / BUMP_SERVER_VERSION: the row remembers the version that wrote it (placement index catch-up reads `sv > seen`). */
const STAMP_SERVER = 'UPDATE servers SET sv = (SELECT server_version FROM state_meta WHERE id = 1) WHERE id = ?';

const SESSION_ORDER = 'ORDER BY created_ms, id';

async function readMeta(tx: SqlRunner): Promise<StateMeta> {
  const row = await tx.get('SELECT lineage, serial FROM state_meta WHERE id = 1');
  if (!row) throw new PoolformError('state-corrupt', 'state has no lineage row (state_meta); the state database is damaged');
  return { lineage: String(row['lineage']), serial: Number(row['serial']) };
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
  const allocator = createAllocator(driver);
  /** A server write that committed (a record came back): placement catches up before its next pick. */
  const afterServerWrite = async (write: Promise<ServerRecord | undefined>): Promise<ServerRecord | undefined> => {
    const server = await write;
    if (server) allocator.serversWritten();
    return server;
  };

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

    putServer: async (server: ServerRecord) => {
      const written = await driver.write(async (tx) => {
        if ((await tx.run(UPSERT_SERVER, serverParams(server))) === 0) return false;
        await tx.run(BUMP_SERVERS);
        await tx.run(STAMP_SERVER, [server.id]);
        return true;
      });
      if (written) allocator.serversWritten();
    },

    updateServerStatus: (id, update) =>
      afterServerWrite(driver.write(async (tx) => {
        const params: SqlValue[] = [update.status, update.message, Math.round(update.progress), update.at];
        let sql = 'UPDATE servers SET status = ?, status_message = ?, status_progress = ?, updated_at = ?';
        if (update.checkedIn) {
          sql += ', checked_in_at = ?';
          params.push(update.at);
        }
        const n = await tx.run(`${sql} WHERE id = ?`, [...params, id]);
        if (n === 0) return undefined;
        await tx.run(BUMP_SERVER_VERSION);
        await tx.run(STAMP_SERVER, [id]);
        const row = await tx.get('SELECT * FROM servers WHERE id = ?', [id]);
        return row ? serverFromRow(row) : undefined;
      })),

    // One conditional statement (atomic in both dialects, no read-modify-write race with a
    // check-in committed by the API in another process): the address always, the status only
    // while no check-in has landed.
    recordServerLaunch: (id, update) =>
      afterServerWrite(driver.write(async (tx) => {
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
        await tx.run(STAMP_SERVER, [id]);
        const row = await tx.get('SELECT * FROM servers WHERE id = ?', [id]);
        return row ? serverFromRow(row) : undefined;
      })),

    deleteServer: async (id) => {
      const deleted = await driver.write(async (tx) => {
        const n = await tx.run('DELETE FROM servers WHERE id = ?', [id]);
        if (n > 0) await tx.run(BUMP_SERVERS);
        return n > 0;
      });
      if (deleted) allocator.serverDeleted(id);
      return deleted;
    },

    // ------------------------------------------------------------ sessions

    // Placement through the capacity index; see sql-allocation.ts for the contract.
    allocateSession: (request, choose, options) => allocator.allocate(request, choose, options),

    assignQueued: (pool, choose, now) => allocator.assignQueued(pool, choose, now),

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
        // Live statuses only: the per-server index (live sessions) applies.
        if (filter.status !== undefined && filter.status.every((st) => st === 'queued' || st === 'running')) where.push(LIVE_SESSION);
      }
      const sql = `SELECT * FROM sessions${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ${SESSION_ORDER}`;
      return (await driver.all(sql, params)).map(sessionFromRow);
    },

    // Under the pool's allocation lock: a staged session written by the reconciler and a
    // user allocation on another replica are serialized, so the allocation counts it.
    // The server row is locked too (PostgreSQL), like every writer that puts a running session on a server.
    putSession: async (session) => {
      await driver.write(async (tx) => {
        if (session.server_id !== null && session.status === 'running') await allocator.lockServer(tx, session.server_id);
        await tx.run(UPSERT_SESSION, sessionParams(session));
      }, `alloc:${session.pool}`);
      allocator.sessionWritten(session);
    },

    keepalive: (id, at) =>
      driver.write(async (tx) => {
        await tx.run(
          "UPDATE sessions SET last_keepalive_at = ?, last_keepalive_ms = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')",
          [at, toMs(at), at, id],
        );
        const row = await tx.get('SELECT * FROM sessions WHERE id = ?', [id]);
        return row ? sessionFromRow(row) : undefined;
      }),

    endSession: async (id, reason, at, status = 'ended') => {
      const { n, session } = await driver.write(async (tx) => {
        // A session that already ended keeps its first end (idempotent DELETE).
        const changed = await tx.get(
          "UPDATE sessions SET status = ?, end_reason = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running') RETURNING *",
          [status, reason, at, at, id],
        );
        if (changed) return { n: 1, session: sessionFromRow(changed) };
        const row = await tx.get('SELECT * FROM sessions WHERE id = ?', [id]);
        return { n: 0, session: row ? sessionFromRow(row) : undefined };
      });
      if (n > 0 && session) allocator.sessionsEnded([session]);
      return session;
    },

    endSessionAs: async (id, owner, reason, at) => {
      const result = await driver.write(async (tx): Promise<ClientEndResult> => {
        const row = await tx.get(
          "UPDATE sessions SET status = 'ended', end_reason = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running') AND staged = 0 AND (? = 1 OR api_key = ?) " +
            // The server's status as committed, in the same statement: whether the index's record of it will do.
            'RETURNING *, (SELECT v.status FROM servers v WHERE v.id = sessions.server_id) AS server_status',
          [reason, at, at, id, owner === null ? 1 : 0, owner ?? ''],
        );
        if (!row) {
          const existing = await tx.get('SELECT * FROM sessions WHERE id = ?', [id]);
          const session = existing ? sessionFromRow(existing) : undefined;
          if (!session || session.staged || (owner !== null && session.api_key !== owner)) return { outcome: 'not_found' };
          // Queued or running but not changed: impossible inside this transaction; ended or failed: as it is.
          return { outcome: 'unchanged', session };
        }
        const session = sessionFromRow(row);
        // Queued sessions have no server yet; running ones always have theirs.
        if (session.server_id === null) return { outcome: 'ended', session, previous: 'queued', server: undefined, queuedInPool: true };
        const indexed = allocator.indexedServer(session.pool, session.server_id);
        // A reusable server that is still running needs nothing more (no retirement, no drain to finish):
        // the index's record will do. Any other (single-use, draining, failed, gone) is read here.
        const server =
          indexed?.reusable && row['server_status'] === 'running'
            ? indexed
            : await tx.get('SELECT * FROM servers WHERE id = ?', [session.server_id]).then((r) => (r ? serverFromRow(r) : undefined));
        const queued = await tx.get("SELECT 1 AS q FROM sessions WHERE pool = ? AND status = 'queued' LIMIT 1", [session.pool]);
        return { outcome: 'ended', session, previous: 'running', server, queuedInPool: queued !== undefined };
      });
      if (result.outcome === 'ended') allocator.sessionsEnded([result.session]);
      return result;
    },

    expireSessions: async (now, keepaliveMs, queueMs) => {
      const expired = await driver.write(async (tx) => {
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
      });
      allocator.sessionsEnded(expired);
      return expired;
    },

    activeSessionCount: async (serverId) => {
      const row = await driver.get(`SELECT COUNT(*) AS n FROM sessions WHERE server_id = ? AND ${LIVE_SESSION}`, [serverId]);
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

    // ------------------------------------------------------------ boot times, idle usage (capacity-usage.ts)

    recordBoot: (b) =>
      driver.write(async (tx) => {
        const key = `${b.pool}/${b.autoscale}`;
        const n = await tx.run(
          'INSERT INTO boot_times (server_id, config_key, created_at, running_at, running_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (server_id) DO NOTHING',
          [b.server_id, key, b.created_at, b.running_at, toMs(b.running_at)],
        );
        if (n === 0) return;
        await tx.run(
          'DELETE FROM boot_times WHERE config_key = ? AND server_id NOT IN ' +
            '(SELECT server_id FROM (SELECT server_id FROM boot_times WHERE config_key = ? ORDER BY running_ms DESC, server_id DESC LIMIT ?) AS newest)',
          [key, key, BOOT_SAMPLES_KEPT],
        );
      }),

    listBoots: async () =>
      (await driver.all('SELECT * FROM boot_times ORDER BY running_ms, server_id')).map((row) => {
        const key = String(row['config_key']);
        const slash = key.indexOf('/');
        return {
          pool: key.slice(0, slash),
          autoscale: key.slice(slash + 1),
          server_id: String(row['server_id']),
          created_at: String(row['created_at']),
          running_at: String(row['running_at']),
        };
      }),

    accrueIdle: (now, levels, maxGapMs) =>
      driver.write(async (tx) => {
        const nowMs = toMs(now);
        const cursors = new Map<string, IdleCursor>();
        for (const row of await tx.all('SELECT * FROM idle_cursor')) {
          cursors.set(String(row['config_key']), { at_ms: Number(row['at_ms']), servers: Number(row['idle_servers']), cores: Number(row['idle_cores']) });
        }
        for (const [key, cursor] of cursors) {
          for (const inc of idleIncrements(cursor, nowMs, maxGapMs)) {
            await tx.run(
              'INSERT INTO idle_usage (config_key, bucket_ms, idle_server_ms, idle_core_ms) VALUES (?, ?, ?, ?) ' +
                'ON CONFLICT (config_key, bucket_ms) DO UPDATE SET idle_server_ms = idle_usage.idle_server_ms + excluded.idle_server_ms, ' +
                'idle_core_ms = idle_usage.idle_core_ms + excluded.idle_core_ms',
              [key, inc.bucket_ms, inc.server_ms, inc.core_ms],
            );
          }
        }
        // A sample older than now (a clock that went back) is not replaced by an earlier one.
        for (const [key, level] of Object.entries(levels)) {
          const previous = cursors.get(key);
          if (previous && previous.at_ms > nowMs) continue;
          await tx.run(
            'INSERT INTO idle_cursor (config_key, at_ms, idle_servers, idle_cores) VALUES (?, ?, ?, ?) ' +
              'ON CONFLICT (config_key) DO UPDATE SET at_ms = excluded.at_ms, idle_servers = excluded.idle_servers, idle_cores = excluded.idle_cores',
            [key, nowMs, level.servers, level.cores],
          );
        }
        // Configs no longer sampled stop accruing.
        for (const key of cursors.keys()) if (!(key in levels)) await tx.run('DELETE FROM idle_cursor WHERE config_key = ?', [key]);
        await tx.run('DELETE FROM idle_usage WHERE bucket_ms < ?', [nowMs - IDLE_KEEP_MS]);
      }),

    idleTotals: async (since) => {
      const out: Record<string, { server_ms: number; core_ms: number }> = {};
      const rows = await driver.all(
        'SELECT config_key, SUM(idle_server_ms) AS server_ms, SUM(idle_core_ms) AS core_ms FROM idle_usage WHERE bucket_ms >= ? GROUP BY config_key ORDER BY config_key',
        [Math.floor(toMs(since) / IDLE_BUCKET_MS) * IDLE_BUCKET_MS],
      );
      for (const row of rows) out[String(row['config_key'])] = { server_ms: Number(row['server_ms'] ?? 0), core_ms: Number(row['core_ms'] ?? 0) };
      return out;
    },

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
