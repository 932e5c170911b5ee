// The embedded default store: one SQLite file (`<stateDir>/poolform.db`)
// through Node's built-in node:sqlite. WAL mode and a busy timeout let
// several processes (a `serve` and a CLI `apply`) share the file: readers
// never block, writers queue (`BEGIN IMMEDIATE`), so every write transaction
// sees the latest committed state and allocation can never over-fill a server.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { PoolformError } from '../util/errors.ts';
import { isHolderDead, sleep } from './lock-liveness.ts';
import { lockFromRow } from './rows.ts';
import type { Row, SqlDriver, SqlRunner, SqlValue } from './sql-driver.ts';
import { createSqlStore, type StateLocker } from './sql-store.ts';
import { LockHeldError, type LockInfo, type StateStore } from './types.ts';

export const SQLITE_FILE_NAME = 'poolform.db';

/** How long a writer waits for another process's write transaction before failing (ms). */
const BUSY_TIMEOUT_MS = 15_000;
/** WAL pages between automatic checkpoints (SQLite's default: 1,000). */
const WAL_CHECKPOINT_PAGES = 10_000;
/** The WAL file is truncated to this size after a checkpoint. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** How often a waiting `acquireLock` looks again. */
const LOCK_POLL_MS = 100;

export interface SqliteStoreOptions {
  /**
   * The database file (e.g. `state/poolform.db`) or a state directory (then
   * `<dir>/poolform.db`; see resolveSqliteFile). `:memory:` for a private in-memory store.
   */
  path: string;
}

/** The database file for a state directory. */
export function sqliteFileFor(stateDir: string): string {
  return join(stateDir, SQLITE_FILE_NAME);
}

/**
 * The database file for `path`: `:memory:` as is; an existing directory, or a
 * path that does not exist and has no file extension, is a state directory
 * (`<dir>/poolform.db`); anything else is the database file itself.
 */
export function resolveSqliteFile(path: string): string {
  if (path === ':memory:') return path;
  try {
    return statSync(path).isDirectory() ? resolve(sqliteFileFor(path)) : resolve(path);
  } catch {
    // Does not exist yet.
  }
  return extname(path) === '' ? resolve(sqliteFileFor(path)) : resolve(path);
}

/**
 * Per database file, the tail of the calls queued on it in this process. All
 * connections to one file in one process share it: a busy wait in SQLite is
 * synchronous, so two in-process connections must never contend inside
 * SQLite (the waiter would block the very thread the holder needs).
 */
const queues = new Map<unknown, Promise<unknown>>();

/**
 * Per database file, the group commits waiting for the end of this turn of
 * the event loop (see SqliteDriver.write). Any other call on the file starts
 * them first, so calls keep their order (a read issued after a write is
 * served after it, as when writes were queued at once), and a loop of reads
 * that never yields to the event loop cannot hold writes back.
 */
const scheduledGroups = new Map<unknown, Set<() => void>>();

function startScheduledGroups(key: unknown): void {
  const starters = scheduledGroups.get(key);
  if (!starters) return;
  scheduledGroups.delete(key);
  for (const start of starters) start();
}

interface Prepared {
  stmt: StatementSync;
  /** Result column names; empty for statements that return no rows. */
  names: string[];
}

function toRow(names: readonly string[], values: readonly unknown[]): Row {
  const row: Row = {};
  for (let j = 0; j < names.length; j++) row[names[j] ?? ''] = values[j];
  return row;
}

interface PendingWrite {
  fn: (tx: SqlRunner) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The event loop's setImmediate as it was when this module loaded: a group
 * commit is I/O scheduling, not a timer, so a test's fake clock
 * (vi.useFakeTimers also fakes setImmediate) must not hold writes back.
 */
const endOfTurn = globalThis.setImmediate;
const cancelEndOfTurn = globalThis.clearImmediate;

/** Write transactions committed together at most (bounds the latency of the first in a group). */
const MAX_GROUP = 64;

/**
 * One connection per store. node:sqlite is synchronous but the store API is
 * async, so calls are serialized through the file's queue: a transaction is
 * never interleaved with another call in this process. Other processes are
 * kept out by SQLite's own locking (BEGIN IMMEDIATE + busy timeout).
 */
class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, Prepared>();
  readonly #file: string;
  /** The key of the file's queue: the path, or this driver for a private in-memory database. */
  readonly #key: unknown;
  readonly #direct: SqlRunner;
  /** Write transactions waiting for the next group commit. */
  readonly #pendingWrites: PendingWrite[] = [];
  /** The group commit scheduled for the end of this turn of the event loop. */
  #flushSoon: NodeJS.Immediate | undefined;

