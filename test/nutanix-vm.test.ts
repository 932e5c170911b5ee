// The Nutanix AHV VM provider against the stateful Prism Central v3 fake
// (real HTTP on loopback, HTTPS with a private CA where TLS is the point):
// the shared conformance suite, plus what a VM on Nutanix needs beyond it:
// categories as markers (created on first use), the description markers,
// cloud-init / sysprep guest customization (64 KiB bound), idempotent create
// by intent, task failures (insufficient memory → capacity, nothing created),
// 429 with Retry-After, credential and TLS errors naming the provider, and
// the listing budget (two list calls per 1,000 VMs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import {
  CATEGORY_PROVIDER,
  categoryValue,
  createNutanixVmProvider,
  ownershipCategories,
  ownershipDescription,
  readMarkers,
  USER_DATA_MAX_BYTES,
  vmName,
} from '../src/providers/nutanix/index.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { FAST_NUTANIX_TUNING, fakeNutanixVmProvider, nutanixVmConfig } from './fakes/nutanix/harness.ts';
import { FAKE_NTNX, type FakeNutanix, startFakeNutanix } from './fakes/nutanix/server.ts';
import { testCa } from './fakes/shared/ca.ts';
import { vmRequests } from './support/vm-requests.ts';

let fake: FakeNutanix;
beforeAll(async () => {
  fake = await startFakeNutanix();
});
afterAll(async () => {
  await fake.close();
});

const ids = vmRequests('ntnx');
const request = ids.request;

const leftoversOf = (f: FakeNutanix, uuid: string): string[] => (f.vms.has(uuid) ? [`vm:${uuid}`] : []);

defineVmProviderConformance('nutanix (Prism Central v3 fake)', async () => ({
  client: fakeNutanixVmProvider(fake),
  leftovers: async (vm) => leftoversOf(fake, vm.provider_id),
  async createForeign() {
    // Named like poolform's VMs and described like them, but without the category: never observed.
    const req = request();
    const vm = fake.putVmDirect({ name: vmName('ahv', req.intent_id), description: ownershipDescription('ahv', req) });
    return { provider_id: vm.uuid };
  },
}));

let tlsFake: FakeNutanix | undefined;
afterAll(async () => {
  await tlsFake?.close();
});

defineVmProviderConformance('nutanix over HTTPS (private CA in ca_cert), slow tasks', async () => {
  const ca = testCa();
  tlsFake ??= await startFakeNutanix({ tls: { cert: ca.cert, key: ca.key }, taskPolls: 3 });
  const own = tlsFake;
  return {
    client: createNutanixVmProvider({
      config: nutanixVmConfig(own),
      secrets: { username: FAKE_NTNX.username, password: FAKE_NTNX.password, caCert: ca.caCert },
      ...FAST_NUTANIX_TUNING,
    }),
    leftovers: async (vm) => leftoversOf(own, vm.provider_id),
    async createForeign() {
      return { provider_id: own.putVmDirect({ categories: { Environment: 'Testing' } }).uuid };
    },
  };
});

