import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { NewSession, PlacementCandidate, Resources, ServerRecord, ServerStatus, SessionRecord } from '../state/types.ts';
import type { PlacementRules } from './placement.ts';
import { choosePlacement, freeResources, occupying } from './placement.ts';
import { createSessionIdGenerator } from './session-id.ts';
import { serverRecord, session as sessionRecord } from '../../test/fixtures/plan/builders.ts';
import { propertyRuns } from '../testing/property-runs.ts';

const T0 = '2026-01-01T00:00:00.000Z';

function server(id: string, over: Partial<ServerRecord> = {}): ServerRecord {
  return serverRecord(id, { pool: 'p', autoscale: 'a', address: `vm.p.a.${id}`, hostname: id, created_at: T0, updated_at: T0, checked_in_at: T0, ...over });
}

let seq = 0;
function session(serverId: string, user: string, over: Partial<SessionRecord> = {}): SessionRecord {
  seq++;
  return sessionRecord(`s${seq}`, serverId, { pool: 'p', user, status: 'running', ...over });
}

function request(user: string, over: Partial<NewSession> = {}): NewSession {
  return { id: `r-${user}`, pool: 'p', user, zone: null, workspace: null, resources: null, api_key: null, now: T0, ...over };
}

const serverRules: PlacementRules = {
  poolType: 'server',
  autoscaleActive: (s) => s.autoscale !== 'inactive',
  zoneOf: (s) => (s.id.startsWith('east') ? 'east' : 'west'),
};
const agentRules: PlacementRules = { ...serverRules, poolType: 'docker_agent' };

describe('server pools', () => {
  it('picks the server with the fewest sessions, ties to the oldest', () => {
    const a = server('a', { created_at: '2026-01-01T00:00:02.000Z' });
    const b = server('b', { created_at: '2026-01-01T00:00:01.000Z' });
    const c = server('c', { created_at: '2026-01-01T00:00:00.000Z' });
    const cands: PlacementCandidate[] = [
      { server: a, sessions: [] },
      { server: b, sessions: [] },
      { server: c, sessions: [session('c', 'x')] },
    ];
    expect(choosePlacement(cands, request('u'), serverRules)).toBe('b');
  });

  it('sends a user back to the server that already holds their session when it has room', () => {
    const a = server('a');
    const b = server('b', { created_at: '2026-01-02T00:00:00.000Z' });
    const cands = [
      { server: a, sessions: [] },
      { server: b, sessions: [session('b', 'alice')] },
    ];
    expect(choosePlacement(cands, request('alice'), serverRules)).toBe('b');
    expect(choosePlacement(cands, request('bob'), serverRules)).toBe('a');
    // Full: alice goes elsewhere.
    const full = [
      { server: a, sessions: [] },
      { server: b, sessions: [session('b', 'alice'), session('b', 'carol')] },
    ];
    expect(choosePlacement(full, request('alice'), serverRules)).toBe('a');
  });

  it('skips servers that are not usable', () => {
    const statuses: ServerStatus[] = ['provisioning', 'starting', 'failed', 'draining', 'destroying'];
    const cands = statuses.map((status, i) => ({ server: server(`s${i}`, { status }), sessions: [] }));
    cands.push({ server: server('off', { enabled: false }), sessions: [] });
    expect(choosePlacement(cands, request('u'), serverRules)).toBeNull();
  });

  it('honours the requested zone', () => {
    const cands = [
      { server: server('west1'), sessions: [] },
      { server: server('east1', { created_at: '2026-02-01T00:00:00.000Z' }), sessions: [] },
    ];
    expect(choosePlacement(cands, request('u', { zone: 'east' }), serverRules)).toBe('east1');
    expect(choosePlacement(cands, request('u', { zone: 'north' }), serverRules)).toBeNull();
  });

  it('returns null when every server is full; ended sessions free their slot', () => {
    const s = server('s', { max_sessions: 1 });
    expect(choosePlacement([{ server: s, sessions: [session('s', 'x')] }], request('u'), serverRules)).toBeNull();
    expect(choosePlacement([{ server: s, sessions: [session('s', 'x', { status: 'ended' })] }], request('u'), serverRules)).toBe('s');
  });
});

