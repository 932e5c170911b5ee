// Prepared statements on PostgreSQL survive a schema change made by another
// process (a newer replica migrating): the stale plan is dropped with its
// connection and the statement or transaction runs again.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostgres, startPostgres, type PostgresServer } from '../../test/support/postgres.ts';
import { createPostgresStore } from './postgres-store.ts';
import { leastLoaded, makeRequest, makeServer } from './store-suite.ts';

const run = requirePostgres();

describe.skipIf(!run)('postgres prepared statements', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('keep working after another process adds a column to a table they read with SELECT *', async () => {
    const url = await server.createDatabase();
    const store = await createPostgresStore({ url, poolSize: 2 });
    try {
      await store.putServer(makeServer({ id: 's1', max_sessions: 3 }));
      expect((await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
      expect(await store.getServer('s1')).toMatchObject({ id: 's1' });
      expect(await store.getSession('a')).toMatchObject({ id: 'a' });
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query('ALTER TABLE servers ADD COLUMN later_column TEXT');
      await admin.query('ALTER TABLE sessions ADD COLUMN later_column TEXT');
      await admin.end();
      // Both pooled connections hold the old plans: each statement meets a stale plan once.
      for (let i = 0; i < 3; i++) {
        expect(await store.getServer('s1')).toMatchObject({ id: 's1' });
        expect(await store.getSession('a')).toMatchObject({ id: 'a' });
      }
      expect(await store.endSession('a', 'deleted', '2026-01-01T00:00:30.000Z')).toMatchObject({ status: 'ended' });
      expect((await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
    } finally {
      await store.close();
    }
  });
});
