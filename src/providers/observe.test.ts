import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceRecord } from '../state/types.ts';
import { PoolformError } from '../util/errors.ts';
import { withCallCounter } from './intercept.ts';
import { createLocalDirectoryProvider } from './local/directory.ts';
import { dnsScopeKey, directoryScopeKey, emptyObserved, findComputer, findDnsRecord, findVm, observeAll, observeErrorFor, observeScopes } from './observe.ts';
import { createProviderRegistry } from './registry.ts';
import type { ProviderRegistry } from './registry.ts';
import { testAutoscale, testConfig, testPool } from './testing.ts';
import type { ObservedVm } from './types.ts';

const resource = (over: Partial<ResourceRecord>): ResourceRecord => ({
  address: 'x',
  type: 'vm',
  provider: 'local',
  provider_id: null,
  attributes: {},
  status: 'created',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  ...over,
});

describe('observeAll', () => {
  let stateDir: string;
  let registry: ProviderRegistry;
  const config = testConfig();
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'pf-observe-'));
    registry = createProviderRegistry({
      config,
      stateDir,
      env: { LDAP_PW: 'pw' },
      factories: { ldap: (o) => createLocalDirectoryProvider({ name: o.config.name, stateDir }) },
      localVm: { spawn: () => 999_999_990 },
    });
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('observes every VM provider, DNS zone and OU the config uses, in bulk', async () => {
    await registry.vm('local').create({ intent_id: 'i1', server_id: 's1', hostname: 'lab-s1', pool: 'lab', autoscale: 'default', user_data: '' });
    await registry.dns('hosts').upsert('desk.example.com', [{ fqdn: 'lab-s1.desk.example.com', type: 'A', value: '127.0.0.1', ttl: 60, server_id: 's1' }]);
    await registry.directory('corp').create({
      intent_id: 'i0',
      server_id: 's1',
      name: 'LAB-S1',
      container_dn: 'OU=Pool,DC=corp,DC=example,DC=com',
      dns_host_name: 'lab-s1.corp',
      password: 'pw',
    });
    const { registry: counted, counter } = withCallCounter(registry);
    const observed = await observeAll({ config, registry: counted });
    expect(observed.errors).toEqual([]);
    expect(counter.byMethod()).toEqual({ 'vm.observe': 1, 'dns.observe': 1, 'directory.observe': 1 });
    expect(findVm(observed, 'local', 's1')?.hostname).toBe('lab-s1');
    expect(findVm(observed, 'local', 's2')).toBeNull();
    expect(findDnsRecord(observed, 'hosts', 'desk.example.com', 'LAB-S1.desk.example.com')?.server_id).toBe('s1');
    expect(findComputer(observed, 'corp', 'ou=pool, dc=corp,dc=example,dc=com', 'lab-s1')?.intent_id).toBe('i0');
    expect([...observed.dns.keys()]).toEqual([dnsScopeKey('hosts', 'desk.example.com')]);
    expect([...observed.computers.keys()]).toEqual([directoryScopeKey('corp', 'OU=Pool,DC=corp,DC=example,DC=com')]);
  });

  it('one observe per provider even when many autoscale configs share it', async () => {
    const many = testConfig({ pools: [testPool('a', [testAutoscale(), testAutoscale({ name: 'b' })]), testPool('c', [testAutoscale()])] });
    const { registry: counted, counter } = withCallCounter(createProviderRegistry({ config: many, stateDir, env: {} }));
    const observed = await observeAll({ config: many, registry: counted });
    expect(counter.byMethod()).toEqual({ 'vm.observe': 1 });
    expect(observed.vms.get('local')).toEqual([]);
    expect(observed.dns.size).toBe(0);
  });

  it('a provider outage is recorded and does not stop the others; its resources are unknown', async () => {
    const broken = createProviderRegistry({
      config,
      stateDir,
      env: { LDAP_PW: 'pw' },
      factories: {
        localVm: () => ({
          kind: 'local',
          name: 'local',
          observe: () => Promise.reject(new PoolformError('throttled', 'Rate exceeded', { retryable: true })),
          create: () => Promise.reject(new Error('x')),
          destroy: async () => [],
          capacity: async () => undefined,
        }),
        ldap: (o) => createLocalDirectoryProvider({ name: o.config.name, stateDir }),
      },
    });
    const observed = await observeAll({ config, registry: broken });
    expect(observed.errors).toEqual([{ kind: 'vm', provider: 'local', scope: null, code: 'throttled', message: 'Rate exceeded', retryable: true }]);
    expect(findVm(observed, 'local', 's1')).toBeUndefined();
    expect(observeErrorFor(observed, 'vm', 'local')?.code).toBe('throttled');
    expect(findDnsRecord(observed, 'hosts', 'desk.example.com', 'x.desk.example.com')).toBeNull();
  });

  it("secrets that cannot be resolved are that provider's error only", async () => {
    const plain = createProviderRegistry({ config, stateDir, env: {} });
    const observed = await observeAll({ config, registry: plain });
    expect(observed.errors.map((e) => [e.kind, e.provider, e.code])).toEqual([['directory', 'corp', 'secret-unresolved']]);
    expect(observed.vms.get('local')).toEqual([]);
  });

  it('providers referenced only by state or intents are observed too (removed from the config)', async () => {
    const noPools = testConfig({ pools: [] });
    const plain = createProviderRegistry({
      config: noPools,
      stateDir,
      env: { LDAP_PW: 'pw' },
      factories: { ldap: (o) => createLocalDirectoryProvider({ name: o.config.name, stateDir }) },
    });
    const previous = [
      resource({ address: 'vm.lab.default.s1', type: 'vm', provider: 'local' }),
      resource({ address: 'vm.lab.default.s2', type: 'vm', provider: 'gone-provider' }),
      resource({ address: 'dns.lab-s1.desk.example.com', type: 'dns_record', provider: 'hosts', attributes: { base_domain: 'desk.example.com' } }),
      resource({ address: 'dns.x.y.example.org', type: 'dns_record', provider: 'hosts' }),
      resource({ address: 'ad_computer.LAB-S1', type: 'ad_computer', provider: 'corp', provider_id: 'CN=LAB-S1,OU=Old,DC=corp' }),
      resource({ address: 'server.lab.fixed', type: 'server', provider: null }),
    ];
    const intents = [
      { id: 'i9', address: 'dns.n.z.example.net', type: 'dns_record' as const, payload: { provider: 'hosts', base_domain: 'z.example.net' }, created_at: '' },
    ];
    expect(observeScopes(noPools, previous, intents)).toEqual({
      vm: ['gone-provider', 'local'],
      dns: [
        { provider: 'hosts', baseDomain: 'desk.example.com' },
        { provider: 'hosts', baseDomain: 'y.example.org' },
        { provider: 'hosts', baseDomain: 'z.example.net' },
      ],
      directory: [{ provider: 'corp', containerDn: 'OU=Old,DC=corp' }],
    });
    const observed = await observeAll({ config: noPools, registry: plain, previousResources: previous, intents });
    expect(observed.errors.map((e) => [e.provider, e.code])).toEqual([['gone-provider', 'unknown-vm-provider']]);
    expect(observed.vms.get('local')).toEqual([]);
    expect(observed.dns.size).toBe(3);
    expect(observed.computers.size).toBe(1);
  });

  it('findVm prefers a live VM over a terminated one with the same server id', () => {
    const vm = (state: ObservedVm['state'], id: string): ObservedVm => ({
      provider_id: id,
      server_id: 's1',
      pool: 'p',
      autoscale: 'a',
      hostname: 'h',
      intent_id: null,
      state,
      private_ip: null,
      public_ip: null,
      launched_at: null,
    });
    const observed = emptyObserved();
    observed.vms.set('aws', [vm('terminated', 'i-1'), vm('running', 'i-2'), vm('terminated', 'i-3')]);
    expect(findVm(observed, 'aws', 's1')?.provider_id).toBe('i-2');
    expect(findVm(emptyObserved(), 'aws', 's1')).toBeUndefined();
  });
});

describe('observeScopes and disabled configs', () => {
  it('does not call the providers of a disabled autoscale config, unless state still holds its servers', () => {
    const config = testConfig({
      pools: [testPool('win', [testAutoscale({ name: 'aws-day', vm_provider: 'aws-prod', enabled: false })])],
    });
    expect([...observeScopes(config).vm]).toEqual([]);
    const withServer = observeScopes(config, [resource({ address: 'vm.win.aws-day.s1', provider: 'aws-prod' })]);
    expect([...withServer.vm]).toEqual(['aws-prod']);
  });
});
