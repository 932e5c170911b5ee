// The allocator's view of other processes' writes, with a movable clock: a
// slot freed elsewhere is found once the index is older than
// NO_ROOM_REBUILD_MS; a pick that lost its race elsewhere is re-checked and
// placed on the next server. PostgreSQL (the allocator needs a driver of its
// own per "replica"; the SQLite driver is internal to its store).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostgres, startPostgres, type PostgresServer } from '../../test/support/postgres.ts';
import { createPostgresDriver, createPostgresStore } from './postgres-store.ts';
import { NO_ROOM_REBUILD_MS, createAllocator } from './sql-allocation.ts';
import { leastLoaded, makeRequest, makeServer } from './store-suite.ts';
import type { SqlDriver } from './sql-driver.ts';

const run = requirePostgres();

describe.skipIf(!run)('allocator against writes of other processes (postgres)', () => {
  let pg: PostgresServer;
  const drivers: SqlDriver[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const d of drivers) await d.close();
    await pg?.stop();
  });

  async function setup(): Promise<{ url: string; a: ReturnType<typeof createAllocator>; b: ReturnType<typeof createAllocator>; clock: { now: number }; driver: SqlDriver }> {
    const url = await pg.createDatabase();
    const store = await createPostgresStore({ url });
    await store.putServer(makeServer({ id: 's1', max_sessions: 1 }));
    await store.putServer(makeServer({ id: 's2', max_sessions: 1 }));
    await store.close();
    const clock = { now: 1_000_000 };
    const da = createPostgresDriver({ url });
    const db = createPostgresDriver({ url });
    drivers.push(da, db);
    return { url, a: createAllocator(da, () => clock.now), b: createAllocator(db, () => clock.now), clock, driver: db };
  }

  it('finds a slot another process freed once its index is older than NO_ROOM_REBUILD_MS', async () => {
    const { a, clock, driver } = await setup();
    expect((await a.allocate(makeRequest('x1'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
    expect((await a.allocate(makeRequest('x2'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
    // Another process ends x1 (its index here still counts it).
    await driver.run("UPDATE sessions SET status = 'ended' WHERE id = 'x1'");
    expect((await a.allocate(makeRequest('x3'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
    clock.now += NO_ROOM_REBUILD_MS + 1;
    expect(await a.allocate(makeRequest('x4'), leastLoaded, { onNoCapacity: 'reject' })).toMatchObject({ outcome: 'placed', session: { server_id: 's1' } });
  });

  it('a pick another replica filled meanwhile is re-checked, learnt, and placed elsewhere; never over a limit', async () => {
    const { a, b, url } = await setup();
    // Both replicas build their index while the pool is empty.
    expect(await a.allocate(makeRequest('a1'), leastLoaded, { onNoCapacity: 'reject' })).toMatchObject({ outcome: 'placed', session: { server_id: 's1' } });
    // b's index was built after a1: it picks s2.
    expect(await b.allocate(makeRequest('b1'), leastLoaded, { onNoCapacity: 'reject' })).toMatchObject({ outcome: 'placed', session: { server_id: 's2' } });
    // a still thinks s2 is free: its pick fails the re-check; nothing else has room.
    expect((await a.allocate(makeRequest('a2'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
    // A new server (written by another process: a's index catches up by the server version).
    const other = await createPostgresStore({ url });
    await other.putServer(makeServer({ id: 's3', max_sessions: 1 }));
    await other.allocateSession(makeRequest('o1'), () => 's3', { onNoCapacity: 'reject' });
    await other.putServer(makeServer({ id: 's4', max_sessions: 1 }));
    // a catches up with s3 (full, read with its sessions) and s4; it still thinks s2 is empty:
    // that pick fails the re-check, is learnt, and the session goes to s4.
    expect(await a.allocate(makeRequest('a3'), leastLoaded, { onNoCapacity: 'reject' })).toMatchObject({ outcome: 'placed', session: { server_id: 's4' } });
    const perServer = await other.listSessions({ status: ['running'] });
    expect(perServer.map((x) => x.server_id).sort()).toEqual(['s1', 's2', 's3', 's4']);
    await other.close();
  });
});
