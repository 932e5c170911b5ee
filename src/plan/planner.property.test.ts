// Properties of buildPlan over random states, observations and decisions:
// it never throws, is deterministic, addresses are unique, dependencies stay
// inside the plan and point the right way, new server ids and hostnames are
// fresh and valid, nothing is planned on a provider that could not be
// observed, and no secret reaches the plan.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../autoscale/types.ts';
import { emptyObserved } from '../model/observed.ts';
import type { ObservedVm } from '../model/observed.ts';
import type { ResourceRecord } from '../model/resource.ts';
import type { ServerRecord } from '../model/server.ts';
import {
  T0,
  adResource,
  computer,
  dnsRecord,
  dnsResource,
  emptySnapshot,
  observedVm,
  observedWith,
  serverRecord,
  testConfig,
  vmResource,
} from '../../test/fixtures/plan/builders.ts';
import { createSeededIdGen, isValidHostname, isValidServerId } from './names.ts';
import { buildPlan } from './planner.ts';
import type { BuildPlanArgs } from './planner.ts';
import { propertyRuns } from '../testing/property-runs.ts';

const ids = ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dddddddd', 'eeeeeeee', 'ffffffff'];

const serverArb = fc.record({
  id: fc.constantFrom(...ids),
  inState: fc.boolean(),
  withDns: fc.boolean(),
  withAd: fc.boolean(),
  vm: fc.constantFrom('running', 'terminated', 'missing') as fc.Arbitrary<'running' | 'terminated' | 'missing'>,
  dnsSeen: fc.boolean(),
  adSeen: fc.boolean(),
  deleting: fc.boolean(),
});

const decisionArb: fc.Arbitrary<Decision> = fc.oneof(
  fc.constant<Decision>({ action: 'create', pool: 'desktops', autoscale: 'day', reason: 'scale-up' }),
  fc
    .subarray(ids, { minLength: 1, maxLength: 2 })
    .map((waits): Decision => ({ action: 'create', pool: 'desktops', autoscale: 'day', reason: 'scale-up', after_destroy: waits })),
  fc.constantFrom(...ids).map((id): Decision => ({ action: 'destroy', pool: 'desktops', autoscale: 'day', server_id: id, reason: 'scale-down' })),
  fc.constantFrom(...ids).map((id): Decision => ({ action: 'drain', pool: 'desktops', autoscale: 'day', server_id: id, reason: 'drain' })),
  fc.constant<Decision>({ action: 'hold', pool: 'desktops', autoscale: 'day', reason: 'max_instances' }),
);

const caseArb = fc.record({
  servers: fc.uniqueArray(serverArb, { selector: (s) => s.id, maxLength: 6 }),
  decisions: fc.array(decisionArb, { maxLength: 6 }),
  vmObserveFails: fc.boolean(),
  refresh: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function argsFor(c: Case): BuildPlanArgs {
  const resources: ResourceRecord[] = [];
  const servers: ServerRecord[] = [];
  const vms: ObservedVm[] = [];
  const dns = [];
  const computers = [];
  for (const s of c.servers) {
    if (s.inState) {
      resources.push(vmResource(s.id, {}, s.deleting ? { status: 'deleting' } : {}));
      servers.push(serverRecord(s.id));
      if (s.withDns) resources.push(dnsResource(s.id));
      if (s.withAd) resources.push(adResource(s.id));
    }
    if (s.vm !== 'missing') vms.push(observedVm(s.id, { state: s.vm }));
    if (s.dnsSeen) dns.push(dnsRecord(s.id));
    if (s.adSeen) computers.push(computer(s.id));
  }
  let observed = c.refresh ? observedWith({ vms, dns, computers }) : null;
  if (observed && c.vmObserveFails) {
    observed = {
      ...observed,
      vms: new Map(),
      errors: [{ kind: 'vm', provider: 'local', scope: null, code: 'provider-error', message: 'down', retryable: true }],
    };
  }
  return {
    config: testConfig(),
    snapshot: emptySnapshot({ resources, servers }),
    observed,
    result: { decisions: c.decisions, staging: [] },
    now: T0,
    idGen: createSeededIdGen(c.seed),
  };
}

describe('buildPlan properties', () => {
  it('holds its invariants on random inputs', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const plan = buildPlan(argsFor(c));
        const again = buildPlan(argsFor(c));
        expect(again).toEqual(plan);

        const addresses = plan.changes.map((x) => x.address);
        expect(new Set(addresses).size).toBe(addresses.length);
        expect([...addresses].sort()).toEqual(addresses);
        const byAddress = new Map(plan.changes.map((x) => [x.address, x]));
        const stateIds = new Set(c.servers.filter((s) => s.inState).map((s) => s.id));
        for (const change of plan.changes) {
          for (const dep of change.depends_on) {
            const d = byAddress.get(dep);
            expect(d).toBeDefined();
            // Creates wait for creates (AD → VM → DNS); deletes wait for deletes (DNS → VM → AD);
            // a VM create may wait for VM destroys whose max_instances slot it takes.
            if (change.action === 'delete') expect(d?.action).toBe('delete');
            else if (d?.action === 'delete') expect([change.type, d.type]).toEqual(['vm', 'vm']);
          }
          if (change.type === 'vm' && change.action === 'create') {
            expect(isValidServerId(change.name)).toBe(true);
            expect(stateIds.has(change.name)).toBe(false);
            expect(isValidHostname(String(change.after?.['hostname']))).toBe(true);
          }
          expect(JSON.stringify(change)).not.toContain('${env:');
        }
        if (c.refresh && c.vmObserveFails) {
          // Unknown VM provider: no VM is created or destroyed, no drift claimed.
          expect(plan.changes.filter((x) => x.type === 'vm' && x.action !== 'update')).toEqual([]);
          expect(plan.drift.filter((d) => d.type === 'vm')).toEqual([]);
          expect(plan.errors.length).toBeGreaterThan(0);
        }
        if (!c.refresh) expect(plan.drift).toEqual([]);
      }),
      { numRuns: propertyRuns(400) },
    );
  });

  it('an empty observation of every provider never destroys what is not in state', () => {
    const observed = emptyObserved();
    const plan = buildPlan({ ...argsFor({ servers: [], decisions: [], vmObserveFails: false, refresh: true, seed: 1 }), observed });
    expect(plan.changes.filter((c) => c.action === 'delete')).toEqual([]);
  });
});
