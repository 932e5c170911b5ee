import { describe, expect, it } from 'vitest';
import { serverRecord } from '../../test/fixtures/plan/builders.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import type { NewSession, PlacementChooser } from '../state/types.ts';
import { failIfTargetUnavailable } from './orphaned-target.ts';
import { silentLog } from './types.ts';

const NOW = '2026-01-05T13:00:00.000Z';
const noRoom: PlacementChooser = () => null;
const queued = (id: string, target: string | null): NewSession => ({
  id,
  pool: 'desktops',
  user: id,
  zone: null,
  workspace: null,
  resources: null,
  api_key: 'k',
  now: '2026-01-05T12:59:00.000Z',
  target_server_id: target,
});

describe('failIfTargetUnavailable', () => {
  it('fails queued targeted requests whose server is gone, failed, draining or disabled; keeps those still coming up and untargeted ones', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    try {
      await store.putServer(serverRecord('up', { pool: 'desktops', status: 'starting' }));
      await store.putServer(serverRecord('broken', { pool: 'desktops', status: 'failed' }));
      await store.putServer(serverRecord('leaving', { pool: 'desktops', status: 'draining' }));
      await store.putServer(serverRecord('off', { pool: 'desktops', status: 'starting', enabled: false }));
      const cases = [
        ['t-up', 'up', 'queued'],
        ['t-broken', 'broken', 'failed'],
        ['t-leaving', 'leaving', 'failed'],
        ['t-off', 'off', 'failed'],
        ['t-gone', 'gone', 'failed'],
        ['plain', null, 'queued'],
      ] as const;
      for (const [id, target, expected] of cases) {
        const r = await store.allocateSession(queued(id, target), noRoom, { onNoCapacity: 'queue' });
        if (r.outcome !== 'queued') throw new Error('not queued');
        const after = await failIfTargetUnavailable(store, silentLog, r.session, NOW);
        expect([id, after.status]).toEqual([id, expected]);
        if (expected === 'failed') expect(after).toMatchObject({ end_reason: 'target_unavailable', ended_at: NOW });
        // Idempotent: looking again changes nothing and audits nothing more.
        expect((await failIfTargetUnavailable(store, silentLog, after, NOW)).status).toBe(expected);
      }
      expect((await store.listAudit(20)).filter((a) => a.action === 'session-target-unavailable')).toHaveLength(4);
    } finally {
      await store.close();
    }
  });
});
