// The OpenStack VM provider against the stateful Keystone + Nova fake (real
// HTTP on loopback, HTTPS with a private CA where TLS is the point): the
// shared conformance suite, plus what a server on OpenStack needs beyond it:
// metadata + tag markers, user_data (base64, Nova's 65,535-character limit),
// boot from volume with the volume deleted with the server, idempotent create
// by intent lookup, BUILD polled with a bound, throttling retried with
// Retry-After, quota/"No valid host" refusals that create nothing, token
// expiry (re-auth once) and credential errors naming the provider, catalog
// endpoint selection, ca_cert, and the listing budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import {
  createOpenStackVmProvider,
  META_INTENT_ID,
  META_MANAGED,
  META_PROVIDER,
  META_SERVER_ID,
  ownershipTags,
  serverName,
  TAG_MANAGED,
  USER_DATA_MAX_BYTES,
} from '../src/providers/openstack/index.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { APP_CRED_SECRETS, FAST_OPENSTACK_TUNING, fakeOpenStackVmProvider, openstackVmConfig, PASSWORD_SECRETS } from './fakes/openstack/harness.ts';
import { FAKE_NETWORK, type FakeOpenStack, startFakeOpenStack } from './fakes/openstack/server.ts';
import { testCa } from './fakes/shared/ca.ts';
import { vmRequests } from './support/vm-requests.ts';

let fake: FakeOpenStack;
beforeAll(async () => {
  fake = await startFakeOpenStack();
});
afterAll(async () => {
  await fake.close();
});

const ids = vmRequests('os');
const request = ids.request;

/** The server and its volumes still at the fake. */
function leftoversOf(fakeOs: FakeOpenStack, serverId: string): string[] {
  return [
    ...[...fakeOs.servers.values()].filter((s) => s.id === serverId).map((s) => `server:${s.id}`),
    ...[...fakeOs.volumes.values()].filter((v) => v.server === serverId).map((v) => `volume:${v.id}`),
  ];
}

defineVmProviderConformance('openstack (Keystone + Nova fake, boot from volume)', async () => ({
  client: fakeOpenStackVmProvider(fake, { boot_from_volume: true, volume_size_gb: 20 }),
  leftovers: async (vm) => leftoversOf(fake, vm.provider_id),
  async createForeign() {
    const foreign = fake.putServerDirect(`foreign-${ids.next()}`, { team: 'other' });
    return { provider_id: foreign.id };
  },
}));

let tlsFake: FakeOpenStack | undefined;
afterAll(async () => {
  await tlsFake?.close();
});

defineVmProviderConformance('openstack over HTTPS (private CA in ca_cert), application credential, local disk', async () => {
  const ca = testCa();
  tlsFake ??= await startFakeOpenStack({ tls: { cert: ca.cert, key: ca.key }, floatingIps: true });
  const own = tlsFake;
  return {
    client: createOpenStackVmProvider({
      config: openstackVmConfig(own, { auth_type: 'v3applicationcredential', username: undefined, password: undefined, project_name: undefined }),
      secrets: { ...APP_CRED_SECRETS, caCert: ca.caCert },
      ...FAST_OPENSTACK_TUNING,
    }),
    leftovers: async (vm) => leftoversOf(own, vm.provider_id),
    async createForeign() {
      return { provider_id: own.putServerDirect(`foreign-${ids.next()}`, { team: 'other' }).id };
    },
  };
});

