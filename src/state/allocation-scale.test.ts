// Allocation at scale: 10,000 servers, 1,000 concurrent requests, through two
// store handles (two replicas: each has its own capacity index, so one
// handle's picks are stale for the other and the database re-check is what
// keeps the limit). Counts only, never timings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverRecord, session as sessionRecord } from '../../test/fixtures/plan/builders.ts';
import { bulkSeedPostgres, seedThroughStore } from '../../test/support/bulk-seed.ts';
import { requirePostgres, startPostgres, type PostgresServer } from '../../test/support/postgres.ts';
import type { PlacementRules } from '../server/placement.ts';
import { chooseIndexed, choosePlacement } from '../server/placement.ts';
import { withIndexedPath } from './capacity-index.ts';
import { createPostgresStore } from './postgres-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { AllocationResult, NewSession, ServerRecord, SessionRecord, StateStore } from './types.ts';
import { testTimeout } from '../testing/timeouts.ts';

const SERVERS = 10_000;
const REQUESTS = 1_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const rules: PlacementRules = { poolType: 'server', autoscaleActive: () => true, zoneOf: () => null };
const chooser = withIndexedPath(
  (candidates, request) => choosePlacement(candidates, request, rules),
  (view, request) => chooseIndexed(view, request, rules),
);

function servers(maxSessions: number): ServerRecord[] {
  return Array.from({ length: SERVERS }, (_, i) => {
    const id = `srv${String(i).padStart(5, '0')}`;
    const at = new Date(T0 + i * 1000).toISOString();
    return serverRecord(id, { pool: 'desktops', autoscale: 'day', address: `vm.desktops.day.${id}`, max_sessions: maxSessions, created_at: at, updated_at: at });
  });
}

/** One running session on each of the first `count` servers (they are full at max_sessions 1). */
function fill(list: readonly ServerRecord[], count: number): SessionRecord[] {
  return list.slice(0, count).map((s, i) => sessionRecord(`pre${i}`, s.id, { pool: 'desktops', user: `pre${i % 97}`, status: 'running' }));
}

function request(i: number): NewSession {
  return { id: `r${String(i).padStart(4, '0')}`, pool: 'desktops', user: `u${i % 50}`, zone: null, workspace: null, resources: null, api_key: null, now: new Date(T0).toISOString() };
}

async function storm(handles: readonly StateStore[]): Promise<AllocationResult[]> {
  return Promise.all(Array.from({ length: REQUESTS }, (_, i) => (handles[i % handles.length] as StateStore).allocateSession(request(i), chooser, { onNoCapacity: 'reject' })));
}

/** Per server, its running sessions; fails on any server over its limit or any session id twice. */
async function assertExact(store: StateStore, limit: number): Promise<Map<string, number>> {
  const running = await store.listSessions({ status: ['running'] });
  const ids = new Set(running.map((s) => s.id));
  expect(ids.size).toBe(running.length);
  const perServer = new Map<string, number>();
  for (const s of running) perServer.set(s.server_id ?? '', (perServer.get(s.server_id ?? '') ?? 0) + 1);
  const over = [...perServer.entries()].filter(([, n]) => n > limit);
  expect(over).toEqual([]);
  return perServer;
}

function scaleSuite(name: string, open: (servers: ServerRecord[], sessions: SessionRecord[]) => Promise<StateStore[]>): void {
  describe(name, () => {
    it(`${SERVERS} servers, ${REQUESTS} concurrent requests over two handles against 300 free slots: exactly 300 placed, none over its limit, no slot twice`, async () => {
      const list = servers(1);
      const handles = await open(list, fill(list, SERVERS - 300));
      try {
        const results = await storm(handles);
        const placed = results.filter((r) => r.outcome === 'placed');
        expect(placed).toHaveLength(300);
        expect(results.filter((r) => r.outcome === 'rejected')).toHaveLength(REQUESTS - 300);
        const perServer = await assertExact(handles[0] as StateStore, 1);
        expect([...perServer.values()].reduce((a, b) => a + b, 0)).toBe(SERVERS);
        // Each 201 is committed where it says.
        for (const r of placed) {
          if (r.outcome !== 'placed') continue;
          expect(await (handles[1] as StateStore).getSession(r.session.id)).toMatchObject({ status: 'running', server_id: r.session.server_id });
        }
      } finally {
        for (const h of handles) await h.close();
      }
    }, testTimeout(180_000));

    it(`${SERVERS} empty servers of two slots, ${REQUESTS} concurrent requests on one handle: all placed, one per server (spread evenly)`, async () => {
      const [store, ...rest] = await open(servers(2), []);
      for (const h of rest) await h.close();
      const s = store as StateStore;
      try {
        const results = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => s.allocateSession({ ...request(i), user: `solo${i}` }, chooser, { onNoCapacity: 'reject' })));
        expect(results.filter((r) => r.outcome === 'placed')).toHaveLength(REQUESTS);
        const perServer = await assertExact(s, 1);
        expect(perServer.size).toBe(REQUESTS);
      } finally {
        await s.close();
      }
    }, testTimeout(180_000));
  });
}

describe('servers full when the index is built', () => {
  it('are counted without reading their sessions, and take a session (back to its user) once one of theirs ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolform-alloc-full-'));
    try {
      const list = servers(2).slice(0, 3);
      const store = await createSqliteStore({ path: join(dir, 'poolform.db') });
      const pre = list.flatMap((s, i) => [
        sessionRecord(`p${i}a`, s.id, { pool: 'desktops', user: `owner${i}`, status: 'running' }),
        sessionRecord(`p${i}b`, s.id, { pool: 'desktops', user: `other${i}`, status: 'running' }),
      ]);
      await seedThroughStore(store, list, pre);
      // Built now: every server full.
      expect((await store.allocateSession(request(1), chooser, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
      await store.endSession('p0b', 'deleted', new Date(T0).toISOString());
      await store.endSession('p1b', 'deleted', new Date(T0).toISOString());
      // owner1 goes back to srv00001, not to the older srv00000 (affinity: the sessions were read again).
      expect(await store.allocateSession({ ...request(2), user: 'owner1' }, chooser, { onNoCapacity: 'reject' })).toMatchObject({
        outcome: 'placed',
        session: { server_id: 'srv00001' },
      });
      expect(await store.allocateSession(request(3), chooser, { onNoCapacity: 'reject' })).toMatchObject({ outcome: 'placed', session: { server_id: 'srv00000' } });
      expect((await store.allocateSession(request(4), chooser, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
      await assertExact(store, 2);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('allocation at scale', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  scaleSuite('sqlite', async (list, sessions) => {
    const dir = mkdtempSync(join(tmpdir(), 'poolform-alloc-scale-'));
    dirs.push(dir);
    const file = join(dir, 'poolform.db');
    const a = await createSqliteStore({ path: file });
    await seedThroughStore(a, list, sessions);
    return [a, await createSqliteStore({ path: file })];
  });

  const run = requirePostgres();
  describe.skipIf(!run)('postgres', () => {
    let pg: PostgresServer;
    beforeAll(async () => {
      pg = await startPostgres();
    }, testTimeout(60_000));
    afterAll(async () => {
      await pg?.stop();
    });
    scaleSuite('two replicas on one database', async (list, sessions) => {
      const url = await pg.createDatabase();
      const a = await createPostgresStore({ url });
      await bulkSeedPostgres(url, list, sessions);
      return [a, await createPostgresStore({ url })];
    });
  });
});