describe('Nutanix VM provider: what a VM is made of', { timeout: 60_000 }, () => {
  it('creates the VM with a deterministic name, the image clone, the subnet NIC, cloud-init user data and meta data, categories and description markers', async () => {
    const client = fakeNutanixVmProvider(fake, {
      disk_size_mib: 40_960,
      categories: { Environment: 'Production' },
      project_uuid: '11111111-2222-4333-8444-555555555555',
    });
    const req = request({ server_id: 'Srv.Upper_1', user_data: '#!/bin/sh\necho "äö"\n' });
    const vm = await client.create(req);
    const ntnx = fake.vms.get(vm.provider_id);
    expect(ntnx).toBeDefined();
    if (!ntnx) return;
    expect(ntnx.name).toBe(vmName('ahv', req.intent_id));
    expect(ntnx.guest).toBe('cloud_init');
    expect(ntnx.userData).toBe(req.user_data);
    expect(JSON.parse(ntnx.metaData ?? '{}')).toMatchObject({ 'local-hostname': req.hostname });
    expect(ntnx.categories).toEqual({ Environment: 'Production', ...ownershipCategories('ahv', req) });
    expect(readMarkers(ntnx.description)).toEqual({
      provider: 'ahv',
      intentId: req.intent_id,
      serverId: 'Srv.Upper_1',
      hostname: req.hostname,
      pool: 'agents',
      autoscale: 'fleet',
    });
    const spec = ntnx.spec as { resources: Record<string, unknown> };
    expect(spec.resources).toMatchObject({
      num_sockets: 2,
      num_vcpus_per_socket: 2,
      memory_size_mib: 8192,
      power_state: 'ON',
      disk_list: [{ data_source_reference: { kind: 'image', uuid: FAKE_NTNX.imageUuid }, disk_size_mib: 40_960 }],
      nic_list: [{ subnet_reference: { kind: 'subnet', uuid: FAKE_NTNX.subnetUuid } }],
    });
    expect(ntnx.metadata).toMatchObject({ project_reference: { kind: 'project', uuid: '11111111-2222-4333-8444-555555555555' } });
    expect(vm).toMatchObject({ server_id: 'Srv.Upper_1', state: 'running', private_ip: ntnx.ip, intent_id: req.intent_id });
    const seen = (await client.observe()).find((o) => o.provider_id === vm.provider_id);
    expect(seen).toMatchObject({ server_id: 'Srv.Upper_1', pool: 'agents', autoscale: 'fleet', hostname: req.hostname, state: 'running', private_ip: ntnx.ip });
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(fake.vms.has(ntnx.uuid)).toBe(false);
  });

  it('creates the categories on first use, once per process', async () => {
    const f = await startFakeNutanix();
    try {
      const client = fakeNutanixVmProvider(f);
      const a = await client.create(request({ pool: 'pool with spaces' }));
      await client.create(request({ pool: 'pool with spaces' }));
      expect(f.categories.get(CATEGORY_PROVIDER)?.has('ahv')).toBe(true);
      expect(f.categories.get('PoolformPool')?.has(categoryValue('pool with spaces'))).toBe(true);
      expect(categoryValue('pool with spaces')).toMatch(/^h-[0-9a-f]{24}$/);
      expect(f.callCount('PUT /categories/PoolformProvider')).toBe(1);
      expect(f.callCount('PUT /categories/PoolformProvider/ahv')).toBe(1);
      expect((await client.observe()).find((v) => v.provider_id === a.provider_id)?.pool).toBe('pool with spaces');
    } finally {
      await f.close();
    }
  });

  it('windows guests get the script as the sysprep unattend XML', async () => {
    const client = fakeNutanixVmProvider(fake, { guest_os: 'windows' });
    const vm = await client.create(request({ user_data: '<unattend/>' }));
    const ntnx = fake.vms.get(vm.provider_id);
    expect(ntnx?.guest).toBe('sysprep');
    expect(ntnx?.userData).toBe('<unattend/>');
    expect(ntnx?.spec).toMatchObject({ resources: { guest_customization: { sysprep: { install_type: 'PREPARED' } } } });
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a script above 64 KiB is refused before any call', async () => {
    const client = fakeNutanixVmProvider(fake);
    fake.resetCalls();
    const error = (await client.create(request({ user_data: 'x'.repeat(USER_DATA_MAX_BYTES + 1) })).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('user-data-too-large');
    expect(error.nothingCreated).toBe(true);
    expect(fake.calls.size).toBe(0);
    const ok = await client.create(request({ user_data: 'y'.repeat(USER_DATA_MAX_BYTES) }));
    await client.destroy([{ provider_id: ok.provider_id, server_id: ok.server_id }]);
  });

  it('create after a create of the same intent in another process returns the same VM (lookup by name before POST /vms)', async () => {
    const req = request();
    const first = await fakeNutanixVmProvider(fake).create(req);
    fake.resetCalls();
    const again = await fakeNutanixVmProvider(fake).create(req);
    expect(again.provider_id).toBe(first.provider_id);
    expect(fake.callCount('POST /vms')).toBe(0);
    // Concurrent creates of one intent in one process share one POST.
    const client = fakeNutanixVmProvider(fake);
    const req2 = request();
    fake.resetCalls();
    const both = await Promise.all([client.create(req2), client.create(req2)]);
    expect(both[0]?.provider_id).toBe(both[1]?.provider_id);
    expect(fake.callCount('POST /vms')).toBe(1);
    await client.destroy([first, both[0]].flatMap((v) => (v ? [{ provider_id: v.provider_id, server_id: v.server_id }] : [])));
  });

  it('a VM of the intent still being created is returned pending, not created again', async () => {
    const slow = await startFakeNutanix({ taskPolls: 1_000_000 });
    try {
      let clock = 0;
      const tuning = { now: () => clock, sleep: async (ms: number) => void (clock += ms), taskPollMs: 1000, taskPollMaxMs: 5000 };
      const req = request();
      const error = (await fakeNutanixVmProvider(slow, { task_timeout_seconds: 30 }, tuning)
        .create(req)
        .catch((e: unknown) => e)) as PoolformError;
      expect(error.code).toBe('nutanix-operation-timeout');
      expect(error.nothingCreated).not.toBe(true);
      expect(slow.vms.size).toBe(1);
      expect(slow.callCount('GET /tasks/{uuid}')).toBeLessThan(20);
      slow.resetCalls();
      const again = await fakeNutanixVmProvider(slow, {}, tuning).create(req);
      expect(again.state).toBe('pending');
      expect(slow.callCount('POST /vms')).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('a VM whose name only contains the prefix (the vm_name filter is an unanchored regex) is not observed, even with the markers copied', async () => {
    const client = fakeNutanixVmProvider(fake);
    const req = request();
    const copy = fake.putVmDirect({
      name: `copy-of-${vmName('ahv', req.intent_id)}`,
      description: ownershipDescription('ahv', req),
      categories: ownershipCategories('ahv', req),
    });
    expect((await client.observe()).some((v) => v.provider_id === copy.uuid)).toBe(false);
    fake.vms.delete(copy.uuid);
  });

  it('capacity is sockets × cores per socket and memory_mib', async () => {
    expect(await fakeNutanixVmProvider(fake, { num_sockets: 2, num_vcpus_per_socket: 4, memory_mib: 16_384 }).capacity()).toEqual({
      cores: 8,
      memory_mb: 16_384,
      gpus: 0,
    });
  });
});

describe('Nutanix VM provider: faults', { timeout: 60_000 }, () => {
  it('a create task FAILED for insufficient memory is a capacity error, nothing created, nothing left', async () => {
    const client = fakeNutanixVmProvider(fake);
    const before = fake.vms.size;
    fake.inject({
      method: 'POST',
      path: /\/vms$/,
      taskError: { code: 'INSUFFICIENT_RESOURCES', detail: 'Not enough memory available on cluster to power on the VM' },
    });
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('nutanix-insufficient-capacity');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect(error.message).toContain('VmProvider ahv');
    expect(fake.vms.size).toBe(before);
  });

  it('a create task FAILED for another reason is a task failure, nothing created', async () => {
    const client = fakeNutanixVmProvider(fake);
    const before = fake.vms.size;
    fake.inject({ method: 'POST', path: /\/vms$/, taskError: { code: 'INTERNAL_ERROR', detail: 'image clone failed' } });
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('nutanix-task-failed');
    expect(error.nothingCreated).toBe(true);
    expect(fake.vms.size).toBe(before);
  });

  it('429 with Retry-After is retried honouring the hint; persistent throttling is retryable and creates nothing', async () => {
    const sleeps: number[] = [];
    const client = fakeNutanixVmProvider(fake, {}, { sleep: async (ms) => void sleeps.push(ms), retry: { maxRetries: 3, baseMs: 1, maxMs: 5000 } });
    fake.inject({ method: 'POST', path: '/vms/list', status: 429, retryAfter: '2', times: 1 });
    await expect(client.observe()).resolves.toBeInstanceOf(Array);
    expect(sleeps).toContain(2000);
    const before = fake.vms.size;
    fake.inject({ method: 'POST', path: /\/vms$/, status: 429, message: 'Too many requests', times: 4 });
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('nutanix-throttled');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect(fake.vms.size).toBe(before);
  });

  it('500 on a listing is retried; a refused create (422) is not, and says so', async () => {
    const client = fakeNutanixVmProvider(fake);
    fake.inject({ method: 'POST', path: '/vms/list', status: 500, times: 2 });
    await expect(client.observe()).resolves.toBeInstanceOf(Array);
    const bad = fakeNutanixVmProvider(fake, { cluster_uuid: '99999999-9999-4999-8999-999999999999' });
    fake.resetCalls();
    const error = (await bad.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('nutanix-invalid-request');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('does not exist');
    expect(fake.callCount('POST /vms')).toBe(1);
  });

  it('a user that may not create categories works when they exist, and says what is missing when they do not', async () => {
    const f = await startFakeNutanix();
    try {
      for (const [k, v] of [
        ['PoolformProvider', 'ahv'],
        ['PoolformPool', 'agents'],
        ['PoolformAutoscale', 'fleet'],
      ] as const)
        f.categories.set(k, new Set([v]));
      f.inject({ method: 'PUT', path: '/categories/', status: 403, reason: 'ACCESS_DENIED', message: 'User is not authorized', times: 100 });
      const client = fakeNutanixVmProvider(f);
      const vm = await client.create(request());
      expect(f.vms.has(vm.provider_id)).toBe(true);
      const error = (await client.create(request({ pool: 'other-pool' })).catch((e: unknown) => e)) as PoolformError;
      expect(error.code).toBe('nutanix-unauthorized');
      expect(error.message).toContain('PoolformPool: other-pool does not exist');
      expect(error.nothingCreated).toBe(true);
      expect(f.callCount('POST /vms')).toBe(1);
    } finally {
      await f.close();
    }
  });

  it('rejected credentials are a credential error naming the provider, not retried, password not shown', async () => {
    const client = createNutanixVmProvider({
      config: nutanixVmConfig(fake),
      secrets: { username: FAKE_NTNX.username, password: 'wrong-pass-123' },
      ...FAST_NUTANIX_TUNING,
    });
    fake.resetCalls();
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('nutanix-auth-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('VmProvider ahv');
    expect(error.message).not.toContain('wrong-pass-123');
    expect(fake.callCount('POST /vms/list')).toBe(1);
  });

  it('destroy refuses a VM without the markers, treats an unknown id as gone, and a delete of a gone VM succeeds', async () => {
    const client = fakeNutanixVmProvider(fake);
    const foreign = fake.putVmDirect({ description: 'someone else' });
    const results = await client.destroy([
      { provider_id: foreign.uuid, server_id: 'x' },
      { provider_id: '00000000-0000-4000-8000-00000000dead', server_id: 'y' },
    ]);
    expect(results[0]?.error?.message).toContain('does not carry');
    expect(results[1]?.error).toBeUndefined();
    expect(fake.vms.has(foreign.uuid)).toBe(true);
  });
});

describe('Nutanix VM provider: TLS', { timeout: 60_000 }, () => {
  it('a server whose CA is not in ca_cert is a plan error naming the provider ("TLS: certificate not trusted")', async () => {
    const ca = testCa();
    tlsFake ??= await startFakeNutanix({ tls: { cert: ca.cert, key: ca.key }, taskPolls: 3 });
    const client = createNutanixVmProvider({
      config: nutanixVmConfig(tlsFake),
      secrets: { username: FAKE_NTNX.username, password: FAKE_NTNX.password },
      ...FAST_NUTANIX_TUNING,
    });
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('nutanix-tls-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('VmProvider ahv');
    expect(error.message).toContain('TLS: certificate not trusted');
    expect(error.message).toContain('ca_cert');
  });

  it('insecure_skip_verify connects without the CA and warns loudly', async () => {
    const ca = testCa();
    tlsFake ??= await startFakeNutanix({ tls: { cert: ca.cert, key: ca.key }, taskPolls: 3 });
    const warnings: string[] = [];
    const client = createNutanixVmProvider({
      config: nutanixVmConfig(tlsFake, { insecure_skip_verify: true }),
      secrets: { username: FAKE_NTNX.username, password: FAKE_NTNX.password },
      warn: (m) => void warnings.push(m),
      ...FAST_NUTANIX_TUNING,
    });
    await expect(client.observe()).resolves.toBeInstanceOf(Array);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('NOT verified');
  });
});

describe('Nutanix VM provider: listing budget', { timeout: 120_000 }, () => {
  it('observe of 1,000 VMs (plus foreign ones) is two POST /vms/list calls', async () => {
    const big = await startFakeNutanix();
    try {
      const client = fakeNutanixVmProvider(big);
      for (let i = 0; i < 1000; i++) {
        const req = request({ intent_id: `bulk-${i}`, server_id: `bulk-${i}` });
        big.putVmDirect({ name: vmName('ahv', req.intent_id), description: ownershipDescription('ahv', req), categories: ownershipCategories('ahv', req) });
      }
      for (let i = 0; i < 300; i++) big.putVmDirect();
      big.resetCalls();
      const vms = await client.observe();
      expect(vms).toHaveLength(1000);
      expect(new Set(vms.map((v) => v.server_id)).size).toBe(1000);
      expect(big.callCount('POST /vms/list')).toBe(2);
      expect(big.calls.size).toBe(1);
    } finally {
      await big.close();
    }
  });
});
