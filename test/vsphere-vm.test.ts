// The vSphere VM provider against the stateful Automation REST fake (real
// HTTP on loopback; HTTPS with an openssl-made private CA where TLS is the
// point): the shared conformance suite, plus what vSphere needs beyond it:
// the name marker, CloudinitPrep userdata and its 524,288-byte limit, clone →
// customize → power on polled, idempotent create by name (also after a lost
// clone answer and after a crash before power-on), throttling retried with
// Retry-After, capacity refusals that create nothing, session expiry (re-auth
// once) and credential/TLS errors naming the provider, and the list budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import type { VmCreateRequest } from '../src/providers/types.ts';
import { createVsphereVmProvider, ownerMarker, parseVmName, USERDATA_MAX_BYTES, vmName } from '../src/providers/vsphere/index.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { testCa } from './fakes/shared/ca.ts';
import { FAST_VSPHERE_TUNING, fakeVsphereVmProvider, vsphereVmConfig } from './fakes/vsphere/harness.ts';
import { FAKE_VSPHERE_USER, type FakeVsphere, startFakeVsphere } from './fakes/vsphere/server.ts';

let fake: FakeVsphere;
beforeAll(async () => {
  fake = await startFakeVsphere();
});
afterAll(async () => {
  await fake.close();
});

let seq = 0;
function request(over: Partial<VmCreateRequest> = {}): VmCreateRequest {
  seq++;
  return {
    intent_id: `intent-vs-${seq}`,
    server_id: `srv-${seq}-${Math.random().toString(16).slice(2, 8)}`,
    hostname: `kasm-${String(seq).padStart(8, '0')}`,
    pool: 'agents',
    autoscale: 'fleet',
    user_data: '#!/bin/sh\necho hi\n',
    ...over,
  };
}

defineVmProviderConformance('vsphere (Automation REST fake)', async () => ({
  client: fakeVsphereVmProvider(fake),
  leftovers: async (vm) => (fake.vms.has(vm.provider_id) ? [`vm:${vm.provider_id}`] : []),
  async createForeign() {
    const foreign = fake.addVm(`hand-made-${++seq}`);
    const otherConfig = fake.addVm(vmName('another-config', { hostname: 'h', pool: 'p', autoscale: 'a', server_id: `x-${seq}` }));
    return { provider_id: foreign.vm, server_id: otherConfig.name.split('_')[4] ?? '' };
  },
}));

let tlsFake: FakeVsphere | undefined;
afterAll(async () => {
  await tlsFake?.close();
});

defineVmProviderConformance('vsphere over HTTPS (private CA in ca_cert), cluster placement, network and sizing', async () => {
  const ca = testCa();
  tlsFake ??= await startFakeVsphere({ https: { cert: ca.cert, key: ca.key } });
  return {
    client: createVsphereVmProvider({
      config: vsphereVmConfig(tlsFake, {
        resource_pool: undefined,
        cluster: 'cluster-a',
        datastore: 'ds-ssd',
        network: 'VM Network',
        num_cpus: 4,
        memory_mb: 8192,
      }),
      secrets: { password: FAKE_VSPHERE_USER.password, caCert: ca.caCert },
      ...FAST_VSPHERE_TUNING,
    }),
  };
});

defineVmProviderConformance('vsphere, content-library VM template item (vm-template deploy)', async () => ({
  client: fakeVsphereVmProvider(fake, { name: 'vc-vmtx', content_library: 'kasm-lib', template: 'ubuntu-vmtx', network: 'VM Network', num_cpus: 4 }),
  leftovers: async (vm) => (fake.vms.has(vm.provider_id) ? [`vm:${vm.provider_id}`] : []),
}));

defineVmProviderConformance('vsphere, content-library OVF item (ovf deploy, then CPU/memory updated)', async () => ({
  client: fakeVsphereVmProvider(fake, { name: 'vc-ovf', content_library: 'kasm-lib', template: 'ubuntu-ovf', num_cpus: 4, memory_mb: 8192 }),
  leftovers: async (vm) => (fake.vms.has(vm.provider_id) ? [`vm:${vm.provider_id}`] : []),
}));