describe('OpenStack VM provider: what a server is made of', { timeout: 60_000 }, () => {
  it('creates one server with metadata + tag markers, base64 user_data, networks, security groups, key, zone', async () => {
    const client = fakeOpenStackVmProvider(fake, {
      security_groups: ['kasm-agents'],
      key_name: 'ops',
      availability_zone: 'nova',
      metadata: { team: 'vdi', [META_MANAGED]: 'false' },
    });
    const req = request({ server_id: 'Srv.Upper_1' });
    const vm = await client.create(req);
    const s = fake.servers.get(vm.provider_id);
    // The name is the hostname (Nova gives the guest its hostname from it).
    expect(s?.name).toBe(req.hostname);
    expect(serverName(req.intent_id, '')).toMatch(/^pf-[0-9a-f]{20}$/);
    expect(vm).toMatchObject({ server_id: 'Srv.Upper_1', hostname: req.hostname, intent_id: req.intent_id, state: 'running' });
    expect(vm.private_ip).toMatch(/^10\.0\./);
    expect(s?.metadata).toMatchObject({
      team: 'vdi',
      [META_MANAGED]: 'true',
      [META_PROVIDER]: 'osp',
      [META_SERVER_ID]: 'Srv.Upper_1',
      [META_INTENT_ID]: req.intent_id,
    });
    expect(s?.tags).toEqual(ownershipTags('osp'));
    expect(s?.tags).toContain(TAG_MANAGED);
    expect(Buffer.from(s?.user_data ?? '', 'base64').toString('utf8')).toBe(req.user_data);
    expect(s).toMatchObject({
      imageRef: expect.any(String),
      networks: [{ uuid: FAKE_NETWORK }],
      security_groups: ['kasm-agents'],
      key_name: 'ops',
      availability_zone: 'nova',
      volumes: [],
    });
    expect(fake.calls.filter((c) => c.operation === 'nova.servers.create').at(-1)?.microversion).toBe('2.52');
    expect((await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]))[0]?.error).toBeUndefined();
    expect(fake.servers.has(vm.provider_id)).toBe(false);
  });

  it('boot from volume: BDM image → volume with volume_type (microversion 2.67); delete_on_termination false leaves the volume', async () => {
    const keep = fakeOpenStackVmProvider(fake, { boot_from_volume: true, volume_size_gb: 40, volume_type: 'ssd', delete_volume_on_termination: false });
    const vm = await keep.create(request());
    const s = fake.servers.get(vm.provider_id);
    expect(s?.imageRef).toBeNull();
    expect(s?.body['block_device_mapping_v2']).toEqual([
      {
        boot_index: 0,
        uuid: expect.any(String),
        source_type: 'image',
        destination_type: 'volume',
        volume_size: 40,
        volume_type: 'ssd',
        delete_on_termination: false,
      },
    ]);
    expect(fake.calls.filter((c) => c.operation === 'nova.servers.create').at(-1)?.microversion).toBe('2.67');
    const volume = s?.volumes[0] ?? '';
    await keep.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(fake.volumes.get(volume)).toMatchObject({ server: null, delete_on_termination: false });
    fake.volumes.delete(volume);
  });

  it('networks auto, flavor by id, application credential auth', async () => {
    const client = fakeOpenStackVmProvider(fake, {
      networks: 'auto',
      flavor: 'c4r16',
      auth_type: 'v3applicationcredential',
      username: undefined,
      password: undefined,
      project_name: undefined,
    });
    const vm = await client.create(request());
    expect(fake.servers.get(vm.provider_id)).toMatchObject({ networks: 'auto', flavorRef: 'c4r16' });
    expect(await client.capacity()).toEqual({ cores: 4, memory_mb: 16384, gpus: 0 });
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a crash after POST /servers: a new process finds the server by its intent and creates no second one', async () => {
    const req = request();
    const first = await fakeOpenStackVmProvider(fake).create(req);
    const creates = fake.count('nova.servers.create');
    const second = await fakeOpenStackVmProvider(fake).create(req);
    expect(second.provider_id).toBe(first.provider_id);
    expect(fake.count('nova.servers.create')).toBe(creates);
    expect([...fake.servers.values()].filter((s) => s.metadata[META_INTENT_ID] === req.intent_id)).toHaveLength(1);
    await fakeOpenStackVmProvider(fake).destroy([{ provider_id: first.provider_id, server_id: first.server_id }]);
  });

  it('a server of the intent left in ERROR by a dead process is replaced, not duplicated', async () => {
    const req = request();
    fake.inject({ method: 'POST', path: '/servers', serverFault: 'Unexpected error while building' });
    await fakeOpenStackVmProvider(fake)
      .create(req)
      .catch(() => undefined);
    // The failed one was deleted by that process; simulate one that was not.
    const stale = fake.putServerDirect(
      serverName(req.intent_id),
      { [META_MANAGED]: 'true', [META_PROVIDER]: 'osp', [META_SERVER_ID]: req.server_id, [META_INTENT_ID]: req.intent_id },
      ownershipTags('osp'),
    );
    stale.status = 'ERROR';
    const vm = await fakeOpenStackVmProvider(fake).create(req);
    expect(vm.provider_id).not.toBe(stale.id);
    expect(fake.servers.has(stale.id)).toBe(false);
    expect([...fake.servers.values()].filter((s) => s.metadata[META_INTENT_ID] === req.intent_id)).toHaveLength(1);
    await fakeOpenStackVmProvider(fake).destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    // A server of the intent that someone stopped (SHUTOFF) is the intent's server: returned, not replaced.
    const other = request();
    const stopped = fake.putServerDirect(
      serverName(other.intent_id),
      { [META_MANAGED]: 'true', [META_PROVIDER]: 'osp', [META_SERVER_ID]: other.server_id, [META_INTENT_ID]: other.intent_id },
      ownershipTags('osp'),
    );
    stopped.status = 'SHUTOFF';
    expect(await fakeOpenStackVmProvider(fake).create(other)).toMatchObject({ provider_id: stopped.id, state: 'stopped' });
    expect(fake.servers.has(stopped.id)).toBe(true);
    await fakeOpenStackVmProvider(fake).destroy([{ provider_id: stopped.id, server_id: other.server_id }]);
  });

  it('polls BUILD until ACTIVE, and gives up at the bound with a retryable timeout (nothing claimed about creation)', async () => {
    const slow = await startFakeOpenStack({ buildPolls: 4 });
    try {
      const vm = await fakeOpenStackVmProvider(slow).create(request());
      expect(slow.count('nova.servers.get')).toBe(5);
      expect(vm.state).toBe('running');
      const never = await startFakeOpenStack({ buildPolls: 1_000_000 });
      try {
        let clock = 0;
        const bounded = fakeOpenStackVmProvider(
          never,
          {},
          { now: () => clock, sleep: async (ms) => void (clock += ms), buildTimeoutMs: 60_000, pollIntervalMs: 1000, pollMaxIntervalMs: 10_000 },
        );
        const error = await bounded.create(request()).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'openstack-operation-timeout', retryable: true, nothingCreated: false });
        expect(never.count('nova.servers.get')).toBeLessThan(20);
      } finally {
        await never.close();
      }
    } finally {
      await slow.close();
    }
  });

  it('observe: one tag-filtered list call per 1,000 servers (<= 2 per 1,000), only its own', async () => {
    const big = await startFakeOpenStack();
    try {
      for (let i = 0; i < 1000; i++) {
        big.putServerDirect(
          `pf-${i.toString(16).padStart(20, '0')}`,
          { [META_MANAGED]: 'true', [META_PROVIDER]: 'osp', [META_SERVER_ID]: `s-${i}` },
          ownershipTags('osp'),
        );
      }
      for (let i = 0; i < 300; i++) big.putServerDirect(`other-${i}`, { [META_MANAGED]: 'true', [META_PROVIDER]: 'another' }, ownershipTags('another'));
      // A server with poolform's tags but not its metadata (tags copied by hand) is not reported.
      big.putServerDirect('impostor', {}, ownershipTags('osp'));
      const client = fakeOpenStackVmProvider(big);
      const vms = await client.observe();
      expect(vms).toHaveLength(1000);
      expect(big.count('nova.servers.list')).toBeLessThanOrEqual(2);
      const small = fakeOpenStackVmProvider(big, {}, { pageSize: 400 });
      const before = big.count('nova.servers.list');
      expect(await small.observe()).toHaveLength(1000);
      expect(big.count('nova.servers.list') - before).toBe(3);
    } finally {
      await big.close();
    }
  });

  it('max_instances is enforced against what exists', async () => {
    const own = await startFakeOpenStack();
    try {
      const client = fakeOpenStackVmProvider(own, { max_instances: 1 });
      await client.create(request());
      const error = await client.create(request()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'max-instances-reached', nothingCreated: true });
      expect(own.count('nova.servers.create')).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('destroy refuses a server without the metadata markers', async () => {
    const foreign = fake.putServerDirect('pf-00000000000000000abc', { team: 'x' }, ownershipTags('osp'));
    const results = await fakeOpenStackVmProvider(fake).destroy([{ provider_id: foreign.id, server_id: 'x' }]);
    expect((results[0]?.error as PoolformError | undefined)?.code).toBe('not-owned');
    expect(fake.servers.has(foreign.id)).toBe(true);
  });

  it(`the rendered script is checked against ${USER_DATA_MAX_BYTES} bytes (65,535 base64 characters) before any call`, async () => {
    const before = fake.calls.length;
    const error = await fakeOpenStackVmProvider(fake)
      .create(request({ user_data: 'x'.repeat(USER_DATA_MAX_BYTES + 1) }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'user-data-too-large', nothingCreated: true });
    expect(fake.calls.length).toBe(before);
    // The largest that fits is accepted by Nova's schema (the fake checks maxLength 65535 of the base64).
    const fits = await fakeOpenStackVmProvider(fake).create(request({ user_data: 'x'.repeat(USER_DATA_MAX_BYTES) }));
    expect(fake.servers.get(fits.provider_id)?.user_data?.length).toBeLessThanOrEqual(65_535);
    await fakeOpenStackVmProvider(fake).destroy([{ provider_id: fits.provider_id, server_id: fits.server_id }]);
  });
});

