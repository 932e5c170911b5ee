// The GCP VM provider against the stateful Compute Engine fake (real HTTP on
// loopback, @google-cloud/compute over its REST transport): the shared
// conformance suite, plus what an instance on GCP needs beyond it: labels and
// metadata, boot disk deleted with the instance (no orphaned disk),
// deterministic names + requestId (idempotent insert), zonal operations polled
// with a bound, throttling retried, quota/capacity refusals that create
// nothing, credential errors naming the provider, and the listing budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { instanceName, LABEL_INTENT_ID, LABEL_MANAGED, LABEL_PROVIDER, LABEL_SERVER_ID, labelValue, requestIdFor } from '../src/providers/gcp/index.ts';
import { PoolformError } from '../src/util/errors.ts';
import { fakeGcpVmProvider, TEST_ZONE } from './fakes/gcp/harness.ts';
import { type FakeGcp, startFakeGcp } from './fakes/gcp/server.ts';
import { vmRequests } from './support/vm-requests.ts';

let fake: FakeGcp;
beforeAll(async () => {
  fake = await startFakeGcp();
});
afterAll(async () => {
  await fake.close();
});

const ids = vmRequests('gcp');
const request = ids.request;

/** Instances and disks of one intent still at the fake. */
function leftovers(intentId: string): string[] {
  const name = instanceName(intentId);
  return [...[...fake.instances.values()].map((i) => `instance:${i.name}`), ...[...fake.disks.values()].map((d) => `disk:${d.name}`)].filter((n) =>
    n.endsWith(`:${name}`),
  );
}

defineVmProviderConformance('gcp (Compute fake)', async () => ({
  client: fakeGcpVmProvider(fake, { public_ip: true }),
  // The instance and its boot disk (same name) are both gone after destroy.
  leftovers: async (vm) =>
    [...[...fake.instances.values()].map((i) => `instance:${i.name}`), ...[...fake.disks.values()].map((d) => `disk:${d.name}`)].filter((n) =>
      n.endsWith(`:${vm.provider_id}`),
    ),
  async createForeign() {
    const n = ids.next();
    fake.putInstanceDirect(TEST_ZONE, `foreign-${n}`, { team: 'other' });
    return { provider_id: `foreign-${n}` };
  },
}));

