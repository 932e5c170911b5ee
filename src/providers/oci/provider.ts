// The OCI VM provider (`VmProvider` type `oci`). Contracts (see
// providers/types.ts) and how they are met:
// - observe(): one paginated ListInstances walk of the compartment (limit
//   1,000, `opc-next-page`: 1 list call per 1,000 instances), keeping only
//   instances tagged `poolform-managed` and `poolform-provider=<name>`.
//   Addresses are not on the Instance: for running instances whose addresses
//   this process has not seen yet, three bulk listings resolve them
//   (ListVnicAttachments of the compartment, ListPrivateIps of the subnet,
//   ListPublicIps of the availability domain when assign_public_ip), then
//   they are cached (an instance's primary addresses do not change).
// - create(): idempotent twice over. LaunchInstance carries an
//   `opc-retry-token` derived from the intent id (instances.ts retryToken): a
//   retry after a lost answer gets the same instance back (OCI keeps tokens
//   24 h). Before launching, the intent is looked up in a listing at most
//   `snapshotMaxAgeMs` old (the `poolform-intent` tag), which covers retries
//   after the token expired. Because of the token, a launch that failed with a
//   429/5xx is retried in place (shared/backoff.ts) without risk of a second
//   instance. max_instances is checked against that listing plus this
//   process's launches. The new instance is polled (GetInstance, backoff,
//   bounded) until RUNNING so its addresses are known; past the bound it is
//   returned as pending.
// - Refusals ("Out of host capacity", LimitExceeded, QuotaExceeded, 429
//   after retries) map like EC2's capacity errors (errors.ts): retryable,
//   nothing created, so the autoscaler backs off instead of looping.
// - destroy(): TerminateInstance with preserveBootVolume=false (the boot
//   volume goes with the instance) for instances carrying the provider tags
//   (checked from the last listing, else GetInstance first); 404 is success.
// - capacity(): the shape's OCPUs/memory (shape_config for Flex shapes, else
//   ListShapes once per process); 1 OCPU = 2 vCPUs except Ampere A1 (1).
import { type ComputeClient, type models, requests, type VirtualNetworkClient } from 'oci-core';
import type { OciVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { withRetries } from '../shared/backoff.ts';
import { eachItem } from '../shared/bulk.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef } from '../types.ts';
import { type Addresses, isFlexShape, launchDetails, retryToken, toObservedVm } from './instances.ts';
import { assertMetadataFits } from './metadata.ts';
import { ociStatus, toOciError, transientOciError } from './errors.ts';
import { ownedBy, TAG_INTENT } from './tags.ts';
import { createSingleFlight } from '../shared/single-flight.ts';
import { cachedPromise } from '../shared/promise-cache.ts';
import { knownProviderIds } from '../shared/known-ids.ts';
import { pollWhilePending } from '../shared/poll-pending.ts';

export interface OciVmProviderInternals {
  config: OciVmProvider;
  compute: ComputeClient;
  network: VirtualNetworkClient;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Retries of a throttled/5xx call (default 4) and their first delay (default 1,000 ms). */
  maxRetries?: number;
  retryBaseMs?: number;
  /** First wait before polling a new instance (default 5,000 ms); doubles up to maxPollIntervalMs (default 20,000 ms). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Longest wait for an instance to be RUNNING (default 10 minutes); then it is returned as pending. */
  runningTimeoutMs?: number;
  /** How old a listing may be to admit a create (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** Concurrent terminations in one destroy (default 8). */
  destroyConcurrency?: number;
}

const PAGE_LIMIT = 1000;
const isLive = (vm: ObservedVm): boolean => vm.state !== 'terminated' && vm.state !== 'shutting-down';

const capacityCache = new Map<string, Promise<Resources | undefined>>();

/** Clears the per-process shape cache (tests). */
export function clearOciCaches(): void {
  capacityCache.clear();
}

/** vCPUs per OCPU: 2 on x86 and Ampere A2+, 1 on Ampere A1. */
export function vcpusPerOcpu(shape: string): number {
  return /\.A1\./.test(shape) ? 1 : 2;
}

export function createOciVmProviderClient(internals: OciVmProviderInternals): VmProviderClient {
  const { config, compute, network } = internals;
  const where = `VmProvider ${config.name}`;
  const what = `shape ${config.shape} in ${config.availability_domain}`;
  const now = internals.now ?? Date.now;
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const retry = {
    maxRetries: internals.maxRetries ?? 4,
    baseMs: internals.retryBaseMs ?? 1000,
    maxMs: 30_000,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  const pollBase = internals.pollIntervalMs ?? 5000;
  const poll = {
    baseMs: pollBase,
    maxMs: Math.max(pollBase, internals.maxPollIntervalMs ?? 20_000),
    timeoutMs: internals.runningTimeoutMs ?? 10 * 60_000,
    now,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };

  let snapshot: { at: number; vms: ObservedVm[] } | undefined;
  const addresses = new Map<string, Addresses>();
  const created = new Map<string, { vm: ObservedVm; at: number }>();
  const launching = createSingleFlight<ObservedVm>();
  let reserved = 0;
  let admission: Promise<unknown> = Promise.resolve();

  /** One API call with in-place retries of throttling/5xx, errors mapped. */
  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(run, transientOciError, retry);
    } catch (error) {
      throw toOciError(error, { where, operation, what });
    }
  }

  function serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = admission.then(fn, fn);
    admission = run.catch(() => undefined);
    return run;
  }

  /** Every page of a list call (`opc-next-page`). */
  async function listAll<T>(operation: string, fetchPage: (page: string | undefined) => Promise<{ items: T[]; opcNextPage?: string }>): Promise<T[]> {
    const out: T[] = [];
    let page: string | undefined;
    do {
      const current = page;
      const res = await call(operation, () => fetchPage(current));
      out.push(...res.items);
      page = res.opcNextPage || undefined;
    } while (page);
    return out;
  }

  /** Resolves the primary addresses of `ids` with bulk listings (see the header). */
  async function resolveAddresses(ids: ReadonlySet<string>): Promise<void> {
    if (ids.size === 0) return;
    const attachments = await listAll('ListVnicAttachments', (page) =>
      compute.listVnicAttachments({
        compartmentId: config.compartment_id,
        availabilityDomain: config.availability_domain,
        limit: PAGE_LIMIT,
        ...(page ? { page } : {}),
      }),
    );
    const vnicToInstance = new Map<string, string>();
    for (const a of attachments) if (ids.has(a.instanceId) && a.vnicId) vnicToInstance.set(a.vnicId, a.instanceId);
    if (vnicToInstance.size === 0) return;
    const privateIps = await listAll('ListPrivateIps', (page) =>
      network.listPrivateIps({ subnetId: config.subnet_id, limit: PAGE_LIMIT, ...(page ? { page } : {}) }),
    );
    const found = new Map<string, Addresses>();
    const privateIdToInstance = new Map<string, string>();
    for (const ip of privateIps) {
      const instanceId = ip.vnicId ? vnicToInstance.get(ip.vnicId) : undefined;
      if (!instanceId || ip.isPrimary === false || !ip.ipAddress) continue;
      found.set(instanceId, { private_ip: ip.ipAddress, public_ip: null });
      if (ip.id) privateIdToInstance.set(ip.id, instanceId);
    }
    if (config.assign_public_ip === true && privateIdToInstance.size > 0) {
      const publicIps = await listAll('ListPublicIps', (page) =>
        network.listPublicIps({
          scope: requests.ListPublicIpsRequest.Scope.AvailabilityDomain,
          availabilityDomain: config.availability_domain,
          compartmentId: config.compartment_id,
          lifetime: requests.ListPublicIpsRequest.Lifetime.Ephemeral,
          limit: PAGE_LIMIT,
          ...(page ? { page } : {}),
        }),
      );
      for (const ip of publicIps) {
        const instanceId = ip.assignedEntityId ? privateIdToInstance.get(ip.assignedEntityId) : undefined;
        const entry = instanceId ? found.get(instanceId) : undefined;
        if (entry && ip.ipAddress) entry.public_ip = ip.ipAddress;
      }
    }
    for (const [id, a] of found) if (a.private_ip !== null && (config.assign_public_ip !== true || a.public_ip !== null)) addresses.set(id, a);
  }

  async function listOwned(): Promise<{ at: number; vms: ObservedVm[] }> {
    const at = now();
    const instances = await listAll('ListInstances', (page) =>
      compute.listInstances({ compartmentId: config.compartment_id, limit: PAGE_LIMIT, ...(page ? { page } : {}) }),
    );
    const owned = instances.filter((i) => ownedBy(i.freeformTags, config.name));
    const missing = new Set(owned.filter((i) => i.lifecycleState === 'RUNNING' && !addresses.has(i.id)).map((i) => i.id));
    // A failed address lookup must not fail observe: the VMs exist; addresses come next time.
    await resolveAddresses(missing).catch(() => undefined);
    const vms: ObservedVm[] = [];
    for (const i of owned) {
      const vm = toObservedVm(i, addresses.get(i.id));
      if (vm) vms.push(vm);
    }
    snapshot = { at, vms };
    const seen = new Set(vms.map((vm) => vm.provider_id));
    for (const [intent, entry] of created) if (seen.has(entry.vm.provider_id) || at - entry.at > 60_000) created.delete(intent);
    return snapshot;
  }

  function liveCount(vms: readonly ObservedVm[]): number {
    const live = new Set<string>();
    for (const { vm } of created.values()) if (isLive(vm)) live.add(vm.provider_id);
    for (const vm of vms) if (isLive(vm)) live.add(vm.provider_id);
    return live.size;
  }

  async function view(instance: models.Instance): Promise<ObservedVm | undefined> {
    if (instance.lifecycleState === 'RUNNING' && !addresses.has(instance.id)) {
      await resolveAddresses(new Set([instance.id])).catch(() => undefined);
    }
    return toObservedVm(instance, addresses.get(instance.id));
  }

  /** Polls a new instance until RUNNING (addresses known); past the bound, the last view (pending). */
  async function untilRunning(first: ObservedVm): Promise<ObservedVm> {
    return await pollWhilePending(
      first,
      async () => {
        const res = await call('GetInstance', () => compute.getInstance({ instanceId: first.provider_id }));
        return (await view(res.instance)) ?? first;
      },
      poll,
    );
  }

  async function launch(request: VmCreateRequest): Promise<ObservedVm> {
    const admitted = await serially(async () => {
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await listOwned();
      // The intent's instance, made by an earlier attempt (crash, lost answer)?
      const existing = current.vms.find((vm) => vm.intent_id === request.intent_id && isLive(vm)) ?? created.get(request.intent_id)?.vm;
      if (existing) return existing;
      const live = liveCount(current.vms);
      if (live + reserved >= config.max_instances) {
        const launchingNote = reserved > 0 ? ` and ${reserved} being created` : '';
        throw new PoolformError(
          'max-instances-reached',
          `${where}: max_instances (${config.max_instances}) reached: ${live} instances exist${launchingNote}; raise max_instances to create more`,
          { retryable: true, nothingCreated: true, details: { max_instances: config.max_instances, live, launching: reserved } },
        );
      }
      reserved++;
      return undefined;
    });
    if (admitted) return await untilRunning(admitted);
    try {
      const details = launchDetails(config, request);
      const token = retryToken(config.name, request.intent_id);
      const res = await call('LaunchInstance', () => compute.launchInstance({ launchInstanceDetails: details, opcRetryToken: token }));
      const first = toObservedVm(res.instance, undefined);
      if (!first || res.instance.freeformTags?.[TAG_INTENT] !== request.intent_id) {
        throw new PoolformError('oci-error', `${where}: LaunchInstance answered with an instance not tagged for intent ${request.intent_id}`, {
          retryable: true,
        });
      }
      created.set(request.intent_id, { vm: first, at: now() });
      const vm = await untilRunning(first);
      created.set(request.intent_id, { vm, at: now() });
      return vm;
    } finally {
      reserved--;
    }
  }

  function markTerminated(id: string): void {
    for (const entry of created.values()) if (entry.vm.provider_id === id) entry.vm = { ...entry.vm, state: 'shutting-down' };
    if (snapshot) snapshot = { ...snapshot, vms: snapshot.vms.map((vm) => (vm.provider_id === id ? { ...vm, state: 'shutting-down' } : vm)) };
    addresses.delete(id);
  }

  async function destroyOne(ref: VmRef, known: ReadonlySet<string>): Promise<void> {
    const id = ref.provider_id;
    if (!/^ocid1\.instance\./.test(id)) throw new PoolformError('not-owned', `${where}: ${id} is not an instance OCID; poolform does not delete it`);
    if (!known.has(id)) {
      try {
        const res = await withRetries(() => compute.getInstance({ instanceId: id }), transientOciError, retry);
        if (res.instance.lifecycleState === 'TERMINATED') return;
        if (!ownedBy(res.instance.freeformTags, config.name)) {
          throw new PoolformError('not-owned', `${where}: instance ${id} is not tagged poolform-provider=${config.name}; poolform does not delete it`);
        }
      } catch (error) {
        if (ociStatus(error) === 404) return;
        throw toOciError(error, { where, operation: 'GetInstance' });
      }
    }
    try {
      await withRetries(() => compute.terminateInstance({ instanceId: id, preserveBootVolume: false }), transientOciError, retry);
    } catch (error) {
      if (ociStatus(error) !== 404) throw toOciError(error, { where, operation: 'TerminateInstance' });
    }
    markTerminated(id);
  }

  return {
    kind: 'oci',
    name: config.name,

    async observe() {
      return (await listOwned()).vms;
    },

    async create(request) {
      assertMetadataFits(config.name, launchDetails(config, request).metadata ?? {});
      return await launching(request.intent_id, () => launch(request));
    },

    async destroy(refs) {
      const known = knownProviderIds(snapshot?.vms, created.values());
      return await eachItem(refs, Math.max(1, internals.destroyConcurrency ?? 8), (ref) => destroyOne(ref, known));
    },

    async capacity() {
      const flex = isFlexShape(config.shape) && config.shape_config !== undefined;
      if (flex && config.shape_config?.memory_in_gbs !== undefined) {
        return {
          cores: Math.round(config.shape_config.ocpus * vcpusPerOcpu(config.shape)),
          memory_mb: Math.round(config.shape_config.memory_in_gbs * 1024),
          gpus: 0,
        };
      }
      const key = `${config.endpoint ?? config.region}|${config.compartment_id}|${config.availability_domain}|${config.shape}`;
      return await cachedPromise(capacityCache, key, async () => {
        const shapes = await listAll('ListShapes', (page) =>
          compute.listShapes({
            compartmentId: config.compartment_id,
            availabilityDomain: config.availability_domain,
            limit: PAGE_LIMIT,
            ...(page ? { page } : {}),
          }),
        );
        const s = shapes.find((x) => x.shape === config.shape);
        if (!s) return undefined;
        if (flex && config.shape_config) {
          const perOcpu = s.memoryOptions?.defaultPerOcpuInGBs;
          if (perOcpu === undefined) return undefined;
          return {
            cores: Math.round(config.shape_config.ocpus * vcpusPerOcpu(config.shape)),
            memory_mb: Math.round(config.shape_config.ocpus * perOcpu * 1024),
            gpus: s.gpus ?? 0,
          };
        }
        if (s.ocpus === undefined || s.memoryInGBs === undefined) return undefined;
        return { cores: Math.round(s.ocpus * vcpusPerOcpu(config.shape)), memory_mb: Math.round(s.memoryInGBs * 1024), gpus: s.gpus ?? 0 };
      });
    },
  };
}
