// The DigitalOcean VM provider (`VmProvider` type `digital_ocean`). Contracts
// (see providers/types.ts) and how they are met:
// - observe(): one paginated `GET /v2/droplets?tag_name=poolform:provider:<name>&per_page=200`
//   walk, only droplets also tagged `poolform:managed`. DigitalOcean caps
//   per_page at 200, so 1,000 droplets take 5 list calls: the project's budget
//   of 2 per 1,000 cannot be met on this API (ceil(n / 200) is the floor; the
//   tests assert exactly that).
// - create(): DigitalOcean has no idempotency token. The droplet carries the
//   tag `poolform:intent:<intent id>`, and create first looks that tag up
//   (`GET /v2/droplets?tag_name=poolform:intent:<id>`): a retry after a crash
//   or a lost answer finds the droplet instead of making a second one. The
//   window: DigitalOcean applies tags "after it is created", so a droplet may
//   briefly be unfindable by tag; create therefore also looks the server
//   hostname up (`GET /v2/droplets?name=`, the droplet's name) and refuses
//   for now while a droplet of that name shows no tags yet (byName below).
//   Two processes creating the same intent at the same instant could both
//   miss; poolform's state lock rules that out. A POST that failed with a 5xx
//   is not re-sent (it may have made the droplet): the error is retryable and
//   the next attempt's lookup decides. After the 202 the droplet is polled
//   (`GET /v2/droplets/{id}`, backoff, bounded) until `active` so its
//   addresses are known; past the bound it is returned as pending.
//   max_instances is checked against the droplets that exist (a listing at
//   most `snapshotMaxAgeMs` old plus this process's creates).
// - Refusals (422 size/region unavailable, droplet limit, 429 after retries)
//   are mapped like EC2's capacity errors (errors.ts): retryable, nothing
//   created, so the autoscaler backs off instead of looping.
// - destroy(): `DELETE /v2/droplets/{id}` for droplets carrying the provider
//   tag (checked from the last listing, else `GET` first); 404 is success.
// - capacity(): `GET /v2/sizes` once per process and size.
import type { DigitalOceanVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { createReservations, serialGate } from '../shared/admission.ts';
import { eachItem } from '../shared/bulk.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef } from '../types.ts';
import { DoApiError, type DoClient } from './client.ts';
import { addressOf, type DoDroplet, mapDropletStatus, toObservedVm } from './droplets.ts';
import { toDoError } from './errors.ts';
import { intentTag, ownedBy, ownershipTags, providerTag } from './tags.ts';
import { assertUserDataFits } from './user-data.ts';
import { createSingleFlight } from '../shared/single-flight.ts';
import { cachedPromise } from '../shared/promise-cache.ts';
import { pendingVm } from '../shared/pending-vm.ts';
import { knownProviderIds } from '../shared/known-ids.ts';
import { pollWhilePending } from '../shared/poll-pending.ts';

export interface DoVmProviderInternals {
  config: DigitalOceanVmProvider;
  client: DoClient;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** First wait before polling a new droplet (default 2,000 ms); doubles up to maxPollIntervalMs (default 15,000 ms). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Longest wait for a droplet to become active (default 5 minutes); then it is returned as pending. */
  activeTimeoutMs?: number;
  /** How old a listing may be to admit a create against max_instances (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** Concurrent deletions in one destroy (default 8). */
  destroyConcurrency?: number;
  /** How long a droplet without tags, named like the server, is taken as possibly this intent's (default 10 minutes). */
  tagWindowMs?: number;
}

interface Snapshot {
  at: number;
  vms: ObservedVm[];
}

const capacityCache = new Map<string, Promise<Resources | undefined>>();

/** Clears the per-process size cache (tests). */
export function clearDigitalOceanCaches(): void {
  capacityCache.clear();
}

const isLive = (vm: ObservedVm): boolean => vm.state !== 'terminated' && vm.state !== 'shutting-down';

/** The POST /v2/droplets body (Droplets - Create a New Droplet, single). */
export function dropletBody(config: DigitalOceanVmProvider, request: VmCreateRequest): Record<string, unknown> {
  return {
    name: request.hostname,
    region: config.region,
    size: config.size,
    image: config.image,
    tags: ownershipTags(config.name, request, config.tags ?? []),
    user_data: request.user_data,
    ...(config.vpc_uuid !== undefined ? { vpc_uuid: config.vpc_uuid } : {}),
    ...(config.ssh_keys !== undefined ? { ssh_keys: config.ssh_keys } : {}),
    ...(config.monitoring !== undefined ? { monitoring: config.monitoring } : {}),
    ...(config.ipv6 !== undefined ? { ipv6: config.ipv6 } : {}),
  };
}

export function createDoVmProviderClient(internals: DoVmProviderInternals): VmProviderClient {
  const { config, client } = internals;
  const where = `VmProvider ${config.name}`;
  const what = `size ${config.size} in ${config.region}`;
  const now = internals.now ?? Date.now;
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const concurrency = Math.max(1, internals.destroyConcurrency ?? 8);
  const tagWindowMs = internals.tagWindowMs ?? 10 * 60_000;
  const pollBase = internals.pollIntervalMs ?? 2000;
  const poll = {
    baseMs: pollBase,
    maxMs: Math.max(pollBase, internals.maxPollIntervalMs ?? 15_000),
    timeoutMs: internals.activeTimeoutMs ?? 5 * 60_000,
    now,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };

  let snapshot: Snapshot | undefined;
  const created = new Map<string, { vm: ObservedVm; at: number }>();
  const launching = createSingleFlight<ObservedVm>();
  const reservations = createReservations({ where, max: config.max_instances, noun: 'droplets' });
  const serially = serialGate();

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDoError(error, { where, operation, what });
    }
  }

  async function listByTag(tag: string): Promise<ObservedVm[]> {
    const droplets = await call('GET /v2/droplets', () => client.listAll<DoDroplet>('/v2/droplets', 'droplets', { tag_name: tag }));
    const vms: ObservedVm[] = [];
    for (const d of droplets) {
      if (!ownedBy(d.tags, config.name)) continue;
      const vm = toObservedVm(d);
      if (vm) vms.push(vm);
    }
    return vms;
  }

  /**
   * DigitalOcean applies a new droplet's tags "after it is created" (Droplets -
   * Create), so right after a create whose answer was lost the intent tag may
   * not find it yet. The droplet is named after the server hostname: a droplet
   * of that name carrying this intent's tag is returned; one with no tags yet,
   * made within `tagWindowMs`, may be this intent's, so create refuses for now
   * (retryable, nothing created) rather than risk a second droplet.
   */
  async function byName(request: VmCreateRequest): Promise<ObservedVm | undefined> {
    const named = await call('GET /v2/droplets', () => client.listAll<DoDroplet>('/v2/droplets', 'droplets', { name: request.hostname }));
    for (const d of named) {
      if (ownedBy(d.tags, config.name) && d.tags?.includes(intentTag(request.intent_id))) {
        const vm = toObservedVm(d);
        if (vm && isLive(vm)) return vm;
      }
      const age = now() - Date.parse(d.created_at ?? '');
      if ((d.tags ?? []).length === 0 && !(age > tagWindowMs)) {
        throw new PoolformError(
          'do-error',
          `${where}: droplet ${d.id} named ${request.hostname} was made ${Number.isFinite(age) ? `${Math.round(age / 1000)} s ago` : 'recently'} and shows no tags yet; it may be this server's (DigitalOcean applies tags after creating), so poolform looks again later instead of creating a second one`,
          { retryable: true, nothingCreated: true, details: { droplet_id: d.id } },
        );
      }
    }
    return undefined;
  }

  async function listOwned(): Promise<Snapshot> {
    const at = now();
    const vms = await listByTag(providerTag(config.name));
    snapshot = { at, vms };
    const seen = new Set(vms.map((vm) => vm.provider_id));
    for (const [intent, entry] of created) if (seen.has(entry.vm.provider_id) || at - entry.at > 60_000) created.delete(intent);
    return snapshot;
  }

  function liveCount(snap: Snapshot): number {
    const live = new Set<string>();
    for (const { vm } of created.values()) if (isLive(vm)) live.add(vm.provider_id);
    for (const vm of snap.vms) if (isLive(vm)) live.add(vm.provider_id);
    return live.size;
  }

  /** Polls a new droplet until active (addresses known); past the bound, the last view (pending). */
  async function untilActive(first: ObservedVm): Promise<ObservedVm> {
    return await pollWhilePending(
      first,
      async () => {
        const body = await call('GET /v2/droplets/{id}', () => client.request<{ droplet?: DoDroplet }>('GET', `/v2/droplets/${first.provider_id}`));
        // Identity from the request (the tags may not show yet), status and addresses from the droplet.
        return body.droplet
          ? {
              ...first,
              state: mapDropletStatus(body.droplet.status),
              private_ip: addressOf(body.droplet, 'private'),
              public_ip: addressOf(body.droplet, 'public'),
            }
          : first;
      },
      poll,
    );
  }

  async function launch(request: VmCreateRequest): Promise<ObservedVm> {
    const admitted = await serially(async () => {
      // The intent's droplet, made by an earlier attempt (crash, lost answer)?
      const mine = created.get(request.intent_id)?.vm;
      const existing = (await listByTag(intentTag(request.intent_id))).find(isLive) ?? (mine && isLive(mine) ? mine : undefined) ?? (await byName(request));
      if (existing) return existing;
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await listOwned();
      const live = liveCount(current);
      reservations.reserve(live);
      return undefined;
    });
    if (admitted) return admitted;
    try {
      const body = await call('POST /v2/droplets', () =>
        client.request<{ droplet?: DoDroplet }>('POST', '/v2/droplets', { body: dropletBody(config, request) }),
      );
      const droplet = body.droplet;
      if (!droplet) throw new PoolformError('do-error', `${where}: POST /v2/droplets answered without a droplet`, { retryable: true });
      const first = toObservedVm(droplet) ?? pendingVm(String(droplet.id), request, { launched_at: droplet.created_at ?? null });
      created.set(request.intent_id, { vm: first, at: now() });
      const vm = await untilActive(first);
      created.set(request.intent_id, { vm, at: now() });
      return vm;
    } finally {
      reservations.release();
    }
  }

  async function destroyOne(ref: VmRef, known: ReadonlySet<string>): Promise<void> {
    const id = ref.provider_id;
    if (!/^\d+$/.test(id)) throw new PoolformError('not-owned', `${where}: ${id} is not a droplet id; poolform does not delete it`);
    if (!known.has(id)) {
      try {
        const body = await client.request<{ droplet?: DoDroplet }>('GET', `/v2/droplets/${id}`);
        if (!ownedBy(body.droplet?.tags, config.name)) {
          throw new PoolformError('not-owned', `${where}: droplet ${id} is not tagged ${providerTag(config.name)}; poolform does not delete it`);
        }
      } catch (error) {
        if (error instanceof DoApiError && error.status === 404) return;
        throw toDoError(error, { where, operation: 'GET /v2/droplets/{id}' });
      }
    }
    try {
      await client.request('DELETE', `/v2/droplets/${id}`);
    } catch (error) {
      if (!(error instanceof DoApiError && error.status === 404)) throw toDoError(error, { where, operation: 'DELETE /v2/droplets/{id}' });
    }
    for (const entry of created.values()) if (entry.vm.provider_id === id) entry.vm = { ...entry.vm, state: 'terminated' };
    if (snapshot) snapshot = { ...snapshot, vms: snapshot.vms.map((vm) => (vm.provider_id === id ? { ...vm, state: 'terminated' } : vm)) };
  }

  return {
    kind: 'digital_ocean',
    name: config.name,

    async observe() {
      return (await listOwned()).vms;
    },

    async create(request) {
      assertUserDataFits(config.name, request.user_data);
      return await launching(request.intent_id, () => launch(request));
    },

    async destroy(refs) {
      const known = knownProviderIds(snapshot?.vms, created.values());
      return await eachItem(refs, concurrency, (ref) => destroyOne(ref, known));
    },

    async capacity() {
      const key = `${config.api_url ?? ''}|${config.size}`;
      return await cachedPromise(capacityCache, key, () =>
        call('GET /v2/sizes', async () => {
          const sizes = await client.listAll<{ slug: string; vcpus?: number; memory?: number; gpu_info?: { count?: number } }>('/v2/sizes', 'sizes');
          const size = sizes.find((s) => s.slug === config.size);
          if (!size || size.vcpus === undefined || size.memory === undefined) return undefined;
          return { cores: size.vcpus, memory_mb: size.memory, gpus: size.gpu_info?.count ?? 0 };
        }),
      );
    },
  };
}
