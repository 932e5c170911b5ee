// The shared backend: PostgreSQL through `pg`, for several `serve` replicas
// and CLIs on several machines. Same schema, migrations and store logic as
// SQLite (sql-store.ts); what differs is how writers are serialized and the
// state lock:
// - Migrations run under a session advisory lock, so processes starting at
//   once apply each migration exactly once.
// - Allocation takes a transaction-scoped advisory lock per pool, so
//   concurrent requests on any replica are placed one at a time and no
//   server exceeds its limit.
// - The state lock is a session advisory lock held on a dedicated connection
//   (PostgreSQL releases it if the holder dies) plus a visible row saying who
//   holds it.
// - The leader lease (and the serve wake stamp, a lease too) runs on a small
//   pool of its own, so renewals never wait behind allocations for a connection.
import pg from 'pg';
import { PoolformError } from '../util/errors.ts';
import { sleep } from './lock-liveness.ts';
import { lockFromRow } from './rows.ts';
import type { Row, SqlDriver, SqlRunner, SqlValue } from './sql-driver.ts';
import { createSqlStore, type StateLocker } from './sql-store.ts';
import { LockHeldError, type LockInfo, type StateStore } from './types.ts';

/** Advisory lock namespaces (first key of the two-int form): "pool" and "poo1". */
const LOCK_NS = 0x706f6f6c;
const ALLOC_NS = 0x706f6f31;
/** Second keys inside LOCK_NS. */
const STATE_LOCK_KEY = 1;
const MIGRATION_LOCK_KEY = 2;

const LOCK_POLL_MS = 100;
/** A database that does not answer within this long is reported as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long force-unlock waits for a terminated holder's backend to exit. */
const TERMINATE_WAIT_MS = 5_000;

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. Never logged. */
  url: string;
  /** Connections in the pool (default 10, at least 2: migrating holds one while using another). */
  poolSize?: number;
  /** Connections kept apart for the leader lease (default 1), opened on first use. */
  leasePoolSize?: number;
}

const numbered = new Map<string, string>();

/** `?` placeholders (the shared SQL) to PostgreSQL's `$1, $2, ...`. The shared SQL has no `?` inside literals. */
function toPg(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, out);
  }
  return out;
}

const statementNames = new Map<string, string>();

/**
 * A named (prepared) statement: each connection parses and plans it once and
 * then only binds and executes it. The shared SQL is a fixed set of strings,
 * so the names stay few; the one dynamic statement (listSessions' IN list)
 * has a handful of shapes.
 */
