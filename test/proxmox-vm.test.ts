// The Proxmox VE VM provider against the stateful PVE fake (real HTTP on
// loopback, HTTPS with a private CA where TLS is the point): the shared
// conformance suite, plus what a VM on Proxmox VE needs beyond it: tag
// markers and description, linked/full clone with storage and pool, the
// startup script through the guest agent (60 KiB limit), idempotent create by
// intent, the /cluster/nextid race under concurrent creates, task failures
// (no space → capacity, nothing created), credential and TLS errors naming
// the provider, and the listing budget.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { createProxmoxVmProvider, readMarkers, parseTags, TAG_MANAGED, TAG_READY, USER_DATA_MAX_BYTES, vmName } from '../src/providers/proxmox/index.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { FAST_PROXMOX_TUNING, fakeProxmoxVmProvider, proxmoxVmConfig } from './fakes/proxmox/harness.ts';
import { FAKE_TOKEN, type FakeProxmox, startFakeProxmox } from './fakes/proxmox/server.ts';
import { testCa } from './fakes/shared/ca.ts';
import { vmRequests } from './support/vm-requests.ts';

let fake: FakeProxmox;
beforeAll(async () => {
  fake = await startFakeProxmox();
});
afterAll(async () => {
  await fake.close();
});

/**
 * A fake clock that moves by whole milliseconds, as a real one does: a
 * fractional sleep added to a large float can leave it unchanged (below one
 * ULP), and a poll loop bounded by that clock would then never end.
 */
let clock = 0;
const fakeSleep = async (ms: number): Promise<void> => {
  clock += Math.max(1, Math.ceil(ms));
};

const ids = vmRequests('pve');
const request = ids.request;

/** The VM (and its disks) still at the fake. */
function leftoversOf(f: FakeProxmox, vmid: string): string[] {
  const vm = f.vms.get(Number(vmid));
  return vm ? [`vm:${vm.vmid}`, ...vm.disks.map((d) => `disk:${d}`)] : [];
}

defineVmProviderConformance('proxmox (PVE fake, linked clone)', async () => ({
  client: fakeProxmoxVmProvider(fake),
  leftovers: async (vm) => leftoversOf(fake, vm.provider_id),
  async createForeign() {
    const vmid = 5000 + ids.next();
    fake.putVmDirect(vmid, { status: 'running', tags: 'team-other' });
    return { provider_id: String(vmid) };
  },
}));

let tlsFake: FakeProxmox | undefined;
afterAll(async () => {
  await tlsFake?.close();
});

defineVmProviderConformance('proxmox over HTTPS (private CA in ca_cert), full clone', async () => {
  const ca = testCa();
  tlsFake ??= await startFakeProxmox({ tls: { cert: ca.cert, key: ca.key } });
  const own = tlsFake;
  return {
    client: createProxmoxVmProvider({
      config: proxmoxVmConfig(own, { full_clone: true, storage: 'ceph-vm' }),
      secrets: { tokenSecret: FAKE_TOKEN.secret, caCert: ca.caCert },
      ...FAST_PROXMOX_TUNING,
    }),
    leftovers: async (vm) => leftoversOf(own, vm.provider_id),
    async createForeign() {
      const vmid = 6000 + ids.next();
      own.putVmDirect(vmid, { tags: 'poolform' });
      return { provider_id: String(vmid) };
    },
  };
});

