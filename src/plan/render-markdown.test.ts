import { describe, expect, it } from 'vitest';
import { renderPlanMarkdown } from './render-markdown.ts';
import type { Plan, ResourceChange } from './types.ts';

function change(partial: Partial<ResourceChange> & Pick<ResourceChange, 'address' | 'action'>): ResourceChange {
  return {
    type: 'vm',
    name: partial.address.split('.').at(-1) ?? '',
    before: null,
    after: null,
    reason: 'because',
    depends_on: [],
    provider: 'local',
    pool: 'desktops',
    ...partial,
  };
}

function plan(changes: ResourceChange[], extra: Partial<Plan> = {}): Plan {
  return {
    format_version: '1.0',
    lineage: 'lin-1',
    serial: 7,
    created_at: '2026-01-05T12:00:00.000Z',
    at: '2026-01-05T12:00:00.000Z',
    changes,
    drift: [],
    decisions: [],
    held: [],
    errors: [],
    ...extra,
  };
}

describe('renderPlanMarkdown', () => {
  it('says No changes for a converged plan', () => {
    const md = renderPlanMarkdown(plan([]));
    expect(md).toContain('**No changes.**');
    expect(md).not.toContain('[!WARNING]');
  });

  it('puts the summary first, groups by pool and calls out destroys', () => {
    const md = renderPlanMarkdown(
      plan([
        change({ address: 'vm.desktops.day.a1', action: 'create', reason: 'scale-up: 0 sessions available, 2 wanted' }),
        change({ address: 'vm.agents.std.b2', action: 'delete', pool: 'agents', reason: 'scale-down: idle' }),
        change({ address: 'server.fixed.web1', action: 'update', type: 'server', pool: 'fixed', reason: 'hostname changed' }),
      ]),
    );
    const summaryAt = md.indexOf('Plan: 1 to add, 1 to change, 1 to destroy.');
    expect(summaryAt).toBeGreaterThan(0);
    expect(summaryAt).toBeLessThan(md.indexOf('#### Pool'));
    expect(md).toContain('> [!WARNING]');
    expect(md).toContain('> - `vm.agents.std.b2`: scale-down: idle');
    expect(md.indexOf('#### Pool `agents`')).toBeLessThan(md.indexOf('#### Pool `desktops`'));
    expect(md).toContain('| `+` create | `vm.desktops.day.a1` | scale-up: 0 sessions available, 2 wanted |');
  });

  it('redacts secret-looking attributes even if the planner missed them', () => {
    const md = renderPlanMarkdown(
      plan([
        change({
          address: 'vm.desktops.day.a1',
          action: 'create',
          after: { hostname: 'desk-a1', connection_password: 'hunter2', nested: { checkin_jwt: 'eyJ.x.y' } },
        }),
      ]),
    );
    expect(md).not.toContain('hunter2');
    expect(md).not.toContain('eyJ.x.y');
    expect(md).toContain('"connection_password": "(sensitive)"');
    expect(md).toContain('desk-a1');
  });

  it('escapes table pipes in reasons and lists drift, held changes and errors', () => {
    const md = renderPlanMarkdown(
      plan([change({ address: 'vm.p.a.x', action: 'create', reason: 'a | b' })], {
        drift: [{ address: 'vm.p.a.y', type: 'vm', before: null, after: null, reason: 'terminated outside poolform' }],
        held: [change({ address: 'vm.p.a.z', action: 'delete', reason: 'idle' })],
        errors: ['VmProvider aws-prod: observe failed'],
      }),
    );
    expect(md).toContain('a \\| b');
    expect(md).toContain('#### Changed outside poolform');
    expect(md).toContain('#### Held by apply policy');
    expect(md).toContain('- VmProvider aws-prod: observe failed');
  });
});
