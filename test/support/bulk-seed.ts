// Seeds many servers and sessions into a state database quickly, for scale
// tests and benchmarks: multi-row INSERTs on PostgreSQL (one putServer per
// row would take a round trip each), the store API on SQLite (fast enough
// in-process). The store must have been opened once (migrations applied).
import pg from 'pg';
import { SERVER_COLUMNS, SESSION_COLUMNS, serverParams, sessionParams } from '../../src/state/rows.ts';
import type { ServerRecord, SessionRecord, StateStore } from '../../src/state/types.ts';

const BATCH = 500;

async function insertRows(client: pg.Client, table: string, columns: readonly string[], rows: readonly (string | number | null)[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const values: (string | number | null)[] = [];
    const tuples = chunk.map((r) => `(${r.map((v) => `$${values.push(v)}`).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }
}

/** PostgreSQL: inserts rows directly, then bumps the server version so open stores see the new servers. */
export async function bulkSeedPostgres(url: string, servers: readonly ServerRecord[], sessions: readonly SessionRecord[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await insertRows(client, 'servers', SERVER_COLUMNS, servers.map(serverParams));
    await insertRows(client, 'sessions', SESSION_COLUMNS, sessions.map(sessionParams));
    await client.query('UPDATE state_meta SET serial = serial + 1, server_version = server_version + 1 WHERE id = 1');
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/** Any backend, through the store API. */
export async function seedThroughStore(store: StateStore, servers: readonly ServerRecord[], sessions: readonly SessionRecord[] = []): Promise<void> {
  for (const s of servers) await store.putServer(s);
  for (const s of sessions) await store.putSession(s);
}
