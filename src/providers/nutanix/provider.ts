// The Nutanix AHV VM provider (Prism Central v3). Contracts
// (providers/types.ts) and how they are met:
// - observe(): POST /vms/list with `filter: vm_name==pf-<config hash>-.*`,
//   `length: 500` and `offset`, paged until `metadata.total_matches` is read
//   (two list calls per 1,000 VMs). Prism Central matches `vm_name` as an
//   unanchored regular expression, so the names are checked for the prefix
//   again, then filtered to the VMs whose categories and
//   description mark them as this config's (markers.ts). `status.state`
//   PENDING (or a create of this process in flight) is `pending`,
//   DELETE_PENDING / a destroy in flight is `shutting-down`, ERROR is
//   `stopped` (failed: the planner replaces it), COMPLETE is `running` or
//   `stopped` by `status.resources.power_state`. The address is the first
//   of `status.resources.nic_list[].ip_endpoint_list`.
// - create(): keyed by intent id through the deterministic VM name
//   (markers.ts vmName), looked up in a listing at most `snapshotMaxAgeMs`
//   old before anything is created: a VM of the intent is returned as it is
//   (one in ERROR is deleted and made again). The window: Prism Central does
//   not enforce unique VM names, so two poolform processes creating the same
//   intent in the same instant could both create; poolform's state lock
//   allows one apply/serve per installation, which closes it, and within a
//   process creates of one intent share one promise. Then poolform's
//   categories are ensured (created on first use), POST /vms (202 + task)
//   and the task is polled with backoff and a bound (task_timeout_seconds).
//   A FAILED task (e.g. not enough memory on the cluster: a capacity error,
//   backed off like EC2's) leaves nothing (any VM entity it left is deleted)
//   and says nothing was created; a task still running at the bound keeps
//   the VM for the next observe. max_instances is checked one admission at a
//   time.
// - destroy(): only VMs carrying this config's markers; DELETE /vms/{uuid}
//   (202 + task, awaited; the VM's vdisks go with it). A VM already gone
//   (404) is success.
// - capacity(): num_sockets × num_vcpus_per_socket cores and memory_mib.
import type { NutanixVmProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { maxInstancesReached, serialGate } from '../shared/admission.ts';
import { PollTimeoutError } from '../shared/backoff.ts';
import { eachItem } from '../shared/bulk.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef, VmState } from '../types.ts';
import { type NutanixClient, taskUuidOf, type V3Accepted } from './client.ts';
import { isNotFound, NutanixHttpError, nutanixRefused, toNutanixError } from './errors.ts';
import {
  CATEGORY_AUTOSCALE,
  CATEGORY_POOL,
  CATEGORY_PROVIDER,
  configPrefix,
  listFilter,
  ownedBy,
  ownershipCategories,
  ownershipDescription,
  readMarkers,
  vmName,
} from './markers.ts';
import { assertUserDataFits, guestCustomization } from './user-data.ts';

/** Page size of POST /vms/list: the v3 maximum (default 20, at most 500). */
export const LIST_PAGE = 500;

/** A v3 VM entity (the fields poolform reads). */
export interface V3Vm {
  status?: {
    state?: string;
    name?: string;
    description?: string;
    resources?: { power_state?: string; nic_list?: { ip_endpoint_list?: { ip?: string }[] }[] };
  };
  spec?: { name?: string; description?: string };
  metadata?: { uuid?: string; categories?: Record<string, string>; creation_time?: string };
}

interface V3List {
  metadata?: { total_matches?: number };
  entities?: V3Vm[];
}

export interface NutanixVmProviderInternals {
  config: NutanixVmProvider;
  client: NutanixClient;
  now?: () => number;
  /** How old a listing may be to admit a create (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** Concurrent deletions in one destroy (default 8). */
  destroyConcurrency?: number;
}

interface OwnedVm {
  vm: ObservedVm;
  uuid: string;
  name: string;
  state: string;
}

interface Snapshot {
  at: number;
  owned: Map<string, OwnedVm>;
  /** uuid of every VM listed with this config's name prefix (owned or not). */
  prefixed: Set<string>;
}

export function firstIp(entity: V3Vm): string | null {
  for (const nic of entity.status?.resources?.nic_list ?? []) for (const ep of nic.ip_endpoint_list ?? []) if (ep.ip) return ep.ip;
  return null;
}

function mapState(entity: V3Vm, inFlight: boolean, deleting: boolean): VmState {
  const state = entity.status?.state ?? 'PENDING';
  if (deleting || /^DELETE/.test(state)) return 'shutting-down';
  if (inFlight || state === 'PENDING') return 'pending';
  if (state === 'ERROR') return 'stopped';
  return entity.status?.resources?.power_state === 'ON' ? 'running' : 'stopped';
}

export function toObserved(entity: V3Vm, providerName: string, inFlight: (name: string) => boolean, deleting: (uuid: string) => boolean): OwnedVm | undefined {
  const uuid = entity.metadata?.uuid;
  const name = entity.status?.name ?? entity.spec?.name ?? '';
  const markers = readMarkers(entity.status?.description ?? entity.spec?.description);
  if (!uuid || !ownedBy(entity.metadata?.categories, markers, providerName)) return undefined;
  return {
    uuid,
    name,
    state: entity.status?.state ?? 'PENDING',
    vm: {
      provider_id: uuid,
      server_id: markers.serverId,
      pool: markers.pool,
      autoscale: markers.autoscale,
      hostname: markers.hostname,
      intent_id: markers.intentId,
      state: mapState(entity, inFlight(name), deleting(uuid)),
      private_ip: firstIp(entity),
      public_ip: null,
      launched_at: entity.metadata?.creation_time ?? null,
    },
  };
}

export function createNutanixVmProviderClient(internals: NutanixVmProviderInternals): VmProviderClient {
  const { config, client } = internals;
  const where = `VmProvider ${config.name}`;
  const now = internals.now ?? Date.now;
  const taskTimeoutMs = (config.task_timeout_seconds ?? 900) * 1000;
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const concurrency = internals.destroyConcurrency ?? 8;
  const prefix = configPrefix(config.name);

  let snapshot: Snapshot | undefined;
  const inFlight = new Set<string>();
  const deleting = new Set<string>();
  const launching = new Map<string, Promise<ObservedVm>>();
  const ensured = new Map<string, Promise<void>>();
  let reserved = 0;
  const admission = serialGate();

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toNutanixError(error, { where, operation });
    }
  }

  async function task(operation: string, taskUuid: string | undefined): Promise<void> {
    if (taskUuid === undefined) return;
    try {
      await client.waitTask(taskUuid, taskTimeoutMs);
    } catch (error) {
      if (error instanceof PollTimeoutError) {
        throw new PoolformError(
          'nutanix-operation-timeout',
          `${where}: the ${operation} task ${taskUuid} did not finish within ${Math.round(taskTimeoutMs / 1000)} s; poolform will look again`,
          {
            retryable: true,
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  async function list(): Promise<Snapshot> {
    const at = now();
    const owned = new Map<string, OwnedVm>();
    const prefixed = new Set<string>();
    for (let offset = 0; ; ) {
      const page = await call('POST /vms/list', () =>
        client.call<V3List>('POST', '/vms/list', { kind: 'vm', filter: listFilter(config.name), length: LIST_PAGE, offset }),
      );
      const entities = page.entities ?? [];
      for (const e of entities) {
        const uuid = e.metadata?.uuid;
        if (!uuid || !(e.status?.name ?? e.spec?.name ?? '').startsWith(prefix)) continue;
        prefixed.add(uuid);
        const o = toObserved(
          e,
          config.name,
          (n) => inFlight.has(n),
          (u) => deleting.has(u),
        );
        if (o) owned.set(uuid, o);
      }
      offset += entities.length;
      // Without total_matches (never seen, but not assumed), a full page means there may be more.
      const total = page.metadata?.total_matches;
      if (entities.length === 0 || (total !== undefined ? offset >= total : entities.length < LIST_PAGE)) break;
    }
    snapshot = { at, owned, prefixed };
    return snapshot;
  }

  const liveCount = (snap: Snapshot): number => [...snap.owned.values()].filter((o) => o.vm.state !== 'terminated' && o.vm.state !== 'shutting-down').length;

  /**
   * Category key + value exist: created on first use (PUT is create-or-update);
   * a user that may not create categories (403) is fine when they exist
   * already (created beforehand as a prerequisite: GET answers 200). Cached
   * per process; a failure is retried by the next create.
   */
  function ensureCategory(key: string, value: string): Promise<void> {
    const id = `${key}\u0000${value}`;
    let done = ensured.get(id);
    if (!done) {
      const path = `/categories/${encodeURIComponent(key)}`;
      const valuePath = `${path}/${encodeURIComponent(value)}`;
      done = call(`PUT /categories/${key}/{value}`, async () => {
        try {
          await client.call('PUT', path, { name: key, description: 'Managed by poolform (ownership marker)' });
          await client.call('PUT', valuePath, { value, description: 'Managed by poolform' });
        } catch (error) {
          if (!(error instanceof NutanixHttpError && error.status === 403)) throw error;
          try {
            await client.call('GET', valuePath);
          } catch (lookup) {
            if (isNotFound(lookup)) {
              throw new NutanixHttpError(
                403,
                `${error.message} (category ${key}: ${value} does not exist and the user may not create it: create it in Prism Central or grant the category permissions)`,
                error.reason,
              );
            }
            throw lookup;
          }
        }
      });
      ensured.set(id, done);
      done.catch(() => {
        if (ensured.get(id) === done) ensured.delete(id);
      });
    }
    return done;
  }

  async function removeVm(uuid: string): Promise<void> {
    deleting.add(uuid);
    try {
      let accepted: V3Accepted;
      try {
        accepted = await client.call<V3Accepted>('DELETE', `/vms/${encodeURIComponent(uuid)}`);
      } catch (error) {
        if (isNotFound(error)) return;
        throw toNutanixError(error, { where, operation: 'DELETE /vms/{uuid}' });
      }
      try {
        await task('delete', taskUuidOf(accepted));
      } catch (error) {
        throw toNutanixError(error, { where, operation: 'delete' });
      }
      snapshot?.owned.delete(uuid);
    } finally {
      deleting.delete(uuid);
    }
  }

  const extraCategories: Record<string, string> = Object.fromEntries(
    Object.entries(config.categories ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );

  function createBody(request: VmCreateRequest, name: string): unknown {
    const disk: Record<string, unknown> = {
      device_properties: { device_type: 'DISK', disk_address: { adapter_type: 'SCSI', device_index: 0 } },
      data_source_reference: { kind: 'image', uuid: config.image_uuid },
      ...(config.disk_size_mib !== undefined ? { disk_size_mib: config.disk_size_mib } : {}),
    };
    return {
      spec: {
        name,
        description: ownershipDescription(config.name, request),
        resources: {
          num_sockets: config.num_sockets,
          num_vcpus_per_socket: config.num_vcpus_per_socket,
          memory_size_mib: config.memory_mib,
          power_state: 'ON',
          disk_list: [disk],
          nic_list: [{ subnet_reference: { kind: 'subnet', uuid: config.subnet_uuid } }],
          guest_customization: guestCustomization(config.guest_os ?? 'linux', request.user_data, request.hostname),
        },
        cluster_reference: { kind: 'cluster', uuid: config.cluster_uuid },
      },
      metadata: {
        kind: 'vm',
        categories: ownershipCategories(config.name, request, extraCategories),
        ...(config.project_uuid !== undefined ? { project_reference: { kind: 'project', uuid: config.project_uuid } } : {}),
      },
      api_version: '3.1',
    };
  }

  async function launch(request: VmCreateRequest): Promise<ObservedVm> {
    const name = vmName(config.name, request.intent_id);
    const admitted = await admission(async () => {
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await list();
      const mine = [...current.owned.values()].filter((o) => o.name === name && o.vm.intent_id === request.intent_id && o.vm.state !== 'shutting-down');
      const usable = mine.find((o) => o.state !== 'ERROR');
      if (usable) return usable.vm;
      // A VM of this intent that failed (ERROR): deleted and made again.
      for (const failed of mine) await removeVm(failed.uuid);
      const live = liveCount(current) - mine.length;
      if (live + reserved >= config.max_instances) {
        throw maxInstancesReached({ where, max: config.max_instances, live, launching: reserved, noun: 'VMs' });
      }
      reserved++;
      inFlight.add(name);
      return undefined;
    });
    if (admitted) return admitted;

    let uuid: string | undefined;
    try {
      const cats = ownershipCategories(config.name, request);
      await Promise.all([CATEGORY_PROVIDER, CATEGORY_POOL, CATEGORY_AUTOSCALE].map((k) => ensureCategory(k, cats[k] ?? '')));
      const accepted = await call('POST /vms', () => client.call<V3Accepted>('POST', '/vms', createBody(request, name)));
      uuid = accepted.metadata?.uuid;
      await task('create', taskUuidOf(accepted));
      const entity = uuid === undefined ? undefined : await call('GET /vms/{uuid}', () => client.call<V3Vm>('GET', `/vms/${encodeURIComponent(uuid ?? '')}`));
      if (snapshot) snapshot = { ...snapshot, at: Number.NEGATIVE_INFINITY };
      const observed = entity
        ? toObserved(
            entity,
            config.name,
            () => false,
            () => false,
          )
        : undefined;
      return (
        observed?.vm ?? {
          provider_id: uuid ?? '',
          server_id: request.server_id,
          pool: request.pool,
          autoscale: request.autoscale,
          hostname: request.hostname,
          intent_id: request.intent_id,
          state: 'pending',
          private_ip: null,
          public_ip: null,
          launched_at: new Date(now()).toISOString(),
        }
      );
    } catch (error) {
      throw await afterFailedCreate(error, uuid);
    } finally {
      reserved--;
      inFlight.delete(name);
    }
  }

  /**
   * A refusal (4xx, throttled, a FAILED task, no capacity) leaves nothing: a
   * VM entity the failed task left is deleted, and the error says nothing was
   * created so the autoscaler backs off instead of looping. Unknown outcomes
   * (network failure after the POST, a task still running at the bound) keep
   * the VM for the next observe.
   */
  async function afterFailedCreate(error: unknown, uuid: string | undefined): Promise<PoolformError> {
    const mapped = toNutanixError(error, { where, operation: 'create' });
    const refused = nutanixRefused(error) || nutanixRefused(mapped.cause) || mapped.code === 'nutanix-insufficient-capacity' || mapped.nothingCreated === true;
    snapshot = undefined;
    if (!refused) return mapped;
    if (uuid !== undefined) {
      try {
        await removeVm(uuid);
      } catch {
        return mapped;
      }
    }
    return new PoolformError(mapped.code, mapped.message, {
      retryable: mapped.retryable,
      cause: mapped.cause ?? error,
      nothingCreated: true,
      details: { ...mapped.details, nothing_created: true },
    });
  }

  async function destroyOne(ref: VmRef, known: Snapshot): Promise<void> {
    const uuid = ref.provider_id;
    if (uuid === '') return;
    if (known.owned.has(uuid)) {
      await removeVm(uuid);
      return;
    }
    // Not listed as ours: gone (success), or someone else's (never deleted).
    let entity: V3Vm;
    try {
      entity = await client.call<V3Vm>('GET', `/vms/${encodeURIComponent(uuid)}`);
    } catch (error) {
      if (isNotFound(error)) return;
      throw toNutanixError(error, { where, operation: 'GET /vms/{uuid}' });
    }
    if (
      toObserved(
        entity,
        config.name,
        () => false,
        () => false,
      )
    ) {
      await removeVm(uuid);
      return;
    }
    throw new PoolformError('not-owned', `${where}: VM ${uuid} does not carry poolform's categories for this provider; poolform does not delete it`);
  }

  return {
    kind: 'nutanix',
    name: config.name,

    async observe() {
      return [...(await list()).owned.values()].map((o) => o.vm);
    },

    async create(request) {
      assertUserDataFits(config.name, request.user_data);
      const running = launching.get(request.intent_id);
      if (running) return await running;
      const promise = launch(request);
      launching.set(request.intent_id, promise);
      try {
        return await promise;
      } finally {
        launching.delete(request.intent_id);
      }
    },

    async destroy(refs) {
      if (refs.length === 0) return [];
      const known = await list();
      return await eachItem(refs, concurrency, (ref) => destroyOne(ref, known));
    },

    async capacity() {
      return { cores: config.num_sockets * config.num_vcpus_per_socket, memory_mb: config.memory_mib, gpus: 0 };
    },
  };
}
