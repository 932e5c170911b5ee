import { describe, expect, it } from 'vitest';
import type { BuildPlanArgs } from './planner.ts';
import { summarize } from './types.ts';
import type { Plan } from './types.ts';
import type { Decision } from '../autoscale/types.ts';
import { emptyObserved } from '../model/observed.ts';
import { buildDecisionInput } from './decision-input.ts';
import { INTENT_GRACE_MS, intentGraceFor } from './intent-grace.ts';
import { renderPlanText } from './render-text.ts';
import {
  LEGACY_ATTRS,
  T0,
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
} from '../../test/fixtures/plan/builders.ts';

const create: Decision = { action: 'create', pool: 'desktops', autoscale: 'day', reason: 'scale-up: 0 sessions available, 2 wanted' };

function plan(partial: Partial<BuildPlanArgs>): Plan {
  return planWith(partial, 1);
}

function actions(p: Plan): string[] {
  return p.changes.map((c) => `${c.action} ${c.address}`);
}

/** A converged state: one VM with its DNS and AD records, and the fixed server. */
function converged() {
  return emptySnapshot({
    resources: [vmResource('abcdefgh'), dnsResource('abcdefgh'), adResource('abcdefgh'), fixedResource(LEGACY_ATTRS)],
    servers: [serverRecord('abcdefgh')],
  });
}
const convergedObserved = () => observedWith({ vms: [observedVm('abcdefgh')], dns: [dnsRecord('abcdefgh')], computers: [computer('abcdefgh')] });

