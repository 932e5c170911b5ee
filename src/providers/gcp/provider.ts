// The Google Cloud (Compute Engine) VM provider. Contracts (providers/types.ts)
// and how they are met:
// - observe(): one paginated instances.list of the zone with a `filter` on the
//   ownership labels (labels.ts) and maxResults 500 (Compute's maximum), so
//   1,000 instances take 2 calls; the exact ids come from metadata items, the
//   addresses from networkInterfaces[0] (networkIP, accessConfigs[0].natIP).
// - create(): idempotent by intent id: the instance name and the insert's
//   `requestId` derive from the intent (names.ts); an insert answered 409
//   alreadyExists reads the instance of that name instead. max_instances is
//   checked against a listing at most `snapshotMaxAgeMs` old plus this
//   process's creates, one admission at a time. The zonal Operation is polled
//   (zoneOperations.get) with backoff and a bound (`operationTimeoutMs`). The
//   boot disk has autoDelete: it goes with the instance, no orphaned disks.
//   When Compute refuses (quota, capacity, bad request, rate limit after
//   retries) the error says nothing was created (after deleting an instance
//   that a failed operation may have left), so the autoscaler backs off
//   instead of looping create/delete.
// - destroy(): only instances carrying the ownership labels are deleted; each
//   delete's Operation is waited for (bounded), so the boot disk is gone too.
//   404 counts as success.
// - capacity(): machineTypes.get, cached per process.
// Throttling (429 / rateLimitExceeded) and 5xx are retried in place with
// backoff, honouring google.rpc.RetryInfo (shared/backoff.ts withRetries).
import type { protos } from '@google-cloud/compute';
import type { GcpVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { createReservations, serialGate, settleEach } from '../shared/admission.ts';
import { CallTimeoutError, PollTimeoutError, pollUntil, type RetryOptions, withRetries, withTimeout } from '../shared/backoff.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef, VmState } from '../types.ts';
import type { GcpComputeClients } from './client.ts';
import { gcpRefused, isAlreadyExists, isNotFound, operationError, toGcpError, transientGcpError } from './errors.ts';
import { instanceBody } from './instance-request.ts';
import { META_AUTOSCALE, META_HOSTNAME, META_INTENT_ID, META_POOL, META_SERVER_ID, ownedBy, ownershipFilter } from './labels.ts';
import { instanceName, isPoolformName, requestIdFor } from './names.ts';
import { assertStartupScriptFits } from './startup-script.ts';
import { createSingleFlight } from '../shared/single-flight.ts';
import { cachedPromise } from '../shared/promise-cache.ts';
import { pendingVm } from '../shared/pending-vm.ts';
import { liveVmCount } from '../shared/live-count.ts';
import { knownProviderIds } from '../shared/known-ids.ts';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Operation = protos.google.cloud.compute.v1.IOperation;

export interface GcpVmProviderInternals {
  config: GcpVmProvider;
  clients: GcpComputeClients;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** First delay between operation polls (default 1,000 ms; doubles up to `pollMaxIntervalMs`). */
  pollIntervalMs?: number;
  /** Longest delay between operation polls (default 10,000 ms). */
  pollMaxIntervalMs?: number;
  /** Longest wait for one zonal operation (default 10 minutes). */
  operationTimeoutMs?: number;
  /** Retries of throttled / unavailable calls (default 5 retries, 1 s doubling to 30 s). */
  retry?: Partial<Pick<RetryOptions, 'maxRetries' | 'baseMs' | 'maxMs'>>;
  /** How old a listing may be to admit a create against max_instances (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** Page size of instances.list (default and maximum 500). */
  pageSize?: number;
  /** Concurrent deletions in one destroy (default 8). */
  destroyConcurrency?: number;
  /** Longest wait for one API call, token requests included (default 5 minutes). */
  callTimeoutMs?: number;
}

interface Snapshot {
  at: number;
  vms: ObservedVm[];
}

const capacityCache = new Map<string, Promise<Resources | undefined>>();

export function clearGcpCaches(): void {
  capacityCache.clear();
}

/** Instance status → server state. TERMINATED is a stopped instance on Compute (it still exists). */
export function mapInstanceStatus(status: string | null | undefined, deleting: boolean): VmState {
  if (deleting) return 'shutting-down';
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'STOPPING':
    case 'SUSPENDING':
      return 'stopping';
    case 'TERMINATED':
    case 'SUSPENDED':
    case 'STOPPED':
      return 'stopped';
    default:
      return 'pending';
  }
}