describe('GCP VM provider: what an instance is made of', { timeout: 60_000 }, () => {
  it('inserts one labelled instance with an autoDelete boot disk and the startup script; destroy leaves no disk', async () => {
    const client = fakeGcpVmProvider(fake, { public_ip: true, labels: { team: 'vdi' }, network_tags: ['kasm-agent'], metadata: { 'enable-oslogin': 'TRUE' } });
    const req = request({ server_id: 'Srv.Upper_1' });
    const vm = await client.create(req);
    const name = instanceName(req.intent_id);
    expect(vm).toMatchObject({ provider_id: name, server_id: 'Srv.Upper_1', hostname: req.hostname, intent_id: req.intent_id, state: 'running' });
    expect(vm.private_ip).toMatch(/^10\.128\./);
    expect(vm.public_ip).toMatch(/^34\.1\./);
    const inst = fake.instances.get(`${TEST_ZONE}/${name}`);
    expect(inst?.labels).toMatchObject({
      [LABEL_MANAGED]: 'true',
      [LABEL_PROVIDER]: 'gcp',
      [LABEL_SERVER_ID]: labelValue('Srv.Upper_1'),
      [LABEL_INTENT_ID]: labelValue(req.intent_id),
      team: 'vdi',
    });
    for (const v of Object.values(inst?.labels ?? {})) expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
    expect(inst?.metadata.find((m) => m.key === 'startup-script')?.value).toBe(req.user_data);
    expect(inst?.metadata.find((m) => m.key === 'enable-oslogin')?.value).toBe('TRUE');
    expect(inst?.disks).toEqual([expect.objectContaining({ boot: true, autoDelete: true })]);
    expect(fake.disks.get(`${TEST_ZONE}/${name}`)).toBeDefined();
    expect((await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]))[0]?.error).toBeUndefined();
    expect(leftovers(req.intent_id)).toEqual([]);
  });

  it('Windows images get windows-startup-script-ps1', async () => {
    const client = fakeGcpVmProvider(fake, { os_type: 'windows' });
    const req = request({ user_data: 'Write-Host hi' });
    const vm = await client.create(req);
    const inst = fake.instances.get(`${TEST_ZONE}/${vm.provider_id}`);
    expect(inst?.metadata.find((m) => m.key === 'windows-startup-script-ps1')?.value).toBe('Write-Host hi');
    expect(inst?.metadata.some((m) => m.key === 'startup-script')).toBe(false);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a crash after the insert: a new process with the same intent gets the same instance (requestId, then 409 by name)', async () => {
    const req = request();
    const first = await fakeGcpVmProvider(fake).create(req);
    const inserts = fake.count('compute.instances.insert');
    const second = await fakeGcpVmProvider(fake, {}, { snapshotMaxAgeMs: 0 }).create(req);
    expect(second.provider_id).toBe(first.provider_id);
    expect([...fake.instances.values()].filter((i) => i.name === first.provider_id)).toHaveLength(1);
    // The second process found it by listing first: no second insert.
    expect(fake.count('compute.instances.insert')).toBe(inserts);
    // Same requestId sent again (as after a lost answer): the fake answers the first operation, no duplicate.
    expect(requestIdFor(`insert:${req.intent_id}`)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await fakeGcpVmProvider(fake).destroy([{ provider_id: first.provider_id, server_id: first.server_id }]);
  });

  it('an insert whose answer was lost is retried with the same requestId and makes one instance', async () => {
    const client = fakeGcpVmProvider(fake);
    const req = request();
    // The first insert succeeds at the fake but the provider sees a 503 on the operation read, then retries.
    fake.inject({ method: 'GET', path: '/operations/', status: 503, times: 1 });
    const vm = await client.create(req);
    expect([...fake.instances.values()].filter((i) => i.name === vm.provider_id)).toHaveLength(1);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('polls the zonal operation until DONE, and gives up at the bound with a retryable timeout', async () => {
    const slow = await startFakeGcp({ pollsToComplete: 4 });
    try {
      const client = fakeGcpVmProvider(slow);
      const vm = await client.create(request());
      expect(slow.count('compute.zoneOperations.get')).toBe(4);
      expect(vm.state).toBe('running');
      const never = await startFakeGcp({ pollsToComplete: 1_000_000 });
      try {
        let clock = 0;
        const bounded = fakeGcpVmProvider(
          never,
          {},
          { now: () => clock, sleep: async (ms) => void (clock += ms), operationTimeoutMs: 60_000, pollIntervalMs: 1000, pollMaxIntervalMs: 10_000 },
        );
        const error = await bounded.create(request()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PoolformError);
        expect((error as PoolformError).code).toBe('gcp-operation-timeout');
        expect((error as PoolformError).retryable).toBe(true);
        expect((error as PoolformError).nothingCreated).toBe(false);
        // Backoff: far fewer polls than one per second over the minute.
        expect(never.count('compute.zoneOperations.get')).toBeLessThan(20);
      } finally {
        await never.close();
      }
    } finally {
      await slow.close();
    }
  });

  it('observe is one filtered list call per 500 instances (<= 2 per 1,000) and sees only its own', async () => {
    const big = await startFakeGcp();
    try {
      for (let i = 0; i < 1000; i++) {
        big.putInstanceDirect(TEST_ZONE, `pf-${i.toString(16).padStart(20, '0')}`, { [LABEL_MANAGED]: 'true', [LABEL_PROVIDER]: 'gcp' });
        const inst = big.instances.get(`${TEST_ZONE}/pf-${i.toString(16).padStart(20, '0')}`);
        inst?.metadata.push({ key: 'poolform-server-id', value: `s-${i}` });
      }
      for (let i = 0; i < 300; i++) big.putInstanceDirect(TEST_ZONE, `other-${i}`, { [LABEL_MANAGED]: 'true', [LABEL_PROVIDER]: 'another-config' });
      const client = fakeGcpVmProvider(big);
      const before = big.count('compute.instances.list');
      const vms = await client.observe();
      expect(vms).toHaveLength(1000);
      expect(big.count('compute.instances.list') - before).toBeLessThanOrEqual(2);
    } finally {
      await big.close();
    }
  });

  it('max_instances is enforced against what exists', async () => {
    const own = await startFakeGcp();
    try {
      const client = fakeGcpVmProvider(own, { max_instances: 1 });
      await client.create(request());
      const error = await client.create(request()).catch((e: unknown) => e);
      expect((error as PoolformError).code).toBe('max-instances-reached');
      expect((error as PoolformError).nothingCreated).toBe(true);
      expect(own.count('compute.instances.insert')).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('destroy refuses an instance without the ownership labels', async () => {
    fake.putInstanceDirect(TEST_ZONE, 'pf-00000000000000000abc', { team: 'x' });
    const results = await fakeGcpVmProvider(fake).destroy([{ provider_id: 'pf-00000000000000000abc', server_id: 'x' }]);
    expect((results[0]?.error as PoolformError | undefined)?.code).toBe('not-owned');
    expect(fake.instances.has(`${TEST_ZONE}/pf-00000000000000000abc`)).toBe(true);
    const foreignName = await fakeGcpVmProvider(fake).destroy([{ provider_id: 'my-db-server', server_id: 'x' }]);
    expect((foreignName[0]?.error as PoolformError | undefined)?.code).toBe('not-owned');
  });

  it('a delete still running at the bound reports shutting-down; a refused delete leaves the instance as it is', async () => {
    const slow = await startFakeGcp({ pollsToComplete: 3 });
    try {
      const client = fakeGcpVmProvider(slow, {}, { operationTimeoutMs: 0 });
      const made = await fakeGcpVmProvider(slow).create(request());
      const ref = { provider_id: made.provider_id, server_id: made.server_id };
      slow.inject({ method: 'DELETE', status: 403, status_text: 'PERMISSION_DENIED', reason: 'forbidden' });
      const refused = await client.destroy([ref]);
      expect(refused[0]?.error).toMatchObject({ code: 'gcp-unauthorized' });
      expect((await client.observe()).find((v) => v.provider_id === ref.provider_id)?.state).toBe('running');
      const timedOut = await client.destroy([ref]);
      expect(timedOut[0]?.error).toMatchObject({ code: 'gcp-operation-timeout' });
      expect((await client.observe()).find((v) => v.provider_id === ref.provider_id)?.state).toBe('shutting-down');
    } finally {
      await slow.close();
    }
  });

  it('capacity from machineTypes.get', async () => {
    expect(await fakeGcpVmProvider(fake, { machine_type: 'n2-highmem-8' }).capacity()).toEqual({ cores: 8, memory_mb: 65536, gpus: 0 });
  });

  it('the rendered script is checked against 262,144 bytes before any call', async () => {
    const before = fake.calls.length;
    const error = await fakeGcpVmProvider(fake)
      .create(request({ user_data: 'x'.repeat(262_145) }))
      .catch((e: unknown) => e);
    expect((error as PoolformError).code).toBe('user-data-too-large');
    expect((error as PoolformError).nothingCreated).toBe(true);
    expect(fake.calls.length).toBe(before);
    const fits = await fakeGcpVmProvider(fake).create(request({ user_data: 'x'.repeat(262_144) }));
    await fakeGcpVmProvider(fake).destroy([{ provider_id: fits.provider_id, server_id: fits.server_id }]);
  });
});

describe('GCP VM provider: faults', { timeout: 60_000 }, () => {
  it('429 rateLimitExceeded (with RetryInfo) is retried and the create succeeds', async () => {
    const sleeps: number[] = [];
    const client = fakeGcpVmProvider(fake, {}, { sleep: async (ms) => void sleeps.push(ms), retry: { maxRetries: 3, baseMs: 1, maxMs: 1000 } });
    fake.inject({ method: 'POST', path: '/instances', status: 429, retryAfter: 1, times: 1 });
    const vm = await client.create(request());
    expect(vm.state).toBe('running');
    // The delay Google asked for (RetryInfo 1 s) was honoured before the retry.
    expect(sleeps.some((ms) => ms >= 1000)).toBe(true);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('429 beyond the retries: gcp-throttled, retryable, nothing created', async () => {
    const client = fakeGcpVmProvider(fake, {}, { retry: { maxRetries: 1, baseMs: 1, maxMs: 5 } });
    const req = request();
    fake.inject({ method: 'POST', path: '/instances', status: 429, times: 10 });
    const error = await client.create(req).catch((e: unknown) => e);
    fake.clearFaults();
    expect(error).toMatchObject({ code: 'gcp-throttled', retryable: true, nothingCreated: true });
    expect(leftovers(req.intent_id)).toEqual([]);
  });

  it('ZONE_RESOURCE_POOL_EXHAUSTED in the operation: gcp-insufficient-capacity, retryable, nothing created, no orphan', async () => {
    const client = fakeGcpVmProvider(fake);
    const req = request();
    fake.inject({ method: 'POST', path: '/instances', asyncCode: 'ZONE_RESOURCE_POOL_EXHAUSTED' });
    const error = await client.create(req).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'gcp-insufficient-capacity', retryable: true, nothingCreated: true });
    expect((error as PoolformError).message).toContain('VmProvider gcp');
    expect(leftovers(req.intent_id)).toEqual([]);
  });

  it('QUOTA_EXCEEDED (403 quotaExceeded on insert, or in the operation): gcp-quota-exceeded, nothing created', async () => {
    const client = fakeGcpVmProvider(fake);
    fake.inject({
      method: 'POST',
      path: '/instances',
      status: 403,
      status_text: 'PERMISSION_DENIED',
      reason: 'quotaExceeded',
      message: "Quota 'CPUS' exceeded. Limit: 24.0 in region us-east4.",
    });
    const sync = await client.create(request()).catch((e: unknown) => e);
    expect(sync).toMatchObject({ code: 'gcp-quota-exceeded', retryable: true, nothingCreated: true });
    fake.inject({ method: 'POST', path: '/instances', asyncCode: 'QUOTA_EXCEEDED', message: "Quota 'CPUS' exceeded." });
    const late = await client.create(request()).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'gcp-quota-exceeded', retryable: true, nothingCreated: true });
  });

  it('401 and 403: credential errors naming the provider, not retryable', async () => {
    const revoked = await startFakeGcp();
    try {
      const client = fakeGcpVmProvider(revoked);
      revoked.revokeTokens();
      const error = await client.observe().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'gcp-auth-failed', retryable: false });
      expect((error as PoolformError).message).toMatch(/^VmProvider gcp: .*credentials_json/);
    } finally {
      await revoked.close();
    }
    const forbidden = fakeGcpVmProvider(fake, { project: 'someone-elses' });
    const error = await forbidden.observe().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'gcp-unauthorized', retryable: false });
    expect((error as PoolformError).message).toContain('VmProvider gcp');
  });
});

