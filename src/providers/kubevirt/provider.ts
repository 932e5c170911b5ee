// The KubeVirt VM provider (`VmProvider` type `kubevirt`), shared by
// Harvester (`harvester`, see providers/harvester/). Contracts (see
// providers/types.ts) and how they are met:
// - observe(): one paginated list of VirtualMachines with the ownership
//   selector (`poolform.io/managed=true,poolform.io/provider=<name>`,
//   `limit` 1000 + `continue`) and one paginated list of
//   VirtualMachineInstances with the same selector: 2 list calls for up to
//   1,000 VMs, 2 more per further 1,000 (the template
//   labels reach the VMI): state from the VMI phase, address from
//   status.interfaces[].ipAddress. No per-VM GET.
// - create(): the VM is named from the intent id (labels.ts vmName). Order:
//   1. the cloud-init Secret (409 AlreadyExists → it is ours from an earlier
//      attempt: replaced with this script);
//   2. the VirtualMachine (409 AlreadyExists → adopted when its annotations
//      carry this intent id, else refused);
//   3. the Secret gets an ownerReference to the VM's uid, so the garbage
//      collector removes it with the VM.
//   A crash between steps leaves nothing another attempt does not finish, and
//   destroy deletes the Secret by name too (in case step 3 never ran). Then
//   the VMI is polled (GET, backoff, bounded) until Running with an address;
//   past the bound the VM is returned as pending. max_instances is checked
//   against a listing at most `snapshotMaxAgeMs` old plus this process's creates.
// - Refusals by a ResourceQuota ("exceeded quota") or for insufficient
//   resources, and throttling after retries, are retryable with nothing
//   created (errors.ts): the autoscaler backs off instead of looping.
// - destroy(): DELETE of the VM with propagationPolicy Foreground (its VMI,
//   DataVolume and Secret are its dependents), only for VMs carrying the
//   markers (from the last listing, else a GET first); 404 is success; then
//   the Secret (and on Harvester the root PVC, which has no owner) by name.
// - capacity(): cpu_cores and memory of the config.
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { maxInstancesReached, serialGate } from '../shared/admission.ts';
import { PollTimeoutError, pollUntil } from '../shared/backoff.ts';
import { eachItem } from '../shared/bulk.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef, VmState } from '../types.ts';
import { isAlreadyExists, isNotFound, toKubeError } from './errors.ts';
import {
  HARVESTER_IMAGES,
  type KubeApi,
  NETWORK_ATTACHMENT_DEFINITIONS,
  PVCS,
  type ResourceType,
  SECRETS,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from './kube-client.ts';
import {
  ANNOTATION_AUTOSCALE,
  ANNOTATION_HOSTNAME,
  ANNOTATION_INTENT,
  ANNOTATION_POOL,
  ANNOTATION_SERVER,
  ownedBy,
  ownerSelector,
  rootDiskName,
  secretName,
  vmName,
} from './labels.ts';
import { type KubevirtSettings, quantityBytes } from './settings.ts';
import type { KubeList, OwnerReference, Secret, VirtualMachine, VirtualMachineInstance } from './types.ts';
import { assertUserDataFits, userDataOf } from './user-data.ts';
import { secretBody, type VmSpecExtras, vmBody } from './vm-spec.ts';

export interface KubevirtProviderInternals {
  settings: KubevirtSettings;
  api: KubeApi;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** First wait before polling a new VMI (default 2,000 ms); doubles up to maxPollIntervalMs (default 15,000 ms). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Longest wait for the VMI to run with an address (default 5 minutes); then the VM is returned as pending. */
  runningTimeoutMs?: number;
  /** How old a listing may be to admit a create against max_instances (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** Concurrent deletions in one destroy (default 8). */
  destroyConcurrency?: number;
  /** Objects per list page (default 1000). */
  pageSize?: number;
}

const VM_NAME = /^pf-[0-9a-f]{20}$/;
const isLive = (vm: ObservedVm): boolean => vm.state !== 'terminated' && vm.state !== 'shutting-down';

function stateOf(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): VmState {
  if (vm.metadata.deletionTimestamp) return 'shutting-down';
  if (!vmi) return 'pending';
  if (vmi.metadata.deletionTimestamp) return 'stopping';
  switch (vmi.status?.phase) {
    case 'Running':
      return 'running';
    case 'Succeeded':
    case 'Failed':
      return 'stopped';
    default:
      return 'pending';
  }
}

function ipOf(vmi: VirtualMachineInstance | undefined): string | null {
  for (const i of vmi?.status?.interfaces ?? []) {
    const ip = i.ipAddress ?? i.ipAddresses?.[0];
    if (ip) return ip.split('/')[0] ?? ip;
  }
  return null;
}

/**
 * The scheduler's refusal of a VMI's pod ("0/3 nodes are available: 3
 * Insufficient memory"), from the VMI condition PodScheduled=False with
 * reason Unschedulable; undefined while it may still be placed.
 */
export function unschedulableReason(vmi: VirtualMachineInstance | undefined): string | undefined {
  const c = vmi?.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable');
  return c ? (c.message ?? 'Unschedulable') : undefined;
}

/** The ObservedVm of a VM poolform owns (undefined for anything else). */
export function toObservedVm(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, providerName: string): ObservedVm | undefined {
  if (!ownedBy(vm.metadata, providerName)) return undefined;
  const a = vm.metadata.annotations ?? {};
  const server = a[ANNOTATION_SERVER];
  if (server === undefined) return undefined;
  return {
    provider_id: vm.metadata.name,
    server_id: server,
    pool: a[ANNOTATION_POOL] ?? '',
    autoscale: a[ANNOTATION_AUTOSCALE] ?? '',
    hostname: a[ANNOTATION_HOSTNAME] ?? vm.metadata.name,
    intent_id: a[ANNOTATION_INTENT] ?? null,
    state: stateOf(vm, vmi),
    private_ip: ipOf(vmi),
    public_ip: null,
    launched_at: vm.metadata.creationTimestamp ?? null,
  };
}

interface Snapshot {
  at: number;
  vms: ObservedVm[];
}

export function createKubevirtVmProviderClient(internals: KubevirtProviderInternals): VmProviderClient {
  const { settings, api } = internals;
  const ns = settings.namespace;
  const where = `VmProvider ${settings.name} (${settings.type})`;
  const now = internals.now ?? Date.now;
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const pageSize = internals.pageSize ?? 1000;
  const concurrency = Math.max(1, internals.destroyConcurrency ?? 8);
  const pollBase = internals.pollIntervalMs ?? 2000;
  const poll = {
    baseMs: pollBase,
    maxMs: Math.max(pollBase, internals.maxPollIntervalMs ?? 15_000),
    timeoutMs: internals.runningTimeoutMs ?? 5 * 60_000,
    now,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  const selector = ownerSelector(settings.name);

  let snapshot: Snapshot | undefined;
  const created = new Map<string, { vm: ObservedVm; at: number }>();
  const launching = new Map<string, Promise<ObservedVm>>();
  let reserved = 0;
  const serially = serialGate();
  let networkChecked: Promise<void> | undefined;

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toKubeError(error, { where, operation, server: api.server });
    }
  }

  async function listAll<T>(type: ResourceType): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const body: KubeList<T> = await call(`list ${type.plural}`, () =>
        api.list<T>(type, ns, { labelSelector: selector, limit: pageSize, ...(token !== undefined ? { continue: token } : {}) }),
      );
      items.push(...(body.items ?? []));
      token = body.metadata?.continue || undefined;
      if (token === undefined) return items;
    }
    throw new PoolformError('kubevirt-error', `${where}: list ${type.plural} did not end after 10,000 pages`, { retryable: true });
  }

  async function listOwned(): Promise<Snapshot> {
    const at = now();
    const vms = await listAll<VirtualMachine>(VIRTUAL_MACHINES);
    const vmis = new Map((await listAll<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES)).map((i) => [i.metadata.name, i]));
    const observed: ObservedVm[] = [];
    for (const vm of vms) {
      const o = toObservedVm(vm, vmis.get(vm.metadata.name), settings.name);
      if (o) observed.push(o);
    }
    snapshot = { at, vms: observed };
    const seen = new Set(observed.map((v) => v.provider_id));
    for (const [intent, entry] of created) if (seen.has(entry.vm.provider_id) || at - entry.at > 60_000) created.delete(intent);
    return snapshot;
  }

  function liveCount(snap: Snapshot): number {
    const live = new Set<string>();
    for (const { vm } of created.values()) if (isLive(vm)) live.add(vm.provider_id);
    for (const vm of snap.vms) if (isLive(vm)) live.add(vm.provider_id);
    return live.size;
  }

  /** The network (NetworkAttachmentDefinition) exists: checked once per process. */
  function checkNetwork(): Promise<void> {
    const network = settings.network;
    if (!network) return Promise.resolve();
    networkChecked ??= (async () => {
      try {
        await api.get(NETWORK_ATTACHMENT_DEFINITIONS, network.namespace, network.name);
      } catch (error) {
        if (isNotFound(error)) {
          throw new PoolformError(
            'kubevirt-invalid-request',
            `${where}: network ${network.namespace}/${network.name} is not a NetworkAttachmentDefinition (k8s.cni.cncf.io/v1) in the cluster; nothing was created`,
            { field: 'network', nothingCreated: true },
          );
        }
        throw toKubeError(error, { where, operation: 'get network-attachment-definitions', server: api.server });
      }
    })();
    const pending = networkChecked;
    pending.catch(() => {
      if (networkChecked === pending) networkChecked = undefined;
    });
    return pending;
  }

  /** Harvester: the image exists; its storage class (status.storageClassName) for the root PVC. */
  async function bootExtras(): Promise<VmSpecExtras> {
    const boot = settings.boot;
    if (boot.kind !== 'harvester_image') return {};
    let image: { status?: { storageClassName?: string; progress?: number } };
    try {
      image = await api.get(HARVESTER_IMAGES, boot.namespace, boot.name);
    } catch (error) {
      if (isNotFound(error)) {
        throw new PoolformError(
          'kubevirt-invalid-request',
          `${where}: image ${boot.namespace}/${boot.name} is not a VirtualMachineImage (harvesterhci.io/v1beta1) in the cluster; nothing was created`,
          { field: 'image', nothingCreated: true },
        );
      }
      throw toKubeError(error, { where, operation: 'get virtualmachineimages', server: api.server });
    }
    return image.status?.storageClassName ? { storageClass: image.status.storageClassName } : {};
  }

  /** Step 1: the Secret, created or (ours from an earlier attempt) replaced. */
  async function putSecret(request: VmCreateRequest, vm: string, userData: string): Promise<Secret> {
    const body = secretBody(settings, request, vm, userData);
    try {
      return await api.create<Secret>(SECRETS, ns, body);
    } catch (error) {
      if (!isAlreadyExists(error)) throw toKubeError(error, { where, operation: 'create secrets', server: api.server });
    }
    const existing = await call('get secrets', () => api.get<Secret>(SECRETS, ns, secretName(vm)));
    if (!ownedBy(existing.metadata, settings.name)) {
      throw new PoolformError('not-owned', `${where}: Secret ${ns}/${secretName(vm)} exists without poolform's markers; poolform does not overwrite it`);
    }
    const keepOwners = existing.metadata.ownerReferences;
    return await call('replace secrets', () =>
      api.replace<Secret>(SECRETS, ns, secretName(vm), {
        ...body,
        metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion, ...(keepOwners ? { ownerReferences: keepOwners } : {}) },
      }),
    );
  }

  /** Step 2: the VM, created or adopted (same intent). */
  async function putVm(request: VmCreateRequest, vm: string, extras: VmSpecExtras): Promise<VirtualMachine> {
    try {
      return await api.create<VirtualMachine>(VIRTUAL_MACHINES, ns, vmBody(settings, request, vm, extras));
    } catch (error) {
      if (!isAlreadyExists(error)) throw toKubeError(error, { where, operation: 'create virtualmachines', server: api.server });
    }
    const existing = await call('get virtualmachines', () => api.get<VirtualMachine>(VIRTUAL_MACHINES, ns, vm));
    if (!ownedBy(existing.metadata, settings.name) || existing.metadata.annotations?.[ANNOTATION_INTENT] !== request.intent_id) {
      throw new PoolformError(
        'not-owned',
        `${where}: VirtualMachine ${ns}/${vm} exists but is not this intent's (${request.intent_id}); poolform does not adopt it`,
      );
    }
    return existing;
  }

  /** Step 3: the Secret is owned by the VM (garbage-collected with it). Conflict → re-read once. */
  async function ownSecret(secret: Secret, vm: VirtualMachine): Promise<void> {
    const uid = vm.metadata.uid;
    if (!uid) return;
    const owner: OwnerReference = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: vm.metadata.name, uid, blockOwnerDeletion: false };
    let current = secret;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (current.metadata.ownerReferences?.some((r) => r.uid === uid)) return;
      const owners = [...(current.metadata.ownerReferences ?? []).filter((r) => r.kind !== 'VirtualMachine'), owner];
      try {
        await api.replace(SECRETS, ns, current.metadata.name, { ...current, metadata: { ...current.metadata, ownerReferences: owners } });
        return;
      } catch (error) {
        if (!isAlreadyExists(error)) throw toKubeError(error, { where, operation: 'replace secrets', server: api.server });
        current = await call('get secrets', () => api.get<Secret>(SECRETS, ns, current.metadata.name));
      }
    }
  }

  /**
   * Polls the VMI until it runs with an address; past the bound, the last
   * view. A VMI the scheduler cannot place (insufficient CPU/memory) ends the
   * wait at once: the VM exists and is reported pending (it runs when room
   * frees up, or the planner's boot timeout replaces it), so the create does
   * not block for the whole bound.
   */
  async function untilRunning(vm: VirtualMachine): Promise<ObservedVm> {
    let unschedulable: string | undefined;
    const read = async (): Promise<ObservedVm> => {
      let vmi: VirtualMachineInstance | undefined;
      try {
        vmi = await api.get<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, ns, vm.metadata.name);
      } catch (error) {
        if (!isNotFound(error)) throw toKubeError(error, { where, operation: 'get virtualmachineinstances', server: api.server });
      }
      unschedulable = unschedulableReason(vmi);
      const o = toObservedVm(vm, vmi, settings.name);
      if (!o) throw new PoolformError('kubevirt-error', `${where}: VirtualMachine ${vm.metadata.name} lost its markers`);
      return o;
    };
    const first = await read();
    try {
      return await pollUntil(read, (o) => unschedulable !== undefined || (o.state !== 'pending' && (o.state !== 'running' || o.private_ip !== null)), poll);
    } catch (error) {
      if (error instanceof PollTimeoutError) return first;
      if (error instanceof PoolformError && error.retryable) return first;
      throw error;
    }
  }

  async function launch(request: VmCreateRequest, userData: string): Promise<ObservedVm> {
    const name = vmName(request.intent_id);
    const admitted = await serially(async () => {
      const mine = created.get(request.intent_id)?.vm;
      if (mine && isLive(mine)) return mine;
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await listOwned();
      const existing = current.vms.find((v) => v.provider_id === name && isLive(v));
      if (existing) return existing;
      const live = liveCount(current);
      if (live + reserved >= settings.maxInstances) {
        throw maxInstancesReached({ where: `VmProvider ${settings.name}`, max: settings.maxInstances, live, launching: reserved, noun: 'VMs' });
      }
      reserved++;
      return undefined;
    });
    if (admitted) return admitted;
    try {
      await checkNetwork();
      const extras = await bootExtras();
      const secret = await putSecret(request, name, userData);
      let vm: VirtualMachine;
      try {
        vm = await putVm(request, name, extras);
      } catch (error) {
        // Refused (quota, invalid): no VM will own the Secret, so it goes now.
        if (error instanceof PoolformError && error.nothingCreated) await deleteByName(SECRETS, secretName(name)).catch(() => undefined);
        throw error;
      }
      await ownSecret(secret, vm);
      const first = toObservedVm(vm, undefined, settings.name);
      if (!first) throw new PoolformError('kubevirt-error', `${where}: VirtualMachine ${name} came back without poolform's markers`);
      created.set(request.intent_id, { vm: first, at: now() });
      const observed = await untilRunning(vm);
      created.set(request.intent_id, { vm: observed, at: now() });
      return observed;
    } finally {
      reserved--;
    }
  }

  async function deleteByName(type: ResourceType, name: string): Promise<void> {
    try {
      await api.delete(type, ns, name, 'Background');
    } catch (error) {
      if (!isNotFound(error)) throw toKubeError(error, { where, operation: `delete ${type.plural}`, server: api.server });
    }
  }

  async function destroyOne(ref: VmRef, known: Map<string, ObservedVm>): Promise<void> {
    const name = ref.provider_id;
    if (!VM_NAME.test(name)) throw new PoolformError('not-owned', `${where}: ${name} is not a VM name poolform gives; poolform does not delete it`);
    let exists = true;
    if (!known.has(name)) {
      try {
        const vm = await api.get<VirtualMachine>(VIRTUAL_MACHINES, ns, name);
        if (!ownedBy(vm.metadata, settings.name)) {
          throw new PoolformError(
            'not-owned',
            `${where}: VirtualMachine ${ns}/${name} does not carry poolform's markers for this provider; poolform does not delete it`,
          );
        }
      } catch (error) {
        if (!isNotFound(error)) throw toKubeError(error, { where, operation: 'get virtualmachines', server: api.server });
        exists = false;
      }
    }
    if (exists) {
      try {
        await api.delete(VIRTUAL_MACHINES, ns, name, 'Foreground');
      } catch (error) {
        if (!isNotFound(error)) throw toKubeError(error, { where, operation: 'delete virtualmachines', server: api.server });
      }
    }
    // Dependents the garbage collector may not know about: the Secret if its
    // ownerReference never landed (crash), Harvester's root PVC (no owner).
    await deleteByName(SECRETS, secretName(name));
    if (settings.boot.kind === 'harvester_image') await deleteByName(PVCS, rootDiskName(name));
    for (const entry of created.values()) if (entry.vm.provider_id === name) entry.vm = { ...entry.vm, state: 'terminated' };
    if (snapshot) snapshot = { ...snapshot, vms: snapshot.vms.filter((vm) => vm.provider_id !== name) };
  }

  return {
    kind: settings.type,
    name: settings.name,

    async observe() {
      return (await listOwned()).vms;
    },

    async create(request) {
      const userData = userDataOf(request.user_data, settings.sshKey);
      assertUserDataFits(`VmProvider ${settings.name}`, userData);
      const running = launching.get(request.intent_id);
      if (running) return await running;
      const promise = launch(request, userData);
      launching.set(request.intent_id, promise);
      try {
        return await promise;
      } finally {
        launching.delete(request.intent_id);
      }
    },

    async destroy(refs) {
      const known = new Map<string, ObservedVm>();
      for (const vm of snapshot?.vms ?? []) known.set(vm.provider_id, vm);
      for (const { vm } of created.values()) if (isLive(vm)) known.set(vm.provider_id, vm);
      return await eachItem(refs, concurrency, (ref) => destroyOne(ref, known));
    },

    async capacity(): Promise<Resources | undefined> {
      const bytes = quantityBytes(settings.memory);
      if (bytes === undefined) return undefined;
      return { cores: settings.cpuCores, memory_mb: Math.floor(bytes / 2 ** 20), gpus: 0 };
    },
  };
}