  constructor(file: string) {
    this.#file = file;
    this.#key = file === ':memory:' ? this : file;
    this.#db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    this.#setup(file);
    this.#direct = {
      all: async (sql, params = []) => this.#all(sql, params),
      get: async (sql, params = []) => this.#get(sql, params),
      run: async (sql, params = []) => this.#run(sql, params),
      exec: async (sql) => this.#db.exec(sql),
    };
  }

  #setup(file: string): void {
    if (file !== ':memory:') {
      // Switching to WAL needs a moment of exclusive access; retry while another process opens the same file.
      for (let attempt = 0; ; attempt++) {
        try {
          this.#db.exec('PRAGMA journal_mode = WAL');
          break;
        } catch (err) {
          if (attempt >= 50) throw err;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    }
    this.#db.exec('PRAGMA synchronous = NORMAL');
    // 32 MiB of page cache (default 2 MiB): a 10,000-server state stays in memory.
    this.#db.exec('PRAGMA cache_size = -32768');
    this.#db.exec('PRAGMA foreign_keys = OFF');
    // Checkpoint every 10,000 WAL pages (about 40 MiB) instead of SQLite's 1,000: the API rewrites
    // the same few index pages all the time, and a checkpoint copies each page once however often
    // it was written, so checkpoints ten times rarer copy far fewer pages in all (and sync the
    // database file ten times less often). The WAL file is cut back to 64 MiB after a checkpoint.
    this.#db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    this.#db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }

  #stmt(sql: string): Prepared {
    let prepared = this.#statements.get(sql);
    if (!prepared) {
      const stmt = this.#db.prepare(sql);
      const names = stmt.columns().map((c) => c.name);
      // Rows come back as arrays and become objects here: several times faster than node:sqlite's own objects.
      if (names.length > 0) stmt.setReturnArrays(true);
      prepared = { stmt, names };
      this.#statements.set(sql, prepared);
    }
    return prepared;
  }

  /** Transaction control (BEGIN, COMMIT, SAVEPOINT...) as cached prepared statements: no parse per transaction. */
  #control(sql: string): void {
    this.#stmt(sql).stmt.run();
  }

  #all(sql: string, params: readonly SqlValue[]): Row[] {
    const { stmt, names } = this.#stmt(sql);
    const rows = stmt.all(...params) as unknown as unknown[][];
    const out: Row[] = new Array<Row>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = toRow(names, rows[i] ?? []);
    return out;
  }

  #get(sql: string, params: readonly SqlValue[]): Row | undefined {
    const { stmt, names } = this.#stmt(sql);
    const row = stmt.get(...params) as unknown as unknown[] | undefined;
    return row === undefined ? undefined : toRow(names, row);
  }

  #run(sql: string, params: readonly SqlValue[]): number {
    return Number(this.#stmt(sql).stmt.run(...params).changes);
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const key = this.#key;
    startScheduledGroups(key);
    const result = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = result.catch(() => undefined);
    queues.set(key, tail);
    // Forget an idle queue so the map does not grow with every file ever opened.
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return result;
  }

  async #transaction<T>(begin: string, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    this.#control(begin);
    try {
      const value = await fn(this.#direct);
      this.#control('COMMIT');
      return value;
    } catch (err) {
      if (this.#db.isTransaction) this.#control('ROLLBACK');
      throw err;
    }
  }

  /**
   * One statement outside a transaction: at once when nothing is queued on
   * the file (it is synchronous, so nothing can interleave with it), else in
   * turn behind what is queued. Saves the queue's promise chain on the many
   * small reads of the API.
   */
  #single<T>(fn: () => T): Promise<T> {
    startScheduledGroups(this.#key);
    if (queues.has(this.#key)) return this.#serialized(async () => fn());
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.#single(() => this.#all(sql, params));
  }
  get(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    return this.#single(() => this.#get(sql, params));
  }
  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#single(() => this.#run(sql, params));
  }
  exec(sql: string): Promise<void> {
    return this.#single(() => this.#db.exec(sql));
  }

  /**
   * Group commit: write transactions requested in the same turn of the event
   * loop (the requests whose data arrived together), or while the file is
   * busy, run together in one SQLite transaction, each inside its own
   * savepoint (a failing one rolls back alone), and all of them resolve only
   * after the one COMMIT. Each sees the writes of those before it, exactly as
   * if they had run one after another; a caller learns of success only once
   * its writes are committed. The first write of a group waits for the end
   * of the current turn (setImmediate), not for a timer: a lone write is not
   * delayed by other work. Fewer commits: fewer WAL frames and syscalls (with
   * 10 concurrent API clients, about one commit per five requests).
   */
  write<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pendingWrites.push({ fn, resolve: resolve as (v: unknown) => void, reject } as PendingWrite);
      if (this.#pendingWrites.length === 1) {
        this.#flushSoon = endOfTurn(this.#startFlush);
        let starters = scheduledGroups.get(this.#key);
        if (!starters) {
          starters = new Set();
          scheduledGroups.set(this.#key, starters);
        }
        starters.add(this.#startFlush);
      }
    });
  }

  /** Queues the scheduled group commit on the file now (at the end of the turn, or before another call on the file). */
  readonly #startFlush = (): void => {
    if (this.#flushSoon === undefined) return;
    cancelEndOfTurn(this.#flushSoon);
    this.#flushSoon = undefined;
    scheduledGroups.get(this.#key)?.delete(this.#startFlush);
    void this.#serialized(() => this.#flushWrites());
  };

  async #flushWrites(): Promise<void> {
    const batch = this.#pendingWrites.splice(0, MAX_GROUP);
    if (this.#pendingWrites.length > 0) void this.#serialized(() => this.#flushWrites());
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const only = batch[0] as PendingWrite;
      await this.#transaction('BEGIN IMMEDIATE', only.fn).then(only.resolve, only.reject);
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.#control('BEGIN IMMEDIATE');
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    try {
      for (const w of batch) {
        this.#control('SAVEPOINT group_write');
        try {
          const value = await w.fn(this.#direct);
          this.#control('RELEASE group_write');
          outcomes.push({ ok: true, value });
        } catch (err) {
          if (this.#db.isTransaction) {
            this.#control('ROLLBACK TO group_write');
            this.#control('RELEASE group_write');
          }
          outcomes.push({ ok: false, value: err });
        }
      }
      this.#control('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#control('ROLLBACK');
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.ok) w.resolve(o.value);
      else w.reject(o?.value);
    });
  }

  read<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#serialized(() => this.#transaction('BEGIN', fn));
  }

  withMigrationLock<T>(fn: (driver: Pick<SqlDriver, 'write' | 'all'>) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE already serializes migrating processes; each migration re-checks inside its transaction.
    return fn(this);
  }

  async close(): Promise<void> {
    // Writes requested before close commit first (#serialized starts their group).
    await this.#serialized(async () => {
      this.#statements.clear();
      if (this.#db.isOpen) this.#db.close();
    });
  }
}