describe('GCP VM provider: a call that never answers', () => {
  it('is bounded (callTimeoutMs), retryable, and says so', async () => {
    const { OAuth2Client } = await import('google-auth-library');
    // An auth client whose requests never settle (a token endpoint that accepts the connection and goes quiet).
    class Hanging extends OAuth2Client {
      override fetch(): never {
        return new Promise(() => undefined) as never;
      }
    }
    const { createGcpVmProvider } = await import('../src/providers/gcp/index.ts');
    const { gcpVmConfig, FAST_GCP_TUNING } = await import('./fakes/gcp/harness.ts');
    const client = createGcpVmProvider({
      config: gcpVmConfig(fake),
      authClient: new Hanging() as never,
      ...FAST_GCP_TUNING,
      callTimeoutMs: 50,
      retry: { maxRetries: 0 },
    });
    const error = await client.observe().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'gcp-operation-timeout', retryable: true });
    expect((error as PoolformError).message).toContain('compute.instances.list got no answer');
  });
});

describe('GCP provider wiring', () => {
  it('the registry builds type gcp clients with credentials_json resolved from its reference; a bad key names the field, not the content', async () => {
    const { createProviderRegistry } = await import('../src/providers/registry.ts');
    const { testConfig } = await import('../src/providers/testing.ts');
    const { computeClientOptions } = await import('../src/providers/gcp/index.ts');
    const seen: (string | undefined)[] = [];
    const config = testConfig({
      vmProviders: [
        {
          kind: 'VmProvider',
          name: 'gce',
          type: 'gcp',
          max_instances: 2,
          startup_script: 'echo',
          project: 'my-project-1',
          zone: 'us-east4-b',
          machine_type: 'e2-small',
          source_image: 'projects/debian-cloud/global/images/family/debian-12',
          credentials_json: '${env:GCP_KEY}',
        },
      ],
      dnsProviders: [{ kind: 'DnsProvider', name: 'gdns', type: 'gcp', project: 'my-project-1' }],
    });
    const registry = createProviderRegistry({
      config,
      stateDir: '/nonexistent',
      env: { GCP_KEY: '{"client_email":"a@b.iam.gserviceaccount.com","private_key":"SECRET-PEM"}' },
      factories: {
        gcpVm: (options) => {
          seen.push(options.credentialsJson);
          return fakeGcpVmProvider(fake);
        },
      },
    });
    expect(registry.vm('gce').kind).toBe('gcp');
    expect(seen).toEqual(['{"client_email":"a@b.iam.gserviceaccount.com","private_key":"SECRET-PEM"}']);
    expect(registry.dns('gdns').kind).toBe('gcp');
    const options = computeClientOptions({
      where: 'VmProvider gce',
      credentialsJson: '{"client_email":"a@b","private_key":"k"}',
      endpoint: 'http://127.0.0.1:8080',
    });
    expect(options).toMatchObject({
      fallback: true,
      apiEndpoint: '127.0.0.1',
      port: 8080,
      protocol: 'http',
      credentials: { client_email: 'a@b', private_key: 'k' },
    });
    expect(computeClientOptions({ where: 'x' })).toEqual({ fallback: true, scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    const bad = (() => {
      try {
        computeClientOptions({ where: 'VmProvider gce', credentialsJson: '{"private_key":"SECRET-PEM"' });
      } catch (error) {
        return error as PoolformError;
      }
      return undefined;
    })();
    expect(bad?.code).toBe('provider-config');
    expect(bad?.message).toContain('credentials_json');
    expect(bad?.message).not.toContain('SECRET-PEM');
  });
});
