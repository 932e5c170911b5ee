// The one store suite: every StateStore behaviour, run against each backend
// (sqlite-store.test.ts, postgres-store.test.ts). A backend passes when this
// suite passes unchanged.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasRoom } from './placement.ts';
import {
  LockHeldError,
  type AuditEntry,
  type LockInfo,
  type NewSession,
  type PlacementChooser,
  type ResourceRecord,
  type ServerRecord,
  type SessionRecord,
  type StateStore,
} from './types.ts';

export interface StoreFixture {
  /** A store on fresh, empty state. */
  store: StateStore;
  /** Opens another, independent handle on the same state (as a second process would). */
  open(): Promise<StateStore>;
  /** Removes what the fixture created; called after every handle is closed. */
  cleanup?(): Promise<void>;
}

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
/** ISO time `s` seconds after a fixed start. */
export function at(s: number): string {
  return new Date(T0 + s * 1000).toISOString();
}

export function makeServer(overrides: Partial<ServerRecord> & { id: string }): ServerRecord {
  return {
    pool: 'desktops',
    autoscale: 'aws',
    address: `vm.desktops.aws.${overrides.id}`,
    hostname: `host-${overrides.id}`,
    ip: '10.0.0.1',
    connection_type: 'rdp',
    connection_port: 3389,
    status: 'running',
    status_message: 'ready',
    status_progress: 100,
    max_sessions: 1,
    reusable: false,
    capacity: null,
    enabled: true,
    created_at: at(0),
    updated_at: at(0),
    checked_in_at: at(0),
    ...overrides,
  };
}

export function makeResource(address: string, overrides: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    address,
    type: 'vm',
    provider: 'local',
    provider_id: `i-${address.length}`,
    attributes: { instance_type: 't3.large', tags: { pool: 'desktops' }, sizes: [1, 2, 3], nested: { ok: true, none: null } },
    status: 'created',
    created_at: at(0),
    updated_at: at(0),
    ...overrides,
  };
}

export function makeRequest(id: string, overrides: Partial<NewSession> = {}): NewSession {
  return { id, pool: 'desktops', user: `user-${id}`, zone: null, workspace: null, resources: null, api_key: 'portal', now: at(10), ...overrides };
}

/** Fewest sessions first, ties to the oldest server (the candidates' order); only servers with room. */
export const leastLoaded: PlacementChooser = (candidates, request) => {
  let best: (typeof candidates)[number] | undefined;
  for (const c of candidates) {
    if (!hasRoom(c, request.resources)) continue;
    if (!best || c.sessions.length < best.sessions.length) best = c;
  }
  return best ? best.server.id : null;
};

const noRoom: PlacementChooser = () => null;

