// The vSphere VM provider over the Automation REST API (client.ts). Contracts
// (providers/types.ts) and how they are met:
// - observe(): ONE `GET /api/vcenter/vm?folders=<folder>` per call. The list
//   is not paginated; vCenter answers at most 4,000 VMs and refuses a filter
//   matching more (UNABLE_TO_ALLOCATE_RESOURCE), so poolform's VMs live in a
//   folder of their own (`folder`, required). Only VMs whose name carries this
//   config's marker (names.ts) are reported; identity comes from the name.
//   IP addresses need one `GET …/guest/identity` per VM (VMware Tools): asked
//   only for powered-on VMs whose address this process does not know yet, at
//   most `ipLookupsPerObserve` per observe, and cached.
// - create(): the VM name is deterministic per intent (same server id), so the
//   folder listing (at most `snapshotMaxAgeMs` old) is searched for it first;
//   an existing VM is returned (powered off: a create that died after the
//   clone, so the customization is applied and it is started). Otherwise
//   clone (power_on false) → CPU / memory / NIC 0 updates → CloudinitPrep
//   customization with the startup script → power start → poll the power state (backoff, bounded). A clone
//   answered ALREADY_EXISTS, or whose answer was lost, is looked up by name:
//   never a second VM. A capacity refusal (UNABLE_TO_ALLOCATE_RESOURCE,
//   insufficient resources) of the clone or the power-on deletes what was
//   made and says nothing was created, so the autoscaler backs off instead of
//   looping create/delete. max_instances is checked one admission at a time.
// - destroy(): only VMs whose name carries the marker; power stop when on,
//   then DELETE. NOT_FOUND is success.
// - capacity(): num_cpus / memory_mb, else the template's.
// Sources: a VM template of the inventory (clone), or with `content_library`
// an item of that library (vm-template or OVF deploy: library.ts).
import type { VsphereVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { maxInstancesReached, serialGate } from '../shared/admission.ts';
import { pollUntil, PollTimeoutError } from '../shared/backoff.ts';
import { eachItem } from '../shared/bulk.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef, VmState } from '../types.ts';
import type { VsphereClient } from './client.ts';
import { isVsphereNotFound, toVsphereError, VsphereHttpError, vsphereRefused } from './errors.ts';
import { deployLibraryItem, type LibrarySource, resolveLibraryItem } from './library.ts';
import { parseVmName, VM_NAME_MAX, vmName } from './names.ts';
import { assertUserDataFits, cloudInitMetadata } from './user-data.ts';

/** vCenter > VM > List item. */
export interface VmSummary {
  vm: string;
  name: string;
  power_state: 'POWERED_ON' | 'POWERED_OFF' | 'SUSPENDED' | string;
  cpu_count?: number;
  memory_size_MiB?: number;
}

export interface VsphereVmProviderInternals {
  config: VsphereVmProvider;
  client: VsphereClient;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** First wait between power-state polls (default 2,000 ms, doubling up to `pollMaxIntervalMs`). */
  pollIntervalMs?: number;
  pollMaxIntervalMs?: number;
  /** Longest wait for a started VM to report POWERED_ON (default 10 minutes). */
  powerOnTimeoutMs?: number;
  /** How old a listing may be to admit a create (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** Concurrent deletions in one destroy (default 8). */
  destroyConcurrency?: number;
  /** Guest identity (IP) lookups per observe (default 50). */
  ipLookupsPerObserve?: number;
}

interface Placement {
  folder: string;
  resourcePool: string;
  datastore?: string;
  network?: string;
  /** The network's backing type, as the NIC backing names it. */
  networkType?: string;
  /** What is cloned: a VM template of the inventory, or a content-library item (library.ts). */
  source: { kind: 'vm'; vm: VmSummary; nic?: string } | LibrarySource;
}

interface Snapshot {
  at: number;
  vms: ObservedVm[];
  /** VM id → power state, for every owned VM listed. */
  power: Map<string, string>;
}

export function mapPowerState(power: string, pending: boolean, deleting: boolean): VmState {
  if (deleting) return 'shutting-down';
  if (pending) return 'pending';
  return power === 'POWERED_ON' ? 'running' : 'stopped';
}

export function createVsphereVmProviderClient(internals: VsphereVmProviderInternals): VmProviderClient {
  const { config, client } = internals;
  const where = `VmProvider ${config.name}`;
  const what = `a clone of ${config.template}`;
  const now = internals.now ?? Date.now;
  const poll = {
    baseMs: internals.pollIntervalMs ?? 2000,
    maxMs: internals.pollMaxIntervalMs ?? 15_000,
    timeoutMs: internals.powerOnTimeoutMs ?? 10 * 60_000,
    now,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const concurrency = internals.destroyConcurrency ?? 8;
  const ipBudget = internals.ipLookupsPerObserve ?? 50;

  let placementRef: Promise<Placement> | undefined;
  let scopeRef: Promise<{ dc: string; folder: string }> | undefined;
  let snapshot: Snapshot | undefined;
  const ips = new Map<string, string>();
  const starting = new Set<string>();
  const deleting = new Set<string>();
  const launching = new Map<string, Promise<ObservedVm>>();
  const created = new Map<string, ObservedVm>();
  let reserved = 0;
  const serially = serialGate();

  async function call<T>(method: string, path: string, body?: unknown, options?: { idempotent?: boolean }): Promise<T> {
    try {
      return await client.call<T>(method, path, body, options);
    } catch (error) {
      throw toVsphereError(error, { where, operation: `${method} /api${path.split('?')[0]}`, what });
    }
  }

  const q = (params: Record<string, string | undefined>): string =>
    Object.entries(params)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');

  /** The id of the one `kind` named `name` (in datacenter `dc` when given); extra filters such as the folder type. */
  async function one(
    kind: string,
    path: string,
    idField: string,
    name: string,
    field: string,
    dc: string | undefined,
    extra: Record<string, string> = {},
  ): Promise<string> {
    const list = await call<Record<string, string>[]>('GET', `${path}?${q({ names: name, ...(dc !== undefined ? { datacenters: dc } : {}), ...extra })}`);
    if (list.length !== 1 || typeof list[0]?.[idField] !== 'string') {
      throw new PoolformError(
        'vsphere-not-found',
        `${where}: ${list.length === 0 ? `no ${kind} named ${JSON.stringify(name)} in datacenter ${config.datacenter}` : `${list.length} ${kind}s are named ${JSON.stringify(name)}; use a unique name`}`,
        { field },
      );
    }
    return list[0][idField] as string;
  }

  /** Datacenter and VM folder ids, once per client: all observe needs (so a deleted template never blocks observe and destroy). */
  function scope(): Promise<{ dc: string; folder: string }> {
    if (!scopeRef) {
      const pending = (async () => {
        const dc = await one('datacenter', '/vcenter/datacenter', 'datacenter', config.datacenter, 'datacenter', undefined);
        const folder = await one('VM folder', '/vcenter/folder', 'folder', config.folder, 'folder', dc, { type: 'VIRTUAL_MACHINE' });
        return { dc, folder };
      })();
      scopeRef = pending;
      pending.catch(() => {
        if (scopeRef === pending) scopeRef = undefined;
      });
    }
    return scopeRef;
  }

  /** A VM template of the inventory by name (vCenter > VM > List), with NIC 0 when `network` is set. */
  async function inventoryTemplate(dc: string, network: string | undefined): Promise<{ kind: 'vm'; vm: VmSummary; nic?: string }> {
    const templates = await call<VmSummary[]>('GET', `/vcenter/vm?${q({ names: config.template, datacenters: dc })}`);
    const template = templates[0];
    if (templates.length !== 1 || !template) {
      throw new PoolformError(
        'vsphere-not-found',
        `${where}: ${templates.length === 0 ? 'no' : templates.length} VM template named ${JSON.stringify(config.template)} in datacenter ${config.datacenter}`,
        {
          field: 'template',
        },
      );
    }
    if (network === undefined) return { kind: 'vm', vm: template };
    const nics = await call<{ nic: string }[]>('GET', `/vcenter/vm/${encodeURIComponent(template.vm)}/hardware/ethernet`);
    const nic = nics[0]?.nic;
    if (nic === undefined)
      throw new PoolformError('vsphere-invalid-request', `${where}: template ${config.template} has no network adapter to connect to ${config.network}`, {
        field: 'network',
      });
    return { kind: 'vm', vm: template, nic };
  }

  /** Inventory names → ids (vCenter > Datacenter/Folder/… > List with `names`), once per client. */
  function placement(): Promise<Placement> {
    if (!placementRef) {
      const pending = (async (): Promise<Placement> => {
        const { dc, folder } = await scope();
        let resourcePool: string;
        if (config.resource_pool !== undefined) {
          resourcePool = await one('resource pool', '/vcenter/resource-pool', 'resource_pool', config.resource_pool, 'resource_pool', dc);
        } else {
          const cluster = await one('cluster', '/vcenter/cluster', 'cluster', config.cluster ?? '', 'cluster', dc);
          resourcePool = (await call<{ resource_pool: string }>('GET', `/vcenter/cluster/${encodeURIComponent(cluster)}`)).resource_pool;
        }
        const datastore =
          config.datastore !== undefined ? await one('datastore', '/vcenter/datastore', 'datastore', config.datastore, 'datastore', dc) : undefined;
        const network = config.network !== undefined ? await one('network', '/vcenter/network', 'network', config.network, 'network', dc) : undefined;
        // vCenter > Network > List answers the backing type poolform must name (STANDARD_PORTGROUP, DISTRIBUTED_PORTGROUP, OPAQUE_NETWORK).
        const networkType =
          network !== undefined
            ? ((await call<{ network: string; type?: string }[]>('GET', `/vcenter/network?${q({ networks: network })}`))[0]?.type ?? 'STANDARD_PORTGROUP')
            : undefined;
        const source =
          config.content_library !== undefined
            ? await resolveLibraryItem(call, where, config.content_library, config.template)
            : await inventoryTemplate(dc, network);
        if (network !== undefined && source.kind === 'ovf') {
          throw new PoolformError(
            'vsphere-invalid-request',
            `${where}: network cannot be applied to the OVF item ${config.template} (OVF networks map by their own names); leave network out or use a VM template item`,
            {
              field: 'network',
            },
          );
        }
        if (network !== undefined && source.kind === 'vm-template' && source.nic === undefined) {
          throw new PoolformError('vsphere-invalid-request', `${where}: template ${config.template} has no network adapter to connect to ${config.network}`, {
            field: 'network',
          });
        }
        return {
          folder,
          resourcePool,
          source,
          ...(datastore !== undefined ? { datastore } : {}),
          ...(network !== undefined ? { network, networkType: networkType ?? 'STANDARD_PORTGROUP' } : {}),
        };
      })();
      placementRef = pending;
      pending.catch(() => {
        if (placementRef === pending) placementRef = undefined;
      });
    }
    return placementRef;
  }

  function toObserved(summary: VmSummary): ObservedVm | undefined {
    const id = parseVmName(config.name, summary.name);
    if (!id) return undefined;
    return {
      provider_id: summary.vm,
      server_id: id.server_id,
      pool: id.pool,
      autoscale: id.autoscale,
      hostname: id.hostname,
      intent_id: null,
      state: mapPowerState(summary.power_state, starting.has(summary.vm), deleting.has(summary.vm)),
      private_ip: ips.get(summary.vm) ?? null,
      public_ip: null,
      launched_at: null,
    };
  }

  async function lookupIps(vms: ObservedVm[]): Promise<void> {
    const wanted = vms.filter((vm) => vm.state === 'running' && vm.private_ip === null).slice(0, ipBudget);
    await eachItem(wanted, 8, async (vm) => {
      try {
        const identity = await client.call<{ ip_address?: string }>('GET', `/vcenter/vm/${encodeURIComponent(vm.provider_id)}/guest/identity`, undefined, {
          noRetry: true,
        });
        if (identity?.ip_address) {
          ips.set(vm.provider_id, identity.ip_address);
          vm.private_ip = identity.ip_address;
        }
      } catch {
        // VMware Tools not up yet: asked again next observe.
      }
    });
  }

  async function listOwned(withIps: boolean): Promise<Snapshot> {
    const at = now();
    const { folder } = await scope();
    const list = await call<VmSummary[]>('GET', `/vcenter/vm?${q({ folders: folder })}`);
    const vms: ObservedVm[] = [];
    const power = new Map<string, string>();
    for (const summary of list) {
      const vm = toObserved(summary);
      if (!vm) continue;
      vms.push(vm);
      power.set(vm.provider_id, summary.power_state);
    }
    if (withIps) await lookupIps(vms);
    const fresh = { at, vms, power };
    snapshot = fresh;
    for (const [intent, vm] of created) if (power.has(vm.provider_id) || !isLive(vm.state)) created.delete(intent);
    return fresh;
  }

  const isLive = (state: VmState): boolean => state !== 'terminated' && state !== 'shutting-down';

  function liveCount(snap: Snapshot): number {
    const live = new Set<string>();
    for (const vm of snap.vms) if (isLive(vm.state)) live.add(vm.provider_id);
    for (const vm of created.values()) if (isLive(vm.state)) live.add(vm.provider_id);
    return live.size;
  }

  async function findByName(name: string, folder: string): Promise<VmSummary | undefined> {
    const hits = await call<VmSummary[]>('GET', `/vcenter/vm?${q({ names: name, folders: folder })}`);
    return hits[0];
  }

  async function powerState(id: string): Promise<string> {
    return (await call<{ state: string }>('GET', `/vcenter/vm/${encodeURIComponent(id)}/power`)).state;
  }

  /** Power off (when on) and delete; NOT_FOUND is success. */
  async function deleteVm(id: string): Promise<void> {
    deleting.add(id);
    try {
      const state = await powerState(id);
      if (state !== 'POWERED_OFF') {
        try {
          await call('POST', `/vcenter/vm/${encodeURIComponent(id)}/power?action=stop`);
        } catch (error) {
          if (!(error instanceof PoolformError && error.cause instanceof VsphereHttpError && error.cause.errorType === 'ALREADY_IN_DESIRED_STATE')) throw error;
        }
      }
      await call('DELETE', `/vcenter/vm/${encodeURIComponent(id)}`);
    } catch (error) {
      if (isVsphereNotFound(error)) return;
      throw error;
    } finally {
      starting.delete(id);
    }
    ips.delete(id);
    if (snapshot) snapshot = { ...snapshot, vms: snapshot.vms.filter((vm) => vm.provider_id !== id) };
    for (const [intent, vm] of created) if (vm.provider_id === id) created.delete(intent);
    deleting.delete(id);
  }

  /**
   * num_cpus, memory_mb and network on a powered-off clone (vCenter > VM >
   * Hardware > Cpu / Memory / Ethernet "update"; VM CloneSpec has no hardware
   * customization). Idempotent, so a create finishing a cut-short one repeats
   * it safely. A vm-template library deploy applied them already.
   */
  async function configureHardware(id: string): Promise<void> {
    const place = await placement();
    if (place.source.kind === 'vm-template') return;
    const vm = encodeURIComponent(id);
    if (config.num_cpus !== undefined) await call('PATCH', `/vcenter/vm/${vm}/hardware/cpu`, { count: config.num_cpus }, { idempotent: true });
    if (config.memory_mb !== undefined) await call('PATCH', `/vcenter/vm/${vm}/hardware/memory`, { size_MiB: config.memory_mb }, { idempotent: true });
    if (place.source.kind === 'vm' && place.source.nic !== undefined && place.network !== undefined) {
      await call(
        'PATCH',
        `/vcenter/vm/${vm}/hardware/ethernet/${encodeURIComponent(place.source.nic)}`,
        { backing: { type: place.networkType ?? 'STANDARD_PORTGROUP', network: place.network } },
        { idempotent: true },
      );
    }
  }

  /** Customization (CloudinitPrep) + power start + wait for POWERED_ON. */
  async function bootWithScript(id: string, name: string, request: VmCreateRequest): Promise<void> {
    starting.add(id);
    await configureHardware(id);
    await call('PUT', `/vcenter/vm/${encodeURIComponent(id)}/guest/customization`, {
      spec: {
        configuration_spec: {
          cloud_config: { type: 'CLOUDINIT', cloudinit: { metadata: cloudInitMetadata(name, request.hostname), userdata: request.user_data } },
        },
        global_DNS_settings: {},
        interfaces: [],
      },
    });
    try {
      await call('POST', `/vcenter/vm/${encodeURIComponent(id)}/power?action=start`, undefined, { idempotent: true });
    } catch (error) {
      if (!(error instanceof PoolformError && error.cause instanceof VsphereHttpError && error.cause.errorType === 'ALREADY_IN_DESIRED_STATE')) throw error;
    }
    try {
      await pollUntil(
        () => powerState(id),
        (s) => s === 'POWERED_ON',
        poll,
      );
    } catch (error) {
      if (error instanceof PollTimeoutError) {
        throw new PoolformError(
          'vsphere-operation-timeout',
          `${where}: VM ${id} did not power on within ${Math.round(poll.timeoutMs / 1000)} s; poolform will look again`,
          {
            retryable: true,
            cause: error,
            details: { vm: id },
          },
        );
      }
      throw error;
    }
    starting.delete(id);
  }

  function observed(id: string, request: VmCreateRequest, state: VmState): ObservedVm {
    return {
      provider_id: id,
      server_id: request.server_id,
      pool: request.pool,
      autoscale: request.autoscale,
      hostname: request.hostname,
      intent_id: request.intent_id,
      state,
      private_ip: ips.get(id) ?? null,
      public_ip: null,
      launched_at: new Date(now()).toISOString(),
    };
  }

  async function launch(request: VmCreateRequest, name: string): Promise<ObservedVm> {
    const admitted = await serially(async () => {
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await listOwned(false);
      const existing = current.vms.find((vm) => vm.server_id === request.server_id && isLive(vm.state));
      if (existing) return { existing, power: current.power.get(existing.provider_id) ?? 'POWERED_OFF' };
      const mine = created.get(request.intent_id);
      if (mine && isLive(mine.state)) return { existing: mine, power: 'POWERED_ON' };
      const live = liveCount(current);
      if (live + reserved >= config.max_instances) throw maxInstancesReached({ where, max: config.max_instances, live, launching: reserved, noun: 'VMs' });
      reserved++;
      return undefined;
    });
    if (admitted) {
      if (admitted.power === 'POWERED_OFF' && !starting.has(admitted.existing.provider_id)) {
        // A create that died between the clone and the power-on: finish it.
        await bootWithScript(admitted.existing.provider_id, name, request);
        return { ...admitted.existing, state: 'running' };
      }
      return admitted.existing;
    }

    let id: string | undefined;
    try {
      const place = await placement();
      const source = place.source;
      try {
        if (source.kind === 'vm') {
          id = await call<string>(
            'POST',
            '/vcenter/vm?action=clone',
            {
              source: source.vm.vm,
              name,
              placement: { folder: place.folder, resource_pool: place.resourcePool, ...(place.datastore !== undefined ? { datastore: place.datastore } : {}) },
              power_on: false,
            },
            { idempotent: false },
          );
        } else {
          id = await deployLibraryItem(call, where, source, {
            name,
            folder: place.folder,
            resourcePool: place.resourcePool,
            ...(place.datastore !== undefined ? { datastore: place.datastore } : {}),
            ...(place.network !== undefined ? { network: place.network } : {}),
            ...(config.num_cpus !== undefined ? { numCpus: config.num_cpus } : {}),
            ...(config.memory_mb !== undefined ? { memoryMb: config.memory_mb } : {}),
          });
        }
      } catch (error) {
        const cause = error instanceof PoolformError ? error.cause : error;
        const exists = cause instanceof VsphereHttpError && cause.errorType === 'ALREADY_EXISTS';
        if (!exists && vsphereRefused(error)) throw error;
        // ALREADY_EXISTS (another attempt made it) or a lost answer: the name says whether a VM exists.
        const found = await findByName(name, place.folder);
        if (!found) throw error;
        id = found.vm;
        if (found.power_state !== 'POWERED_OFF') {
          const vm = observed(id, request, 'running');
          created.set(request.intent_id, vm);
          return vm;
        }
      }
      await bootWithScript(id, name, request);
      const vm = observed(id, request, 'running');
      created.set(request.intent_id, vm);
      snapshot = undefined;
      return vm;
    } catch (error) {
      throw await afterFailedCreate(error, id);
    } finally {
      reserved--;
    }
  }

  /** A refused call made nothing (or what it made is deleted): the error then says nothing was created. Unknown outcomes keep everything. */
  async function afterFailedCreate(error: unknown, id: string | undefined): Promise<PoolformError> {
    const mapped = toVsphereError(error, { where, operation: 'create', what });
    if (!vsphereRefused(error)) {
      snapshot = undefined;
      return mapped;
    }
    if (id !== undefined) {
      try {
        await deleteVm(id);
      } catch {
        return mapped;
      }
    }
    return new PoolformError(mapped.code, mapped.message, {
      retryable: mapped.retryable,
      cause: mapped.cause ?? error,
      nothingCreated: true,
      ...(mapped.providerCode !== undefined ? { providerCode: mapped.providerCode } : {}),
      details: { ...mapped.details, nothing_created: true },
    });
  }

  async function destroyOne(ref: VmRef, known: ReadonlySet<string>): Promise<void> {
    const id = ref.provider_id;
    if (!known.has(id)) {
      let vm: { name?: string };
      try {
        vm = await call<{ name?: string }>('GET', `/vcenter/vm/${encodeURIComponent(id)}`);
      } catch (error) {
        if (isVsphereNotFound(error)) return;
        throw error;
      }
      if (!parseVmName(config.name, vm.name ?? '')) {
        throw new PoolformError(
          'not-owned',
          `${where}: VM ${id} (${vm.name ?? '?'}) does not carry poolform's name marker for this provider; poolform does not delete it`,
        );
      }
    }
    await deleteVm(id);
  }

  return {
    kind: 'vsphere',
    name: config.name,

    async observe() {
      return (await listOwned(true)).vms;
    },

    async create(request) {
      assertUserDataFits(config.name, request.user_data);
      const name = vmName(config.name, request);
      if (name.length > VM_NAME_MAX) {
        throw new PoolformError(
          'vsphere-name-too-long',
          `${where}: the VM name ${JSON.stringify(name)} is ${name.length} characters; vSphere allows ${VM_NAME_MAX}. Shorten the pool, autoscale or hostname pattern`,
          { nothingCreated: true, details: { nothing_created: true } },
        );
      }
      const running = launching.get(request.intent_id);
      if (running) return await running;
      const promise = launch(request, name);
      launching.set(request.intent_id, promise);
      try {
        return await promise;
      } finally {
        launching.delete(request.intent_id);
      }
    },

    async destroy(refs) {
      const known = new Set<string>();
      for (const vm of snapshot?.vms ?? []) known.add(vm.provider_id);
      for (const vm of created.values()) known.add(vm.provider_id);
      return await eachItem(refs, concurrency, (ref) => destroyOne(ref, known));
    },

    async capacity(): Promise<Resources | undefined> {
      const source = (await placement()).source;
      const cores = config.num_cpus ?? (source.kind === 'vm' ? source.vm.cpu_count : source.cpu);
      const memory = config.memory_mb ?? (source.kind === 'vm' ? source.vm.memory_size_MiB : source.memoryMiB);
      return cores === undefined || memory === undefined ? undefined : { cores, memory_mb: memory, gpus: 0 };
    },
  };
}