describe('vsphere content-library sources', () => {
  it('deploy applies CPU, memory and the folder; capacity comes from the item or the settings', async () => {
    const vmtx = fakeVsphereVmProvider(fake, { name: 'vc-vmtx', content_library: 'kasm-lib', template: 'ubuntu-vmtx' });
    expect(await vmtx.capacity()).toEqual({ cores: 2, memory_mb: 4096, gpus: 0 });
    const ovf = fakeVsphereVmProvider(fake, { name: 'vc-ovf', content_library: 'kasm-lib', template: 'ubuntu-ovf', num_cpus: 6, memory_mb: 12288 });
    const vm = await ovf.create(request());
    expect(fake.vms.get(vm.provider_id)).toMatchObject({
      folder: 'group-v10',
      cpu_count: 6,
      memory_size_MiB: 12288,
      power_state: 'POWERED_ON',
      source: 'item-2',
    });
    expect(await ovf.capacity()).toEqual({ cores: 6, memory_mb: 12288, gpus: 0 });
    await ovf.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('an unknown library or item, or network with an OVF item, is refused naming the setting; nothing deployed', async () => {
    const before = fake.vms.size;
    for (const [over, field] of [
      [{ content_library: 'nope', template: 'ubuntu-vmtx' }, 'content_library'],
      [{ content_library: 'kasm-lib', template: 'nope' }, 'template'],
      [{ content_library: 'kasm-lib', template: 'ubuntu-ovf', network: 'VM Network' }, 'network'],
    ] as const) {
      const error = (await fakeVsphereVmProvider(fake, over)
        .create(request())
        .catch((e: unknown) => e)) as PoolformError;
      expect(error).toMatchObject({ field });
      expect(error.message).toContain('VmProvider vc');
    }
    expect(fake.vms.size).toBe(before);
  });
});

describe('vsphere names', () => {
  it('round-trips identities, encodes awkward fields, ignores other configs', () => {
    const id = { hostname: 'kasm-1', pool: 'my_pool', autoscale: 'as 1', server_id: '6f1c2d3e-aaaa-bbbb-cccc-0123456789ab' };
    const name = vmName('vc', id);
    expect(name.split('_')).toHaveLength(5);
    expect(name).toContain(ownerMarker('vc'));
    expect(parseVmName('vc', name)).toEqual(id);
    expect(parseVmName('other', name)).toBeUndefined();
    expect(parseVmName('vc', 'some-vm')).toBeUndefined();
  });
});

describe('vsphere provider against the fake', () => {
  it('clones into the folder/pool, hands the script over as CloudinitPrep userdata, powers on after polls', async () => {
    const client = fakeVsphereVmProvider(fake);
    const req = request({ user_data: '#cloud-config\nruncmd: [echo hi]\n' });
    const vm = await client.create(req);
    const at = fake.vms.get(vm.provider_id);
    expect(at).toMatchObject({ folder: 'group-v10', resource_pool: 'resgroup-20', power_state: 'POWERED_ON', userdata: req.user_data });
    expect(vm.state).toBe('running');
    expect(fake.count('GET /api/vcenter/vm/{id}/power')).toBeGreaterThanOrEqual(2);
    const seen = (await client.observe()).find((v) => v.provider_id === vm.provider_id);
    expect(seen).toMatchObject({ server_id: req.server_id, state: 'running', private_ip: at?.ip });
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(fake.vms.has(vm.provider_id)).toBe(false);
  });

  it('num_cpus, memory_mb and network are applied to the powered-off clone (hardware updates)', async () => {
    const client = fakeVsphereVmProvider(fake, { name: 'vc-hw', network: 'VM Network', num_cpus: 8, memory_mb: 16384 });
    const vm = await client.create(request());
    expect(fake.vms.get(vm.provider_id)).toMatchObject({ cpu_count: 8, memory_size_MiB: 16384, network: 'network-50' });
    expect(await client.capacity()).toEqual({ cores: 8, memory_mb: 16384, gpus: 0 });
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a startup script above 524,288 bytes is refused before any call', async () => {
    const client = fakeVsphereVmProvider(fake);
    const before = [...fake.calls.values()].reduce((a, b) => a + b, 0);
    const error = (await client.create(request({ user_data: 'x'.repeat(USERDATA_MAX_BYTES + 1) })).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('user-data-too-large');
    expect(error.nothingCreated).toBe(true);
    expect([...fake.calls.values()].reduce((a, b) => a + b, 0)).toBe(before);
  });

  it('a clone whose answer was lost is found by name: one VM, powered on', async () => {
    const client = fakeVsphereVmProvider(fake);
    const req = request();
    fake.inject({ method: 'POST', path: '/api/vcenter/vm?action=clone', afterEffect: true, error_type: 'ERROR', status: 500 });
    const vm = await client.create(req);
    const same = [...fake.vms.values()].filter((v) => parseVmName('vc', v.name)?.server_id === req.server_id);
    expect(same.map((v) => v.vm)).toEqual([vm.provider_id]);
    expect(same[0]?.power_state).toBe('POWERED_ON');
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a crash after the clone (VM powered off, no userdata) is finished by the next create of the intent', async () => {
    const req = request();
    const orphan = fake.addVm(vmName('vc', req));
    const client = fakeVsphereVmProvider(fake);
    const vm = await client.create(req);
    expect(vm.provider_id).toBe(orphan.vm);
    expect(orphan).toMatchObject({ power_state: 'POWERED_ON', userdata: req.user_data });
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('throttling (429 with Retry-After) and RESOURCE_BUSY are retried in place', async () => {
    const client = fakeVsphereVmProvider(fake);
    fake.inject({ method: 'GET', path: '/api/vcenter/vm', status: 429, error_type: 'SERVICE_UNAVAILABLE', retryAfter: 1, times: 2 });
    fake.inject({ method: 'POST', path: '/power', error_type: 'RESOURCE_BUSY' });
    const vm = await client.create(request());
    expect(vm.state).toBe('running');
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('UNABLE_TO_ALLOCATE_RESOURCE on power-on: the clone is deleted, the error is capacity, retryable, nothing created', async () => {
    const client = fakeVsphereVmProvider(fake);
    const req = request();
    fake.inject({
      method: 'POST',
      path: '/power?action=start',
      error_type: 'UNABLE_TO_ALLOCATE_RESOURCE',
      message: 'Insufficient resources to satisfy configured failover level',
    });
    const error = (await client.create(req).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('vsphere-insufficient-capacity');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect([...fake.vms.values()].some((v) => parseVmName('vc', v.name)?.server_id === req.server_id)).toBe(false);
  });

  it('an expired session is renewed once; wrong credentials are an error naming the provider', async () => {
    const client = fakeVsphereVmProvider(fake);
    await client.observe();
    const logins = fake.count('POST /api/session');
    fake.expireSessions();
    await client.observe();
    expect(fake.count('POST /api/session')).toBe(logins + 1);
    const bad = createVsphereVmProvider({ config: vsphereVmConfig(fake), secrets: { password: 'wrong' }, ...FAST_VSPHERE_TUNING });
    const error = (await bad.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('vsphere-auth-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('VmProvider vc');
    expect(error.message).not.toContain('wrong');
  });

  it('a certificate not signed by ca_cert is a TLS error naming the provider; insecure_skip_verify warns', async () => {
    const ca = testCa();
    tlsFake ??= await startFakeVsphere({ https: { cert: ca.cert, key: ca.key } });
    const noCa = createVsphereVmProvider({ config: vsphereVmConfig(tlsFake), secrets: { password: FAKE_VSPHERE_USER.password }, ...FAST_VSPHERE_TUNING });
    const error = (await noCa.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('vsphere-tls-failed');
    expect(error.message).toContain('VmProvider vc');
    expect(error.message).toContain('ca_cert');
    const warnings: string[] = [];
    const insecure = createVsphereVmProvider({
      config: vsphereVmConfig(tlsFake, { insecure_skip_verify: true }),
      secrets: { password: FAKE_VSPHERE_USER.password },
      warn: (m) => warnings.push(m),
      ...FAST_VSPHERE_TUNING,
    });
    await insecure.observe();
    expect(warnings.join('\n')).toMatch(/insecure_skip_verify is on.*NOT verified/);
  });

  it('inventory names that do not resolve are errors naming the provider and the setting', async () => {
    for (const [over, field] of [
      [{ datacenter: 'dc-x' }, 'datacenter'],
      [{ folder: 'nope' }, 'folder'],
      [{ resource_pool: 'rp-x' }, 'resource_pool'],
      [{ template: 'tpl-x' }, 'template'],
    ] as const) {
      const client = fakeVsphereVmProvider(fake, over);
      const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
      expect(error).toMatchObject({ code: 'vsphere-not-found', field });
      expect(error.message).toContain('VmProvider vc');
      // observe needs only the datacenter and the folder: a missing template does not block it (nor destroys).
      if (field === 'template' || field === 'resource_pool') await expect(client.observe()).resolves.toBeInstanceOf(Array);
    }
  });

  it('max_instances caps creates (retryable, nothing created)', async () => {
    const own = await startFakeVsphere();
    try {
      const client = fakeVsphereVmProvider(own, { max_instances: 1 });
      await client.create(request());
      const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
      expect(error.code).toBe('max-instances-reached');
      expect(error.nothingCreated).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('observe of 1,000 owned VMs is one VM list call (plus the one-time inventory lookups)', async () => {
    const own = await startFakeVsphere();
    try {
      for (let i = 0; i < 1000; i++) {
        const vm = own.addVm(vmName('vc', { hostname: `h${i}`, pool: 'agents', autoscale: 'fleet', server_id: `s-${i}` }));
        vm.power_state = 'POWERED_ON';
      }
      const client = fakeVsphereVmProvider(own, {}, { ipLookupsPerObserve: 0 });
      await client.observe();
      const lists = own.count('GET /api/vcenter/vm');
      const vms = await client.observe();
      expect(vms).toHaveLength(1000);
      expect(own.count('GET /api/vcenter/vm') - lists).toBe(1);
    } finally {
      await own.close();
    }
  });
});