function prepared(sql: string, params: readonly SqlValue[]): pg.QueryConfig {
  const text = toPg(sql);
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `pf${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return { name, text, values: [...params] };
}

/**
 * A prepared statement whose result columns changed under it (a migration by
 * another process added a column to a `SELECT *`): PostgreSQL refuses to run
 * it again on that connection. The connection is dropped (its statements go
 * with it) and the work is retried once on another.
 */
function isStalePlan(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '0A000' && /cached plan/i.test(String((err as Error).message));
}

/** Runs `fn` on a pooled connection; a stale prepared plan drops the connection and retries once. */
async function onConnection<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    let drop = false;
    try {
      return await fn(client);
    } catch (err) {
      drop = isStalePlan(err);
      if (!drop || attempt > 0) throw err;
    } finally {
      client.release(drop);
    }
  }
}

function pooledRunner(pool: pg.Pool): SqlRunner {
  return {
    all: (sql, params = []) => onConnection(pool, (c) => runnerFor(c).all(sql, params)),
    get: (sql, params = []) => onConnection(pool, (c) => runnerFor(c).get(sql, params)),
    run: (sql, params = []) => onConnection(pool, (c) => runnerFor(c).run(sql, params)),
    exec: (sql) => onConnection(pool, (c) => runnerFor(c).exec(sql)),
  };
}

function runnerFor(client: pg.ClientBase | pg.Pool): SqlRunner {
  return {
    all: async (sql, params = []) => (await client.query(prepared(sql, params))).rows as Row[],
    get: async (sql, params = []) => (await client.query(prepared(sql, params))).rows[0] as Row | undefined,
    run: async (sql, params = []) => (await client.query(prepared(sql, params))).rowCount ?? 0,
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

/** A message for a connection failure that never includes the URL (it may hold a password). */
function connectError(cause: unknown): PoolformError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new PoolformError('state-open-failed', `cannot connect to the PostgreSQL state database: ${detail}`, { cause, retryable: true });
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  /** Lease statements only (see SqlDriver.lease): renewals never queue behind allocations on `pool`. */
  readonly #leasePool: pg.Pool;
  readonly lease: SqlRunner;
  readonly #direct: SqlRunner;

  constructor(options: PostgresStoreOptions) {
    this.pool = new pg.Pool({ connectionString: options.url, max: Math.max(2, options.poolSize ?? 10), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    this.#leasePool = new pg.Pool({ connectionString: options.url, max: Math.max(1, options.leasePoolSize ?? 1), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle connection dropped by the server must not crash the process; the pool reconnects.
    this.pool.on('error', () => undefined);
    this.#leasePool.on('error', () => undefined);
    this.#direct = pooledRunner(this.pool);
    this.lease = pooledRunner(this.#leasePool);
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#direct.all(sql, params);
  }
  get(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.#direct.get(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#direct.run(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.#direct.exec(sql);
  }

  async #transaction<T>(begin: string, fn: (tx: SqlRunner) => Promise<T>, lockKey?: string): Promise<T> {
    try {
      return await this.#transactionOnce(begin, fn, lockKey);
    } catch (err) {
      // Rolled back, and the connection dropped: safe to run the transaction again.
      if (!isStalePlan(err)) throw err;
      return this.#transactionOnce(begin, fn, lockKey);
    }
  }

  async #transactionOnce<T>(begin: string, fn: (tx: SqlRunner) => Promise<T>, lockKey?: string): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query(begin);
      try {
        if (lockKey !== undefined) await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ALLOC_NS, lockKey]);
        const value = await fn(runnerFor(client));
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        if (isStalePlan(err)) broken = true;
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  write<T>(fn: (tx: SqlRunner) => Promise<T>, lockKey?: string): Promise<T> {
    return this.#transaction('BEGIN', fn, lockKey);
  }

  read<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  async withMigrationLock<T>(fn: (driver: Pick<SqlDriver, 'write' | 'all'>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NS, MIGRATION_LOCK_KEY]);
      try {
        return await fn(this);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NS, MIGRATION_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.#leasePool.end()]);
  }
}

/** Only rows whose holder still holds the advisory lock count (a dead holder's row is left behind, harmlessly). */
const LIVE_LOCK_SQL =
  "SELECT l.* FROM state_lock l WHERE l.name = 'state' AND EXISTS (SELECT 1 FROM pg_locks p " +
  "WHERE p.locktype = 'advisory' AND p.granted AND p.classid = ? AND p.objid = ? AND p.objsubid = 2 " +
  'AND p.pid = l.backend_pid AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database()))';

/**
 * The state lock: a session advisory lock on a dedicated connection kept for
 * as long as the lock is held, plus the `state_lock` row naming the holder.
 * If the holder process dies, its connection closes and PostgreSQL frees the
 * lock: nothing is ever stale. `force-unlock` removes the row and terminates
 * the holder's backend, which frees the advisory lock; the holder process
 * then runs on without the lock (as with Terraform, force-unlock is for a
 * holder known to be gone or stuck).
 */
class PostgresLocker implements StateLocker {
  readonly #url: string;
  readonly #driver: PostgresDriver;
  readonly #held = new Map<string, pg.Client>();

  constructor(url: string, driver: PostgresDriver) {
    this.#url = url;
    this.#driver = driver;
  }

  async acquire(holder: LockInfo, waitMs: number): Promise<void> {
    if (this.#held.has(holder.id)) return;
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // Terminated by force-unlock, or the server went away: the lock is gone.
    client.on('error', () => {
      if (this.#held.get(holder.id) === client) this.#held.delete(holder.id);
    });
    try {
      await client.connect();
    } catch (cause) {
      throw connectError(cause);
    }
    try {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const r = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_NS, STATE_LOCK_KEY]);
        if (r.rows[0]?.ok === true) {
          await client.query('BEGIN');
          await client.query("DELETE FROM state_lock WHERE name = 'state'");
          await client.query(
            "INSERT INTO state_lock (name, id, operation, pid, host, since, backend_pid) VALUES ('state', $1, $2, $3, $4, $5, pg_backend_pid())",
            [holder.id, holder.operation, holder.pid, holder.host, holder.since],
          );
          await client.query('COMMIT');
          this.#held.set(holder.id, client);
          return;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          const current = await this.get();
          // Between another holder's advisory lock and its row there is a moment with no row to show.
          throw new LockHeldError(
            current ?? { id: 'unknown', operation: 'unknown', pid: 0, host: 'unknown', since: new Date().toISOString() },
            false,
          );
        }
        await sleep(Math.min(LOCK_POLL_MS, left));
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  async release(id: string): Promise<void> {
    const client = this.#held.get(id);
    if (!client) return;
    this.#held.delete(id);
    try {
      await client.query("DELETE FROM state_lock WHERE name = 'state' AND id = $1", [id]);
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NS, STATE_LOCK_KEY]);
    } finally {
      // Ending the session frees the advisory lock in any case.
      await client.end().catch(() => undefined);
    }
  }

  async get(): Promise<LockInfo | undefined> {
    const row = await this.#driver.get(LIVE_LOCK_SQL, [LOCK_NS, STATE_LOCK_KEY]);
    return row ? lockFromRow(row) : undefined;
  }

  async forceUnlock(id: string): Promise<boolean> {
    if (this.#held.has(id)) {
      await this.release(id);
      return true;
    }
    const row = await this.#driver.get("SELECT * FROM state_lock WHERE name = 'state' AND id = ?", [id]);
    if (!row) return false;
    const backendPid = row['backend_pid'];
    if (backendPid !== null && backendPid !== undefined) {
      // Terminate the holder's session only if it still holds the advisory lock (its pid may be reused otherwise).
      await this.#driver.get(
        "SELECT pg_terminate_backend(p.pid, ?) AS done FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted " +
          'AND p.classid = ? AND p.objid = ? AND p.objsubid = 2 AND p.pid = ? AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())',
        [TERMINATE_WAIT_MS, LOCK_NS, STATE_LOCK_KEY, Number(backendPid)],
      );
    }
    await this.#driver.run("DELETE FROM state_lock WHERE name = 'state' AND id = ?", [id]);
    return true;
  }

  async close(): Promise<void> {
    const clients = [...this.#held.values()];
    this.#held.clear();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

/** A driver on its own (tests drive migrations with it). */
export function createPostgresDriver(options: PostgresStoreOptions): SqlDriver {
  return new PostgresDriver(options);
}

/** Connects, applies pending migrations (safely when several processes start at once) and returns the store. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<StateStore> {
  const driver = new PostgresDriver(options);
  try {
    await driver.get('SELECT 1');
  } catch (cause) {
    await driver.close().catch(() => undefined);
    throw connectError(cause);
  }
  try {
    return await createSqlStore(driver, new PostgresLocker(options.url, driver));
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
}

