import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewSession, PlacementCandidate, ServerRecord, ServerStatus } from '../state/types.ts';
import { serverRecord, session as sessionRecord } from '../../test/fixtures/plan/builders.ts';
import type { PlacementRules } from './placement.ts';
import { choosePlacement } from './placement.ts';
import { judgeTarget, noRoomReason } from './targeted-request.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const server = (id: string, over: Partial<ServerRecord> = {}): ServerRecord =>
  serverRecord(id, { pool: 'p', autoscale: 'a', address: `vm.p.a.${id}`, hostname: id, created_at: T0, updated_at: T0, ...over });
const rules: PlacementRules = { poolType: 'server', autoscaleActive: (s) => s.autoscale !== 'off', zoneOf: () => null };
const agentRules: PlacementRules = { ...rules, poolType: 'docker_agent' };
const request = (over: Partial<NewSession> = {}): NewSession => ({
  id: 'r',
  pool: 'p',
  user: 'u',
  zone: null,
  workspace: null,
  resources: null,
  api_key: null,
  now: T0,
  ...over,
});

describe('judgeTarget', () => {
  it('places on a usable server; queues for a starting one only with aggressive scaling; otherwise says why', () => {
    expect(judgeTarget(server('s'), rules, false)).toEqual({ kind: 'place' });
    expect(judgeTarget(server('s', { status: 'starting' }), rules, true)).toEqual({ kind: 'queue' });
    expect(judgeTarget(server('s', { status: 'provisioning' }), rules, true)).toEqual({ kind: 'queue' });
    const cases: [Partial<ServerRecord>, boolean, string][] = [
      [{ status: 'starting' }, false, 'server s is still starting (waiting for its check-in)'],
      [{ enabled: false }, true, 'server s is disabled'],
      [{ status: 'draining' }, true, 'server s is draining: it takes no new sessions'],
      [{ status: 'destroying' }, true, 'server s is destroying'],
      [{ status: 'failed', status_message: 'boot error' }, true, 'server s has failed (boot error)'],
      [{ autoscale: 'off' }, true, 'belongs to autoscale config off, which is disabled or outside its schedule now'],
      [{ autoscale: 'off', status: 'starting' }, true, 'still starting'],
    ];
    for (const [over, aggressive, reason] of cases) {
      const v = judgeTarget(server('s', over), rules, aggressive);
      expect(v.kind).toBe('reject');
      if (v.kind === 'reject') expect(v.reason).toContain(reason);
    }
  });

  it('explains a full server and an agent without enough free resources', () => {
    const s = server('s', { max_sessions: 2 });
    const on = [sessionRecord('x1', 's', { status: 'running' }), sessionRecord('x2', 's', { status: 'running' })];
    expect(noRoomReason(s, on, null, rules)).toBe('server s is full (2 of 2 sessions)');
    const a = server('a', { capacity: { cores: 4, memory_mb: 4096, gpus: 0 } });
    const used = [sessionRecord('y', 'a', { status: 'running', resources: { cores: 3, memory_mb: 1024, gpus: 0 } })];
    expect(noRoomReason(a, used, { cores: 2, memory_mb: 2048, gpus: 0 }, agentRules)).toBe(
      'agent a has not enough free resources: 1 cores, 3072 MB, 0 GPUs free; the workspace needs 2 cores, 2048 MB, 0 GPUs',
    );
  });
});

describe('choosePlacement with a target', () => {
  it('never places a targeted request on another server (property)', () => {
    const statuses: ServerStatus[] = ['running', 'starting', 'draining', 'failed'];
    const arb = fc.array(fc.record({ status: fc.constantFrom(...statuses), max: fc.integer({ min: 1, max: 3 }), used: fc.integer({ min: 0, max: 3 }) }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(arb, fc.nat(), (specs, pick) => {
        const candidates: PlacementCandidate[] = specs.map((spec, i) => ({
          server: server(`s${i}`, { status: spec.status, max_sessions: spec.max }),
          sessions: Array.from({ length: spec.used }, (_, j) => sessionRecord(`s${i}-${j}`, `s${i}`, { status: 'running', pool: 'p' })),
        }));
        const target = `s${pick % specs.length}`;
        const chosen = choosePlacement(candidates, request({ target_server_id: target }), rules);
        expect(chosen === null || chosen === target).toBe(true);
        const t = specs[pick % specs.length];
        if (t && t.status === 'running' && t.used < t.max) expect(chosen).toBe(target);
      }),
      { numRuns: 300 },
    );
  });
});
