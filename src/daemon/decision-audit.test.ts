import { describe, expect, it } from 'vitest';
import { createDecisionAudit, decisionAuditEntries } from './decision-audit.ts';
import type { DecisionLine } from './pipeline.ts';

const create: DecisionLine = { action: 'create', pool: 'p', autoscale: 'a', reason: 'below minimum_available_sessions' };
const hold = (age: string): DecisionLine => ({ action: 'hold', pool: 'p', autoscale: 'a', server_id: 's1', reason: `destroy held: starting for ${age}` });

describe('decision audit', () => {
  it('a decision repeated unchanged is not fresh; one about a server stays the same while its reason prefix holds', () => {
    const audit = createDecisionAudit();
    expect(audit.review({ decisions: [create, hold('1m')], held: [] }).fresh).toEqual([create, hold('1m')]);
    const second = audit.review({ decisions: [create, hold('2m')], held: [] });
    expect(second.fresh).toEqual([]);
    expect(second.decisions.map((d) => d.fresh)).toEqual([false, false]);
    // Gone for one run, then back: fresh again.
    audit.review({ decisions: [], held: [] });
    expect(audit.review({ decisions: [create], held: [] }).fresh).toEqual([create]);
  });

  it('a held change is fresh once per streak, whatever its reason says', () => {
    const audit = createDecisionAudit();
    const h = (reason: string) => ({ address: 'vm.p.a.s1', action: 'destroy', reason });
    expect(audit.review({ decisions: [], held: [h('idle 1m')] }).held[0]?.fresh).toBe(true);
    expect(audit.review({ decisions: [], held: [h('idle 2m')] }).held[0]?.fresh).toBe(false);
  });

  it('audit entries name the VM address of a server decision', () => {
    expect(decisionAuditEntries([create, hold('1m')], '2026-01-05T12:00:00.000Z', 'safe')).toEqual([
      {
        at: '2026-01-05T12:00:00.000Z',
        actor: 'serve',
        action: 'create',
        address: null,
        reason: create.reason,
        detail: { pool: 'p', autoscale: 'a', policy: 'safe' },
      },
      {
        at: '2026-01-05T12:00:00.000Z',
        actor: 'serve',
        action: 'hold',
        address: 'vm.p.a.s1',
        reason: hold('1m').reason,
        detail: { pool: 'p', autoscale: 'a', policy: 'safe' },
      },
    ]);
  });
});
