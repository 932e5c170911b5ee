// The Azure VM provider. Contracts (see providers/types.ts) and how they are met:
// - observe(): one paginated VirtualMachines_List of resource_group (nextLink),
//   filtered by the ownership tags; the addresses come from tags written at
//   creation (poolform:private-ip / poolform:public-ip), so no NIC or IP
//   listing is needed per reconcile. At most every `sweepIntervalMs` observe
//   also lists the resource group's NICs, public IPs and disks once each and
//   deletes poolform's leftovers whose VM does not exist (a process that died
//   between creating the NIC and the VM), after `orphanGraceMs`.
// - create(): idempotent by intent id: the names of the VM, NIC, IP and disk
//   derive from the intent id (names.ts), ARM PUTs are idempotent, and the
//   owned VMs are checked for one tagged with the same intent first.
//   max_instances is checked against the VMs that exist (a listing at most
//   `snapshotMaxAgeMs` old plus this process's creates). Order: public IP →
//   NIC → VM, each a long-running operation polled until done (exponential
//   backoff from `pollIntervalMs` to `maxPollIntervalMs`, bounded by
//   `operationTimeoutMs`: long-running.ts). When
//   Azure refuses the VM (quota, capacity, bad request, allocation failure),
//   the NIC/IP (and a Failed VM) are deleted again and the error says nothing
//   was created, so the autoscaler backs off instead of looping.
// - destroy(): only VMs carrying the tags are deleted; the VM's NIC, IP and OS
//   disk are marked deleteOption Delete and are deleted explicitly afterwards
//   as well (204 when already gone): no orphaned NIC, IP or disk.
// - capacity(): VirtualMachineSizes_List of the location, cached per process.
import type { ComputeManagementClient, VirtualMachine } from '@azure/arm-compute';
import type { NetworkManagementClient } from '@azure/arm-network';
import type { OperationState, PollerLike } from '@azure/core-lro';
import type { AzureVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { createReservations, serialGate } from '../shared/admission.ts';
import { eachItem } from '../shared/bulk.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef, VmState } from '../types.ts';
import { assertCustomDataFits } from './custom-data.ts';
import { azureErrorShape, azureRefused, toAzureError } from './errors.ts';
import { type PollSchedule, untilDone } from './long-running.ts';
import { namesFromVm, nameOfId, resourceNames, vmNameOf } from './names.ts';
import {
  ownedBy,
  ownershipTags,
  TAG_AUTOSCALE,
  TAG_CREATED_AT,
  TAG_HOSTNAME,
  TAG_INTENT_ID,
  TAG_POOL,
  TAG_PRIVATE_IP,
  TAG_PUBLIC_IP,
  TAG_SERVER_ID,
} from './tags.ts';
import { computerNameFor, nicBody, publicIpBody, vmBody } from './vm-request.ts';
import { createSingleFlight } from '../shared/single-flight.ts';
import { cachedPromise } from '../shared/promise-cache.ts';
import { pendingVm } from '../shared/pending-vm.ts';
import { liveVmCount } from '../shared/live-count.ts';
import { knownProviderIds } from '../shared/known-ids.ts';

export interface AzureVmProviderInternals {
  config: AzureVmProvider;
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  /** Resolved admin_password (secret), when configured. */
  adminPassword?: string;
  now?: () => number;
  /** First wait before polling a long-running operation; doubles per poll (default 2,000 ms). */
  pollIntervalMs?: number;
  /** Longest wait between two polls (default 30,000 ms). */
  maxPollIntervalMs?: number;
  /** Injected in tests to record the waits between polls. */
  sleep?: (ms: number) => Promise<void>;
  /** Longest wait for one long-running operation (default 20 minutes). */
  operationTimeoutMs?: number;
  /** How old a VM listing may be to admit a create against max_instances (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** How often observe sweeps leftover NICs/IPs/disks: the first observe of a process, then at most this often (default 15 minutes; 0 = every observe; Infinity = never). */
  sweepIntervalMs?: number;
  /** Age (from the created-at tag) before a leftover is deleted (default 15 minutes). */
  orphanGraceMs?: number;
  /** Concurrent VM deletions in one destroy (default 8). */
  destroyConcurrency?: number;
}

interface Snapshot {
  at: number;
  vms: ObservedVm[];
  /** Every VM name in the resource group (owned or not): the sweep keeps what belongs to one. */
  names: Set<string>;
}

const capacityCache = new Map<string, Promise<Resources | undefined>>();

/** Refusals to delete a NIC, IP or disk that is still (or recently) attached. */
const STILL_ATTACHED: ReadonlySet<string> = new Set([
  'NicInUse',
  'NicReservedForAnotherVm',
  'PublicIPAddressCannotBeDeleted',
  'InUsePublicIpAddressCannotBeDeleted',
  'OperationNotAllowed',
]);

/** Clears the per-process VM size cache (tests). */
export function clearAzureCaches(): void {
  capacityCache.clear();
}

/** ARM provisioningState → server status. */
export function mapProvisioningState(state: string | undefined): VmState {
  switch ((state ?? '').toLowerCase()) {
    case 'succeeded':
      return 'running';
    case 'deleting':
      return 'shutting-down';
    case 'failed':
      return 'stopped';
    default:
      return 'pending';
  }
}

function isLive(state: VmState): boolean {
  return state !== 'terminated' && state !== 'shutting-down';
}

export function toObservedVm(vm: VirtualMachine): ObservedVm | undefined {
  const tags = vm.tags ?? {};
  const serverId = tags[TAG_SERVER_ID];
  if (!vm.name || !serverId) return undefined;
  const created = vm.timeCreated;
  return {
    provider_id: vm.name,
    server_id: serverId,
    pool: tags[TAG_POOL] ?? '',
    autoscale: tags[TAG_AUTOSCALE] ?? '',
    hostname: tags[TAG_HOSTNAME] ?? '',
    intent_id: tags[TAG_INTENT_ID] ?? null,
    state: mapProvisioningState(vm.provisioningState),
    private_ip: tags[TAG_PRIVATE_IP] || null,
    public_ip: tags[TAG_PUBLIC_IP] || null,
    launched_at: created instanceof Date && !Number.isNaN(created.getTime()) ? created.toISOString() : (tags[TAG_CREATED_AT] ?? null),
  };
}

export function createAzureVmProviderClient(internals: AzureVmProviderInternals): VmProviderClient {
  const { config, compute, network } = internals;
  const rg = config.resource_group;
  const where = `VmProvider ${config.name}`;
  const now = internals.now ?? Date.now;
  const pollIntervalMs = internals.pollIntervalMs ?? 2000;
  const operationTimeoutMs = internals.operationTimeoutMs ?? 20 * 60_000;
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const sweepIntervalMs = internals.sweepIntervalMs ?? 15 * 60_000;
  const orphanGraceMs = internals.orphanGraceMs ?? 15 * 60_000;
  const concurrency = Math.max(1, internals.destroyConcurrency ?? 8);
  const what = `vm_size ${config.vm_size} in ${config.location}`;

  let snapshot: Snapshot | undefined;
  let lastSweep = Number.NEGATIVE_INFINITY;
  /** Creates this process made, by intent id, until a later listing shows them. */
  const created = new Map<string, { vm: ObservedVm; at: number }>();
  /** Creates under way (their resources must not be swept). */
  const launching = createSingleFlight<ObservedVm>();
  const inFlightNames = new Set<string>();
  const reservations = createReservations({ where, max: config.max_instances, noun: 'VMs' });
  /** Creates admitted one at a time (the max_instances check). */
  const serially = serialGate();

  const schedule: PollSchedule = {
    pollIntervalMs,
    maxPollIntervalMs: Math.max(pollIntervalMs, internals.maxPollIntervalMs ?? 30_000),
    timeoutMs: operationTimeoutMs,
    now,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  /** Waits for a long-running operation on poolform's schedule (long-running.ts). */
  const done = <T>(poller: PollerLike<OperationState<T>, T>): Promise<T> => untilDone(poller, schedule);

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
        throw new PoolformError(
          'azure-operation-timeout',
          `${where}: ${operation} did not finish within ${Math.round(operationTimeoutMs / 1000)} s; poolform will look again`,
          {
            retryable: true,
            cause: error,
            details: { operation },
          },
        );
      }
      throw toAzureError(error, { where, operation, what });
    }
  }

  async function listOwned(): Promise<Snapshot> {
    const at = now();
    const vms: ObservedVm[] = [];
    const names = new Set<string>();
    await call('VirtualMachines_List', async () => {
      for await (const page of compute.virtualMachines.list(rg).byPage()) {
        for (const vm of page) {
          if (vm.name) names.add(vm.name.toLowerCase());
          if (!ownedBy(vm.tags, config.name)) continue;
          const observed = toObservedVm(vm);
          if (observed) vms.push(observed);
        }
      }
    });
    const fresh: Snapshot = { at, vms, names };
    snapshot = fresh;
    const seen = new Set(vms.map((vm) => vm.provider_id));
    for (const [intent, entry] of created) {
      if ((seen.has(entry.vm.provider_id) && at >= entry.at) || at - entry.at > 60_000) created.delete(intent);
    }
    return fresh;
  }

  function findIntent(snap: Snapshot, intentId: string): ObservedVm | undefined {
    const mine = created.get(intentId)?.vm;
    const seen = snap.vms.filter((vm) => vm.intent_id === intentId);
    return seen.find((vm) => isLive(vm.state) && vm.state !== 'stopped') ?? (mine && isLive(mine.state) ? mine : undefined);
  }

  function liveCount(snap: Snapshot): number {
    return liveVmCount(created.values(), snap.vms, isLive);
  }

  /** Deletes one resource by name; absent is success. */
  async function deleteQuietly(kind: 'vm' | 'nic' | 'publicIp' | 'disk', name: string): Promise<void> {
    switch (kind) {
      case 'vm':
        await call('VirtualMachines_Delete', () => done(compute.virtualMachines.delete(rg, name)));
        return;
      case 'nic':
        await call('NetworkInterfaces_Delete', () => done(network.networkInterfaces.delete(rg, name)));
        return;
      case 'publicIp':
        await call('PublicIPAddresses_Delete', () => done(network.publicIPAddresses.delete(rg, name)));
        return;
      case 'disk':
        await call('Disks_Delete', () => done(compute.disks.delete(rg, name)));
        return;
      default: {
        const never: never = kind;
        throw new Error(`unknown kind ${String(never)}`);
      }
    }
  }

  /** Deletes a VM and everything poolform made for it, in dependency order. */
  async function deleteAll(vmName: string, vmExists: boolean): Promise<void> {
    const names = namesFromVm(vmName);
    if (vmExists) await deleteQuietly('vm', names.vm);
    // Azure keeps a deleted VM's NIC reserved for a while (NicReservedForAnotherVm)
    // and may still be detaching the IP or disk: those refusals leave the resource
    // to the orphan sweep instead of failing a destroy whose VM is gone.
    const later = (error: unknown): void => {
      const code = error instanceof PoolformError ? error.providerCode : undefined;
      if (code === undefined || !STILL_ATTACHED.has(code)) throw error;
    };
    await deleteQuietly('nic', names.nic).catch(later);
    await deleteQuietly('publicIp', names.publicIp).catch(later);
    await deleteQuietly('disk', names.osDisk).catch(later);
  }

  async function launch(request: VmCreateRequest): Promise<ObservedVm> {
    const admitted = await serially(async () => {
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await listOwned();
      const existing = findIntent(current, request.intent_id);
      if (existing) return existing;
      const live = liveCount(current);
      reservations.reserve(live);
      return undefined;
    });
    if (admitted) return admitted;

    const names = resourceNames(request.intent_id);
    inFlightNames.add(names.vm);
    const tags = ownershipTags(config, request, new Date(now()).toISOString());
    let stage = 'PublicIPAddresses_CreateOrUpdate';
    try {
      let publicIpId: string | undefined;
      let publicIp: string | undefined;
      if (config.public_ip) {
        const pip = await call(stage, () => done(network.publicIPAddresses.createOrUpdate(rg, names.publicIp, publicIpBody(config, tags))));
        publicIpId = pip.id;
        publicIp = pip.ipAddress;
      }
      stage = 'NetworkInterfaces_CreateOrUpdate';
      const nic = await call(stage, () => done(network.networkInterfaces.createOrUpdate(rg, names.nic, nicBody(config, tags, publicIpId))));
      if (!nic.id) throw new PoolformError('azure-error', `${where}: NetworkInterfaces_CreateOrUpdate returned no id`, { retryable: true });
      const privateIp = nic.ipConfigurations?.[0]?.privateIPAddress;
      const vmTags = { ...tags, ...(privateIp ? { [TAG_PRIVATE_IP]: privateIp } : {}), ...(publicIp ? { [TAG_PUBLIC_IP]: publicIp } : {}) };
      stage = 'VirtualMachines_CreateOrUpdate';
      const body = vmBody({
        config,
        tags: vmTags,
        nicId: nic.id,
        osDiskName: names.osDisk,
        computerName: computerNameFor(config, request.hostname),
        userData: request.user_data,
        adminPassword: internals.adminPassword,
      });
      const vm = await call(stage, () => done(compute.virtualMachines.createOrUpdate(rg, names.vm, body)));
      if ((vm.provisioningState ?? '').toLowerCase() === 'failed') {
        throw new PoolformError('azure-insufficient-capacity', `${where}: the VM ended in provisioning state Failed`, {
          retryable: true,
          providerCode: 'ProvisioningFailed',
          details: { azure_code: 'ProvisioningFailed', provider_code: 'ProvisioningFailed', operation: stage },
        });
      }
      // The OS disk Azure made from the image gets the same tags (best effort: it is deleted with the VM anyway).
      await done(compute.disks.update(rg, names.osDisk, { tags })).catch(() => undefined);
      const observed =
        toObservedVm({ ...vm, name: vm.name ?? names.vm, tags: vmTags }) ??
        pendingVm(names.vm, request, { private_ip: privateIp, public_ip: publicIp, launched_at: new Date(now()).toISOString() });
      created.set(request.intent_id, { vm: observed, at: now() });
      return observed;
    } catch (error) {
      throw await afterFailedCreate(error, stage, names.vm);
    } finally {
      reservations.release();
      inFlightNames.delete(names.vm);
    }
  }

  /**
   * A create that Azure refused (or whose VM failed to provision) leaves its
   * NIC/IP behind: they are deleted now. When that works, nothing of the
   * intent remains and the error says so (`nothing_created`): the apply drops
   * the intent and a retryable refusal feeds the autoscaler's backoff.
   * Unknown outcomes (5xx, timeouts) keep everything: the VM may still appear.
   */
  async function afterFailedCreate(error: unknown, stage: string, vmName: string): Promise<PoolformError> {
    const mapped = error instanceof PoolformError ? error : toAzureError(error, { where, operation: stage, what });
    const cause = mapped.cause ?? error;
    const provisioningFailed = mapped.details['azure_code'] === 'ProvisioningFailed';
    // azureRefused: a 4xx answer, throttling, quota/capacity, or an operation Azure reported Failed.
    const refused = provisioningFailed || azureRefused(cause);
    if (!refused) return mapped;
    try {
      await deleteAll(vmName, stage === 'VirtualMachines_CreateOrUpdate');
    } catch {
      return mapped; // the leftovers stay for the sweep; do not claim nothing was created
    }
    return new PoolformError(mapped.code, mapped.message, {
      retryable: mapped.retryable,
      cause,
      nothingCreated: true,
      ...(mapped.providerCode !== undefined ? { providerCode: mapped.providerCode } : {}),
      details: { ...mapped.details, nothing_created: true },
    });
  }

  async function sweepOrphans(snap: Snapshot): Promise<void> {
    const at = now();
    // The first observe of a process sweeps, then every sweepIntervalMs (Infinity: never).
    if (sweepIntervalMs === Number.POSITIVE_INFINITY || at - lastSweep < sweepIntervalMs) return;
    lastSweep = at;
    const keep = (name: string | undefined, tags: Record<string, string> | undefined): string | undefined => {
      if (!name || !ownedBy(tags, config.name)) return undefined;
      const vm = vmNameOf(name);
      if (!vm || snap.names.has(vm.toLowerCase()) || inFlightNames.has(vm)) return undefined;
      const createdAt = Date.parse(tags?.[TAG_CREATED_AT] ?? '');
      if (!Number.isFinite(createdAt) || at - createdAt < orphanGraceMs) return undefined;
      return name;
    };
    const nics: string[] = [];
    const ips: string[] = [];
    const disks: string[] = [];
    await call('NetworkInterfaces_List', async () => {
      for await (const page of network.networkInterfaces.list(rg).byPage())
        for (const r of page) if (keep(r.name, r.tags) && !r.virtualMachine) nics.push(r.name ?? '');
    });
    await call('PublicIPAddresses_List', async () => {
      for await (const page of network.publicIPAddresses.list(rg).byPage()) for (const r of page) if (keep(r.name, r.tags)) ips.push(r.name ?? '');
    });
    await call('Disks_ListByResourceGroup', async () => {
      for await (const page of compute.disks.listByResourceGroup(rg).byPage())
        for (const r of page) if (keep(r.name, r.tags) && !r.managedBy) disks.push(r.name ?? '');
    });
    for (const name of nics) await deleteQuietly('nic', name).catch(() => undefined);
    for (const name of ips) await deleteQuietly('publicIp', name).catch(() => undefined);
    for (const name of disks) await deleteQuietly('disk', name).catch(() => undefined);
  }

  async function destroyOne(ref: VmRef, known: ReadonlySet<string>): Promise<void> {
    const name = ref.provider_id;
    if (!vmNameOf(name)) {
      throw new PoolformError('not-owned', `${where}: ${name} is not a VM name poolform gives; poolform does not delete it`);
    }
    let exists = true;
    if (!known.has(name)) {
      try {
        const vm = await call('VirtualMachines_Get', async () => await compute.virtualMachines.get(rg, name));
        if (!ownedBy(vm.tags, config.name)) {
          throw new PoolformError('not-owned', `${where}: VM ${name} is not tagged poolform:managed=true for this provider; poolform does not delete it`);
        }
      } catch (error) {
        if (error instanceof PoolformError && error.code === 'not-owned') throw error;
        const status = azureErrorShape(error instanceof PoolformError ? error.cause : error).status;
        if (status !== 404) throw error;
        exists = false;
      }
    }
    await deleteAll(name, exists);
    for (const entry of created.values()) if (entry.vm.provider_id === name) entry.vm = { ...entry.vm, state: 'terminated' };
    if (snapshot) snapshot = { ...snapshot, vms: snapshot.vms.map((vm) => (vm.provider_id === name ? { ...vm, state: 'terminated' } : vm)) };
  }

  return {
    kind: 'azure',
    name: config.name,

    async observe() {
      const snap = await listOwned();
      // The sweep never fails observe: leftovers wait for the next one.
      await sweepOrphans(snap).catch(() => undefined);
      return snap.vms;
    },

    async create(request) {
      assertCustomDataFits(config.name, request.user_data);
      return await launching(request.intent_id, () => launch(request));
    },

    async destroy(refs) {
      const known = knownProviderIds(snapshot?.vms, created.values());
      return await eachItem(refs, concurrency, (ref) => destroyOne(ref, known));
    },

    async capacity() {
      const key = `${config.endpoint ?? config.cloud ?? 'public'}|${config.subscription_id}|${config.location}|${config.vm_size}`;
      return await cachedPromise(capacityCache, key, () =>
        call('VirtualMachineSizes_List', async () => {
          for await (const size of compute.virtualMachineSizes.list(config.location)) {
            if (size.name?.toLowerCase() !== config.vm_size.toLowerCase()) continue;
            if (size.numberOfCores === undefined || size.memoryInMB === undefined) return undefined;
            // VirtualMachineSizes_List has no GPU count: reported as 0 (known gap, see docs/providers/azure.md).
            return { cores: size.numberOfCores, memory_mb: size.memoryInMB, gpus: 0 };
          }
          return undefined;
        }),
      );
    },
  };
}

export { nameOfId };
