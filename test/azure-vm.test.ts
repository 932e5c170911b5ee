// The Azure VM provider against the stateful ARM fake (real HTTPS on
// loopback, the official SDKs, ClientSecretCredential against the fake's
// token endpoint): the shared conformance suite, plus what a VM on Azure
// needs beyond it: NIC/IP/disk created, tagged and deleted together, no
// orphan after refusals, allocation failures or a crash between NIC and VM,
// idempotent creates, throttling, quota/capacity/credential errors, and the
// listing budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { testConfig } from '../src/providers/testing.ts';
import { namesFromVm, resourceNames } from '../src/providers/azure/names.ts';
import { TAG_CREATED_AT, TAG_INTENT_ID, TAG_MANAGED, TAG_PROVIDER, TAG_SERVER_ID } from '../src/providers/azure/tags.ts';
import { PoolformError } from '../src/util/errors.ts';
import { azureDnsConfig, azureVmConfig, fakeVmProvider, releaseFakeAgent, TEST_RG } from './fakes/azure/harness.ts';
import { type FakeAzure, startFakeAzure } from './fakes/azure/server.ts';
import { testTimeout } from '../src/testing/timeouts.ts';
import { vmRequests } from './support/vm-requests.ts';

let fake: FakeAzure;
beforeAll(async () => {
  fake = await startFakeAzure();
});
afterAll(async () => {
  releaseFakeAgent(fake);
  await fake.close();
});

const ids = vmRequests('azure', { hostnameMax: 15 });
const request = ids.request;

/** Every poolform resource of one intent still in the fake (VM, NIC, IP, disk). */
function leftovers(intentId: string): string[] {
  const names = resourceNames(intentId);
  const wanted = new Set(Object.values(names).map((n) => n.toLowerCase()));
  return [...fake.vms.values(), ...fake.nics.values(), ...fake.publicIps.values(), ...fake.disks.values()]
    .map((r) => r.name)
    .filter((n) => wanted.has(n.toLowerCase()));
}

/** The VM, NIC, IP and disk of a VM name still in a fake. */
function resourcesOf(target: FakeAzure, vmName: string): string[] {
  const wanted = new Set(Object.values(namesFromVm(vmName)).map((n) => n.toLowerCase()));
  return [...target.vms.values(), ...target.nics.values(), ...target.publicIps.values(), ...target.disks.values()]
    .map((r) => r.name)
    .filter((n) => wanted.has(n.toLowerCase()));
}

defineVmProviderConformance('azure (ARM fake)', async () => ({
  client: fakeVmProvider(fake, { public_ip: true }),
  leftovers: async (vm) => resourcesOf(fake, vm.provider_id),
  async createForeign() {
    const vm = fake.putDirect('vm', TEST_RG, `foreign-${ids.next()}`, { tags: { [TAG_SERVER_ID]: `foreign-${ids.seq}` } });
    return { provider_id: vm.name, server_id: `foreign-${ids.seq}` };
  },
}));

// Again with lists of 2 per page (observe follows nextLink) and operations that stay InProgress for 3 polls.
let paged: FakeAzure;
beforeAll(async () => {
  paged = await startFakeAzure({ pageSize: 2, pollsToComplete: 3 });
});
afterAll(async () => {
  releaseFakeAgent(paged);
  await paged.close();
});
defineVmProviderConformance('azure (ARM fake: 2 per page, slow operations)', async () => {
  // A few VMs already there, so every listing spans pages.
  for (let i = 0; i < 5; i++) paged.putDirect('vm', TEST_RG, `other-${ids.next()}`, { tags: {} });
  return {
    client: fakeVmProvider(paged, {}, { pollIntervalMs: 1 }),
    leftovers: async (vm) => resourcesOf(paged, vm.provider_id),
    async createForeign() {
      const vm = paged.putDirect('vm', TEST_RG, `foreign-${ids.next()}`, { tags: { [TAG_SERVER_ID]: `foreign-${ids.seq}` } });
      return { provider_id: vm.name, server_id: `foreign-${ids.seq}` };
    },
  };
});

