import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostgres, startPostgres, type PostgresServer } from '../../test/support/postgres.ts';
import { MIGRATIONS } from './migrations.ts';
import { newLockInfo } from './lock-holder.ts';
import { createPostgresStore } from './postgres-store.ts';
import { defineStoreSuite, leastLoaded, makeRequest, makeServer } from './store-suite.ts';
import { runChild, startChild } from './testdata/children.ts';
import { LockHeldError } from './types.ts';
import { testTimeout } from '../testing/timeouts.ts';

const run = requirePostgres();

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.skipIf(!run)('postgres', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  defineStoreSuite('postgres store', async () => {
    const url = await server.createDatabase();
    return {
      store: await createPostgresStore({ url }),
      open: () => createPostgresStore({ url }),
    };
  });

  describe('postgres store specifics', () => {
    it('migrations started by three processes at once apply once', async () => {
      const url = await server.createDatabase();
      const startAt = String(Date.now() + 1500);
      const results = (await Promise.all([0, 1, 2].map(() => runChild(['postgres', url, 'migrate', startAt])))) as { applied: number[] }[];
      const applied = results.flatMap((r) => r.applied).sort((a, b) => a - b);
      expect(applied).toEqual([...MIGRATIONS.map((m) => m.version), 1000]);
      const rows = await query(url, 'SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.rows.map((r: { version: number }) => r.version)).toEqual([...MIGRATIONS.map((m) => m.version), 1000]);
      // A store opened afterwards applies nothing more and works.
      const store = await createPostgresStore({ url });
      expect((await store.meta()).serial).toBe(0);
      await store.close();
    }, testTimeout(60_000));

    it('stores opened by several processes at once share one lineage', async () => {
      const url = await server.createDatabase();
      const stores = await Promise.all([0, 1, 2].map(() => createPostgresStore({ url })));
      const lineages = new Set(await Promise.all(stores.map(async (s) => (await s.meta()).lineage)));
      expect(lineages.size).toBe(1);
      for (const s of stores) await s.close();
    });

    it('a lock whose holder process died is free again (PostgreSQL released it)', async () => {
      const url = await server.createDatabase();
      const store = await createPostgresStore({ url });
      try {
        const holder = startChild(['postgres', url, 'hold-forever']);
        const { id } = (await holder.firstLine) as { id: string };
        const err = await store.acquireLock(newLockInfo('apply'), { waitMs: 0 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(LockHeldError);
        expect((err as LockHeldError).holder).toMatchObject({ id, pid: holder.child.pid, operation: 'apply' });
        holder.child.kill('SIGKILL');
        await holder.done.catch(() => undefined);
        const mine = newLockInfo('apply');
        await store.acquireLock(mine, { waitMs: 10_000 });
        expect(await store.getLock()).toEqual(mine);
        await store.releaseLock(mine.id);
      } finally {
        await store.close();
      }
    }, testTimeout(30_000));

    it('force-unlock terminates a live holder in another process and frees the lock', async () => {
      const url = await server.createDatabase();
      const store = await createPostgresStore({ url });
      const holder = startChild(['postgres', url, 'hold-forever']);
      try {
        const { id } = (await holder.firstLine) as { id: string };
        expect(await store.forceUnlock(id)).toBe(true);
        expect(await store.getLock()).toBeUndefined();
        const mine = newLockInfo('apply');
        await store.acquireLock(mine, { waitMs: 2000 });
        expect((await store.getLock())?.id).toBe(mine.id);
      } finally {
        holder.child.kill('SIGKILL');
        await holder.done.catch(() => undefined);
        await store.close();
      }
    }, testTimeout(30_000));

    it('separate processes allocating at once never over-allocate', async () => {
      const url = await server.createDatabase();
      const store = await createPostgresStore({ url });
      try {
        const limits: Record<string, number> = { s1: 2, s2: 3, s3: 5 };
        for (const [id, max] of Object.entries(limits)) await store.putServer(makeServer({ id, max_sessions: max }));
        const startAt = String(Date.now() + 2000);
        const results = (await Promise.all(['a', 'b'].map((p) => runChild(['postgres', url, 'allocate', startAt, '100', p])))) as {
          placed: number;
        }[];
        expect(results.reduce((n, r) => n + r.placed, 0)).toBe(10);
        const running = await store.listSessions({ status: ['running'] });
        expect(running).toHaveLength(10);
        for (const [id, max] of Object.entries(limits)) expect(running.filter((s) => s.server_id === id)).toHaveLength(max);
      } finally {
        await store.close();
      }
    }, testTimeout(60_000));

    it('lease renewals do not wait behind allocations that hold every pool connection', async () => {
      const url = await server.createDatabase();
      const store = await createPostgresStore({ url, poolSize: 2 });
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      try {
        await store.putServer(makeServer({ id: 's1', max_sessions: 10 }));
        // Hold the allocation lock of pool `desktops` (ALLOC_NS "poo1", key alloc:desktops) from outside:
        // three allocations then block, two of them holding both pool connections.
        await blocker.query("SELECT pg_advisory_lock($1, hashtext('alloc:desktops'))", [0x706f6f31]);
        const allocations = ['a', 'b', 'c'].map((id) => store.allocateSession(makeRequest(id), leastLoaded, { onNoCapacity: 'queue' }));
        await new Promise((r) => setTimeout(r, 300));
        const timeout = new Promise<string>((r) => setTimeout(() => r('timed out'), 3000));
        const now = new Date().toISOString();
        expect(await Promise.race([store.tryAcquireLease('leader', 'r1', 10_000, now), timeout])).toBe(true);
        expect(await Promise.race([store.getLease('leader').then((l) => l?.holder), timeout])).toBe('r1');
        await blocker.query("SELECT pg_advisory_unlock($1, hashtext('alloc:desktops'))", [0x706f6f31]);
        expect((await Promise.all(allocations)).map((r) => r.outcome)).toEqual(['placed', 'placed', 'placed']);
      } finally {
        await blocker.end().catch(() => undefined);
        await store.close();
      }
    }, testTimeout(30_000));

    it('refuses to open with a clear error and no password in it when the database is unreachable', async () => {
      const err = await createPostgresStore({ url: 'postgres://poolform:hunter2secret@127.0.0.1:1/nowhere' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'state-open-failed' });
      expect(String((err as Error).message)).not.toContain('hunter2secret');
    });
  });
});
