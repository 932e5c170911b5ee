// The DigitalOcean VM provider against the stateful API fake (real HTTP on
// loopback, the provider's fetch client): the shared conformance suite, plus
// what DigitalOcean needs beyond it: ownership tags, idempotent create by the
// intent tag (after a crash, a lost answer, a 5xx on POST), 429 with
// Retry-After and rate-limit pacing, 422 capacity/limit refusals mapped like
// EC2's capacity errors (nothing created, retryable), 401 as a credential
// error naming the provider, the user_data limit, and the listing budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { intentTag, providerTag, TAG_MANAGED } from '../src/providers/digital-ocean/tags.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { testConfig } from '../src/providers/testing.ts';
import { testTimeout } from '../src/testing/timeouts.ts';
import { PoolformError } from '../src/util/errors.ts';
import { doVmConfig, fakeVmProvider, recordingSleep } from './fakes/digital-ocean/harness.ts';
import { type FakeDigitalOcean, startFakeDigitalOcean } from './fakes/digital-ocean/server.ts';
import { vmRequests } from './support/vm-requests.ts';

let fake: FakeDigitalOcean;
beforeAll(async () => {
  fake = await startFakeDigitalOcean();
});
afterAll(async () => {
  await fake.close();
});

const ids = vmRequests('do');
const request = ids.request;

defineVmProviderConformance('digital_ocean (API fake)', async () => ({
  client: fakeVmProvider(fake),
  // A droplet is one resource: nothing else may remain once it is gone.
  leftovers: async (vm) => (fake.droplets.has(Number(vm.provider_id)) ? [`droplet ${vm.provider_id}`] : []),
  async createForeign() {
    const d = fake.putDroplet({ name: `foreign-${ids.next()}`, tags: [`poolform:server:foreign-${ids.seq}`] });
    return { provider_id: String(d.id), server_id: `foreign-${ids.seq}` };
  },
}));

// Again with pages of 2 (observe follows links.pages.next) and droplets that stay `new` for 3 reads.
let paged: FakeDigitalOcean;
beforeAll(async () => {
  paged = await startFakeDigitalOcean({ maxPerPage: 2, readsToActive: 3 });
});
afterAll(async () => {
  await paged.close();
});
defineVmProviderConformance('digital_ocean (API fake: 2 per page, slow boots)', async () => {
  for (let i = 0; i < 3; i++) paged.putDroplet({ name: `other-${ids.next()}`, tags: [TAG_MANAGED, providerTag('do')] });
  return { client: fakeVmProvider(paged), leftovers: async (vm) => (paged.droplets.has(Number(vm.provider_id)) ? ['droplet'] : []) };
});