describe('Azure VM provider: what a VM is made of', { timeout: testTimeout(60_000) }, () => {
  it('creates IP, NIC, VM and OS disk with deterministic names, all tagged; destroy leaves nothing behind', async () => {
    const client = fakeVmProvider(fake, { public_ip: true, tags: { team: 'vdi' } });
    const req = request();
    const vm = await client.create(req);
    const names = resourceNames(req.intent_id);
    expect(vm.provider_id).toBe(names.vm);
    expect(vm.private_ip).toMatch(/^10\.0\./);
    expect(vm.public_ip).toMatch(/^20\.1\./);
    const owned = fake
      .tagged(TAG_INTENT_ID, req.intent_id)
      .map((r) => r.type)
      .sort();
    expect(owned).toEqual([
      'Microsoft.Compute/disks',
      'Microsoft.Compute/virtualMachines',
      'Microsoft.Network/networkInterfaces',
      'Microsoft.Network/publicIPAddresses',
    ]);
    for (const resource of fake.tagged(TAG_INTENT_ID, req.intent_id)) {
      expect(resource.tags).toMatchObject({ [TAG_MANAGED]: 'true', [TAG_PROVIDER]: 'azure', [TAG_SERVER_ID]: req.server_id, team: 'vdi' });
    }
    // What the VM was asked to be: customData base64 of the script, delete options on disk and NIC.
    const stored = fake.vms.get(
      `/subscriptions/${fake.subscriptionId}/resourcegroups/${TEST_RG}/providers/microsoft.compute/virtualmachines/${names.vm}`.toLowerCase(),
    );
    const props = stored?.properties as {
      storageProfile: { osDisk: { deleteOption: string } };
      networkProfile: { networkInterfaces: { properties: { deleteOption: string } }[] };
      osProfile: Record<string, unknown>;
    };
    expect(props.storageProfile.osDisk.deleteOption).toBe('Delete');
    expect(props.networkProfile.networkInterfaces[0]?.properties.deleteOption).toBe('Delete');
    expect(props.osProfile['computerName']).toBe(req.hostname);

    const results = await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(results.map((r) => r.error)).toEqual([undefined]);
    expect(leftovers(req.intent_id)).toEqual([]);
  });

  it('sends the startup script as base64 customData and refuses one over 65,535 bytes before any call', async () => {
    const client = fakeVmProvider(fake);
    const before = fake.calls.length;
    const error = await client.create(request({ user_data: 'x'.repeat(65_536) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolformError);
    expect((error as PoolformError).code).toBe('user-data-too-large');
    expect((error as PoolformError).nothingCreated).toBe(true);
    expect(fake.calls.length).toBe(before);
    const fits = request({ user_data: 'y'.repeat(65_535) });
    const vm = await client.create(fits);
    expect(vm.provider_id).toBe(resourceNames(fits.intent_id).vm);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a create retried after a crash between NIC and VM reuses the NIC and makes one VM', async () => {
    const req = request();
    const names = resourceNames(req.intent_id);
    // The first attempt dies after the NIC: the VM PUT never arrives (injected network-level failure, 3 retries exhausted).
    fake.inject({ method: 'PUT', path: `/virtualmachines/${names.vm}`, status: 500, code: 'InternalServerError', times: 4 });
    const first = fakeVmProvider(fake);
    const failed = await first.create(req).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PoolformError);
    expect((failed as PoolformError).retryable).toBe(true);
    expect((failed as PoolformError).nothingCreated).toBe(false); // 5xx: outcome unknown, the NIC stays
    expect(leftovers(req.intent_id)).toEqual([names.nic]);
    // A new process retries the same intent: same names, one NIC, one VM.
    const second = fakeVmProvider(fake);
    const vm = await second.create(req);
    expect(vm.provider_id).toBe(names.vm);
    expect(leftovers(req.intent_id).sort()).toEqual([names.vm, names.nic, names.osDisk].sort());
    expect((await second.create(req)).provider_id).toBe(names.vm);
    expect([...fake.vms.values()].filter((v) => v.tags[TAG_INTENT_ID] === req.intent_id)).toHaveLength(1);
    await second.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(leftovers(req.intent_id)).toEqual([]);
  });

  it('the orphan sweep deletes poolform leftovers past the grace period, and nothing else', async () => {
    const old = new Date(Date.now() - 60 * 60_000).toISOString();
    const orphan = resourceNames('intent-orphaned');
    fake.putDirect('nic', TEST_RG, orphan.nic, { tags: { [TAG_MANAGED]: 'true', [TAG_PROVIDER]: 'azure', [TAG_CREATED_AT]: old } });
    fake.putDirect('publicIp', TEST_RG, orphan.publicIp, { tags: { [TAG_MANAGED]: 'true', [TAG_PROVIDER]: 'azure', [TAG_CREATED_AT]: old } });
    const young = resourceNames('intent-young');
    fake.putDirect('nic', TEST_RG, young.nic, { tags: { [TAG_MANAGED]: 'true', [TAG_PROVIDER]: 'azure', [TAG_CREATED_AT]: new Date().toISOString() } });
    const otherProvider = resourceNames('intent-other');
    fake.putDirect('nic', TEST_RG, otherProvider.nic, { tags: { [TAG_MANAGED]: 'true', [TAG_PROVIDER]: 'someone-else', [TAG_CREATED_AT]: old } });
    fake.putDirect('nic', TEST_RG, 'hand-made-nic', { tags: { [TAG_CREATED_AT]: old } });
    const client = fakeVmProvider(fake, {}, { sweepIntervalMs: 0, orphanGraceMs: 15 * 60_000 });
    await client.observe();
    const nicNames = [...fake.nics.values()].map((n) => n.name);
    expect(nicNames).not.toContain(orphan.nic);
    expect([...fake.publicIps.values()].map((n) => n.name)).not.toContain(orphan.publicIp);
    expect(nicNames).toEqual(expect.arrayContaining([young.nic, otherProvider.nic, 'hand-made-nic']));
  });

  it('max_instances counts the VMs that exist', async () => {
    const client = fakeVmProvider(fake, { name: 'capped', max_instances: 1 });
    const a = await client.create(request());
    const error = await client.create(request()).catch((e: unknown) => e);
    expect((error as PoolformError).code).toBe('max-instances-reached');
    expect((error as PoolformError).nothingCreated).toBe(true);
    await client.destroy([{ provider_id: a.provider_id, server_id: a.server_id }]);
    const b = await client.create(request());
    await client.destroy([{ provider_id: b.provider_id, server_id: b.server_id }]);
  });

  it('a NIC Azure still holds for the deleted VM (NicReservedForAnotherVm) does not fail the destroy', async () => {
    const client = fakeVmProvider(fake, { name: 'reserved' });
    const vm = await client.create(request());
    fake.inject({
      method: 'DELETE',
      path: '/networkinterfaces/',
      status: 400,
      code: 'NicReservedForAnotherVm',
      message: 'Nic(s) in request is reserved for another Virtual Machine for 180 seconds.',
    });
    const [result] = await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(result?.error).toBeUndefined();
    expect([...fake.vms.values()].map((v) => v.name)).not.toContain(vm.provider_id);
    fake.inject({ method: 'DELETE', path: '/networkinterfaces/', status: 403, code: 'AuthorizationFailed', message: 'no delete permission' });
    const other = await client.create(request());
    const [denied] = await client.destroy([{ provider_id: other.provider_id, server_id: other.server_id }]);
    expect((denied?.error as PoolformError | undefined)?.code).toBe('azure-unauthorized');
    await client.destroy([{ provider_id: other.provider_id, server_id: other.server_id }]);
  });

  it('destroy refuses a VM without the ownership tags and leaves it', async () => {
    const foreign = fake.putDirect('vm', TEST_RG, resourceNames('intent-foreign').vm, { tags: {} });
    const client = fakeVmProvider(fake);
    const [result] = await client.destroy([{ provider_id: foreign.name, server_id: 'x' }]);
    expect((result?.error as PoolformError | undefined)?.code).toBe('not-owned');
    expect([...fake.vms.values()].map((v) => v.name)).toContain(foreign.name);
    const [other] = await client.destroy([{ provider_id: 'my-own-vm', server_id: 'y' }]);
    expect((other?.error as PoolformError | undefined)?.code).toBe('not-owned');
  });

  it('capacity comes from the VM size list', async () => {
    expect(await fakeVmProvider(fake, { name: 'sized', vm_size: 'Standard_B2s' }).capacity()).toEqual({ cores: 2, memory_mb: 4096, gpus: 0 });
  });
});

describe('Azure VM provider: long-running operations', { timeout: testTimeout(60_000) }, () => {
  it('polls with exponential backoff, capped, and gives up at the bound with a retryable timeout', async () => {
    const slow = await startFakeAzure({ pollsToComplete: 4 });
    try {
      const waits: number[] = [];
      const sleep = async (ms: number) => {
        waits.push(ms);
      };
      const client = fakeVmProvider(slow, {}, { pollIntervalMs: 100, maxPollIntervalMs: 500, sleep });
      await client.create(request());
      // NIC and VM: two operations of 4 polls each (the disk-tag update answers at once).
      expect(waits).toEqual([100, 200, 400, 500, 100, 200, 400, 500]);
      expect(slow.count('Operations_Get')).toBe(8);

      // A bound the (fake) waits exhaust: the create is a retryable timeout, not a refusal.
      let clock = Date.now();
      const stuck = fakeVmProvider(
        slow,
        { name: 'stuck' },
        {
          pollIntervalMs: 1000,
          operationTimeoutMs: 2500,
          sleep: async (ms) => {
            clock += ms;
          },
          now: () => clock,
        },
      );
      const error = (await stuck.create(request()).catch((e: unknown) => e)) as PoolformError;
      expect(error.code).toBe('azure-operation-timeout');
      expect(error.retryable).toBe(true);
      expect(error.nothingCreated).toBe(false);
    } finally {
      releaseFakeAgent(slow);
      await slow.close();
    }
  });
});

describe('Azure VM provider: faults', { timeout: testTimeout(60_000) }, () => {
  it('429 with Retry-After is retried by the SDK and the create completes', async () => {
    const client = fakeVmProvider(fake, { name: 'throttled' });
    const req = request();
    fake.inject({ method: 'PUT', path: '/virtualmachines/', status: 429, code: 'TooManyRequests', retryAfter: 0, times: 2 });
    const before = fake.count('Error:TooManyRequests');
    const vm = await client.create(req);
    expect(fake.count('Error:TooManyRequests') - before).toBe(2);
    expect(vm.provider_id).toBe(resourceNames(req.intent_id).vm);
    await client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a quota refusal of the VM is a retryable capacity-style error, nothing created, NIC and IP removed again', async () => {
    const client = fakeVmProvider(fake, { public_ip: true, name: 'quota' });
    const req = request();
    fake.inject({
      method: 'PUT',
      path: '/virtualmachines/',
      status: 409,
      code: 'OperationNotAllowed',
      message: 'Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota.',
    });
    const error = (await client.create(req).catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('azure-quota-exceeded');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect(error.providerCode).toBe('OperationNotAllowed');
    expect(error.message).toContain('VmProvider quota');
    expect(error.message).toContain('vm_size Standard_D4s_v5 in eastus');
    expect(leftovers(req.intent_id)).toEqual([]);
  });

  it('SkuNotAvailable and an asynchronous AllocationFailed are capacity errors with nothing left behind', async () => {
    const client = fakeVmProvider(fake, { name: 'capacity' });
    const unavailable = request();
    fake.inject({
      method: 'PUT',
      path: '/virtualmachines/',
      status: 409,
      code: 'SkuNotAvailable',
      message: 'The requested size is not available in location eastus.',
    });
    const e1 = (await client.create(unavailable).catch((e: unknown) => e)) as PoolformError;
    expect(e1.code).toBe('azure-insufficient-capacity');
    expect(e1.nothingCreated).toBe(true);
    expect(leftovers(unavailable.intent_id)).toEqual([]);

    const allocation = request();
    fake.inject({
      method: 'PUT',
      path: '/virtualmachines/',
      code: 'AllocationFailed',
      message: 'Allocation failed. We do not have sufficient capacity.',
      async: true,
    });
    const e2 = (await client.create(allocation).catch((e: unknown) => e)) as PoolformError;
    expect(e2.code).toBe('azure-insufficient-capacity');
    expect(e2.retryable).toBe(true);
    expect(e2.nothingCreated).toBe(true);
    expect(leftovers(allocation.intent_id)).toEqual([]);
  });

  it('a wrong client secret is a credential error naming the provider, with no VM call made', async () => {
    const client = fakeVmProvider(fake, { name: 'badcreds' }, { secrets: { clientSecret: 'not-the-secret' } });
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('azure-auth-failed');
    expect(error.message).toContain('VmProvider badcreds');
    expect(error.message).toContain('client_secret');
    expect(error.message).not.toContain(fake.clientSecret);
  });

  it('a token ARM rejects (401) is a credential error', async () => {
    const client = fakeVmProvider(fake, { name: 'revoked' });
    await client.observe();
    fake.revokeTokens();
    const error = (await client.observe().catch((e: unknown) => e)) as PoolformError;
    expect(error.code).toBe('azure-auth-failed');
    expect(error.message).toContain('VmProvider revoked');
  });
});

describe('Azure VM provider: listing budget', { timeout: testTimeout(60_000) }, () => {
  it('observe of 1,500 VMs costs 2 VirtualMachines_List calls (nextLink paging); the leftover sweep adds one listing each of NICs, IPs and disks at most every 15 minutes', async () => {
    const local = await startFakeAzure({ pageSize: 1000 });
    try {
      for (let i = 0; i < 1500; i++) {
        local.putDirect('vm', TEST_RG, resourceNames(`bulk-${i}`).vm, {
          tags: {
            [TAG_MANAGED]: 'true',
            [TAG_PROVIDER]: 'azure',
            [TAG_SERVER_ID]: `bulk-${i}`,
            [TAG_INTENT_ID]: `bulk-${i}`,
            'poolform:private-ip': `10.1.${Math.floor(i / 250)}.${i % 250}`,
          },
        });
      }
      let clock = Date.now();
      const client = fakeVmProvider(local, {}, { sweepIntervalMs: 15 * 60_000, now: () => clock });
      const lists = () => local.calls.filter((c) => c.operation.endsWith('_List') || c.operation.endsWith('_ListByResourceGroup')).map((c) => c.operation);
      const vms = await client.observe();
      expect(vms).toHaveLength(1500);
      expect(vms.every((vm) => vm.private_ip !== null && vm.state === 'running')).toBe(true);
      // First observe of the process: the VM walk (2 pages) and the sweep (1 page each).
      expect(lists().sort()).toEqual(['Disks_List', 'NetworkInterfaces_List', 'PublicIPAddresses_List', 'VirtualMachines_List', 'VirtualMachines_List']);
      local.calls.length = 0;
      clock += 60_000;
      await client.observe();
      expect(lists()).toEqual(['VirtualMachines_List', 'VirtualMachines_List']);
      local.calls.length = 0;
      clock += 15 * 60_000;
      await client.observe();
      expect(lists()).toHaveLength(5);
      expect(azureVmConfig(local).resource_group).toBe(TEST_RG);
    } finally {
      releaseFakeAgent(local);
      await local.close();
    }
  });
});

describe('Azure providers in the registry', () => {
  it('type azure builds the Azure clients; a missing secret reference is an error naming the field', () => {
    const config = testConfig({ vmProviders: [azureVmConfig(fake)], dnsProviders: [azureDnsConfig(fake)] });
    const resolved = createProviderRegistry({ config, stateDir: '/nonexistent', env: { AZURE_CLIENT_SECRET: 'x' } });
    expect(resolved.vm('azure').kind).toBe('azure');
    expect(resolved.dns('azdns').kind).toBe('azure');
    const missing = createProviderRegistry({ config, stateDir: '/nonexistent', env: {} });
    expect(() => missing.vm('azure')).toThrow(/VmProvider azure: client_secret: .*AZURE_CLIENT_SECRET/);
    expect(() => missing.dns('azdns')).toThrow(/DnsProvider azdns: client_secret: .*AZURE_CLIENT_SECRET/);
  });
});