describe('Proxmox VE VM provider: what a VM is made of', { timeout: 60_000 }, () => {
  it('clones the template with a deterministic name into the pool, sets markers, cores, memory, agent, starts it and runs the script through the agent', async () => {
    const client = fakeProxmoxVmProvider(fake, { pool: 'vdi', cores: 4, memory_mb: 8192, tags: ['kasm'] });
    const req = request({ server_id: 'Srv.Upper_1', user_data: '#!/bin/sh\necho "äö"\n' });
    const vm = await client.create(req);
    const pve = fake.vms.get(Number(vm.provider_id));
    expect(pve).toBeDefined();
    if (!pve) return;
    expect(pve.name).toBe(vmName('pve', req.intent_id));
    expect(pve.pool).toBe('vdi');
    expect(pve.storage).toBeNull();
    expect([pve.cores, pve.memory, pve.agent, pve.status]).toEqual([4, 8192, true, 'running']);
    const tags = parseTags(pve.tags);
    expect(tags).toContain('kasm');
    expect(tags).toContain(TAG_MANAGED);
    expect(tags).toContain(TAG_READY);
    expect(tags).toContain(`pf-ip.${pve.ip}`);
    const markers = readMarkers(tags);
    expect(markers).toMatchObject({
      intentId: req.intent_id,
      serverId: 'Srv.Upper_1',
      pool: 'agents',
      autoscale: 'fleet',
      hostname: req.hostname,
      ready: true,
    });
    expect(pve.description).toContain(`intent: ${req.intent_id}`);
    expect(pve.files.get('/var/lib/poolform-startup.sh')).toBe(req.user_data);
    expect(pve.execs).toEqual([['/bin/sh', '/var/lib/poolform-startup.sh']]);
    expect(vm).toMatchObject({ server_id: 'Srv.Upper_1', state: 'running', private_ip: pve.ip, intent_id: req.intent_id });
    const seen = (await client.observe()).find((o) => o.provider_id === vm.provider_id);
    expect(seen).toMatchObject({ server_id: 'Srv.Upper_1', pool: 'agents', autoscale: 'fleet', hostname: req.hostname, state: 'running', private_ip: pve.ip });
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(fake.vms.has(pve.vmid)).toBe(false);
  });

  it('the address is polled until DHCP gave one, bounded; without one the VM is made with no address', async () => {
    const dhcp = await startFakeProxmox({ ipPolls: 3 });
    try {
      const vm = await fakeProxmoxVmProvider(dhcp).create(request());
      expect(vm.private_ip).toBe(dhcp.vms.get(Number(vm.provider_id))?.ip);
      expect(dhcp.callCount('GET /nodes/pve1/qemu/{vmid}/agent/network-get-interfaces')).toBe(4);
      const never = await startFakeProxmox({ ipPolls: 1_000_000 });
      try {
        const noIp = await fakeProxmoxVmProvider(
          never,
          {},
          { ipTimeoutMs: 1000, agentPollMs: 100, agentPollMaxMs: 400, now: () => clock, sleep: fakeSleep },
        ).create(request());
        expect(noIp.private_ip).toBeNull();
        expect(parseTags(never.vms.get(Number(noIp.provider_id))?.tags)).toContain(TAG_READY);
      } finally {
        await never.close();
      }
    } finally {
      await dhcp.close();
    }
  });

  it('windows guests get a PowerShell script', async () => {
    const client = fakeProxmoxVmProvider(fake, { guest_os: 'windows' });
    const vm = await client.create(request());
    const pve = fake.vms.get(Number(vm.provider_id));
    expect(pve?.execs[0]?.[0]).toBe('powershell.exe');
    expect([...(pve?.files.keys() ?? [])]).toEqual(['C:\\Windows\\Temp\\poolform-startup.ps1']);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a script above 60 KiB is refused before any call', async () => {
    const client = fakeProxmoxVmProvider(fake);
    fake.resetCalls();
    const error = (await client.create(request({ user_data: 'x'.repeat(USER_DATA_MAX_BYTES + 1) })).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('user-data-too-large');
    expect(error.nothingCreated).toBe(true);
    expect(fake.calls.size).toBe(0);
    const ok = await client.create(request({ user_data: 'y'.repeat(USER_DATA_MAX_BYTES) }));
    await client.destroy([{ provider_id: ok.provider_id, server_id: ok.server_id }]);
    // Within 60 KiB but over pveproxy's 64 KiB body once JSON-escaped (quotes): refused before any call too.
    fake.resetCalls();
    const escaped = (await client.create(request({ user_data: '"'.repeat(40_000) })).catch((e: unknown) => e)) as PoolformError;
    expect(escaped.code).toBe('user-data-too-large');
    expect(escaped.message).toContain('JSON-escaped');
    expect(fake.calls.size).toBe(0);
  });

  it('create after a create of the same intent in another process returns the same VM (lookup by intent before clone)', async () => {
    const req = request();
    const first = await fakeProxmoxVmProvider(fake).create(req);
    fake.resetCalls();
    const again = await fakeProxmoxVmProvider(fake).create(req);
    expect(again.provider_id).toBe(first.provider_id);
    expect(fake.callCount('POST /nodes/pve1/qemu/{vmid}/clone')).toBe(0);
    await fakeProxmoxVmProvider(fake).destroy([{ provider_id: first.provider_id, server_id: first.server_id }]);
  });

  it('concurrent creates from two processes race for /cluster/nextid and all succeed with distinct ids', async () => {
    const slow = await startFakeProxmox({ cloneDelayMs: 5 });
    try {
      const a = fakeProxmoxVmProvider(slow);
      const b = fakeProxmoxVmProvider(slow);
      const vms = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).create(request())));
      expect(new Set(vms.map((v) => v.provider_id)).size).toBe(8);
      expect([...slow.vms.values()].filter((v) => !v.template)).toHaveLength(8);
      // The race happened (two processes got the same id) and was retried.
      expect(slow.callCount('GET /cluster/nextid')).toBeGreaterThan(8);
    } finally {
      await slow.close();
    }
  });

  it('property: any number of clients creating at once, with ids stolen in between, make exactly one VM per intent with distinct ids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), async (clients, creates, stolen) => {
        const f = await startFakeProxmox({ taskPolls: 0, agentPolls: 0 });
        try {
          const providers = Array.from({ length: clients }, () => fakeProxmoxVmProvider(f, {}, { maxIdAttempts: 20 }));
          f.stealNextIds(stolen);
          const reqs = Array.from({ length: creates }, () => request());
          const vms = await Promise.all(reqs.map((r, i) => providers[i % clients]?.create(r)));
          const made = [...f.vms.values()].filter((v) => !v.template && v.tags !== '');
          expect(made).toHaveLength(creates);
          expect(new Set(vms.map((v) => v?.provider_id)).size).toBe(creates);
          expect(made.map((v) => readMarkers(parseTags(v.tags)).intentId).sort()).toEqual(reqs.map((r) => r.intent_id).sort());
        } finally {
          await f.close();
        }
      }),
      { numRuns: 8 },
    );
  });

  it('an id taken by another client between nextid and clone is retried with a new id, bounded', async () => {
    const client = fakeProxmoxVmProvider(fake);
    fake.stealNextIds(2);
    const vm = await client.create(request());
    expect(fake.vms.get(Number(vm.provider_id))?.name).toMatch(/^pf-/);
    fake.stealNextIds(5); // maxIdAttempts (default 5) ids in a row
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('proxmox-error');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });
});