describe('OpenStack VM provider: Keystone and the catalog', { timeout: 60_000 }, () => {
  it('uses the compute endpoint of interface + region from the catalog', async () => {
    const own = await startFakeOpenStack();
    try {
      await fakeOpenStackVmProvider(own, { region_name: 'RegionTwo' }).observe();
      await fakeOpenStackVmProvider(own, { interface: 'internal' }).observe();
      expect(own.calls.filter((c) => c.operation === 'nova.servers.list').map((c) => c.prefix)).toEqual(['compute-r2', 'compute-internal']);
      const ambiguous = await fakeOpenStackVmProvider(own, { region_name: undefined })
        .observe()
        .catch((e: unknown) => e);
      expect(ambiguous).toMatchObject({ code: 'openstack-endpoint-not-found' });
      expect((ambiguous as PoolformError).message).toMatch(/^VmProvider osp: .*RegionOne, RegionTwo.*set region_name/);
      const missing = await fakeOpenStackVmProvider(own, { region_name: 'RegionNine' })
        .observe()
        .catch((e: unknown) => e);
      expect((missing as PoolformError).message).toContain('region_name RegionNine');
    } finally {
      await own.close();
    }
  });

  it('one token serves many calls; an expired token is replaced once (re-auth on 401) and the call succeeds', async () => {
    const own = await startFakeOpenStack();
    try {
      const client = fakeOpenStackVmProvider(own);
      await client.observe();
      await client.observe();
      expect(own.count('keystone.tokens')).toBe(1);
      own.expireTokens();
      await client.observe();
      expect(own.count('keystone.tokens')).toBe(2);
      expect(own.calls.filter((c) => c.operation === 'nova.servers.list').map((c) => c.status)).toEqual([200, 200, 401, 200]);
    } finally {
      await own.close();
    }
  });

  it('concurrent calls that meet an expired token share one re-authentication; a token near expires_at is renewed before use', async () => {
    const own = await startFakeOpenStack();
    try {
      const client = fakeOpenStackVmProvider(own);
      await client.observe();
      own.expireTokens();
      await Promise.all([client.observe(), client.observe(), client.observe()]);
      expect(own.count('keystone.tokens')).toBe(2);
      // The fake's tokens live an hour: 59.5 minutes later the client renews first (60 s margin), without a 401.
      let shift = 0;
      const timed = fakeOpenStackVmProvider(own, {}, { now: () => Date.now() + shift });
      await timed.observe();
      const before = own.calls.length;
      shift = 59.5 * 60_000;
      await timed.observe();
      expect(own.calls.slice(before).map((c) => `${c.operation} ${c.status}`)).toEqual(['keystone.tokens 201', 'nova.servers.list 200']);
    } finally {
      await own.close();
    }
  });

  it('wrong credentials, or a 401 after re-auth: openstack-auth-failed naming the provider, not retryable, no secret in the message', async () => {
    const own = await startFakeOpenStack();
    try {
      const wrong = createOpenStackVmProvider({ config: openstackVmConfig(own), secrets: { password: 'not-the-password' }, ...FAST_OPENSTACK_TUNING });
      const error = await wrong.observe().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'openstack-auth-failed', retryable: false });
      expect((error as PoolformError).message).toMatch(/^VmProvider osp: OpenStack \(Keystone\) rejected the credentials/);
      expect((error as PoolformError).message).not.toContain('not-the-password');
      const client = fakeOpenStackVmProvider(own);
      await client.observe();
      own.expireTokens();
      own.rejectAuth(true);
      const after = await client.observe().catch((e: unknown) => e);
      expect(after).toMatchObject({ code: 'openstack-auth-failed', retryable: false });
      const appcred = createOpenStackVmProvider({
        config: openstackVmConfig(own, { auth_type: 'v3applicationcredential' }),
        secrets: { ...APP_CRED_SECRETS, applicationCredentialSecret: 'wrong' },
        ...FAST_OPENSTACK_TUNING,
      });
      expect(await appcred.observe().catch((e: unknown) => e)).toMatchObject({ code: 'openstack-auth-failed' });
    } finally {
      await own.close();
    }
  });

  it('ca_cert: an HTTPS cloud behind a private CA is trusted with the CA, refused without it; insecure_skip_verify warns', async () => {
    const ca = testCa();
    const tls = await startFakeOpenStack({ tls: { cert: ca.cert, key: ca.key } });
    try {
      expect(tls.authUrl.startsWith('https://127.0.0.1:')).toBe(true);
      const trusted = createOpenStackVmProvider({
        config: openstackVmConfig(tls),
        secrets: { ...PASSWORD_SECRETS, caCert: ca.caCert },
        ...FAST_OPENSTACK_TUNING,
      });
      const vm = await trusted.create(request());
      expect(vm.state).toBe('running');
      await trusted.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
      const untrusted = createOpenStackVmProvider({ config: openstackVmConfig(tls), secrets: PASSWORD_SECRETS, ...FAST_OPENSTACK_TUNING });
      const error = await untrusted.observe().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'openstack-tls-failed', retryable: false });
      expect((error as PoolformError).message).toContain('ca_cert');
      const warnings: string[] = [];
      const insecure = createOpenStackVmProvider({
        config: openstackVmConfig(tls, { insecure_skip_verify: true }),
        secrets: PASSWORD_SECRETS,
        warn: (m) => void warnings.push(m),
        ...FAST_OPENSTACK_TUNING,
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/VmProvider osp: insecure_skip_verify is on.*NOT verified/);
      expect(await insecure.observe()).toEqual([]);
    } finally {
      await tls.close();
    }
  });
});

