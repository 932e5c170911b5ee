// The small SQL surface the shared store logic (sql-store.ts) needs from a
// database. SQLite (node:sqlite) and PostgreSQL (pg) each implement it; the
// SQL text itself is shared: it uses `?` placeholders (the PostgreSQL driver
// numbers them), plain types, and `INSERT ... ON CONFLICT` upserts that both
// dialects accept.

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export type Dialect = 'sqlite' | 'postgres';

/** Runs statements; inside a transaction when handed to a transaction callback. */
export interface SqlRunner {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  get(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDriver extends SqlRunner {
  readonly dialect: Dialect;
  /**
   * A write transaction. Writers are serialized: SQLite by `BEGIN IMMEDIATE`
   * (one writer per file, across processes), PostgreSQL by row locks and, when
   * `lockKey` is given, a transaction-scoped advisory lock on that key (so
   * e.g. all allocations for one pool run one at a time across replicas).
   */
  write<T>(fn: (tx: SqlRunner) => Promise<T>, lockKey?: string): Promise<T>;
  /** A read-only transaction that sees one consistent snapshot. */
  read<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding the migration lock, so that several processes
   * starting at once apply each migration exactly once. `fn` gets a driver
   * whose transactions run under that lock.
   */
  withMigrationLock<T>(fn: (driver: Pick<SqlDriver, 'write' | 'all'>) => Promise<T>): Promise<T>;
  /**
   * Optional: a runner on connections of its own for the leader lease
   * (`tryAcquireLease`, `getLease`: single atomic statements, no transaction),
   * so that lease renewals never wait behind allocations and applies for a
   * connection. Absent: they use the driver itself.
   */
  readonly lease?: SqlRunner;
  close(): Promise<void>;
}
