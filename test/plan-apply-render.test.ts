// Golden files for the text renderer (test/fixtures/plan/*.txt) and the JSON
// shape, from hand-built, deterministic plans. To rewrite the golden files
// after an intended change: UPDATE_GOLDEN=1 npx vitest run test/plan-apply-render.test.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTENT_GRACE_MS } from '../src/plan/intent-grace.ts';
import type { BuildPlanArgs } from '../src/plan/planner.ts';
import { planToJson, renderPlanJson } from '../src/plan/render-json.ts';
import { renderPlanText } from '../src/plan/render-text.ts';
import type { Plan } from '../src/plan/types.ts';
import type { Decision } from '../src/autoscale/types.ts';
import {
  LEGACY_ATTRS,
  adResource,
  computer,
  desktopsPool,
  dnsRecord,
  dnsResource,
  emptySnapshot,
  planWith,
  fixedResource,
  intent,
  observedVm,
  observedWith,
  serverRecord,
  testConfig,
  vmResource,
} from './fixtures/plan/builders.ts';
import { FIXTURES } from './fixtures/plan/harness.ts';

const scaleUp: Decision = {
  action: 'create',
  pool: 'desktops',
  autoscale: 'day',
  reason: 'scale-up: 0 sessions available, 2 wanted (minimum_available_sessions)',
};

function make(partial: Partial<BuildPlanArgs>): Plan {
  return planWith(partial, 7);
}

function golden(name: string, actual: string): void {
  const file = join(FIXTURES, `${name}.txt`);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const converged = () =>
  emptySnapshot({
    resources: [vmResource('abcdefgh'), dnsResource('abcdefgh'), adResource('abcdefgh'), fixedResource(LEGACY_ATTRS)],
    servers: [serverRecord('abcdefgh')],
  });
const convergedObserved = () => observedWith({ vms: [observedVm('abcdefgh')], dns: [dnsRecord('abcdefgh')], computers: [computer('abcdefgh')] });

const scenarios: Record<string, () => Plan> = {
  'create-from-scratch': () => make({ result: { decisions: [scaleUp, scaleUp], staging: [] } }),
  'no-changes': () => make({ snapshot: converged(), observed: convergedObserved() }),
  'scale-down': () =>
    make({
      snapshot: converged(),
      observed: convergedObserved(),
      result: {
        decisions: [
          { action: 'destroy', pool: 'desktops', autoscale: 'day', server_id: 'abcdefgh', reason: 'scale-down: 4 sessions available, 2 wanted; server idle' },
          { action: 'hold', pool: 'desktops', autoscale: 'day', reason: 'downscale_backoff: no destroys until 12:30:00Z' },
        ],
        staging: [],
      },
    }),
  'drift-replace': () =>
    make({
      snapshot: converged(),
      observed: observedWith({ vms: [], dns: [dnsRecord('abcdefgh')], computers: [computer('abcdefgh')] }),
      result: { decisions: [scaleUp], staging: [] },
    }),
  'fixed-server-update': () => {
    const pool = desktopsPool();
    pool.servers = [
      { name: 'legacy1', hostname: '10.0.0.9', connection_type: 'rdp', connection_port: 3390, connection_password: '${env:NEW}', max_simultaneous_sessions: 3 },
    ];
    return make({ config: testConfig([pool]), snapshot: converged(), observed: convergedObserved() });
  },
  'recovery-and-errors': () => {
    const observed = observedWith({ vms: [observedVm('abcdefgh', { intent_id: 'i-1' })], dns: [dnsRecord('zzzzzzzz')], computers: [computer('abcdefgh')] });
    observed.errors.push({ kind: 'vm', provider: 'aws-east', scope: null, code: 'provider-error', message: 'RequestLimitExceeded', retryable: true });
    observed.errors.push({
      kind: 'dns',
      provider: 'r53',
      scope: 'corp.example.net',
      code: 'dns-zone-not-found',
      message: 'DnsProvider r53: no Route 53 hosted zone found for base_domain_name corp.example.net; create the hosted zone, or set hosted_zone_id',
      retryable: false,
      field: 'base_domain_name',
    });
    return make({
      snapshot: emptySnapshot({
        resources: [fixedResource(LEGACY_ATTRS), adResource('abcdefgh')],
        servers: [
          serverRecord('abcdefgh', { status: 'provisioning' }),
          serverRecord('nnnnnnnn', { status: 'provisioning' }),
          serverRecord('wwwwwwww', { status: 'provisioning' }),
        ],
        // i-2 is older than the intent grace (discarded); i-3 was written 2 minutes ago (waited for).
        intents: [
          intent('i-1', 'abcdefgh'),
          intent('i-2', 'nnnnnnnn', { created_at: '2026-01-05T11:30:00.000Z' }),
          intent('i-3', 'wwwwwwww', { created_at: '2026-01-05T11:58:00.000Z' }),
        ],
      }),
      observed,
      intentGraceMs: INTENT_GRACE_MS,
      result: { decisions: [{ action: 'create', pool: 'desktops', autoscale: 'gone-config', reason: 'scale-up' }], staging: [] },
    });
  },
};

describe('text rendering (golden files)', () => {
  for (const [name, build] of Object.entries(scenarios)) {
    it(name, () => golden(name, renderPlanText(build())));
  }

  it('says No changes. when converged and counts a replace as one add and one destroy', () => {
    expect(renderPlanText(scenarios['no-changes']?.() ?? make({}))).toContain('No changes.');
    const drift = renderPlanText(scenarios['drift-replace']?.() ?? make({}));
    expect(drift).toContain('Note: Objects have changed outside poolform');
    expect(drift).toContain('-/+ vm.desktops.day.abcdefgh {');
    expect(drift).toContain('Plan: 1 to add, 2 to change, 1 to destroy.');
  });

  it('never prints a secret, even one that slipped into a plan', () => {
    const plan = make({ result: { decisions: [scaleUp], staging: [] } });
    const vm = plan.changes.find((c) => c.type === 'vm');
    if (vm?.after) vm.after['connection_password'] = 'hunter2';
    expect(renderPlanText(plan)).not.toContain('hunter2');
    expect(renderPlanJson(plan)).not.toContain('hunter2');
  });
});

describe('JSON rendering', () => {
  it('is shaped like terraform show -json', () => {
    const doc = planToJson(scenarios['drift-replace']?.() ?? make({}));
    expect(doc['format_version']).toBe('1.0');
    expect(doc['lineage']).toBe('lineage-1');
    expect(doc['serial']).toBe(3);
    const changes = doc['resource_changes'] as Array<Record<string, unknown>>;
    const vm = changes.find((c) => c['address'] === 'vm.desktops.day.abcdefgh');
    expect(vm).toMatchObject({
      address: 'vm.desktops.day.abcdefgh',
      type: 'vm',
      name: 'abcdefgh',
      change: { actions: ['delete', 'create'] },
    });
    expect(typeof vm?.['action_reason']).toBe('string');
    const actions = changes.map((c) => (c['change'] as { actions: string[] }).actions);
    for (const a of actions) expect([['create'], ['delete'], ['update'], ['delete', 'create']]).toContainEqual(a);
    const drift = doc['resource_drift'] as Array<Record<string, unknown>>;
    expect(drift).toEqual([
      expect.objectContaining({
        address: 'vm.desktops.day.abcdefgh',
        type: 'vm',
        change: expect.objectContaining({ actions: ['delete'], after: null }),
        action_reason: 'changed outside poolform: VM no longer exists at VmProvider local',
      }),
    ]);
  });
});