describe('OpenStack VM provider: faults', { timeout: 60_000 }, () => {
  it('429 overLimit with Retry-After is retried (the delay honoured) and the create succeeds', async () => {
    const sleeps: number[] = [];
    const client = fakeOpenStackVmProvider(fake, {}, { sleep: async (ms) => void sleeps.push(ms), retry: { maxRetries: 3, baseMs: 1, maxMs: 5000 } });
    fake.inject({ method: 'POST', path: '/servers', status: 429, retryAfter: 2, times: 2 });
    const vm = await client.create(request());
    expect(vm.state).toBe('running');
    expect(sleeps.filter((ms) => ms === 2000)).toHaveLength(2);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('429 beyond the retries: openstack-throttled, retryable, nothing created', async () => {
    const req = request();
    fake.inject({ method: 'POST', path: '/servers', status: 429, times: 10 });
    const error = await fakeOpenStackVmProvider(fake)
      .create(req)
      .catch((e: unknown) => e);
    fake.clearFaults();
    expect(error).toMatchObject({ code: 'openstack-throttled', retryable: true, nothingCreated: true });
    expect([...fake.servers.values()].some((s) => s.metadata[META_INTENT_ID] === req.intent_id)).toBe(false);
  });

  it('quota (403 forbidden "Quota exceeded", or 413 overLimit): openstack-quota-exceeded, retryable, nothing created, not retried in place', async () => {
    const before = fake.count('nova.servers.create');
    fake.inject({ method: 'POST', path: '/servers', status: 403, message: 'Quota exceeded for cores: Requested 4, but already used 20 of 20 cores' });
    expect(
      await fakeOpenStackVmProvider(fake)
        .create(request())
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'openstack-quota-exceeded', retryable: true, nothingCreated: true });
    fake.inject({
      method: 'POST',
      path: '/servers',
      status: 413,
      retryAfter: 0,
      message: 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances',
    });
    expect(
      await fakeOpenStackVmProvider(fake)
        .create(request())
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'openstack-quota-exceeded', nothingCreated: true });
    expect(fake.count('nova.servers.create') - before).toBe(2);
  });

  it('"No valid host was found": openstack-insufficient-capacity, retryable, the ERROR server deleted, nothing created', async () => {
    const req = request();
    fake.inject({ method: 'POST', path: '/servers', serverFault: 'No valid host was found. There are not enough hosts available.' });
    const error = await fakeOpenStackVmProvider(fake)
      .create(req)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'openstack-insufficient-capacity', retryable: true, nothingCreated: true, providerCode: 'NoValidHost' });
    expect((error as PoolformError).message).toMatch(/^VmProvider osp: OpenStack has no capacity for flavor m1.small/);
    expect([...fake.servers.values()].some((s) => s.metadata[META_INTENT_ID] === req.intent_id)).toBe(false);
  });

  it("400 badRequest: openstack-invalid-request with Nova's message, not retryable; 503 retried then succeeds", async () => {
    const bad = await fakeOpenStackVmProvider(fake, { networks: ['00000000-0000-4000-8000-000000000000'] })
      .create(request())
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'openstack-invalid-request', retryable: false, nothingCreated: true });
    expect((bad as PoolformError).message).toContain('Network 00000000-0000-4000-8000-000000000000 could not be found');
    fake.inject({ method: 'GET', path: '/servers/detail', status: 503, times: 2 });
    expect(Array.isArray(await fakeOpenStackVmProvider(fake).observe())).toBe(true);
  });

  it('500 on POST: unknown outcome, retryable, not claimed as nothing created', async () => {
    fake.inject({ method: 'POST', path: '/servers', status: 500 });
    const error = await fakeOpenStackVmProvider(fake)
      .create(request())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'openstack-error', retryable: true, nothingCreated: false });
  });

  it('a POST whose answer was lost (the server made, 500 answered): not claimed as nothing created; the next attempt adopts the server by its intent', async () => {
    const req = request();
    fake.inject({ method: 'POST', path: '/servers', status: 500, afterEffect: true });
    // Long snapshot reuse: the retry in the same process must still look again.
    const client = fakeOpenStackVmProvider(fake, {}, { snapshotMaxAgeMs: 3_600_000 });
    await client.observe();
    const error = await client.create(req).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, nothingCreated: false });
    const made = [...fake.servers.values()].filter((s) => s.metadata[META_INTENT_ID] === req.intent_id);
    expect(made).toHaveLength(1);
    const creates = fake.count('nova.servers.create');
    const vm = await client.create(req);
    expect(vm.provider_id).toBe(made[0]?.id);
    expect((await fakeOpenStackVmProvider(fake).create(req)).provider_id).toBe(made[0]?.id);
    expect(fake.count('nova.servers.create')).toBe(creates);
    await fakeOpenStackVmProvider(fake).destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('an unknown flavor name is a clear error naming the field', async () => {
    const error = await fakeOpenStackVmProvider(fake, { flavor: 'm9.huge' })
      .create(request())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'openstack-not-found', field: 'flavor' });
    expect((error as PoolformError).message).toContain('flavor m9.huge');
  });
});

