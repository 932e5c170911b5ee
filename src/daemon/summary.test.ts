import { describe, expect, it } from 'vitest';
import type { ReconcileOutcome } from './pipeline.ts';
import { outcomeMessage, reconcileSummary } from './summary.ts';

const change = (i: number) => ({ address: `vm.p.a.s${i}`, action: 'create', reason: 'r' });

describe('reconcile summary', () => {
  it('counts the outcome and caps its lists (200 changes and decisions, 50 errors)', () => {
    const outcome: ReconcileOutcome = {
      changes: Array.from({ length: 250 }, (_, i) => change(i)),
      applied: 240,
      failed: 10,
      held: [change(1)],
      decisions: Array.from({ length: 300 }, () => ({ action: 'create', pool: 'p', autoscale: 'a', reason: 'min' })),
      errors: Array.from({ length: 80 }, (_, i) => `e${i}`),
      providerErrors: [],
      audited: true,
    };
    const s = reconcileSummary(Date.parse('2026-01-05T12:00:00Z'), Date.parse('2026-01-05T12:00:02Z'), 'interval', 'ok', outcomeMessage(outcome), outcome);
    expect(s).toMatchObject({
      started_at: '2026-01-05T12:00:00.000Z',
      duration_ms: 2000,
      changes: 250,
      applied: 240,
      failed: 10,
      held: 1,
      trigger: 'interval',
    });
    expect(s.plan).toHaveLength(200);
    expect(s.decisions).toHaveLength(200);
    expect(s.decisions?.[0]?.server_id).toBeNull();
    expect(s.errors).toHaveLength(50);
    expect(s.message).toBe('250 change(s): 240 applied, 10 failed, 1 held; 80 error(s)');
  });

  it('a run without an outcome has empty lists', () => {
    const s = reconcileSummary(0, 5, 'start', 'skipped', 'no valid configuration loaded');
    expect(s).toMatchObject({ result: 'skipped', changes: 0, plan: [], held_changes: [], decisions: [], errors: [] });
  });
});