describe('DigitalOcean VM provider', { timeout: testTimeout(60_000) }, () => {
  it('creates a tagged droplet with the configured settings and user_data, active with its addresses', async () => {
    const client = fakeVmProvider(fake, {
      vpc_uuid: '0d3f2c1e-1111-4222-8333-944455556666',
      ssh_keys: [123, 'aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99'],
      tags: ['kasm-agents'],
    });
    const req = request();
    const vm = await client.create(req);
    expect(vm).toMatchObject({
      server_id: req.server_id,
      hostname: req.hostname,
      intent_id: req.intent_id,
      state: 'running',
      pool: 'agents',
      autoscale: 'fleet',
    });
    expect(vm.private_ip).toMatch(/^10\./);
    expect(vm.public_ip).toMatch(/^203\./);
    const d = fake.droplets.get(Number(vm.provider_id));
    expect(d).toMatchObject({
      name: req.hostname,
      region: 'nyc3',
      size: 's-2vcpu-4gb',
      image: 'ubuntu-24-04-x64',
      user_data: req.user_data,
      vpc_uuid: '0d3f2c1e-1111-4222-8333-944455556666',
    });
    expect(d?.ssh_keys).toEqual([123, 'aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99']);
    expect(d?.tags).toEqual(
      expect.arrayContaining([
        TAG_MANAGED,
        providerTag('do'),
        intentTag(req.intent_id),
        `poolform:server:${req.server_id}`,
        'poolform:pool:agents',
        'poolform:autoscale:fleet',
        'kasm-agents',
      ]),
    );
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('create is idempotent by the intent tag: a new process (after a crash) finds the droplet instead of making a second', async () => {
    const req = request();
    const first = await fakeVmProvider(fake).create(req);
    const posts = fake.count('droplets.create');
    const again = await fakeVmProvider(fake).create(req);
    expect(again.provider_id).toBe(first.provider_id);
    expect(fake.count('droplets.create')).toBe(posts);
    expect([...fake.droplets.values()].filter((d) => d.tags.includes(intentTag(req.intent_id)))).toHaveLength(1);
    await fakeVmProvider(fake).destroy([{ provider_id: first.provider_id, server_id: first.server_id }]);
  });

  it('a droplet this process destroyed is not handed back for its intent', async () => {
    const client = fakeVmProvider(fake);
    const req = request();
    const first = await client.create(req);
    await client.destroy([{ provider_id: first.provider_id, server_id: first.server_id }]);
    const second = await client.create(req);
    expect(second.provider_id).not.toBe(first.provider_id);
    expect(fake.droplets.has(Number(second.provider_id))).toBe(true);
    await client.destroy([{ provider_id: second.provider_id, server_id: second.server_id }]);
  });

  it('a 500 answered after the droplet was made is not re-sent; the retry finds it by its intent tag', async () => {
    const client = fakeVmProvider(fake);
    const req = request();
    fake.inject({ method: 'POST', path: '/v2/droplets', status: 500, id: 'server_error', afterEffect: true });
    const error = await client.create(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolformError);
    expect((error as PoolformError).retryable).toBe(true);
    expect((error as PoolformError).nothingCreated).toBe(false);
    const vm = await client.create(req);
    expect([...fake.droplets.values()].filter((d) => d.tags.includes(intentTag(req.intent_id))).map((d) => String(d.id))).toEqual([vm.provider_id]);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('tags applied after the create: a retry finds the untagged droplet by name and waits instead of creating a second', async () => {
    const late = await startFakeDigitalOcean({ tagsAfterReads: 2 });
    try {
      const client = fakeVmProvider(late);
      const req = request();
      late.inject({ method: 'POST', path: '/v2/droplets', status: 500, id: 'server_error', afterEffect: true });
      expect(((await client.create(req).catch((e: unknown) => e)) as PoolformError).retryable).toBe(true);
      const outcomes: string[] = [];
      let vm: Awaited<ReturnType<typeof client.create>> | undefined;
      for (let attempt = 0; attempt < 4 && !vm; attempt++) {
        try {
          vm = await client.create(req);
          outcomes.push('found');
        } catch (error) {
          expect((error as PoolformError).nothingCreated).toBe(true);
          expect((error as PoolformError).message).toContain('shows no tags yet');
          outcomes.push('wait');
        }
      }
      expect(outcomes).toEqual(['wait', 'wait', 'found']);
      expect(late.droplets.size).toBe(1);
      expect(late.count('droplets.create')).toBe(1);
      expect(vm?.provider_id).toBe(String([...late.droplets.keys()][0]));
      // An old untagged droplet of the same name is not taken for this one.
      const old = fakeVmProvider(late, {}, { tagWindowMs: 0 });
      const other = request({ hostname: 'shared-name' });
      late.putDroplet({ name: 'shared-name', tags: [], created_at: '2020-01-01T00:00:00Z' });
      expect((await old.create(other)).intent_id).toBe(other.intent_id);
    } finally {
      await late.close();
    }
  });

  it('429 is retried after Retry-After; a 429 without it waits for ratelimit-reset', async () => {
    const { sleep, waits } = recordingSleep();
    // The client's real delay bounds (1 s .. 30 s): a hint wins up to 4x the longest delay.
    const client = fakeVmProvider(fake, {}, { sleep, clientOptions: { retryBaseMs: 1000, retryMaxMs: 30_000, sleep } });
    fake.inject({ method: 'GET', path: '/v2/droplets', status: 429, id: 'too_many_requests', message: 'API Rate limit exceeded.', retryAfter: 7, times: 2 });
    await client.observe();
    expect(waits).toEqual([7000, 7000]);
    waits.length = 0;
    fake.setRateLimit(5000, 20);
    fake.inject({ method: 'GET', path: '/v2/droplets', status: 429, id: 'too_many_requests', times: 1 });
    await client.observe();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(10_000);
    fake.setRateLimit(5000);
  });

  it('throttling that outlasts the retries becomes do-throttled (retryable), never a create loop', async () => {
    const client = fakeVmProvider(fake, {}, { clientOptions: { maxRetries: 2, retryBaseMs: 1, retryMaxMs: 2, sleep: async () => undefined } });
    fake.inject({ method: 'POST', path: '/v2/droplets', status: 429, id: 'too_many_requests', retryAfter: 0, times: 3 });
    const before = fake.droplets.size;
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('do-throttled');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect(fake.droplets.size).toBe(before);
    fake.clearFaults();
  });

  it('slows down when ratelimit-remaining is low', async () => {
    const { sleep, waits } = recordingSleep();
    const client = fakeVmProvider(fake, {}, { sleep });
    fake.setRateLimit(3, 60);
    await client.observe(); // learns the budget
    await client.observe(); // paced
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits.every((w) => w > 0 && w <= 60_000)).toBe(true);
    fake.setRateLimit(5000);
  });

  it('422 size/region unavailable and the droplet limit are capacity errors: retryable, nothing created', async () => {
    const unavailable = (await fakeVmProvider(fake, { region: 'sgp1' })
      .create(request())
      .catch((e: unknown) => e)) as PoolformError;
    expect(unavailable.code).toBe('do-insufficient-capacity');
    expect(unavailable.retryable).toBe(true);
    expect(unavailable.nothingCreated).toBe(true);
    expect(unavailable.message).toContain('VmProvider do');
    fake.inject({
      method: 'POST',
      path: '/v2/droplets',
      status: 422,
      id: 'unprocessable_entity',
      message: 'creating this/these droplet(s) will exceed your droplet limit',
    });
    const limit = (await fakeVmProvider(fake)
      .create(request())
      .catch((e: unknown) => e)) as PoolformError;
    expect(limit.code).toBe('do-droplet-limit');
    expect(limit.retryable).toBe(true);
    const invalid = (await fakeVmProvider(fake, { size: 'no-such-size' })
      .create(request())
      .catch((e: unknown) => e)) as PoolformError;
    expect(invalid.code).toBe('do-invalid-request');
    expect(invalid.retryable).toBe(false);
  });

  it('a bad token is a credential error naming the provider and the token field, never showing it', async () => {
    const client = fakeVmProvider(fake, {}, { token: 'dop_v1_wrong-secret-value' });
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('do-auth-failed');
    expect(error.field).toBe('token');
    expect(error.message).toContain('VmProvider do');
    expect(error.message).not.toContain('wrong-secret-value');
    expect(error.retryable).toBe(false);
  });

  it('refuses user_data above 64 KiB before any call', async () => {
    const before = fake.calls.length;
    const error = (await fakeVmProvider(fake)
      .create(request({ user_data: 'x'.repeat(64 * 1024 + 1) }))
      .catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('user-data-too-large');
    expect(error.nothingCreated).toBe(true);
    expect(fake.calls.length).toBe(before);
  });

  it('max_instances counts the droplets that exist', async () => {
    const own = await startFakeDigitalOcean();
    try {
      const client = fakeVmProvider(own, { max_instances: 2 });
      await client.create(request());
      await client.create(request());
      const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
      expect(error.code).toBe('max-instances-reached');
      expect(own.droplets.size).toBe(2);
    } finally {
      await own.close();
    }
  });

  it('destroy refuses a droplet without the provider tag and treats a gone droplet as done', async () => {
    const foreign = fake.putDroplet({ name: 'hand-made', tags: ['poolform:server:x'] });
    const client = fakeVmProvider(fake);
    const [refused, gone] = await client.destroy([
      { provider_id: String(foreign.id), server_id: 'x' },
      { provider_id: '999999999', server_id: 'y' },
    ]);
    expect((refused?.error as PoolformError | undefined)?.code).toBe('not-owned');
    expect(fake.droplets.has(foreign.id)).toBe(true);
    expect(gone?.error).toBeUndefined();
  });

  it('observe lists by the provider tag: ceil(n / 200) list calls (DigitalOcean caps per_page at 200)', async () => {
    const big = await startFakeDigitalOcean();
    try {
      for (let i = 0; i < 1000; i++) big.putDroplet({ name: `d${i}`, tags: [TAG_MANAGED, providerTag('do'), `poolform:server:s${i}`] });
      for (let i = 0; i < 50; i++) big.putDroplet({ name: `other${i}`, tags: [`poolform:server:o${i}`] });
      const vms = await fakeVmProvider(big).observe();
      expect(vms).toHaveLength(1000);
      expect(big.count('droplets.list')).toBe(5);
      expect(big.calls.every((c) => c.operation === 'droplets.list' && c.query.includes('tag_name=poolform%3Aprovider%3Ado'))).toBe(true);
    } finally {
      await big.close();
    }
  });

  it('the registry builds it from the config with the token resolved from ${env:}', async () => {
    const config = testConfig({ vmProviders: [doVmConfig(fake, { name: 'reg' })] });
    const registry = createProviderRegistry({ config, stateDir: '/nonexistent', env: { DIGITALOCEAN_TOKEN: fake.token } });
    const client = registry.vm('reg');
    expect(client.kind).toBe('digital_ocean');
    expect(await client.observe()).toEqual([]);
    expect(await client.capacity()).toEqual({ cores: 2, memory_mb: 4096, gpus: 0 });
  });
});