function lockInfo(operation: string, overrides: Partial<LockInfo> = {}): LockInfo {
  return { id: randomUUID(), operation, pid: process.pid, host: hostname(), since: new Date().toISOString(), ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

export function defineStoreSuite(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(name, () => {
    let fx: StoreFixture;
    let store: StateStore;
    let extra: StateStore[] = [];

    /** Another handle on the same state; closed after the test. */
    async function second(): Promise<StateStore> {
      const s = await fx.open();
      extra.push(s);
      return s;
    }

    beforeEach(async () => {
      fx = await makeStore();
      store = fx.store;
      extra = [];
    });

    afterEach(async () => {
      for (const s of extra) await s.close();
      await store.close();
      await fx.cleanup?.();
    });

    // ------------------------------------------------------------ lineage and serial

    describe('lineage and serial', () => {
      it('creates a UUID lineage on first open with serial 0, and keeps it on reopen', async () => {
        const meta = await store.meta();
        expect(meta.lineage).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(meta.serial).toBe(0);
        const other = await second();
        expect(await other.meta()).toEqual(meta);
      });

      it('gives a different lineage to a different state', async () => {
        const other = await makeStore();
        try {
          expect((await other.store.meta()).lineage).not.toBe((await store.meta()).lineage);
        } finally {
          await other.store.close();
          await other.cleanup?.();
        }
      });

      it('bumps serial on every change to resources, servers and intents', async () => {
        const serial = async (): Promise<number> => (await store.meta()).serial;
        await store.putResource(makeResource('vm.desktops.aws.s1'));
        expect(await serial()).toBe(1);
        await store.putResource(makeResource('vm.desktops.aws.s1', { status: 'deleting' }));
        expect(await serial()).toBe(2);
        expect(await store.deleteResource('vm.desktops.aws.s1')).toBe(true);
        expect(await serial()).toBe(3);
        await store.putServer(makeServer({ id: 's1' }));
        expect(await serial()).toBe(4);
        await store.recordServerLaunch('s1', { ip: '10.0.0.9', status: 'starting', message: 'VM created', progress: 25, at: at(4) });
        expect(await serial()).toBe(5);
        expect(await store.deleteServer('s1')).toBe(true);
        expect(await serial()).toBe(6);
        await store.putIntent({ id: 'i1', address: 'vm.desktops.aws.s2', type: 'vm', payload: {}, created_at: at(1) });
        expect(await serial()).toBe(7);
        await store.deleteIntent('i1');
        expect(await serial()).toBe(8);
      });

      it('does not bump serial for server check-ins and status updates (a saved plan stays valid while servers report in)', async () => {
        await store.putServer(makeServer({ id: 's1', status: 'starting' }));
        const before = (await store.meta()).serial;
        await store.updateServerStatus('s1', { status: 'starting', message: 'Installing', progress: 40, at: at(5), checkedIn: false });
        await store.updateServerStatus('s1', { status: 'running', message: 'ready', progress: 100, at: at(6), checkedIn: true });
        await store.updateServerStatus('s1', { status: 'draining', message: 'drain', progress: 100, at: at(7), checkedIn: false });
        expect((await store.meta()).serial).toBe(before);
        expect(await store.getServer('s1')).toMatchObject({ status: 'draining', checked_in_at: at(6) });
      });

      it('sees a check-in at the next allocation on the same handle although the serial did not move', async () => {
        await store.putServer(makeServer({ id: 's1', status: 'starting', max_sessions: 2 }));
        // Warm the placement cache with "no usable server".
        expect((await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
        const serial = (await store.meta()).serial;
        await store.updateServerStatus('s1', { status: 'running', message: 'ready', progress: 100, at: at(6), checkedIn: true });
        expect((await store.meta()).serial).toBe(serial);
        expect(await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' })).toMatchObject({ outcome: 'placed', session: { server_id: 's1' } });
        await store.updateServerStatus('s1', { status: 'draining', message: 'drain', progress: 100, at: at(7), checkedIn: false });
        expect((await store.allocateSession(makeRequest('c'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
      });

      it('does not bump serial for sessions, audit, history, secrets, leases, locks or no-op deletes', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 2 }));
        const before = (await store.meta()).serial;
        const placed = await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'queue' });
        expect(placed.outcome).toBe('placed');
        await store.keepalive('a', at(20));
        await store.endSession('a', 'deleted', at(30));
        await store.putSession({ ...(await store.getSession('a'))!, id: 'b' });
        await store.appendAudit([{ at: at(1), actor: 'cli', action: 'apply', address: null, reason: 'test', detail: null }]);
        await store.putHistory('desktops/aws', { last_create_at: at(1), last_destroy_at: null, consecutive_failures: 0, last_failure_at: null });
        await store.getOrCreateSecret('k', () => 'v');
        await store.tryAcquireLease('leader', 'r1', 5000, at(1));
        const lock = lockInfo('apply');
        await store.acquireLock(lock, { waitMs: 0 });
        await store.releaseLock(lock.id);
        expect(await store.deleteResource('nope')).toBe(false);
        expect(await store.deleteServer('nope')).toBe(false);
        await store.deleteIntent('nope');
        expect(await store.updateServerStatus('nope', { status: 'running', message: '', progress: 0, at: at(1), checkedIn: true })).toBeUndefined();
        expect((await store.meta()).serial).toBe(before);
      });

      it('does not count writing an identical record again as a change', async () => {
        const resource = makeResource('vm.desktops.aws.s1');
        const server = makeServer({ id: 's1', capacity: { cores: 2, memory_mb: 512, gpus: 0 } });
        const intent = { id: 'i1', address: 'vm.desktops.aws.s1', type: 'vm' as const, payload: { a: [1, 2] }, created_at: at(1) };
        await store.putResource(resource);
        await store.putServer(server);
        await store.putIntent(intent);
        expect((await store.meta()).serial).toBe(3);
        await store.putResource({ ...resource });
        await store.putServer({ ...server });
        await store.putIntent({ ...intent });
        expect((await store.meta()).serial).toBe(3);
        await store.putServer({ ...server, ip: null });
        await store.putResource({ ...resource, attributes: { ...resource.attributes, extra: 1 } });
        expect((await store.meta()).serial).toBe(5);
        expect((await store.getServer('s1'))?.ip).toBeNull();
      });

      it('shows one serial to every handle', async () => {
        const other = await second();
        await other.putResource(makeResource('dns.a.example.com', { type: 'dns_record' }));
        expect((await store.meta()).serial).toBe(1);
      });
    });

    // ------------------------------------------------------------ resources

    describe('resources', () => {
      it('puts, gets, lists (by address), updates and deletes, keeping attributes exactly', async () => {
        const b = makeResource('vm.desktops.aws.b');
        const a = makeResource('ad_computer.DESK-A', { type: 'ad_computer', provider: 'corp-ad', provider_id: 'CN=DESK-A,OU=x' });
        const fixed = makeResource('server.desktops.fixed1', { type: 'server', provider: null, provider_id: null, attributes: {} });
        await store.putResource(b);
        await store.putResource(a);
        await store.putResource(fixed);
        expect(await store.getResource('vm.desktops.aws.b')).toEqual(b);
        expect(await store.getResource('missing')).toBeUndefined();
        expect((await store.listResources()).map((r) => r.address)).toEqual(['ad_computer.DESK-A', 'server.desktops.fixed1', 'vm.desktops.aws.b']);
        const updated = { ...b, status: 'deleting' as const, attributes: { ip: '10.1.2.3', unicode: 'žluťoučký "kůň"' }, updated_at: at(9) };
        await store.putResource(updated);
        expect(await store.getResource(b.address)).toEqual(updated);
        expect(await store.deleteResource(b.address)).toBe(true);
        expect(await store.deleteResource(b.address)).toBe(false);
        expect(await store.getResource(b.address)).toBeUndefined();
        expect(await store.listResources()).toHaveLength(2);
      });
    });

    // ------------------------------------------------------------ servers

    describe('servers', () => {
      it('puts, gets, lists and deletes servers with every field intact', async () => {
        const s1 = makeServer({ id: 's1', created_at: at(2) });
        const s2 = makeServer({
          id: 's2',
          pool: 'agents',
          autoscale: null,
          ip: null,
          connection_type: null,
          connection_port: null,
          capacity: { cores: 8, memory_mb: 16384, gpus: 1 },
          reusable: true,
          enabled: false,
          checked_in_at: null,
          created_at: at(1),
        });
        await store.putServer(s1);
        await store.putServer(s2);
        expect(await store.getServer('s1')).toEqual(s1);
        expect(await store.getServer('s2')).toEqual(s2);
        expect(await store.getServer('nope')).toBeUndefined();
        expect((await store.listServers()).map((s) => s.id)).toEqual(['s2', 's1']); // oldest first
        expect(await store.deleteServer('s1')).toBe(true);
        expect(await store.deleteServer('s1')).toBe(false);
        expect((await store.listServers()).map((s) => s.id)).toEqual(['s2']);
      });

      it('updates status, message and progress; checked_in_at only on a check-in', async () => {
        await store.putServer(makeServer({ id: 's1', status: 'starting', status_progress: 0, checked_in_at: null }));
        const progress = await store.updateServerStatus('s1', { status: 'starting', message: 'Installing', progress: 40, at: at(60), checkedIn: false });
        expect(progress).toMatchObject({ status: 'starting', status_message: 'Installing', status_progress: 40, updated_at: at(60), checked_in_at: null });
        const done = await store.updateServerStatus('s1', { status: 'running', message: 'Initialization Complete', progress: 100, at: at(120), checkedIn: true });
        expect(done).toMatchObject({ status: 'running', status_progress: 100, checked_in_at: at(120), updated_at: at(120) });
        expect(await store.getServer('s1')).toEqual(done);
      });

      it('records a launch: address always, status only while no check-in has landed', async () => {
        await store.putServer(makeServer({ id: 's1', status: 'provisioning', ip: null, checked_in_at: null }));
        await store.putServer(makeServer({ id: 's2', status: 'provisioning', ip: null, checked_in_at: null }));
        await store.updateServerStatus('s2', { status: 'running', message: 'ready', progress: 100, at: at(30), checkedIn: true });
        const before = (await store.meta()).serial;
        const fresh = await store.recordServerLaunch('s1', { ip: '10.0.0.1', status: 'starting', message: 'VM created', progress: 25, at: at(40) });
        expect(fresh).toMatchObject({ ip: '10.0.0.1', status: 'starting', status_message: 'VM created', status_progress: 25, checked_in_at: null });
        const early = await store.recordServerLaunch('s2', { ip: '10.0.0.2', status: 'starting', message: 'VM created', progress: 25, at: at(40) });
        expect(early).toMatchObject({ ip: '10.0.0.2', status: 'running', status_message: 'ready', status_progress: 100, checked_in_at: at(30) });
        expect((await store.meta()).serial).toBe(before + 2);
        expect(await store.recordServerLaunch('nope', { ip: null, status: 'starting', message: '', progress: 0, at: at(40) })).toBeUndefined();
      });
    });

    // ------------------------------------------------------------ sessions

    describe('sessions', () => {
      it('places a session on the chosen server and records it', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 2 }));
        const result = await store.allocateSession(makeRequest('a', { zone: 'eu', workspace: 'win11' }), leastLoaded, { onNoCapacity: 'reject' });
        expect(result.outcome).toBe('placed');
        if (result.outcome !== 'placed') return;
        expect(result.session).toMatchObject({
          id: 'a',
          pool: 'desktops',
          user: 'user-a',
          zone: 'eu',
          workspace: 'win11',
          server_id: 's1',
          status: 'running',
          staged: false,
          staging: null,
          created_at: at(10),
          last_keepalive_at: at(10),
          ended_at: null,
          end_reason: null,
          api_key: 'portal',
        });
        expect(await store.getSession('a')).toEqual(result.session);
        expect(await store.queuePosition('a')).toBeNull();
        expect(await store.activeSessionCount('s1')).toBe(1);
      });

      it('offers the chooser only enabled running servers of the pool, each with its running sessions', async () => {
        await store.putServer(makeServer({ id: 'ok', max_sessions: 3 }));
        await store.putServer(makeServer({ id: 'draining', status: 'draining' }));
        await store.putServer(makeServer({ id: 'starting', status: 'starting' }));
        await store.putServer(makeServer({ id: 'disabled', enabled: false }));
        await store.putServer(makeServer({ id: 'other-pool', pool: 'other' }));
        await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' });
        await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' });
        await store.endSession('b', 'deleted', at(11));
        let seen: { id: string; sessions: string[] }[] = [];
        await store.allocateSession(
          makeRequest('c'),
          (candidates) => {
            seen = candidates.map((c) => ({ id: c.server.id, sessions: c.sessions.map((s) => s.id) }));
            return null;
          },
          { onNoCapacity: 'reject' },
        );
        expect(seen).toEqual([{ id: 'ok', sessions: ['a'] }]);
      });

      it('sees server changes made through another handle at the next allocation', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 1 }));
        const other = await second();
        expect((await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
        expect((await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
        await other.putServer(makeServer({ id: 's1', max_sessions: 2 }));
        expect((await store.allocateSession(makeRequest('c'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
        await other.putServer(makeServer({ id: 's2', max_sessions: 1 }));
        await other.updateServerStatus('s2', { status: 'draining', message: 'drain', progress: 100, at: at(20), checkedIn: false });
        expect((await store.allocateSession(makeRequest('d'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
        await other.updateServerStatus('s2', { status: 'running', message: 'ok', progress: 100, at: at(21), checkedIn: true });
        const e = await store.allocateSession(makeRequest('e'), leastLoaded, { onNoCapacity: 'reject' });
        expect(e).toMatchObject({ outcome: 'placed', session: { server_id: 's2' } });
        await other.deleteServer('s2');
        await store.endSession('e', 'deleted', at(30));
        expect((await store.allocateSession(makeRequest('f'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
      });

      it('rejects when there is no room and rejection is asked for, and stores nothing', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 1 }));
        expect((await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
        expect(await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' })).toEqual({ outcome: 'rejected' });
        expect(await store.getSession('b')).toBeUndefined();
      });

      it('refuses a chooser pick without room (never over-allocates)', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 1 }));
        await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' });
        const err = await rejection(store.allocateSession(makeRequest('b'), () => 's1', { onNoCapacity: 'reject' }));
        expect(err).toMatchObject({ code: 'placement-invalid' });
        const bogus = await rejection(store.allocateSession(makeRequest('c'), () => 'no-such-server', { onNoCapacity: 'reject' }));
        expect(bogus).toMatchObject({ code: 'placement-invalid' });
        expect(await store.activeSessionCount('s1')).toBe(1);
        expect(await store.getSession('b')).toBeUndefined();
      });

      it('places docker sessions by free resources on the agent', async () => {
        await store.putServer(makeServer({ id: 'agent', pool: 'agents', max_sessions: 100, capacity: { cores: 4, memory_mb: 8192, gpus: 0 } }));
        const req = (id: string): NewSession => makeRequest(id, { pool: 'agents', resources: { cores: 2, memory_mb: 4096, gpus: 0 } });
        expect((await store.allocateSession(req('a'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
        expect((await store.allocateSession(req('b'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
        expect((await store.allocateSession(req('c'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
        const a = await store.getSession('a');
        expect(a?.resources).toEqual({ cores: 2, memory_mb: 4096, gpus: 0 });
      });

      it('queues when there is no room, with FIFO positions per pool', async () => {
        const q1 = await store.allocateSession(makeRequest('q1', { now: at(1) }), noRoom, { onNoCapacity: 'queue' });
        const q2 = await store.allocateSession(makeRequest('q2', { now: at(2) }), noRoom, { onNoCapacity: 'queue' });
        const other = await store.allocateSession(makeRequest('o1', { now: at(2), pool: 'other' }), noRoom, { onNoCapacity: 'queue' });
        const q3 = await store.allocateSession(makeRequest('q3', { now: at(3) }), noRoom, { onNoCapacity: 'queue' });
        expect(q1).toMatchObject({ outcome: 'queued', position: 1, session: { status: 'queued', server_id: null } });
        expect(q2).toMatchObject({ outcome: 'queued', position: 2 });
        expect(other).toMatchObject({ outcome: 'queued', position: 1 });
        expect(q3).toMatchObject({ outcome: 'queued', position: 3 });
        // Same created_at: ordered by id.
        const qa = await store.allocateSession(makeRequest('q4a', { now: at(4) }), noRoom, { onNoCapacity: 'queue' });
        const qb = await store.allocateSession(makeRequest('q4b', { now: at(4) }), noRoom, { onNoCapacity: 'queue' });
        expect([qa, qb]).toMatchObject([{ position: 4 }, { position: 5 }]);
        await store.endSession('q1', 'deleted', at(5));
        expect(await store.queuePosition('q2')).toBe(1);
        expect(await store.queuePosition('q3')).toBe(2);
        expect(await store.queuePosition('q1')).toBeNull();
        expect(await store.queuePosition('missing')).toBeNull();
      });

      it('assigns queued sessions in FIFO order while the chooser finds room', async () => {
        for (const [i, id] of ['q1', 'q2', 'q3', 'q4'].entries()) {
          await store.allocateSession(makeRequest(id, { now: at(i + 1) }), leastLoaded, { onNoCapacity: 'queue' });
        }
        expect(await store.assignQueued('desktops', leastLoaded, at(50))).toEqual([]);
        await store.putServer(makeServer({ id: 's1', max_sessions: 1, created_at: at(0) }));
        await store.putServer(makeServer({ id: 's2', max_sessions: 2, created_at: at(1) }));
        const placed = await store.assignQueued('desktops', leastLoaded, at(60));
        expect(placed.map((s) => [s.id, s.server_id])).toEqual([
          ['q1', 's1'],
          ['q2', 's2'],
          ['q3', 's2'],
        ]);
        for (const s of placed) expect(s).toMatchObject({ status: 'running', updated_at: at(60), last_keepalive_at: at(60) });
        expect(await store.getSession('q2')).toEqual(placed[1]);
        expect(await store.getSession('q4')).toMatchObject({ status: 'queued', server_id: null });
        expect(await store.queuePosition('q4')).toBe(1);
        expect(await store.activeSessionCount('s2')).toBe(2);
      });

      it('a queued targeted session remembers its server, is placed there only, and holds up nobody (issue 16)', async () => {
        const targeted: PlacementChooser = (candidates, request) =>
          leastLoaded(request.target_server_id ? candidates.filter((c) => c.server.id === request.target_server_id) : candidates, request);
        const t = await store.allocateSession(makeRequest('t1', { now: at(1), target_server_id: 'sT' }), targeted, { onNoCapacity: 'queue' });
        expect(t).toMatchObject({ outcome: 'queued', session: { target_server_id: 'sT' } });
        await store.allocateSession(makeRequest('q2', { now: at(2) }), targeted, { onNoCapacity: 'queue' });
        await store.putServer(makeServer({ id: 's1', max_sessions: 1, created_at: at(0) }));
        expect((await store.assignQueued('desktops', targeted, at(3))).map((x) => [x.id, x.server_id])).toEqual([['q2', 's1']]);
        expect(await store.getSession('t1')).toMatchObject({ status: 'queued', server_id: null, target_server_id: 'sT' });
        await store.putServer(makeServer({ id: 'sT', max_sessions: 1, created_at: at(0) }));
        expect((await store.assignQueued('desktops', targeted, at(4))).map((x) => [x.id, x.server_id])).toEqual([['t1', 'sT']]);
        // Untargeted records carry no target field at all.
        expect(await store.getSession('q2')).not.toHaveProperty('target_server_id');
      });

      it('never lets a later queued session overtake the head of the queue', async () => {
        await store.allocateSession(makeRequest('big', { pool: 'agents', now: at(1), resources: { cores: 8, memory_mb: 1, gpus: 0 } }), noRoom, {
          onNoCapacity: 'queue',
        });
        await store.allocateSession(makeRequest('small', { pool: 'agents', now: at(2), resources: { cores: 1, memory_mb: 1, gpus: 0 } }), noRoom, {
          onNoCapacity: 'queue',
        });
        await store.putServer(makeServer({ id: 'agent', pool: 'agents', max_sessions: 10, capacity: { cores: 4, memory_mb: 100, gpus: 0 } }));
        expect(await store.assignQueued('agents', leastLoaded, at(3))).toEqual([]);
        expect(await store.queuePosition('small')).toBe(2);
      });

      it('lists sessions by pool, status and server', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 5 }));
        await store.putServer(makeServer({ id: 'o1', pool: 'other', max_sessions: 5 }));
        await store.allocateSession(makeRequest('a', { now: at(1) }), leastLoaded, { onNoCapacity: 'queue' });
        await store.allocateSession(makeRequest('b', { now: at(2) }), leastLoaded, { onNoCapacity: 'queue' });
        await store.allocateSession(makeRequest('c', { now: at(3), pool: 'other' }), leastLoaded, { onNoCapacity: 'queue' });
        await store.allocateSession(makeRequest('q', { now: at(4), pool: 'empty' }), leastLoaded, { onNoCapacity: 'queue' });
        await store.endSession('b', 'deleted', at(5));
        const ids = (list: SessionRecord[]): string[] => list.map((s) => s.id);
        expect(ids(await store.listSessions())).toEqual(['a', 'b', 'c', 'q']);
        expect(ids(await store.listSessions({ pool: 'desktops' }))).toEqual(['a', 'b']);
        expect(ids(await store.listSessions({ status: ['running'] }))).toEqual(['a', 'c']);
        expect(ids(await store.listSessions({ status: ['queued', 'ended'] }))).toEqual(['b', 'q']);
        expect(ids(await store.listSessions({ status: [] }))).toEqual([]);
        expect(ids(await store.listSessions({ server_id: 's1' }))).toEqual(['a', 'b']);
        expect(ids(await store.listSessions({ pool: 'desktops', status: ['running'], server_id: 's1' }))).toEqual(['a']);
      });

      it('stores staged sessions with putSession and counts them on their server', async () => {
        await store.putServer(makeServer({ id: 'agent', pool: 'agents', max_sessions: 10, capacity: { cores: 4, memory_mb: 8192, gpus: 0 } }));
        const staged: SessionRecord = {
          id: 'st1',
          pool: 'agents',
          user: '',
          zone: null,
          workspace: 'chrome',
          server_id: 'agent',
          status: 'running',
          resources: { cores: 3, memory_mb: 1024, gpus: 0 },
          staged: true,
          staging: 'chrome-staging',
          created_at: at(1),
          updated_at: at(1),
          last_keepalive_at: at(1),
          ended_at: null,
          end_reason: null,
          api_key: null,
        };
        await store.putSession(staged);
        expect(await store.getSession('st1')).toEqual(staged);
        expect(await store.activeSessionCount('agent')).toBe(1);
        // The staged session's resources count: 2 more cores do not fit on a 4-core agent.
        const r = await store.allocateSession(makeRequest('u', { pool: 'agents', resources: { cores: 2, memory_mb: 1, gpus: 0 } }), leastLoaded, {
          onNoCapacity: 'reject',
        });
        expect(r.outcome).toBe('rejected');
        await store.putSession({ ...staged, staged: false, user: 'alice', updated_at: at(2) });
        expect(await store.getSession('st1')).toMatchObject({ staged: false, user: 'alice' });
      });

      it('keepalive refreshes a live session; end is recorded once', async () => {
        await store.putServer(makeServer({ id: 's1' }));
        await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' });
        expect(await store.keepalive('a', at(100))).toMatchObject({ last_keepalive_at: at(100), status: 'running' });
        expect(await store.keepalive('missing', at(100))).toBeUndefined();
        const ended = await store.endSession('a', 'deleted', at(200));
        expect(ended).toMatchObject({ status: 'ended', end_reason: 'deleted', ended_at: at(200) });
        expect(await store.activeSessionCount('s1')).toBe(0);
        // A second end (or a late keepalive) changes nothing.
        expect(await store.endSession('a', 'server_destroyed', at(300), 'failed')).toEqual(ended);
        expect(await store.keepalive('a', at(400))).toEqual(ended);
        expect(await store.endSession('missing', 'deleted', at(1))).toBeUndefined();
        // The freed slot is usable again.
        expect((await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('placed');
      });

      it('ends a session as failed when asked', async () => {
        await store.putServer(makeServer({ id: 's1' }));
        await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' });
        expect(await store.endSession('a', 'server_destroyed', at(20), 'failed')).toMatchObject({ status: 'failed', end_reason: 'server_destroyed' });
      });

      it('expires idle running sessions and stale queued requests, and nothing else', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 5 }));
        await store.allocateSession(makeRequest('idle', { now: at(0) }), leastLoaded, { onNoCapacity: 'reject' });
        await store.allocateSession(makeRequest('alive', { now: at(0) }), leastLoaded, { onNoCapacity: 'reject' });
        await store.allocateSession(makeRequest('edge', { now: at(0) }), leastLoaded, { onNoCapacity: 'reject' });
        await store.keepalive('alive', at(3000));
        await store.keepalive('edge', at(400)); // exactly keepaliveMs old at now: not past it
        await store.putSession({ ...(await store.getSession('idle'))!, id: 'staged', staged: true, staging: 'x' });
        await store.allocateSession(makeRequest('old-q', { now: at(100), pool: 'empty' }), noRoom, { onNoCapacity: 'queue' });
        await store.allocateSession(makeRequest('new-q', { now: at(3500), pool: 'empty' }), noRoom, { onNoCapacity: 'queue' });
        const changed = await store.expireSessions(at(4000), 3600_000, 900_000);
        const byId = Object.fromEntries(changed.map((s) => [s.id, s]));
        expect(Object.keys(byId).sort()).toEqual(['idle', 'old-q']);
        expect(byId['idle']).toMatchObject({ status: 'ended', end_reason: 'keepalive_timeout', ended_at: at(4000) });
        expect(byId['old-q']).toMatchObject({ status: 'failed', end_reason: 'queue_timeout', ended_at: at(4000) });
        expect(await store.getSession('idle')).toEqual(byId['idle']);
        expect(await store.getSession('alive')).toMatchObject({ status: 'running' });
        expect(await store.getSession('edge')).toMatchObject({ status: 'running' });
        expect(await store.getSession('staged')).toMatchObject({ status: 'running' });
        expect(await store.getSession('new-q')).toMatchObject({ status: 'queued' });
        expect(await store.expireSessions(at(4000), 3600_000, 900_000)).toEqual([]);
      });

      it('ends a client\'s session in one step: owner or admin only, staged and missing are not found, a second end is unchanged', async () => {
        await store.putServer(makeServer({ id: 'reuse', max_sessions: 2, reusable: true }));
        await store.allocateSession(makeRequest('a'), () => 'reuse', { onNoCapacity: 'reject' });
        // Another key's session is as good as missing; it keeps running.
        expect(await store.endSessionAs('a', 'someone-else', 'deleted', at(50))).toEqual({ outcome: 'not_found' });
        expect(await store.endSessionAs('missing', null, 'deleted', at(50))).toEqual({ outcome: 'not_found' });
        expect(await store.getSession('a')).toMatchObject({ status: 'running' });
        const ended = await store.endSessionAs('a', 'portal', 'deleted', at(50));
        expect(ended).toMatchObject({ outcome: 'ended', previous: 'running', queuedInPool: false, server: { id: 'reuse', reusable: true } });
        if (ended.outcome !== 'ended') return;
        expect(ended.session).toMatchObject({ id: 'a', status: 'ended', end_reason: 'deleted', ended_at: at(50), updated_at: at(50) });
        expect(await store.getSession('a')).toEqual(ended.session);
        expect(await store.activeSessionCount('reuse')).toBe(0);
        // Idempotent: the first end stays.
        expect(await store.endSessionAs('a', null, 'other', at(60))).toEqual({ outcome: 'unchanged', session: ended.session });
        // An admin (owner null) ends anyone's session; a staged session is nobody's to end.
        await store.allocateSession(makeRequest('b', { api_key: 'kiosk' }), () => 'reuse', { onNoCapacity: 'reject' });
        expect(await store.endSessionAs('b', null, 'deleted', at(70))).toMatchObject({ outcome: 'ended', session: { status: 'ended' } });
        const staged = { ...(await store.getSession('b'))!, id: 'st', status: 'running' as const, staged: true, staging: 'x', ended_at: null, end_reason: null };
        await store.putSession(staged);
        expect(await store.endSessionAs('st', null, 'deleted', at(80))).toEqual({ outcome: 'not_found' });
        expect(await store.getSession('st')).toMatchObject({ status: 'running' });
      });

      it('ending a client\'s session reports what it was, the server it ran on (read when single-use) and the pool\'s queue', async () => {
        await store.putServer(makeServer({ id: 'once', max_sessions: 1, reusable: false }));
        await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' });
        await store.allocateSession(makeRequest('q'), noRoom, { onNoCapacity: 'queue' });
        const ended = await store.endSessionAs('a', 'portal', 'deleted', at(40));
        expect(ended).toMatchObject({ outcome: 'ended', previous: 'running', queuedInPool: true, server: { id: 'once', reusable: false, status: 'running' } });
        // A queued request ends from the queue: no server.
        const withdrawn = await store.endSessionAs('q', 'portal', 'deleted', at(41));
        expect(withdrawn).toMatchObject({ outcome: 'ended', previous: 'queued', server: undefined, session: { status: 'ended', server_id: null } });
        expect(await store.queuePosition('q')).toBeNull();
      });

      it('places past a server another handle disabled, and on one it added rather than answer no room', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 5, created_at: at(1) }));
        await store.putServer(makeServer({ id: 's2', max_sessions: 5, created_at: at(2) }));
        // The index is built; s2 carries load so that s1 is the least loaded.
        await store.allocateSession(makeRequest('x1'), () => 's2', { onNoCapacity: 'reject' });
        const other = await second();
        await other.putServer(makeServer({ id: 's1', max_sessions: 5, created_at: at(1), enabled: false }));
        const b = await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' });
        expect(b).toMatchObject({ outcome: 'placed', session: { server_id: 's2' } });
        expect(await store.activeSessionCount('s1')).toBe(0);
        // Fill s2; a server the other handle adds takes the next request instead of a "no room".
        for (const id of ['x2', 'x3', 'x4']) await store.allocateSession(makeRequest(id), leastLoaded, { onNoCapacity: 'reject' });
        expect(await store.activeSessionCount('s2')).toBe(5);
        await other.putServer(makeServer({ id: 's3', max_sessions: 1, created_at: at(3) }));
        expect(await store.allocateSession(makeRequest('c'), leastLoaded, { onNoCapacity: 'reject' })).toMatchObject({ outcome: 'placed', session: { server_id: 's3' } });
        expect((await store.allocateSession(makeRequest('d'), leastLoaded, { onNoCapacity: 'reject' })).outcome).toBe('rejected');
      });

      it('counts active sessions per server freshly', async () => {
        await store.putServer(makeServer({ id: 's1', max_sessions: 3 }));
        await store.putServer(makeServer({ id: 's2', max_sessions: 3 }));
        const other = await second();
        await other.allocateSession(makeRequest('a'), () => 's1', { onNoCapacity: 'reject' });
        await other.allocateSession(makeRequest('b'), () => 's1', { onNoCapacity: 'reject' });
        await other.allocateSession(makeRequest('c'), () => 's2', { onNoCapacity: 'reject' });
        expect(await store.activeSessionCount('s1')).toBe(2);
        await other.endSession('a', 'deleted', at(20));
        expect(await store.activeSessionCount('s1')).toBe(1);
        expect(await store.activeSessionCount('nope')).toBe(0);
      });
    });

    // ------------------------------------------------------------ intents

    describe('intents', () => {
      it('puts, lists (oldest first) and deletes intents', async () => {
        const i2 = { id: 'i2', address: 'vm.desktops.aws.b', type: 'vm' as const, payload: { ami: 'ami-1', n: 2 }, created_at: at(2) };
        const i1 = { id: 'i1', address: 'dns.b.example.com', type: 'dns_record' as const, payload: {}, created_at: at(1) };
        await store.putIntent(i2);
        await store.putIntent(i1);
        expect(await store.listIntents()).toEqual([i1, i2]);
        await store.deleteIntent('i1');
        expect(await store.listIntents()).toEqual([i2]);
      });
    });

    // ------------------------------------------------------------ lock

    describe('state lock', () => {
      it('is taken, shown and released', async () => {
        expect(await store.getLock()).toBeUndefined();
        const lock = lockInfo('apply');
        await store.acquireLock(lock, { waitMs: 0 });
        expect(await store.getLock()).toEqual(lock);
        const other = await second();
        expect(await other.getLock()).toEqual(lock);
        await store.releaseLock(lock.id);
        expect(await store.getLock()).toBeUndefined();
        expect(await other.getLock()).toBeUndefined();
      });

      it('refuses a second holder at once, saying who holds it', async () => {
        const lock = lockInfo('apply');
        await store.acquireLock(lock, { waitMs: 0 });
        const other = await second();
        const started = Date.now();
        const err = await rejection(other.acquireLock(lockInfo('plan'), { waitMs: 0 }));
        expect(Date.now() - started).toBeLessThan(2000);
        expect(err).toBeInstanceOf(LockHeldError);
        const held = err as LockHeldError;
        expect(held.code).toBe('state-locked');
        expect(held.holder).toEqual(lock);
        expect(held.stale).toBe(false);
        expect(held.message).toContain('apply');
        expect(held.message).toContain(`pid ${process.pid}`);
        expect(held.message).toContain(lock.id);
        expect(await other.getLock()).toEqual(lock);
      });

      it('waits up to waitMs: gets the lock when it is released in time', async () => {
        const lock = lockInfo('apply');
        await store.acquireLock(lock, { waitMs: 0 });
        const other = await second();
        const waiter = lockInfo('apply');
        const started = Date.now();
        setTimeout(() => void store.releaseLock(lock.id), 300);
        await other.acquireLock(waiter, { waitMs: 5000 });
        expect(Date.now() - started).toBeGreaterThanOrEqual(250);
        expect(await store.getLock()).toEqual(waiter);
        await other.releaseLock(waiter.id);
      });

      it('waits up to waitMs: fails with the holder when it is not released', async () => {
        const lock = lockInfo('apply');
        await store.acquireLock(lock, { waitMs: 0 });
        const other = await second();
        const started = Date.now();
        const err = await rejection(other.acquireLock(lockInfo('apply'), { waitMs: 400 }));
        const waited = Date.now() - started;
        expect(err).toBeInstanceOf(LockHeldError);
        expect((err as LockHeldError).holder.id).toBe(lock.id);
        expect(waited).toBeGreaterThanOrEqual(350);
        expect(waited).toBeLessThan(5000);
      });

      it('force-unlock removes the lock by id, whoever holds it', async () => {
        const lock = lockInfo('apply');
        await store.acquireLock(lock, { waitMs: 0 });
        const other = await second();
        expect(await other.forceUnlock('not-the-id')).toBe(false);
        expect(await other.getLock()).toEqual(lock);
        expect(await other.forceUnlock(lock.id)).toBe(true);
        expect(await other.getLock()).toBeUndefined();
        const next = lockInfo('apply');
        await other.acquireLock(next, { waitMs: 2000 });
        expect(await store.getLock()).toEqual(next);
        expect(await other.forceUnlock(lock.id)).toBe(false);
        await other.releaseLock(next.id);
      });

      it('releasing an unknown id leaves the lock alone', async () => {
        const lock = lockInfo('apply');
        await store.acquireLock(lock, { waitMs: 0 });
        await store.releaseLock('someone-else');
        expect(await store.getLock()).toEqual(lock);
        await store.releaseLock(lock.id);
      });
    });

    // ------------------------------------------------------------ audit, history, secrets

    describe('audit, history and secrets', () => {
      it('appends audit entries and lists the latest first, up to a limit', async () => {
        const entries: AuditEntry[] = [1, 2, 3, 4].map((i) => ({
          at: at(i),
          actor: i % 2 ? 'serve' : 'cli',
          action: 'create',
          address: i === 4 ? null : `vm.desktops.aws.s${i}`,
          reason: `reason ${i}`,
          detail: i === 3 ? { count: 3, why: ['a', 'b'] } : null,
        }));
        await store.appendAudit(entries.slice(0, 2));
        await store.appendAudit(entries.slice(2));
        await store.appendAudit([]);
        expect(await store.listAudit(10)).toEqual([...entries].reverse());
        expect(await store.listAudit(2)).toEqual([entries[3], entries[2]]);
        expect(await store.listAudit(0)).toEqual([]);
      });

      it('keeps autoscale history per key', async () => {
        expect(await store.getHistory()).toEqual({});
        const h = { last_create_at: at(1), last_destroy_at: null, consecutive_failures: 2, last_failure_at: at(3) };
        await store.putHistory('desktops/aws', h);
        await store.putHistory('agents/gpu', { ...h, consecutive_failures: 0 });
        await store.putHistory('desktops/aws', { ...h, consecutive_failures: 3 });
        expect(await store.getHistory()).toEqual({ 'agents/gpu': { ...h, consecutive_failures: 0 }, 'desktops/aws': { ...h, consecutive_failures: 3 } });
      });

      it('keeps the refused-create fields of the history (capacity backoff)', async () => {
        const h = { last_create_at: at(1), last_destroy_at: null, consecutive_failures: 0, last_failure_at: null };
        const refused = { ...h, create_errors: 2, last_create_error_at: at(2), last_create_error: 'InsufficientInstanceCapacity (aws-insufficient-capacity)' };
        await store.putHistory('desktops/aws', refused);
        expect((await store.getHistory())['desktops/aws']).toEqual(refused);
        expect((await store.snapshot()).history['desktops/aws']).toEqual(refused);
      });

      it('generates a secret once and keeps it across handles and reopen', async () => {
        let calls = 0;
        const gen = (): string => `secret-${++calls}`;
        const first = await store.getOrCreateSecret('checkin-signing-key', gen);
        expect(first).toBe('secret-1');
        expect(await store.getOrCreateSecret('checkin-signing-key', gen)).toBe(first);
        const other = await second();
        expect(await other.getOrCreateSecret('checkin-signing-key', gen)).toBe(first);
        expect(calls).toBe(1);
        expect(await other.getOrCreateSecret('another', gen)).toBe('secret-2');
      });

      it('agrees on one secret when handles race to create it', async () => {
        const other = await second();
        const values = await Promise.all([
          store.getOrCreateSecret('race', () => 'from-a'),
          other.getOrCreateSecret('race', () => 'from-b'),
          store.getOrCreateSecret('race', () => 'from-c'),
        ]);
        expect(new Set(values).size).toBe(1);
      });
    });

    // ------------------------------------------------------------ leases

    describe('leader lease', () => {
      it('is exclusive until it expires, renewable by its holder, and taken over after expiry', async () => {
        const other = await second();
        expect(await store.getLease('leader')).toBeUndefined();
        expect(await store.tryAcquireLease('leader', 'r1', 5000, at(0))).toBe(true);
        expect(await store.getLease('leader')).toEqual({ holder: 'r1', expires_at: at(5) });
        expect(await other.tryAcquireLease('leader', 'r2', 5000, at(1))).toBe(false);
        expect(await store.tryAcquireLease('leader', 'r1', 5000, at(3))).toBe(true); // renew
        expect(await other.getLease('leader')).toEqual({ holder: 'r1', expires_at: at(8) });
        expect(await other.tryAcquireLease('leader', 'r2', 5000, at(7))).toBe(false);
        expect(await other.tryAcquireLease('leader', 'r2', 5000, at(8))).toBe(true); // expired
        expect(await store.getLease('leader')).toEqual({ holder: 'r2', expires_at: at(13) });
        expect(await store.tryAcquireLease('leader', 'r1', 5000, at(9))).toBe(false);
        expect(await store.tryAcquireLease('other-lease', 'r1', 5000, at(9))).toBe(true);
      });

      it('gives a free lease to exactly one of many racing replicas', async () => {
        const other = await second();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).tryAcquireLease('leader', `r${i}`, 5000, at(0))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = `r${results.indexOf(true)}`;
        expect((await store.getLease('leader'))?.holder).toBe(winner);
      });
    });

    // ------------------------------------------------------------ snapshot

    describe('snapshot', () => {
      it('holds everything the planner reads; ended sessions are left out', async () => {
        await store.putResource(makeResource('vm.desktops.aws.s1'));
        await store.putServer(makeServer({ id: 's1', max_sessions: 2 }));
        await store.putIntent({ id: 'i1', address: 'vm.desktops.aws.s2', type: 'vm', payload: { a: 1 }, created_at: at(1) });
        await store.putHistory('desktops/aws', { last_create_at: at(1), last_destroy_at: null, consecutive_failures: 0, last_failure_at: null });
        await store.allocateSession(makeRequest('a'), leastLoaded, { onNoCapacity: 'reject' });
        await store.allocateSession(makeRequest('b'), leastLoaded, { onNoCapacity: 'reject' });
        await store.allocateSession(makeRequest('q', { pool: 'empty' }), leastLoaded, { onNoCapacity: 'queue' });
        await store.endSession('b', 'deleted', at(20));
        const snap = await store.snapshot();
        const meta = await store.meta();
        expect(snap.lineage).toBe(meta.lineage);
        expect(snap.serial).toBe(meta.serial);
        expect(snap.resources).toEqual(await store.listResources());
        expect(snap.servers).toEqual(await store.listServers());
        expect(snap.intents).toEqual(await store.listIntents());
        expect(snap.history).toEqual(await store.getHistory());
        expect(snap.sessions.map((s) => s.id).sort()).toEqual(['a', 'q']);
      });

      it('is one consistent read while another handle writes', async () => {
        const other = await second();
        const base = (await store.meta()).serial;
        let writing = true;
        const writer = (async () => {
          for (let i = 0; i < 60; i++) await other.putResource(makeResource(`vm.desktops.aws.w${String(i).padStart(3, '0')}`));
          writing = false;
        })();
        let checked = 0;
        while (writing || checked === 0) {
          const snap = await store.snapshot();
          // Each write of a new address adds one resource and bumps serial once: a torn read would break this.
          expect(snap.resources.length).toBe(snap.serial - base);
          checked++;
        }
        await writer;
        expect((await store.snapshot()).resources).toHaveLength(60);
      });
    });

    // ------------------------------------------------------------ concurrency

    describe('concurrency', () => {
      it('200 concurrent allocations against capacity 10 place exactly 10, no server over its limit, no slot twice', async () => {
        const limits: Record<string, number> = { s1: 1, s2: 2, s3: 3, s4: 4 };
        for (const [id, max] of Object.entries(limits)) await store.putServer(makeServer({ id, max_sessions: max }));
        const other = await second();
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            (i % 2 ? other : store).allocateSession(makeRequest(`r${i}`, { now: at(i % 7) }), leastLoaded, { onNoCapacity: 'reject' }),
          ),
        );
        const placed = results.filter((r) => r.outcome === 'placed');
        expect(placed).toHaveLength(10);
        expect(results.filter((r) => r.outcome === 'rejected')).toHaveLength(190);
        const running = await store.listSessions({ status: ['running'] });
        expect(running).toHaveLength(10);
        expect(new Set(running.map((s) => s.id)).size).toBe(10);
        for (const [id, max] of Object.entries(limits)) {
          expect(running.filter((s) => s.server_id === id)).toHaveLength(max);
        }
      });

      it('queues concurrent requests; positions follow created_at then id, 1..n', async () => {
        const other = await second();
        const ids = Array.from({ length: 40 }, (_, i) => `q${String(i).padStart(2, '0')}`);
        const results = await Promise.all(
          ids.map((id, i) => (i % 2 ? other : store).allocateSession(makeRequest(id, { now: at(i % 8) }), noRoom, { onNoCapacity: 'queue' })),
        );
        for (const r of results) {
          expect(r.outcome).toBe('queued');
          if (r.outcome === 'queued') expect(r.position).toBeGreaterThanOrEqual(1);
        }
        const expected = [...ids].sort((a, b) => (Number(a.slice(1)) % 8) - (Number(b.slice(1)) % 8) || (a < b ? -1 : 1));
        const positions = await Promise.all(expected.map((id) => other.queuePosition(id)));
        expect(positions).toEqual(expected.map((_, i) => i + 1));
      });

      it('assignQueued from two handles at once never over-fills', async () => {
        for (let i = 0; i < 20; i++) await store.allocateSession(makeRequest(`q${i}`, { now: at(i) }), noRoom, { onNoCapacity: 'queue' });
        await store.putServer(makeServer({ id: 's1', max_sessions: 3 }));
        await store.putServer(makeServer({ id: 's2', max_sessions: 4 }));
        const other = await second();
        const [a, b] = await Promise.all([store.assignQueued('desktops', leastLoaded, at(100)), other.assignQueued('desktops', leastLoaded, at(100))]);
        const all = [...a, ...b];
        expect(all).toHaveLength(7);
        expect(new Set(all.map((s) => s.id)).size).toBe(7);
        expect(all.map((s) => s.id).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6']);
        expect(await store.activeSessionCount('s1')).toBe(3);
        expect(await store.activeSessionCount('s2')).toBe(4);
      });
    });
  });
}