/**
 * The state lock as a row, taken in a write transaction. A holder that is a
 * dead process on this host is reported as stale (never silently taken over:
 * the admin decides, with `poolform force-unlock ID`).
 */
class SqliteLocker implements StateLocker {
  readonly #driver: SqliteDriver;

  constructor(driver: SqliteDriver) {
    this.#driver = driver;
  }

  #tryTake(holder: LockInfo): Promise<LockInfo | undefined> {
    return this.#driver.write(async (tx) => {
      const row = await tx.get("SELECT * FROM state_lock WHERE name = 'state'");
      if (row) {
        const current = lockFromRow(row);
        return current.id === holder.id ? undefined : current;
      }
      await tx.run("INSERT INTO state_lock (name, id, operation, pid, host, since, backend_pid) VALUES ('state', ?, ?, ?, ?, ?, NULL)", [
        holder.id,
        holder.operation,
        holder.pid,
        holder.host,
        holder.since,
      ]);
      return undefined;
    });
  }

  async acquire(holder: LockInfo, waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const current = await this.#tryTake(holder);
      if (!current) return;
      // Waiting for a dead process is pointless: say so at once.
      if (isHolderDead(current)) throw new LockHeldError(current, true);
      const left = deadline - Date.now();
      if (left <= 0) throw new LockHeldError(current, false);
      await sleep(Math.min(LOCK_POLL_MS, left));
    }
  }

  async release(id: string): Promise<void> {
    await this.#driver.run("DELETE FROM state_lock WHERE name = 'state' AND id = ?", [id]);
  }

  async get(): Promise<LockInfo | undefined> {
    const row = await this.#driver.get("SELECT * FROM state_lock WHERE name = 'state'");
    return row ? lockFromRow(row) : undefined;
  }

  async forceUnlock(id: string): Promise<boolean> {
    return (await this.#driver.run("DELETE FROM state_lock WHERE name = 'state' AND id = ?", [id])) > 0;
  }

  async close(): Promise<void> {}
}

/** Opens (creating if needed) the SQLite store and applies pending migrations. */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<StateStore> {
  const file = resolveSqliteFile(options.path);
  if (file !== ':memory:') {
    // The database holds the check-in signing key: readable by its owner only.
    // SQLite gives the -wal and -shm files the database file's mode.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  let driver: SqliteDriver;
  try {
    driver = new SqliteDriver(file);
  } catch (cause) {
    throw new PoolformError('state-open-failed', `cannot open the state database ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
  try {
    return await createSqlStore(driver, new SqliteLocker(driver));
  } catch (err) {
    await driver.close().catch(() => undefined);
    if (err instanceof PoolformError) throw err;
    throw new PoolformError('state-open-failed', `cannot open the state database ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
