// Boot samples and idle usage in the state store, on SQLite and (when a
// PostgreSQL is available, as for postgres-store.test.ts) on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostgres, startPostgres, type PostgresServer } from '../../test/support/postgres.ts';
import { createPostgresStore } from './postgres-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { StateStore } from './types.ts';
import { idleIncrements } from './idle-buckets.ts';

const T0 = Date.parse('2024-03-11T06:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function suite(name: string, open: () => Promise<StateStore>): void {
  describe(name, () => {
    it('keeps one boot sample per server (the first running check-in), the newest 20 per config', async () => {
      const store = await open();
      try {
        for (let i = 0; i < 25; i++) {
          await store.recordBoot({ pool: 'p', autoscale: 'a', server_id: `s${String(i).padStart(2, '0')}`, created_at: iso(i), running_at: iso(i + 10) });
        }
        await store.recordBoot({ pool: 'p', autoscale: 'a', server_id: 's24', created_at: iso(0), running_at: iso(500) }); // a later check-in: ignored
        await store.recordBoot({ pool: 'p', autoscale: 'b/c', server_id: 'x', created_at: iso(0), running_at: iso(7) });
        const boots = await store.listBoots();
        const a = boots.filter((b) => b.autoscale === 'a');
        expect(a).toHaveLength(20);
        expect(a[0]?.server_id).toBe('s05'); // s00–s04 were pruned
        expect(a.at(-1)).toEqual({ pool: 'p', autoscale: 'a', server_id: 's24', created_at: iso(24), running_at: iso(24 + 10) });
        expect(boots.find((b) => b.server_id === 'x')).toMatchObject({ pool: 'p', autoscale: 'b/c' });
      } finally {
        await store.close();
      }
    });

    it('accrues idle server- and core-time between samples, caps gaps and sums from a given instant', async () => {
      const store = await open();
      try {
        await store.accrueIdle(iso(0), { 'p/a': { servers: 3, cores: 0 }, 'd/x': { servers: 1, cores: 4 } }, 15 * 60_000);
        await store.accrueIdle(iso(10), { 'p/a': { servers: 1, cores: 0 }, 'd/x': { servers: 0, cores: 0 } }, 15 * 60_000);
        await store.accrueIdle(iso(70), { 'p/a': { servers: 5, cores: 0 } }, 15 * 60_000); // 60-minute gap: not guessed
        await store.accrueIdle(iso(75), { 'p/a': { servers: 0, cores: 0 } }, 15 * 60_000);
        const totals = await store.idleTotals(iso(-60));
        expect(totals['p/a']).toEqual({ server_ms: (3 * 10 + 5 * 5) * 60_000, core_ms: 0 });
        expect(totals['d/x']).toEqual({ server_ms: 10 * 60_000, core_ms: 4 * 10 * 60_000 });
        // From minute 70 on: only the last 5 minutes.
        expect((await store.idleTotals(iso(70)))['p/a']).toEqual({ server_ms: 5 * 5 * 60_000, core_ms: 0 });
      } finally {
        await store.close();
      }
    });
  });
}

suite('sqlite: boot samples and idle usage', () => createSqliteStore({ path: ':memory:' }));

const pgRun = requirePostgres();
describe.skipIf(!pgRun)('postgres: boot samples and idle usage', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  suite('postgres', async () => createPostgresStore({ url: await server.createDatabase() }));
});

describe('idle buckets', () => {
  it('split an interval over 5-minute buckets at the earlier level; nothing for gaps over the cap or backwards', () => {
    expect(idleIncrements({ at_ms: T0 + 3 * 60_000, servers: 2, cores: 1 }, T0 + 12 * 60_000, 3_600_000)).toEqual([
      { bucket_ms: T0, server_ms: 2 * 2 * 60_000, core_ms: 2 * 60_000 },
      { bucket_ms: T0 + 5 * 60_000, server_ms: 2 * 5 * 60_000, core_ms: 5 * 60_000 },
      { bucket_ms: T0 + 10 * 60_000, server_ms: 2 * 2 * 60_000, core_ms: 2 * 60_000 },
    ]);
    expect(idleIncrements({ at_ms: T0, servers: 2, cores: 0 }, T0 + 61 * 60_000, 3_600_000)).toEqual([]);
    expect(idleIncrements({ at_ms: T0, servers: 2, cores: 0 }, T0 - 1, 3_600_000)).toEqual([]);
    expect(idleIncrements(undefined, T0, 3_600_000)).toEqual([]);
  });
});