function metadataMap(instance: Instance): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of instance.metadata?.items ?? []) if (item.key) map.set(item.key, item.value ?? '');
  return map;
}

export function toObservedVm(instance: Instance, deleting = false): ObservedVm | undefined {
  const meta = metadataMap(instance);
  const serverId = meta.get(META_SERVER_ID);
  if (!instance.name || !serverId) return undefined;
  const nic = instance.networkInterfaces?.[0];
  const created = instance.creationTimestamp ? Date.parse(instance.creationTimestamp) : Number.NaN;
  return {
    provider_id: instance.name,
    server_id: serverId,
    pool: meta.get(META_POOL) ?? '',
    autoscale: meta.get(META_AUTOSCALE) ?? '',
    hostname: meta.get(META_HOSTNAME) ?? '',
    intent_id: meta.get(META_INTENT_ID) ?? null,
    state: mapInstanceStatus(instance.status, deleting),
    private_ip: nic?.networkIP || null,
    public_ip: nic?.accessConfigs?.[0]?.natIP || null,
    launched_at: Number.isNaN(created) ? null : new Date(created).toISOString(),
  };
}

function isLive(state: VmState): boolean {
  return state !== 'terminated' && state !== 'shutting-down';
}

export function createGcpVmProviderClient(internals: GcpVmProviderInternals): VmProviderClient {
  const { config, clients } = internals;
  const { project, zone } = config;
  const where = `VmProvider ${config.name}`;
  const what = `machine_type ${config.machine_type} in ${zone}`;
  const now = internals.now ?? Date.now;
  const retry: RetryOptions = {
    maxRetries: internals.retry?.maxRetries ?? 5,
    baseMs: internals.retry?.baseMs ?? 1000,
    maxMs: internals.retry?.maxMs ?? 30_000,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  const poll = {
    baseMs: internals.pollIntervalMs ?? 1000,
    maxMs: internals.pollMaxIntervalMs ?? 10_000,
    timeoutMs: internals.operationTimeoutMs ?? 10 * 60_000,
    now,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  const pageSize = Math.min(500, Math.max(1, internals.pageSize ?? 500));
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const concurrency = Math.max(1, internals.destroyConcurrency ?? 8);
  const filter = ownershipFilter(config.name);

  let snapshot: Snapshot | undefined;
  const created = new Map<string, { vm: ObservedVm; at: number }>();
  const launching = createSingleFlight<ObservedVm>();
  const deleting = new Set<string>();
  const reservations = createReservations({ where, max: config.max_instances, noun: 'instances' });
  /** Creates are admitted one at a time (the max_instances check and its reservation). */
  const serially = serialGate();

  const callTimeoutMs = internals.callTimeoutMs ?? 5 * 60_000;

  /** One API call: bounded in time, transient failures retried with backoff, the rest mapped to PoolformError. */
  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(() => withTimeout(run(), callTimeoutMs), transientGcpError, retry);
    } catch (error) {
      if (error instanceof CallTimeoutError) {
        throw new PoolformError(
          'gcp-operation-timeout',
          `${where}: ${operation} got no answer within ${Math.round(callTimeoutMs / 1000)} s (API or token endpoint unreachable?); poolform will look again`,
          {
            retryable: true,
            cause: error,
            details: { operation },
          },
        );
      }
      throw toGcpError(error, { where, operation, what });
    }
  }

  /** Polls a zonal operation until DONE (bounded); an operation that ends with an error throws it (mapped). */
  async function waitFor(op: Operation, label: string): Promise<Operation> {
    const name = op.name;
    if (!name) throw new PoolformError('gcp-error', `${where}: ${label} returned no operation name`, { retryable: true });
    let done: Operation;
    try {
      done =
        op.status === 'DONE'
          ? op
          : await pollUntil(
              async () => (await call('compute.zoneOperations.get', async () => await clients.operations.get({ project, zone, operation: name })))[0],
              (o) => o.status === 'DONE',
              poll,
            );
    } catch (error) {
      if (error instanceof PollTimeoutError) {
        throw new PoolformError(
          'gcp-operation-timeout',
          `${where}: ${label} (operation ${name}) did not finish within ${Math.round(poll.timeoutMs / 1000)} s; poolform will look again`,
          {
            retryable: true,
            cause: error,
            details: { operation: label, gcp_operation: name },
          },
        );
      }
      throw error;
    }
    if (done.error?.errors && done.error.errors.length > 0) throw toGcpError(operationError(done), { where, operation: label, what });
    return done;
  }

  async function listOwned(): Promise<Snapshot> {
    const at = now();
    const vms: ObservedVm[] = [];
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const [items, , raw] = await call(
        'compute.instances.list',
        async () =>
          await clients.instances.list({ project, zone, filter, maxResults: pageSize, ...(token ? { pageToken: token } : {}) }, { autoPaginate: false }),
      );
      for (const instance of items) {
        if (!ownedBy(instance.labels as Record<string, string> | null | undefined, config.name)) continue;
        const vm = toObservedVm(instance, instance.name ? deleting.has(instance.name) : false);
        if (vm) vms.push(vm);
      }
      pageToken = raw?.nextPageToken || undefined;
    } while (pageToken);
    const fresh = { at, vms };
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
    return seen.find((vm) => isLive(vm.state)) ?? (mine && isLive(mine.state) ? mine : undefined);
  }

  function liveCount(snap: Snapshot): number {
    return liveVmCount(created.values(), snap.vms, isLive);
  }

  async function getInstance(name: string): Promise<Instance | undefined> {
    try {
      const [instance] = await call('compute.instances.get', async () => await clients.instances.get({ project, zone, instance: name }));
      return instance;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Deletes one instance and waits for it (and its autoDelete boot disk) to go; 404 is success.
   * Once Compute accepted the delete, observe reports the instance shutting-down until it is gone
   * (even when the wait times out); a refused delete leaves its state as listed.
   */
  async function deleteInstance(name: string): Promise<void> {
    let op: Operation;
    try {
      // A fresh request id per delete: deletes are idempotent by name (404 when gone).
      [op] = await call('compute.instances.delete', async () => {
        const [lro] = await clients.instances.delete({ project, zone, instance: name, requestId: requestIdFor(`delete:${name}:${now()}:${Math.random()}`) });
        return [lro.latestResponse as Operation] as const;
      });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    deleting.add(name);
    await waitFor(op, 'compute.instances.delete');
    deleting.delete(name);
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

    const name = instanceName(request.intent_id);
    const requestId = requestIdFor(`insert:${request.intent_id}`);
    /** Whether the insert may have reached Compute (an accepted operation, or an attempt whose outcome is unknown). */
    let maybeInserted = false;
    try {
      try {
        const [op] = await call('compute.instances.insert', async () => {
          try {
            const [lro] = await clients.instances.insert({ project, zone, requestId, instanceResource: instanceBody(config, name, request) });
            maybeInserted = true;
            return [lro.latestResponse as Operation] as const;
          } catch (error) {
            if (!gcpRefused(error)) maybeInserted = true;
            throw error;
          }
        });
        await waitFor(op, 'compute.instances.insert');
      } catch (error) {
        // The name exists: an earlier insert of this intent (another request id, e.g. after 60 minutes) made it.
        if (!isAlreadyExists(error)) throw error;
      }
      const instance = await getInstance(name);
      if (!instance) {
        throw new PoolformError('gcp-error', `${where}: instance ${name} was inserted but cannot be read back; poolform will look again`, { retryable: true });
      }
      if (!ownedBy(instance.labels as Record<string, string> | undefined, config.name)) {
        throw new PoolformError('not-owned', `${where}: an instance named ${name} exists without poolform's labels; poolform leaves it alone`);
      }
      const observed = toObservedVm(instance) ?? pendingVm(name, request, { launched_at: new Date(now()).toISOString() });
      created.set(request.intent_id, { vm: observed, at: now() });
      return observed;
    } catch (error) {
      throw await afterFailedCreate(error, name, maybeInserted);
    } finally {
      reservations.release();
    }
  }

  /**
   * A refused insert (4xx, quota, capacity, rate limit after retries, or an
   * operation that ended with an error) made nothing that stays: an instance a
   * failed operation left behind is deleted, and the error then says nothing
   * was created (the apply drops the intent; retryable refusals feed the
   * autoscaler's backoff). Unknown outcomes (5xx, timeouts) keep everything:
   * the instance may still appear and the next observe adopts it by intent.
   */
  async function afterFailedCreate(error: unknown, name: string, maybeInserted: boolean): Promise<PoolformError> {
    const mapped = error instanceof PoolformError ? error : toGcpError(error, { where, operation: 'compute.instances.insert', what });
    if (mapped.code === 'not-owned' || !gcpRefused(mapped.cause ?? error)) return mapped;
    // Every insert attempt was refused outright: nothing can exist. Otherwise look for (and delete) a leftover.
    if (maybeInserted) {
      try {
        const leftover = await getInstance(name);
        if (leftover && ownedBy(leftover.labels as Record<string, string> | undefined, config.name)) await deleteInstance(name);
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
    const name = ref.provider_id;
    if (!isPoolformName(name)) throw new PoolformError('not-owned', `${where}: ${name} is not an instance name poolform gives; poolform does not delete it`);
    if (!known.has(name)) {
      const instance = await getInstance(name);
      if (!instance) return;
      if (!ownedBy(instance.labels as Record<string, string> | undefined, config.name)) {
        throw new PoolformError('not-owned', `${where}: instance ${name} does not carry poolform's labels for this provider; poolform does not delete it`);
      }
    }
    await deleteInstance(name);
    for (const entry of created.values()) if (entry.vm.provider_id === name) entry.vm = { ...entry.vm, state: 'terminated' };
    if (snapshot) snapshot = { ...snapshot, vms: snapshot.vms.filter((vm) => vm.provider_id !== name) };
  }

  return {
    kind: 'gcp',
    name: config.name,

    async observe() {
      return (await listOwned()).vms;
    },

    async create(request) {
      assertStartupScriptFits(config, request.user_data);
      return await launching(request.intent_id, () => launch(request));
    },

    async destroy(refs) {
      const known = knownProviderIds(snapshot?.vms, created.values());
      return await settleEach(refs, concurrency, (ref) => destroyOne(ref, known));
    },

    async capacity() {
      const key = `${config.endpoint ?? 'default'}|${project}|${zone}|${config.machine_type}`;
      return await cachedPromise(capacityCache, key, () =>
        call('compute.machineTypes.get', async () => {
          const [type] = await clients.machineTypes.get({ project, zone, machineType: config.machine_type });
          if (type.guestCpus == null || type.memoryMb == null) return undefined;
          const gpus = (type.accelerators ?? []).reduce((sum, a) => sum + (a.guestAcceleratorCount ?? 0), 0);
          return { cores: type.guestCpus, memory_mb: type.memoryMb, gpus };
        }),
      );
    },
  };
}