describe('docker agent pools', () => {
  const need: Resources = { cores: 2, memory_mb: 2048, gpus: 0 };
  it('places by free cores, memory and GPUs', () => {
    const a = server('a', { capacity: { cores: 4, memory_mb: 8192, gpus: 0 }, max_sessions: 0 });
    const b = server('b', { capacity: { cores: 8, memory_mb: 8192, gpus: 0 }, max_sessions: 0 });
    const cands = [
      { server: a, sessions: [] },
      { server: b, sessions: [session('b', 'x', { resources: { cores: 6, memory_mb: 1024, gpus: 0 } })] },
    ];
    expect(choosePlacement(cands, request('u', { resources: need }), agentRules)).toBe('a');
    const gpuNeed = { cores: 1, memory_mb: 1, gpus: 1 };
    expect(choosePlacement(cands, request('u', { resources: gpuNeed }), agentRules)).toBeNull();
  });

  it('gives agents of an inactive autoscale config no new sessions', () => {
    const a = server('a', { autoscale: 'inactive', capacity: { cores: 4, memory_mb: 8192, gpus: 0 } });
    expect(choosePlacement([{ server: a, sessions: [] }], request('u', { resources: need }), agentRules)).toBeNull();
  });

  it('counts staged sessions as used', () => {
    const a = server('a', { capacity: { cores: 2, memory_mb: 4096, gpus: 0 } });
    const staged = session('a', '', { staged: true, resources: need });
    expect(freeResources({ server: a, sessions: [staged] })).toEqual({ cores: 0, memory_mb: 2048, gpus: 0 });
    expect(choosePlacement([{ server: a, sessions: [staged] }], request('u', { resources: need }), agentRules)).toBeNull();
  });
});

describe('property: placement never exceeds capacity', () => {
  it('server pools: repeated placement never puts more sessions on a server than its limit', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            max: fc.integer({ min: 0, max: 4 }),
            status: fc.constantFrom<ServerStatus>('running', 'starting', 'failed', 'draining'),
            enabled: fc.boolean(),
            pre: fc.integer({ min: 0, max: 5 }),
            age: fc.integer({ min: 0, max: 1000 }),
          }),
          { maxLength: 8 },
        ),
        fc.array(fc.constantFrom('alice', 'bob', 'carol', 'dave'), { maxLength: 40 }),
        (specs, users) => {
          const cands: PlacementCandidate[] = specs.map((sp, i) => {
            const srv = server(`srv${i}`, {
              max_sessions: sp.max,
              status: sp.status,
              enabled: sp.enabled,
              created_at: new Date(Date.parse(T0) + sp.age * 1000).toISOString(),
            });
            // Pre-existing sessions never exceed the limit (the store guarantees it).
            const pre = Array.from({ length: Math.min(sp.pre, sp.max) }, () => session(srv.id, 'eve'));
            return { server: srv, sessions: pre };
          });
          const free = cands.reduce((n, c) => n + (c.server.enabled && c.server.status === 'running' ? c.server.max_sessions - c.sessions.length : 0), 0);
          let placed = 0;
          for (const u of users) {
            const id = choosePlacement(cands, request(u), serverRules);
            if (id === null) {
              // Null only when really no usable server has room.
              expect(placed).toBe(free);
              continue;
            }
            const c = cands.find((x) => x.server.id === id);
            expect(c).toBeDefined();
            if (!c) return;
            expect(c.server.status).toBe('running');
            expect(c.server.enabled).toBe(true);
            c.sessions.push(session(id, u));
            placed++;
            expect(occupying(c.sessions).length).toBeLessThanOrEqual(c.server.max_sessions);
          }
        },
      ),
      { numRuns: propertyRuns(500) },
    );
  });

  it('docker agent pools: repeated placement never uses more than an agent offers', () => {
    const res = fc.record({ cores: fc.integer({ min: 0, max: 8 }), memory_mb: fc.integer({ min: 0, max: 16384 }), gpus: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(res, { maxLength: 6 }), fc.array(res, { maxLength: 30 }), (caps, needs) => {
        const cands: PlacementCandidate[] = caps.map((capacity, i) => ({ server: server(`ag${i}`, { capacity }), sessions: [] }));
        for (const need of needs) {
          const id = choosePlacement(cands, request('u', { resources: need }), agentRules);
          if (id === null) {
            expect(
              cands.every((c) => {
                const f = freeResources(c);
                return f.cores < need.cores || f.memory_mb < need.memory_mb || f.gpus < need.gpus;
              }),
            ).toBe(true);
            continue;
          }
          const c = cands.find((x) => x.server.id === id);
          if (!c) throw new Error('unknown id');
          c.sessions.push(session(id, 'u', { resources: need }));
          const f = freeResources(c);
          expect(f.cores).toBeGreaterThanOrEqual(0);
          expect(f.memory_mb).toBeGreaterThanOrEqual(0);
          expect(f.gpus).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});

describe('session ids', () => {
  it('are UUIDv7 and sort in creation order, also within one millisecond', () => {
    const next = createSessionIdGenerator();
    const ids = Array.from({ length: 5000 }, (_, i) => next(1_700_000_000_000 + Math.floor(i / 3000)));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
