// The indexed chooser (store capacity index) takes exactly the decisions of
// choosePlacement over the whole pool, through a run of placements and ends.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PoolCapacityIndex } from '../state/capacity-index.ts';
import type { NewSession, PlacementCandidate, ServerRecord, SessionRecord } from '../state/types.ts';
import type { PlacementRules } from './placement.ts';
import { chooseIndexed, choosePlacement } from './placement.ts';
import { serverRecord, session as sessionRecord } from '../../test/fixtures/plan/builders.ts';
import { propertyRuns } from '../testing/property-runs.ts';

const USERS = ['u1', 'u2', 'u3', 'u4'];
const TIMES = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z'];

/** Zones as the config gives them: per autoscale config, per fixed server. */
const rules: PlacementRules = {
  poolType: 'server',
  autoscaleActive: () => true,
  zoneOf: (s) => (s.autoscale === null ? (s.id.charCodeAt(s.id.length - 1) % 2 === 0 ? 'east' : 'west') : s.autoscale === 'a' ? 'east' : 'west'),
};

const serverArb = fc.record({
  autoscale: fc.constantFrom<string | null>('a', 'b', 'c', null),
  created: fc.integer({ min: 0, max: TIMES.length - 1 }),
  max: fc.integer({ min: 1, max: 3 }),
  status: fc.constantFrom<'running' | 'draining' | 'starting'>('running', 'running', 'running', 'draining', 'starting'),
  enabled: fc.constantFrom(true, true, true, false),
  sessions: fc.array(fc.record({ user: fc.constantFrom(...USERS), staged: fc.boolean() }), { maxLength: 3 }),
});

const stepArb = fc.oneof(
  fc.record({ kind: fc.constant('place' as const), user: fc.constantFrom(...USERS), zone: fc.constantFrom<string | null>(null, null, 'east', 'west') }),
  fc.record({ kind: fc.constant('end' as const), pick: fc.nat() }),
);