describe('OpenStack provider wiring', () => {
  it('the registry resolves the secret references (password, application credential, ca_cert) and passes the warning sink', async () => {
    const { createProviderRegistry } = await import('../src/providers/registry.ts');
    const { testConfig } = await import('../src/providers/testing.ts');
    const seen: unknown[] = [];
    const warnings: string[] = [];
    const config = testConfig({
      vmProviders: [
        { ...openstackVmConfig(fake, { name: 'pw', password: '${env:OS_PASSWORD}', ca_cert: '${env:OS_CA}' }) },
        {
          ...openstackVmConfig(fake, {
            name: 'ac',
            auth_type: 'v3applicationcredential',
            username: undefined,
            password: undefined,
            project_name: undefined,
            application_credential_id: '${env:OS_AC_ID}',
            application_credential_secret: '${env:OS_AC_SECRET}',
            insecure_skip_verify: true,
          }),
        },
      ],
    });
    const registry = createProviderRegistry({
      config,
      stateDir: '/nonexistent',
      env: { OS_PASSWORD: 'pw-secret', OS_CA: '-----BEGIN CERTIFICATE-----x', OS_AC_ID: 'id-1', OS_AC_SECRET: 'ac-secret' },
      warn: (m) => void warnings.push(m),
      factories: {
        openstackVm: (options) => {
          seen.push(options.secrets);
          options.warn?.('ping');
          return fakeOpenStackVmProvider(fake);
        },
      },
    });
    expect(registry.vm('pw').kind).toBe('openstack');
    expect(registry.vm('ac').kind).toBe('openstack');
    expect(seen).toEqual([
      { password: 'pw-secret', caCert: '-----BEGIN CERTIFICATE-----x' },
      { applicationCredentialId: 'id-1', applicationCredentialSecret: 'ac-secret' },
    ]);
    expect(warnings).toEqual(['ping', 'ping']);
    // An unset reference names the field, not a value.
    const missing = createProviderRegistry({ config, stateDir: '/nonexistent', env: {} });
    expect(() => missing.vm('pw')).toThrow(/VmProvider pw: password/);
  });
});