describe('buildPlan', () => {
  it('creates the fixed server, and for each create decision an AD record → VM → DNS record chain', () => {
    const p = plan({ result: { decisions: [create, create], staging: [] } });
    expect(summarize(p)).toEqual({ add: 7, change: 0, destroy: 0 });
    const vms = p.changes.filter((c) => c.type === 'vm');
    expect(vms).toHaveLength(2);
    for (const vm of vms) {
      const id = vm.name;
      expect(vm.address).toBe(`vm.desktops.day.${id}`);
      const hostname = vm.after?.['hostname'];
      expect(typeof hostname).toBe('string');
      expect(vm.depends_on).toEqual([`ad_computer.${String(hostname)}`]);
      const dns = p.changes.find((c) => c.address === `dns.${String(hostname)}.desk.example.com`);
      expect(dns?.action).toBe('create');
      expect(dns?.depends_on).toEqual([vm.address]);
      expect(vm.after?.['startup_script']).toBe('(sensitive)');
      expect(vm.after?.['connection_password']).toBe('(sensitive)');
      expect(vm.reason).toBe(create.reason);
    }
    expect(p.changes.find((c) => c.address === 'server.desktops.legacy1')?.after).toEqual(LEGACY_ATTRS);
    // Deterministic order: by address.
    expect([...p.changes.map((c) => c.address)].sort()).toEqual(p.changes.map((c) => c.address));
  });

  it('is deterministic for the same inputs and id source', () => {
    const a = plan({ result: { decisions: [create, create], staging: [] } });
    const b = plan({ result: { decisions: [create, create], staging: [] } });
    expect(a).toEqual(b);
  });

  it('never reuses a taken server id or hostname', () => {
    const ids = ['abcdefgh', 'abcdefgz', 'qqqqqqqq'];
    const p = plan({
      snapshot: converged(),
      observed: convergedObserved(),
      idGen: () => ids.shift() ?? 'zzzzzzzz',
      result: { decisions: [create], staging: [] },
    });
    // abcdefgh is taken; abcdefgz has the same 7-character hostname suffix.
    expect(p.changes.find((c) => c.type === 'vm')?.name).toBe('qqqqqqqq');
  });

  it('says nothing when converged', () => {
    const p = plan({ snapshot: converged(), observed: convergedObserved() });
    expect(p.changes).toEqual([]);
    expect(p.drift).toEqual([]);
    expect(p.errors).toEqual([]);
    expect(p.cleanup).toBeUndefined();
  });

  it('updates and deletes fixed servers as the YAML changes', () => {
    const pool = desktopsPool();
    pool.servers = [
      {
        name: 'legacy1',
        hostname: '10.0.0.6',
        connection_type: 'rdp',
        connection_port: 3389,
        connection_password: '${env:LEGACY_PASSWORD}',
        max_simultaneous_sessions: 3,
      },
    ];
    const p = plan({ config: testConfig([pool]), snapshot: converged(), observed: convergedObserved() });
    expect(actions(p)).toEqual(['update server.desktops.legacy1']);
    expect(p.changes[0]?.reason).toContain('hostname');

    pool.servers = [];
    const q = plan({ config: testConfig([pool]), snapshot: converged(), observed: convergedObserved() });
    expect(actions(q)).toEqual(['delete server.desktops.legacy1']);
  });

  it('destroys in reverse order: DNS record → VM → AD record', () => {
    const p = plan({
      snapshot: converged(),
      observed: convergedObserved(),
      result: { decisions: [{ action: 'destroy', pool: 'desktops', autoscale: 'day', server_id: 'abcdefgh', reason: 'scale-down: idle' }], staging: [] },
    });
    expect(actions(p)).toEqual(['delete ad_computer.desktop-abcdefg', 'delete dns.desktop-abcdefg.desk.example.com', 'delete vm.desktops.day.abcdefgh']);
    const by = new Map(p.changes.map((c) => [c.address, c]));
    expect(by.get('vm.desktops.day.abcdefgh')?.depends_on).toEqual(['dns.desktop-abcdefg.desk.example.com']);
    expect(by.get('ad_computer.desktop-abcdefg')?.depends_on).toEqual(['vm.desktops.day.abcdefgh']);
    expect(by.get('dns.desktop-abcdefg.desk.example.com')?.depends_on).toEqual([]);
  });

  it('drains a server as an update of its status', () => {
    const p = plan({
      snapshot: converged(),
      observed: convergedObserved(),
      result: { decisions: [{ action: 'drain', pool: 'desktops', autoscale: 'day', server_id: 'abcdefgh', reason: 'config removed' }], staging: [] },
    });
    expect(actions(p)).toEqual(['update vm.desktops.day.abcdefgh']);
    expect(p.changes[0]?.after?.['status']).toBe('draining');
    expect(p.changes[0]?.before?.['status']).toBe('running');
  });

  it('reports a VM deleted outside poolform as drift and replaces it at the same address', () => {
    const observed = observedWith({ vms: [], dns: [dnsRecord('abcdefgh')], computers: [computer('abcdefgh')] });
    const p = plan({ snapshot: converged(), observed, result: { decisions: [create], staging: [] } });
    expect(p.drift.map((d) => [d.address, d.reason])).toEqual([
      ['vm.desktops.day.abcdefgh', 'changed outside poolform: VM no longer exists at VmProvider local'],
    ]);
    expect(actions(p)).toEqual(['update ad_computer.desktop-abcdefg', 'update dns.desktop-abcdefg.desk.example.com', 'replace vm.desktops.day.abcdefgh']);
    const vm = p.changes.find((c) => c.type === 'vm');
    expect(vm?.observed_gone).toBe(true);
    expect(vm?.depends_on).toEqual(['ad_computer.desktop-abcdefg']);
    expect(p.changes.find((c) => c.type === 'ad_computer')?.after?.['password']).toBe('(sensitive)');
    expect(summarize(p)).toEqual({ add: 1, change: 2, destroy: 1 });
  });

  it('forgets a gone VM (and removes its records) when no decision replaces it', () => {
    const observed = observedWith({ vms: [observedVm('abcdefgh', { state: 'terminated' })], dns: [dnsRecord('abcdefgh')], computers: [computer('abcdefgh')] });
    const p = plan({ snapshot: converged(), observed });
    expect(p.drift[0]?.reason).toContain('VM terminated');
    expect(actions(p)).toEqual(['delete ad_computer.desktop-abcdefg', 'delete dns.desktop-abcdefg.desk.example.com', 'delete vm.desktops.day.abcdefgh']);
    expect(p.changes.find((c) => c.type === 'vm')?.observed_gone).toBe(true);
  });

  it('shows a VM stopped outside poolform as drift, and the autoscaler sees it as failed', () => {
    const observed = observedWith({ vms: [observedVm('abcdefgh', { state: 'stopped' })], dns: [dnsRecord('abcdefgh')], computers: [computer('abcdefgh')] });
    const p = plan({ snapshot: converged(), observed });
    expect(p.drift.map((d) => [d.address, d.reason])).toEqual([['vm.desktops.day.abcdefgh', expect.stringContaining('VM stopped at VmProvider')]]);
    const input = buildDecisionInput({ config: testConfig(), snapshot: converged(), observed, now: T0 });
    expect(input.servers.find((s) => s.id === 'abcdefgh')).toMatchObject({ status: 'failed', gone: false });
    const running = buildDecisionInput({ config: testConfig(), snapshot: converged(), observed: convergedObserved(), now: T0 });
    expect(running.servers.find((s) => s.id === 'abcdefgh')?.status).toBe('running');
  });

  it('leaves alone the records of a VM poolform forgot (state rm) while that VM still exists', () => {
    const snapshot = emptySnapshot({ resources: [fixedResource(LEGACY_ATTRS)] });
    const observed = observedWith({ vms: [observedVm('kkkkkkkk')], dns: [dnsRecord('kkkkkkkk')], computers: [computer('kkkkkkkk')] });
    expect(actions(plan({ snapshot, observed }))).toEqual([]);
    // Once it is terminated, its records are orphans.
    const gone = observedWith({ vms: [observedVm('kkkkkkkk', { state: 'terminated' })], dns: [dnsRecord('kkkkkkkk')], computers: [computer('kkkkkkkk')] });
    expect(actions(plan({ snapshot, observed: gone }))).toEqual(['delete ad_computer.desktop-kkkkkkk', 'delete dns.desktop-kkkkkkk.desk.example.com']);
  });

  it('recreates DNS and AD records deleted outside poolform', () => {
    const observed = observedWith({ vms: [observedVm('abcdefgh')] });
    const p = plan({ snapshot: converged(), observed });
    expect(actions(p)).toEqual(['create ad_computer.desktop-abcdefg', 'create dns.desktop-abcdefg.desk.example.com']);
    expect(p.drift.map((d) => d.address)).toEqual(['ad_computer.desktop-abcdefg', 'dns.desktop-abcdefg.desk.example.com']);
  });

  it('fixes a DNS record pointing at the wrong address', () => {
    const observed = observedWith({ vms: [observedVm('abcdefgh')], dns: [dnsRecord('abcdefgh', '10.9.9.9')], computers: [computer('abcdefgh')] });
    const p = plan({ snapshot: converged(), observed });
    expect(actions(p)).toEqual(['update dns.desktop-abcdefg.desk.example.com']);
    expect(p.changes[0]?.after?.['value']).toBe('127.0.0.1');
  });

  it('deletes orphaned poolform records whose server no longer exists', () => {
    const snapshot = emptySnapshot({ resources: [fixedResource(LEGACY_ATTRS), dnsResource('zzzzzzzz')] });
    const observed = observedWith({ dns: [dnsRecord('zzzzzzzz'), dnsRecord('yyyyyyyy')], computers: [computer('yyyyyyyy')] });
    const p = plan({ snapshot, observed });
    expect(actions(p)).toEqual([
      'delete ad_computer.desktop-yyyyyyy',
      'delete dns.desktop-yyyyyyy.desk.example.com',
      'delete dns.desktop-zzzzzzz.desk.example.com',
    ]);
    for (const c of p.changes) expect(c.reason).toMatch(/orphan/);
    const ad = p.changes[0];
    expect(ad?.before?.['dn']).toBe('CN=desktop-yyyyyyy,OU=Desktops,DC=corp,DC=example,DC=com');
  });

  it('adopts what an interrupted create made, and discards intents that made nothing', () => {
    const snapshot = emptySnapshot({
      resources: [fixedResource(LEGACY_ATTRS), adResource('abcdefgh')],
      servers: [serverRecord('abcdefgh', { status: 'provisioning' }), serverRecord('nnnnnnnn', { status: 'provisioning' })],
      intents: [intent('i-1', 'abcdefgh'), intent('i-2', 'nnnnnnnn', { created_at: '2026-01-05T11:45:00.000Z' })],
    });
    const observed = observedWith({ vms: [observedVm('abcdefgh', { intent_id: 'i-1' })], computers: [computer('abcdefgh')] });
    const p = plan({ snapshot, observed });
    expect(actions(p)).toEqual(['create dns.desktop-abcdefg.desk.example.com', 'update vm.desktops.day.abcdefgh']);
    const adopt = p.changes.find((c) => c.type === 'vm');
    expect(adopt?.before).toBeNull();
    expect(adopt?.intent_id).toBe('i-1');
    expect(adopt?.reason).toContain('adopt');
    expect(adopt?.after?.['status']).toBe('starting');
    expect(p.changes.find((c) => c.type === 'dns_record')?.depends_on).toEqual(['vm.desktops.day.abcdefgh']);
    expect(p.cleanup).toEqual([{ kind: 'intent', id: 'i-2', address: 'vm.desktops.day.nnnnnnnn', reason: 'interrupted before the provider created anything' }]);
  });

  it('waits for a young intent whose VM is not listed yet (eventual consistency), then discards it after the grace', () => {
    const snapshot = emptySnapshot({
      resources: [fixedResource(LEGACY_ATTRS)],
      servers: [serverRecord('nnnnnnnn', { status: 'provisioning', created_at: '2026-01-05T11:58:00.000Z' })],
      intents: [intent('i-2', 'nnnnnnnn', { created_at: '2026-01-05T11:58:00.000Z' })],
    });
    const observed = observedWith();
    // The fixture's provider is `local` (listed at once: no grace); give it a cloud provider's grace.
    const intentGraceMs = INTENT_GRACE_MS;
    const at = (now: string): Plan => plan({ snapshot, observed, now, intentGraceMs });
    // 2 minutes old: kept, its server counted; the plan says what it waits for.
    const young = at(T0);
    expect(young.cleanup).toBeUndefined();
    expect(young.changes).toEqual([]);
    expect(young.waiting).toEqual([
      expect.stringMatching(/^waiting for vm\.desktops\.day\.nnnnnnnn to appear at VmProvider local \(created 2m00s ago .*intent i-2\)/),
    ]);
    expect(renderPlanText(young)).toContain('waiting for vm.desktops.day.nnnnnnnn to appear');
    const view = buildDecisionInput({ config: testConfig(), snapshot, observed, now: T0, intentGraceMs }).servers.find((s) => s.id === 'nnnnnnnn');
    expect(view?.gone).toBe(false);
    // 10 minutes old: the provider made nothing; discarded.
    const old = at('2026-01-05T12:08:00.000Z');
    expect(old.waiting).toBeUndefined();
    expect(old.cleanup?.map((c) => `${c.kind} ${c.id}`)).toEqual(['intent i-2']);
    expect(buildDecisionInput({ config: testConfig(), snapshot, observed, now: '2026-01-05T12:08:00.000Z', intentGraceMs }).servers[0]?.gone).toBe(true);
    // The decisions' instant (--at) does not move the grace: the observation time does.
    expect(
      buildDecisionInput({ config: testConfig(), snapshot, observed, now: '2026-02-01T00:00:00.000Z', observedAt: T0, intentGraceMs }).servers[0]?.gone,
    ).toBe(false);
    // A create the provider refused outright made nothing: no waiting.
    const refused = emptySnapshot({
      ...snapshot,
      intents: [
        intent('i-2', 'nnnnnnnn', {
          created_at: '2026-01-05T11:58:00.000Z',
          payload: { ...intent('i-2', 'nnnnnnnn').payload, create_error: 'capacity', create_retryable: false },
        }),
      ],
    });
    expect(plan({ snapshot: refused, observed, now: T0, intentGraceMs }).cleanup?.map((c) => c.id)).toEqual(['i-2']);
    // The local provider lists what it made at once: no grace by default.
    expect(plan({ snapshot, observed, now: T0 }).cleanup?.map((c) => c.id)).toEqual(['i-2']);
    // A cloud provider gets INTENT_GRACE_MS by default.
    const cloud = testConfig();
    cloud.vmProviders = [
      {
        kind: 'VmProvider',
        name: 'local',
        type: 'aws',
        max_instances: 10,
        startup_script: 'x',
        aws_region: 'us-east-1',
        aws_ec2_ami_id: 'ami-1',
        aws_ec2_instance_type: 't3.micro',
      },
    ];
    expect(intentGraceFor(cloud, 'local')).toBe(INTENT_GRACE_MS);
    expect(intentGraceFor(testConfig(), 'local')).toBe(0);
  });

  it('removes leftover server records and intents whose resource was recorded', () => {
    const snapshot = emptySnapshot({
      resources: [fixedResource(LEGACY_ATTRS), vmResource('abcdefgh'), dnsResource('abcdefgh'), adResource('abcdefgh')],
      servers: [serverRecord('abcdefgh'), serverRecord('oooooooo', { status: 'provisioning' })],
      intents: [intent('i-9', 'abcdefgh')],
    });
    const p = plan({ snapshot, observed: convergedObserved() });
    expect(p.changes).toEqual([]);
    expect(p.cleanup?.map((c) => `${c.kind} ${c.id}`)).toEqual(['intent i-9', 'server oooooooo']);
  });

  it('plans nothing against a provider that could not be observed, and says why', () => {
    const observed = emptyObserved();
    observed.errors.push({ kind: 'vm', provider: 'local', scope: null, code: 'provider-error', message: 'connection refused', retryable: true });
    const p = plan({
      snapshot: converged(),
      observed,
      result: {
        decisions: [create, { action: 'destroy', pool: 'desktops', autoscale: 'day', server_id: 'abcdefgh', reason: 'scale-down' }],
        staging: [],
      },
    });
    expect(p.changes).toEqual([]);
    expect(p.drift).toEqual([]);
    expect(p.errors.join('\n')).toContain('VmProvider local could not be observed: connection refused');
  });

  it('holds creates when the DNS provider could not be observed', () => {
    const observed = convergedObserved();
    observed.dns.clear();
    observed.errors.push({ kind: 'dns', provider: 'hosts', scope: 'desk.example.com', code: 'provider-error', message: 'zone missing', retryable: false });
    const p = plan({ snapshot: converged(), observed, result: { decisions: [create], staging: [] } });
    expect(p.changes.filter((c) => c.type === 'vm')).toEqual([]);
    expect(p.errors.join('\n')).toContain('DnsProvider hosts (desk.example.com) could not be observed: zone missing');
  });

  it('trusts state without a refresh', () => {
    const p = plan({ snapshot: converged(), observed: null, result: { decisions: [create], staging: [] } });
    expect(p.drift).toEqual([]);
    expect(summarize(p)).toEqual({ add: 3, change: 0, destroy: 0 });
  });

  it('--target limits the plan to the addresses and what they depend on', () => {
    const p = plan({ result: { decisions: [create, create], staging: [] } });
    const dns = p.changes.find((c) => c.type === 'dns_record');
    const t = plan({ result: { decisions: [create, create], staging: [] }, targets: [dns?.address ?? ''] });
    expect(t.changes).toHaveLength(3);
    expect(t.changes.map((c) => c.type).sort()).toEqual(['ad_computer', 'dns_record', 'vm']);
    const prefix = plan({ result: { decisions: [create, create], staging: [] }, targets: ['server.desktops'] });
    expect(actions(prefix)).toEqual(['create server.desktops.legacy1']);
    expect(prefix.errors).toEqual([]);
    // A target that matches nothing is said, not silently planned as "No changes.".
    const typo = plan({ result: { decisions: [create], staging: [] }, targets: ['vm.desktops.dya'] });
    expect(typo.changes).toEqual([]);
    expect(typo.errors).toEqual(['--target vm.desktops.dya matches no resource in state and no change in this plan']);
  });

  it("a create that takes a destroyed server's max_instances slot waits for that destroy, or is not planned", () => {
    const destroy: Decision = { action: 'destroy', pool: 'desktops', autoscale: 'day', server_id: 'abcdefgh', reason: 'failed' };
    const waiting: Decision = { ...create, after_destroy: ['abcdefgh'] };
    const p = plan({ snapshot: converged(), observed: convergedObserved(), result: { decisions: [destroy, waiting], staging: [] } });
    const vmCreate = p.changes.find((c) => c.type === 'vm' && c.action === 'create');
    expect(vmCreate?.depends_on).toContain('vm.desktops.day.abcdefgh');
    const q = plan({ snapshot: converged(), observed: convergedObserved(), result: { decisions: [waiting], staging: [] } });
    expect(q.changes.filter((c) => c.type === 'vm')).toEqual([]);
    expect(q.errors.join('\n')).toContain('waits for the destroy of abcdefgh (max_instances)');
  });

  it('finishes an interrupted destroy without reporting drift', () => {
    const snapshot = converged();
    const vm = snapshot.resources.find((r) => r.type === 'vm');
    if (vm) vm.status = 'deleting';
    const observed = observedWith({ vms: [], dns: [], computers: [computer('abcdefgh')] });
    const p = plan({ snapshot, observed });
    expect(p.drift.filter((d) => d.type === 'vm')).toEqual([]);
    expect(actions(p)).toContain('delete vm.desktops.day.abcdefgh');
    expect(p.changes.find((c) => c.type === 'vm')?.observed_gone).toBe(true);
  });
});
