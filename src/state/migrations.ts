// Versioned schema migrations, shared by both backends. Each migration is
// applied once, in its own transaction, and recorded in `schema_migrations`.
// Append new migrations at the end; never edit one that has shipped.
//
// The SQL is plain and written once; the few dialect differences are
// placeholders substituted per dialect ({{autoid}}). Timestamps are kept as
// the ISO strings callers gave, plus an integer `*_ms` twin where the store
// compares or orders by time (expiry, FIFO queue).
import type { Dialect, SqlDriver } from './sql-driver.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE state_meta (
  id INTEGER PRIMARY KEY,
  lineage TEXT NOT NULL,
  serial BIGINT NOT NULL
);
CREATE TABLE resources (
  address TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  provider TEXT,
  provider_id TEXT,
  attributes TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE servers (
  id TEXT PRIMARY KEY,
  pool TEXT NOT NULL,
  autoscale TEXT,
  address TEXT NOT NULL,
  hostname TEXT NOT NULL,
  ip TEXT,
  connection_type TEXT,
  connection_port INTEGER,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  status_progress INTEGER NOT NULL,
  max_sessions INTEGER NOT NULL,
  reusable INTEGER NOT NULL,
  capacity TEXT,
  enabled INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_at TEXT NOT NULL,
  checked_in_at TEXT
);
CREATE INDEX servers_pool ON servers (pool, created_ms, id);
CREATE INDEX servers_address ON servers (address);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  pool TEXT NOT NULL,
  user_name TEXT NOT NULL,
  zone TEXT,
  workspace TEXT,
  server_id TEXT,
  status TEXT NOT NULL,
  resources TEXT,
  staged INTEGER NOT NULL,
  staging TEXT,
  created_at TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_at TEXT NOT NULL,
  last_keepalive_at TEXT NOT NULL,
  last_keepalive_ms BIGINT NOT NULL,
  ended_at TEXT,
  end_reason TEXT,
  api_key TEXT
);
CREATE INDEX sessions_pool_status ON sessions (pool, status, created_ms, id);
CREATE INDEX sessions_server_status ON sessions (server_id, status);
CREATE INDEX sessions_status_keepalive ON sessions (status, last_keepalive_ms);
CREATE TABLE intents (
  id TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE state_lock (
  name TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  operation TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  since TEXT NOT NULL,
  backend_pid INTEGER
);
CREATE TABLE audit (
  seq {{autoid}},
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  address TEXT,
  reason TEXT NOT NULL,
  detail TEXT
);
CREATE TABLE autoscale_history (
  key TEXT PRIMARY KEY,
  last_create_at TEXT,
  last_destroy_at TEXT,
  consecutive_failures INTEGER NOT NULL,
  last_failure_at TEXT
);
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  expires_ms BIGINT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'create errors in autoscale history (capacity backoff)',
    sql: `
ALTER TABLE autoscale_history ADD COLUMN create_errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE autoscale_history ADD COLUMN last_create_error_at TEXT;
ALTER TABLE autoscale_history ADD COLUMN last_create_error TEXT;
`,
  },
  {
    // Check-ins change server status without bumping serial (a saved plan must not go stale
    // because a server reported progress); the placement cache needs to see them, so it keys
    // on this counter, bumped by every server write.
    version: 3,
    name: 'server version counter (placement cache) apart from serial',
    sql: `
ALTER TABLE state_meta ADD COLUMN server_version BIGINT NOT NULL DEFAULT 0;
`,
  },
  {
    // Targeted session requests (server_id): a queued one must remember its server across replicas and restarts.
    version: 4,
    name: 'target server of targeted session requests',
    sql: `
ALTER TABLE sessions ADD COLUMN target_server_id TEXT;
`,
  },
  {
    // The placement capacity index (sql-allocation.ts) catches up with servers written by other
    // processes by reading only the rows stamped after the server version it has seen.
    version: 5,
    name: 'server row version stamp (placement index catch-up)',
    sql: `
ALTER TABLE servers ADD COLUMN sv BIGINT NOT NULL DEFAULT 0;
CREATE INDEX servers_pool_sv ON servers (pool, sv);
`,
  },
  {
    // prewarm: auto learns boot times (create → first running check-in, one row per server, the
    // newest 20 per autoscale config kept); idle server-/core-hours per config are accrued in
    // 5-minute buckets from the daemon's rounds (the cursor is the last sample), for /status and /metrics.
    version: 6,
    name: 'boot times and idle usage per autoscale config',
    sql: `
CREATE TABLE boot_times (
  server_id TEXT PRIMARY KEY,
  config_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  running_at TEXT NOT NULL,
  running_ms BIGINT NOT NULL
);
CREATE INDEX boot_times_key ON boot_times (config_key, running_ms);
CREATE TABLE idle_usage (
  config_key TEXT NOT NULL,
  bucket_ms BIGINT NOT NULL,
  idle_server_ms DOUBLE PRECISION NOT NULL,
  idle_core_ms DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (config_key, bucket_ms)
);
CREATE TABLE idle_cursor (
  config_key TEXT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  idle_servers DOUBLE PRECISION NOT NULL,
  idle_cores DOUBLE PRECISION NOT NULL
);
`,
  },
  {
    // Sessions per server, live ones only: the index no longer grows with every session that
    // ever ended, and the live entries share a few pages, so a commit of the session API
    // writes far fewer index pages. Queries must name the predicate's terms literally
    // (SQLite uses a partial index only when the query's WHERE implies the index's):
    // `status = 'running'`, or LIVE_SESSION below.
    version: 7,
    name: 'sessions per server: live sessions only (partial index)',
    sql: `
DROP INDEX sessions_server_status;
CREATE INDEX sessions_server_live ON sessions (server_id, status) WHERE status = 'queued' OR status = 'running';
`,
  },
];

/** The predicate of the partial index sessions_server_live, word for word: queries by server that want it say this. */
export const LIVE_SESSION = "(status = 'queued' OR status = 'running')";

const SUBSTITUTIONS: Record<Dialect, Record<string, string>> = {
  sqlite: { autoid: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { autoid: 'BIGSERIAL PRIMARY KEY' },
};

/** The migration's SQL for one dialect. */
export function migrationSql(migration: Migration, dialect: Dialect): string {
  return migration.sql.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => SUBSTITUTIONS[dialect][name] ?? whole);
}

/**
 * Applies every migration not yet recorded, each in its own transaction,
 * under the driver's migration lock (several processes starting at once
 * apply each migration once). Returns the versions this call applied.
 */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return driver.withMigrationLock(async (locked) => {
    await locked.write(async (tx) => {
      await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    });
    const applied: number[] = [];
    for (const migration of migrations) {
      const did = await locked.write(async (tx) => {
        // Re-checked inside the transaction: another process may have applied it meanwhile.
        const row = await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
        if (row) return false;
        await tx.exec(migrationSql(migration, driver.dialect));
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
        return true;
      });
      if (did) applied.push(migration.version);
    }
    return applied;
  });
}
