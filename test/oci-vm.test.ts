// The OCI VM provider against the stateful OCI fake (real HTTP on loopback,
// the official oci-core SDK signing every request with an API key the fake
// verifies): the shared conformance suite, plus OCI specifics: the launch
// body (flex shape config, base64 user_data, freeform tags, boot volume
// deleted), idempotency through opc-retry-token, lifecycle polling,
// throttling/capacity/limit/credential errors, and the listing budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { retryToken } from '../src/providers/oci/instances.ts';
import { TAG_INTENT, TAG_MANAGED, TAG_PROVIDER, TAG_SERVER } from '../src/providers/oci/tags.ts';
import { testTimeout } from '../src/testing/timeouts.ts';
import { PoolformError } from '../src/util/errors.ts';
import { COMPARTMENT, fakeVmProvider, startFake } from './fakes/oci/harness.ts';
import type { FakeOci } from './fakes/oci/server.ts';
import { vmRequests } from './support/vm-requests.ts';

let fake: FakeOci;
beforeAll(async () => {
  fake = await startFake({ readsToRunning: 2, readsToTerminated: 2 });
});
afterAll(async () => {
  await fake.close();
});

const ids = vmRequests('oci');
const request = ids.request;

defineVmProviderConformance('oci (Core Services fake)', async () => ({
  client: fakeVmProvider(fake, { assign_public_ip: true }, { pollIntervalMs: 1 }),
  // The instance is TERMINATED and its boot volume not preserved.
  leftovers: async (vm) => {
    const i = fake.instances.get(vm.provider_id);
    if (!i) return [];
    const left: string[] = [];
    if (i.lifecycleState !== 'TERMINATED' && i.lifecycleState !== 'TERMINATING') left.push(`instance ${i.id} ${i.lifecycleState}`);
    if (i.preserveBootVolume !== false) left.push(`boot volume ${i.bootVolumeId}`);
    return left;
  },
  async createForeign() {
    const i = fake.addForeign(COMPARTMENT, { [TAG_SERVER]: `foreign-${ids.next()}` });
    return { provider_id: i.id, server_id: `foreign-${ids.seq}` };
  },
}));

// Again with 2 per page (every walk follows opc-next-page) and instances that stay PROVISIONING / TERMINATING for 3 reads.
let paged: FakeOci;
beforeAll(async () => {
  paged = await startFake({ pageSize: 2, readsToRunning: 3, readsToTerminated: 3 });
});
afterAll(async () => {
  await paged.close();
});
defineVmProviderConformance('oci (Core Services fake: 2 per page, slow lifecycle)', async () => {
  for (let i = 0; i < 5; i++) paged.addForeign(COMPARTMENT, {});
  return {
    client: fakeVmProvider(paged, { assign_public_ip: true }, { pollIntervalMs: 1 }),
    leftovers: async (vm) => {
      const i = paged.instances.get(vm.provider_id);
      return i && i.preserveBootVolume !== false ? [`boot volume ${i.bootVolumeId}`] : [];
    },
    async createForeign() {
      const i = paged.addForeign(COMPARTMENT, { [TAG_SERVER]: `foreign-${ids.next()}` });
      return { provider_id: i.id, server_id: `foreign-${ids.seq}` };
    },
  };
});