describe('Proxmox VE VM provider: faults', { timeout: 60_000 }, () => {
  it('a clone task failing with "No space left on device" is a capacity error, nothing created, nothing left', async () => {
    const client = fakeProxmoxVmProvider(fake);
    const before = fake.vms.size;
    fake.inject({ method: 'POST', path: '/clone', taskError: 'clone failed: write error: No space left on device' });
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('proxmox-insufficient-capacity');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect(error.message).toContain('VmProvider pve');
    expect(fake.vms.size).toBe(before);
  });

  it('a start task failure deletes the clone and says nothing was created', async () => {
    const client = fakeProxmoxVmProvider(fake);
    const before = fake.vms.size;
    fake.inject({ method: 'POST', path: '/status/start', taskError: 'start failed: QEMU exited with code 1' });
    const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('proxmox-task-failed');
    expect(error.nothingCreated).toBe(true);
    expect(fake.vms.size).toBe(before);
  });

  it('a guest agent that never answers is bounded, the VM deleted, retryable', async () => {
    const never = await startFakeProxmox({ agentPolls: 1_000_000 });
    try {
      const client = fakeProxmoxVmProvider(
        never,
        { agent_timeout_seconds: 10 },
        { now: () => clock, sleep: fakeSleep, agentPollMs: 1000, agentPollMaxMs: 4000 },
      );
      const error = (await client.create(request()).catch((e: unknown) => e)) as PoolformError;
      expect(error.code).toBe('proxmox-operation-timeout');
      expect(error.message).toContain('qemu-guest-agent');
      expect(error.nothingCreated).toBe(true);
      expect([...never.vms.values()].filter((v) => !v.template)).toEqual([]);
    } finally {
      await never.close();
    }
  });

  it('503 on reads is retried; 500 on a listing is retried too', async () => {
    const client = fakeProxmoxVmProvider(fake);
    fake.inject({ method: 'GET', path: '/cluster/resources', status: 503, message: 'Service Unavailable', times: 2 });
    await expect(client.observe()).resolves.toBeInstanceOf(Array);
    fake.inject({ method: 'GET', path: '/cluster/resources', status: 500, message: 'cluster not ready - no quorum?', times: 4 }); // the first try + 3 retries
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('proxmox-error');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('no quorum');
  });

  it('429 / 503 with Retry-After are retried as asked, for mutations too (not processed)', async () => {
    const sleeps: number[] = [];
    const client = fakeProxmoxVmProvider(fake, {}, { sleep: async (ms) => void sleeps.push(ms), retry: { maxRetries: 3, baseMs: 1, maxMs: 5000 } });
    fake.inject({ method: 'GET', path: '/cluster/resources', status: 429, message: 'Too Many Requests', retryAfter: 7 });
    fake.inject({ method: 'POST', path: '/clone', status: 503, message: 'Service Unavailable', retryAfter: 3 });
    await client.observe();
    expect(sleeps).toContain(7000);
    const vm = await client.create(request());
    expect(sleeps).toContain(3000);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a rejected token is a credential error naming the provider, not retried, secret not shown', async () => {
    const client = createProxmoxVmProvider({ config: proxmoxVmConfig(fake), secrets: { tokenSecret: 'wrong-secret-123' }, ...FAST_PROXMOX_TUNING });
    fake.resetCalls();
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('proxmox-auth-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('VmProvider pve');
    expect(error.message).toContain('token_id');
    expect(error.message).not.toContain('wrong-secret-123');
    expect(fake.callCount('GET /cluster/resources')).toBe(1);
  });

  it('destroy refuses a VM without the markers and treats an unknown id as gone', async () => {
    const client = fakeProxmoxVmProvider(fake);
    fake.putVmDirect(7777, { tags: 'poolform' });
    const results = await client.destroy([
      { provider_id: '7777', server_id: 'x' },
      { provider_id: '7778', server_id: 'y' },
    ]);
    expect(results[0]?.error?.message).toContain('does not carry');
    expect(results[1]?.error).toBeUndefined();
    expect(fake.vms.has(7777)).toBe(true);
  });
});

describe('Proxmox VE VM provider: half-made VMs', { timeout: 60_000 }, () => {
  it('a tagged VM without pf-ready (a create interrupted before the script) is reported stopped; a retried create of its intent replaces it', async () => {
    const client = fakeProxmoxVmProvider(fake);
    const req = request();
    const { ownershipTags } = await import('../src/providers/proxmox/index.ts');
    fake.putVmDirect(8100, { name: vmName('pve', req.intent_id), status: 'running', tags: ownershipTags('pve', req).join(';') });
    const seen = (await client.observe()).find((v) => v.provider_id === '8100');
    expect(seen).toMatchObject({ state: 'stopped', server_id: req.server_id, intent_id: req.intent_id });
    const vm = await client.create(req);
    expect(vm.provider_id).not.toBe('8100');
    expect(fake.vms.has(8100)).toBe(false);
    expect(readMarkers(parseTags(fake.vms.get(Number(vm.provider_id))?.tags)).ready).toBe(true);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a VM on an unreachable node (status unknown) is pending, not failed, and listing still works', async () => {
    const client = fakeProxmoxVmProvider(fake);
    const req = request();
    const { ownershipTags } = await import('../src/providers/proxmox/index.ts');
    fake.putVmDirect(8300, { node: 'pve2', status: 'unknown' as 'running', tags: [...ownershipTags('pve', req), TAG_READY].join(';') });
    expect((await client.observe()).find((v) => v.provider_id === '8300')).toMatchObject({ state: 'pending', server_id: req.server_id });
    fake.vms.delete(8300);
  });

  it('a VM still locked by its clone is pending, and a create of its intent waits (retryable) instead of cloning again', async () => {
    const client = fakeProxmoxVmProvider(fake);
    const req = request();
    const { ownershipTags } = await import('../src/providers/proxmox/index.ts');
    fake.putVmDirect(8200, { name: vmName('pve', req.intent_id), lock: 'clone', tags: ownershipTags('pve', req).join(';') });
    expect((await client.observe()).find((v) => v.provider_id === '8200')?.state).toBe('pending');
    fake.resetCalls();
    const error = (await client.create(req).catch((e: unknown) => e)) as PoolformError;
    expect(error.retryable).toBe(true);
    expect(fake.callCount('POST /nodes/pve1/qemu/{vmid}/clone')).toBe(0);
    fake.vms.delete(8200);
    // The same before the config call: no tags yet, recognised by the intent's name.
    fake.putVmDirect(8201, { name: vmName('pve', req.intent_id), lock: 'clone' });
    const again = (await client.create(req).catch((e: unknown) => e)) as PoolformError;
    expect(again.retryable).toBe(true);
    expect(fake.callCount('POST /nodes/pve1/qemu/{vmid}/clone')).toBe(0);
    fake.vms.delete(8201);
  });
});

describe('Proxmox VE VM provider: TLS', { timeout: 60_000 }, () => {
  it('a server whose CA is not in ca_cert is a plan error naming the provider ("TLS: certificate not trusted")', async () => {
    const ca = testCa();
    tlsFake ??= await startFakeProxmox({ tls: { cert: ca.cert, key: ca.key } });
    const client = createProxmoxVmProvider({ config: proxmoxVmConfig(tlsFake), secrets: { tokenSecret: FAKE_TOKEN.secret }, ...FAST_PROXMOX_TUNING });
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('proxmox-tls-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('VmProvider pve');
    expect(error.message).toContain('TLS: certificate not trusted');
    expect(error.message).toContain('ca_cert');
  });

  it('insecure_skip_verify connects without the CA and warns loudly', async () => {
    const ca = testCa();
    tlsFake ??= await startFakeProxmox({ tls: { cert: ca.cert, key: ca.key } });
    const warnings: string[] = [];
    const client = createProxmoxVmProvider({
      config: proxmoxVmConfig(tlsFake, { insecure_skip_verify: true }),
      secrets: { tokenSecret: FAKE_TOKEN.secret },
      warn: (m) => void warnings.push(m),
      ...FAST_PROXMOX_TUNING,
    });
    await expect(client.observe()).resolves.toBeInstanceOf(Array);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('NOT verified');
  });
});

describe('Proxmox VE VM provider: listing budget', { timeout: 120_000 }, () => {
  it('observe of 1,000 VMs (plus foreign ones) is one call to /cluster/resources', async () => {
    const big = await startFakeProxmox();
    try {
      const client = fakeProxmoxVmProvider(big, {}, {});
      const template = request();
      const { ownershipTags } = await import('../src/providers/proxmox/index.ts');
      for (let i = 0; i < 1000; i++) {
        const req = { ...template, intent_id: `bulk-${i}`, server_id: `bulk-${i}` };
        big.putVmDirect(1000 + i, { status: 'running', tags: [...ownershipTags('pve', req), TAG_READY].join(';') });
      }
      for (let i = 0; i < 200; i++) big.putVmDirect(3000 + i, { tags: 'other' });
      big.resetCalls();
      const vms = await client.observe();
      expect(vms).toHaveLength(1000);
      expect(vms.every((v) => v.state === 'running')).toBe(true);
      expect(big.calls).toEqual(new Map([['GET /cluster/resources', 1]]));
    } finally {
      await big.close();
    }
  });
});