describe('indexed placement', () => {
  it('chooses as choosePlacement does over every server, through placements and ends', () => {
    fc.assert(
      fc.property(fc.array(serverArb, { minLength: 0, maxLength: 25 }), fc.array(stepArb, { maxLength: 40 }), (defs, steps) => {
        let seq = 0;
        const servers: ServerRecord[] = defs.map((d, i) =>
          serverRecord(`srv${i}`, {
            pool: 'p',
            autoscale: d.autoscale,
            address: `vm.p.${d.autoscale ?? 'fixed'}.srv${i}`,
            hostname: `srv${i}`,
            created_at: TIMES[d.created] ?? TIMES[0],
            updated_at: TIMES[0],
            max_sessions: d.max,
            status: d.status,
            enabled: d.enabled,
          }),
        );
        const sessions = new Map<string, SessionRecord[]>();
        servers.forEach((s, i) => {
          // Never more than the limit (the database never holds more).
          const list = (defs[i]?.sessions ?? [])
            .slice(0, s.max_sessions)
            .map((x) => sessionRecord(`s${++seq}`, s.id, { pool: 'p', user: x.user, staged: x.staged, status: 'running' }));
          sessions.set(s.id, list);
        });
        const idx = new PoolCapacityIndex('p', 0, 0);
        for (const s of servers) idx.setServer(s, sessions.get(s.id) ?? []);
        const all = (): PlacementCandidate[] => servers.map((s) => ({ server: s, sessions: sessions.get(s.id) ?? [] }));

        for (const step of steps) {
          if (step.kind === 'place') {
            const request: NewSession = {
              id: `r${++seq}`,
              pool: 'p',
              user: step.user,
              zone: step.zone,
              workspace: null,
              resources: null,
              api_key: null,
              now: TIMES[0] ?? '',
            };
            const expected = choosePlacement(all(), request, rules);
            expect(chooseIndexed(idx, request, rules)).toBe(expected);
            if (expected !== null) {
              const s = sessionRecord(request.id, expected, { pool: 'p', user: step.user, status: 'running' });
              sessions.get(expected)?.push(s);
              idx.reserve(s);
              idx.commit(s.id);
            }
          } else {
            const running = [...sessions.values()].flat();
            const victim = running[step.pick % Math.max(1, running.length)];
            if (!victim || victim.server_id === null) continue;
            const list = sessions.get(victim.server_id) ?? [];
            list.splice(list.indexOf(victim), 1);
            idx.removeSession(victim.id);
          }
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('keeps reservations across a rebuild of the server and drops them when released', () => {
    const s = serverRecord('x', { pool: 'p', autoscale: 'a', max_sessions: 2, created_at: TIMES[0], updated_at: TIMES[0] });
    const idx = new PoolCapacityIndex('p', 0, 0);
    idx.setServer(s, []);
    const r = sessionRecord('r1', 'x', { pool: 'p', user: 'u1', status: 'running' });
    idx.reserve(r);
    idx.setServer(s, [sessionRecord('other', 'x', { pool: 'p', user: 'u2', status: 'running' })]);
    expect(idx.sessionIds('x').sort()).toEqual(['other', 'r1']);
    // Full: no longer offered.
    expect([...idx.withRoom('autoscale:a')]).toHaveLength(0);
    idx.release('r1');
    expect(idx.sessionIds('x')).toEqual(['other']);
    expect([...idx.withRoom('autoscale:a')].map((c) => c.server.id)).toEqual(['x']);
  });

  it('a server full at build time is counted, not loaded, and read again once one of its sessions ends', () => {
    const idx = new PoolCapacityIndex('p', 0, 0);
    const full = serverRecord('full', { pool: 'p', autoscale: 'a', max_sessions: 2, created_at: TIMES[0], updated_at: TIMES[0] });
    idx.setFullServer(full, 2);
    expect(idx.get('full')).toBeUndefined();
    expect(idx.all()).toEqual([]);
    expect([...idx.withRoom('autoscale:a')]).toEqual([]);
    idx.sessionEnded(sessionRecord('gone', 'full', { pool: 'p', status: 'ended' }));
    expect(idx.staleServers()).toEqual(['full']);
    // Still not offered until read again.
    expect(idx.get('full')).toBeUndefined();
    idx.setServer(full, [sessionRecord('left', 'full', { pool: 'p', user: 'u1', status: 'running' })]);
    expect(idx.staleServers()).toEqual([]);
    expect(idx.ofUser('u1').map((c) => c.server.id)).toEqual(['full']);
    expect([...idx.withRoom('autoscale:a')].map((c) => c.server.id)).toEqual(['full']);
  });

  it('offers plain choosers the servers that could take a session: full servers out, docker agents in whatever their load', () => {
    const idx = new PoolCapacityIndex('p', 0, 0);
    const full = serverRecord('full', { pool: 'p', autoscale: 'a', max_sessions: 1, created_at: TIMES[0], updated_at: TIMES[0] });
    const free = serverRecord('free', { pool: 'p', autoscale: 'a', max_sessions: 1, created_at: TIMES[1], updated_at: TIMES[0] });
    const agent = serverRecord('agent', {
      pool: 'p',
      autoscale: 'a',
      max_sessions: 1,
      capacity: { cores: 1, memory_mb: 1, gpus: 0 },
      created_at: TIMES[2],
      updated_at: TIMES[0],
    });
    const draining = serverRecord('draining', { pool: 'p', autoscale: 'a', status: 'draining', created_at: TIMES[0], updated_at: TIMES[0] });
    idx.setServer(full, [sessionRecord('f1', 'full', { pool: 'p', status: 'running' })]);
    idx.setServer(free, []);
    idx.setServer(agent, [sessionRecord('a1', 'agent', { pool: 'p', status: 'running' })]);
    idx.setServer(draining, []);
    expect(idx.all().map((c) => c.server.id)).toEqual(['free', 'agent']);
    expect(idx.get('full')?.sessions.map((s) => s.id)).toEqual(['f1']);
    expect(idx.get('draining')).toBeUndefined();
  });
});