describe('OCI VM provider', { timeout: testTimeout(60_000) }, () => {
  it('launches with the flex shape config, base64 user_data, ownership tags and a deterministic retry token; addresses come from bulk listings', async () => {
    const client = fakeVmProvider(
      fake,
      { assign_public_ip: true, freeform_tags: { team: 'vdi' }, ssh_authorized_keys: 'ssh-ed25519 AAAA test' },
      { pollIntervalMs: 1 },
    );
    const req = request();
    const vm = await client.create(req);
    expect(vm.state).toBe('running');
    expect(vm.private_ip).toMatch(/^10\.0\./);
    expect(vm.public_ip).toMatch(/^203\.0\./);
    const stored = fake.instances.get(vm.provider_id);
    expect(stored?.shapeConfig).toEqual({ ocpus: 1, memoryInGBs: 8 });
    expect(Buffer.from(stored?.metadata.user_data ?? '', 'base64').toString('utf8')).toBe(req.user_data);
    expect(stored?.metadata.ssh_authorized_keys).toBe('ssh-ed25519 AAAA test');
    expect(stored?.freeformTags).toMatchObject({
      [TAG_MANAGED]: 'true',
      [TAG_PROVIDER]: 'oci',
      [TAG_INTENT]: req.intent_id,
      [TAG_SERVER]: req.server_id,
      team: 'vdi',
    });
    expect(stored?.displayName).toBe(req.hostname);
    const launch = fake.calls.find((c) => c.method === 'POST' && c.path === '/20160918/instances' && c.retryToken === retryToken('oci', req.intent_id));
    expect(launch?.status).toBe(200);
  });

  it('a lost answer: launching the same intent again gets the same instance back (opc-retry-token), not a second one', async () => {
    const client = fakeVmProvider(fake, {}, { pollIntervalMs: 1, maxRetries: 0 });
    await client.observe();
    const req = request();
    const before = fake.instances.size;
    fake.inject({ method: 'POST', path: '/20160918/instances', status: 502, code: 'BadGateway', afterHandling: true });
    const lost = (await client.create(req).catch((e: unknown) => e)) as PoolformError;
    expect(lost.retryable).toBe(true);
    expect(lost.nothingCreated).toBe(false);
    expect(fake.instances.size).toBe(before + 1);
    // The same process (its listing predates the launch) tries again: the token returns the first instance.
    const vm = await client.create(req);
    expect(fake.instances.size).toBe(before + 1);
    expect(vm.intent_id).toBe(req.intent_id);
    // A new process finds it by its intent tag in the listing.
    const again = await fakeVmProvider(fake, {}, { pollIntervalMs: 1 }).create(req);
    expect(again.provider_id).toBe(vm.provider_id);
    expect(fake.instances.size).toBe(before + 1);
  });

  it('a launch that answered 500 is retried with the same token and makes one instance', async () => {
    const client = fakeVmProvider(fake, {}, { pollIntervalMs: 1 });
    const req = request();
    const before = fake.instances.size;
    fake.inject({ method: 'POST', path: '/20160918/instances', status: 500, code: 'InternalError', message: 'Internal error.' });
    const vm = await client.create(req);
    expect(fake.instances.size).toBe(before + 1);
    const tokens = fake.calls.filter((c) => c.method === 'POST' && c.retryToken === retryToken('oci', req.intent_id));
    expect(tokens.length).toBe(2);
    expect(vm.intent_id).toBe(req.intent_id);
  });

  it('429 TooManyRequests is retried in place, then reported as oci-throttled (retryable, nothing created)', async () => {
    const client = fakeVmProvider(fake, {}, { pollIntervalMs: 1, maxRetries: 2 });
    await client.observe();
    fake.inject({ method: 'GET', path: '/20160918/instances', status: 429, code: 'TooManyRequests', retryAfter: 1 });
    expect((await client.observe()).length).toBeGreaterThanOrEqual(0);
    const before = fake.instances.size;
    fake.inject({ method: 'POST', path: '/20160918/instances', status: 429, code: 'TooManyRequests', times: 3 });
    const error = await client.create(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolformError);
    expect((error as PoolformError).code).toBe('oci-throttled');
    expect((error as PoolformError).retryable).toBe(true);
    expect((error as PoolformError).nothingCreated).toBe(true);
    expect(fake.instances.size).toBe(before);
  });

  it.each([
    [500, 'InternalError', 'Out of host capacity.', 'oci-insufficient-capacity'],
    [400, 'LimitExceeded', 'Service limit for standard-e5-core-count exceeded.', 'oci-limit-exceeded'],
    [400, 'QuotaExceeded', 'Quota exceeded.', 'oci-limit-exceeded'],
  ])('%s %s (%s) maps to %s: retryable, nothing created, not retried in place', async (status, code, message, expected) => {
    const client = fakeVmProvider(fake, {}, { pollIntervalMs: 1 });
    await client.observe();
    const before = fake.count('POST', '/20160918/instances');
    fake.inject({ method: 'POST', path: '/20160918/instances', status, code, message });
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe(expected);
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect(error.message).toContain('VmProvider oci');
    expect(fake.count('POST', '/20160918/instances') - before).toBe(1);
  });

  it('a rejected signature is oci-auth-failed naming the provider and private_key', async () => {
    const client = fakeVmProvider(fake, { fingerprint: '00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00' });
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error).toBeInstanceOf(PoolformError);
    expect(error.code).toBe('oci-auth-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('VmProvider oci');
    expect(error.field).toBe('private_key');
  });

  it('max_instances counts live instances and refuses (retryable, nothing created)', async () => {
    const own = await startFake();
    try {
      const client = fakeVmProvider(own, { max_instances: 1 }, { pollIntervalMs: 1 });
      await client.create(request());
      const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
      expect(error.code).toBe('max-instances-reached');
      expect(own.instances.size).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('polling a new instance is bounded: past runningTimeoutMs it is returned as pending, then observed running later', async () => {
    const slow = await startFake({ readsToRunning: 1000 });
    try {
      let clock = 0;
      const client = fakeVmProvider(
        slow,
        {},
        { pollIntervalMs: 1000, maxPollIntervalMs: 10_000, runningTimeoutMs: 60_000, now: () => clock, sleep: async (ms) => void (clock += ms) },
      );
      const vm = await client.create(request());
      expect(vm.state).toBe('pending');
      const polls = slow.count('GET', /^\/20160918\/instances\/ocid1/);
      expect(polls).toBeGreaterThan(1);
      expect(polls).toBeLessThan(30);
      const stored = slow.instances.get(vm.provider_id);
      if (stored) stored.readsLeft = 0;
      expect((await client.observe()).find((v) => v.provider_id === vm.provider_id)?.state).toBe('running');
    } finally {
      await slow.close();
    }
  });

  it('a script over 32,000 bytes of metadata is refused before any call', async () => {
    const client = fakeVmProvider(fake);
    const before = fake.calls.length;
    const error = (await client.create(request({ user_data: 'x'.repeat(24_100) })).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('user-data-too-large');
    expect(error.nothingCreated).toBe(true);
    expect(fake.calls.length).toBe(before);
  });

  it('observe: 1,500 instances take 2 ListInstances calls, addresses resolved in bulk (one listing each)', async () => {
    const own = await startFake({ readsToRunning: 0 });
    try {
      const client = fakeVmProvider(own, { max_instances: 2000 }, { pollIntervalMs: 1 });
      // Launch through the fake directly (same body shape) to keep the test fast.
      for (let i = 0; i < 1500; i++) {
        const inst = own.addForeign(COMPARTMENT, { [TAG_MANAGED]: 'true', [TAG_PROVIDER]: 'oci', [TAG_SERVER]: `s-${i}` });
        inst.subnetId = 'ocid1.subnet.oc1.iad.aaaasubnet';
      }
      own.addForeign(COMPARTMENT, { [TAG_MANAGED]: 'true', [TAG_PROVIDER]: 'other', [TAG_SERVER]: 'x' });
      const vms = await client.observe();
      expect(vms.length).toBe(1500);
      expect(vms.every((vm) => vm.private_ip !== null)).toBe(true);
      expect(own.count('GET', '/20160918/instances')).toBe(2);
      expect(own.count('GET', '/20160918/vnicAttachments')).toBe(2);
      expect(own.count('GET', '/20160918/privateIps')).toBe(2);
      // A second observe: addresses cached, one more walk only.
      await client.observe();
      expect(own.count('GET', '/20160918/instances')).toBe(4);
      expect(own.count('GET', '/20160918/vnicAttachments')).toBe(2);
    } finally {
      await own.close();
    }
  });

  it('destroy refuses an instance without poolform tags and treats a gone one as success', async () => {
    const client = fakeVmProvider(fake);
    const foreign = fake.addForeign(COMPARTMENT, {});
    const [refused, gone] = await client.destroy([
      { provider_id: foreign.id, server_id: 'x' },
      { provider_id: 'ocid1.instance.oc1.iad.doesnotexist', server_id: 'y' },
    ]);
    expect((refused?.error as PoolformError | undefined)?.code).toBe('not-owned');
    expect(gone?.error).toBeUndefined();
    expect(fake.instances.get(foreign.id)?.lifecycleState).toBe('RUNNING');
  });

  it('capacity: flex shape from shape_config (2 vCPUs per OCPU), fixed shape from ListShapes', async () => {
    expect(await fakeVmProvider(fake, { shape_config: { ocpus: 2, memory_in_gbs: 16 } }).capacity()).toEqual({ cores: 4, memory_mb: 16384, gpus: 0 });
    expect(await fakeVmProvider(fake, { shape: 'VM.Standard2.2', shape_config: undefined }).capacity()).toEqual({ cores: 4, memory_mb: 30720, gpus: 0 });
    // Flex without memory_in_gbs: the shape's default GB per OCPU (ListShapes memoryOptions).
    expect(await fakeVmProvider(fake, { shape_config: { ocpus: 3 } }).capacity()).toEqual({ cores: 6, memory_mb: 3 * 12 * 1024, gpus: 0 });
  });
});
