// The OpenStack (Nova) VM provider. Contracts (providers/types.ts) and how
// they are met:
// - observe(): one paginated GET /servers/detail filtered by the ownership
//   tags (markers.ts) with limit 1000 (Nova's default max_limit) and
//   `servers_links` rel=next (marker) for the next page: 1,000 servers take at
//   most 2 calls. Only servers whose metadata marks them as this config's are
//   reported; exact values come from the metadata, addresses from `addresses`
//   (fixed → private_ip, floating → public_ip).
// - create(): Nova has no idempotency key, so the intent is looked up first:
//   the owned servers (a listing at most `snapshotMaxAgeMs` old, or a fresh
//   one) are searched for the intent id in their metadata, and only when none
//   carries it is POST /servers sent, named after the hostname (names.ts).
//   The window: a POST whose answer was lost (timeout, 5xx) may have made a
//   server; the error then does not say "nothing created", and the next
//   observe adopts that server by its intent id instead of creating another.
//   Two processes creating the same intent at once would race, which the
//   apply lock prevents. After the POST the server is polled (GET
//   /servers/{id}, backoff, bounded by `buildTimeoutMs`) until it leaves
//   BUILD. A server that goes to ERROR ("No valid host was found", quota) is
//   deleted and the error says nothing was created, so the autoscaler backs
//   off (capacity/quota are retryable) instead of looping create/delete.
//   max_instances is checked one admission at a time against what exists.
// - destroy(): only servers carrying the metadata markers are deleted;
//   DELETE /servers/{id}, then polled until Nova reports 404 (bounded), so
//   a boot volume with delete_on_termination is gone too. 404 is success.
// - capacity(): the flavor's vcpus and ram, cached per process.
import type { OpenStackVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { createReservations, serialGate } from '../shared/admission.ts';
import { pollUntil, PollTimeoutError } from '../shared/backoff.ts';
import { eachItem } from '../shared/bulk.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef, VmState } from '../types.ts';
import type { OpenStackClient } from './client.ts';
import { isNotFound, openstackRefused, ServerFaultError, toOpenStackError } from './errors.ts';
import { META_AUTOSCALE, META_HOSTNAME, META_INTENT_ID, META_POOL, META_SERVER_ID, ownedBy, ownershipTags } from './markers.ts';
import { serverName } from './names.ts';
import { serverBody } from './server-request.ts';
import { assertUserDataFits } from './user-data.ts';
import { createSingleFlight } from '../shared/single-flight.ts';
import { cachedPromise } from '../shared/promise-cache.ts';
import { pendingVm } from '../shared/pending-vm.ts';
import { liveVmCount } from '../shared/live-count.ts';
import { knownProviderIds } from '../shared/known-ids.ts';

/** The fields of a Nova server poolform reads (Compute API "List Servers Detailed"). */
export interface NovaServer {
  id: string;
  name?: string;
  status?: string;
  metadata?: Record<string, string>;
  tags?: string[];
  addresses?: Record<string, { addr?: string; version?: number; 'OS-EXT-IPS:type'?: string }[]>;
  created?: string;
  fault?: { code?: number; message?: string };
  'OS-EXT-STS:task_state'?: string | null;
}

interface NovaFlavor {
  id: string;
  name: string;
  vcpus?: number;
  ram?: number;
}

export interface OpenStackVmProviderInternals {
  config: OpenStackVmProvider;
  client: OpenStackClient;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** First wait between server polls (default 2,000 ms; doubles up to `pollMaxIntervalMs`). */
  pollIntervalMs?: number;
  /** Longest wait between server polls (default 15,000 ms). */
  pollMaxIntervalMs?: number;
  /** Longest wait for a server to leave BUILD, or to go after DELETE (default 15 minutes). */
  buildTimeoutMs?: number;
  /** How old a listing may be to admit a create against max_instances (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** `limit` of the server listing (default 1000, Nova's default max_limit). */
  pageSize?: number;
  /** Concurrent deletions in one destroy (default 8). */
  destroyConcurrency?: number;
}

interface Snapshot {
  at: number;
  vms: ObservedVm[];
  /** Server id → metadata of the owned servers in the listing. */
  owned: Map<string, ObservedVm>;
  /** Ids of owned servers in status ERROR (a failed build: replaced when its intent is created again). */
  errored: Set<string>;
}

const capacityCache = new Map<string, Promise<Resources | undefined>>();

export function clearOpenStackCaches(): void {
  capacityCache.clear();
}

/** Nova status (+ task state) → server state. */
export function mapServerStatus(status: string | undefined, taskState: string | null | undefined, deleting: boolean): VmState {
  if (deleting || taskState === 'deleting') return 'shutting-down';
  switch ((status ?? '').toUpperCase()) {
    case 'ACTIVE':
    case 'REBOOT':
    case 'HARD_REBOOT':
    case 'PASSWORD':
    case 'VERIFY_RESIZE':
    case 'RESIZE':
    case 'MIGRATING':
      return taskState === 'powering-off' ? 'stopping' : 'running';
    case 'SHUTOFF':
    case 'SUSPENDED':
    case 'PAUSED':
    case 'SHELVED':
    case 'SHELVED_OFFLOADED':
    case 'STOPPED':
    case 'ERROR':
      return 'stopped';
    case 'DELETED':
    case 'SOFT_DELETED':
      return 'terminated';
    default:
      return 'pending';
  }
}

function address(server: NovaServer, kind: 'fixed' | 'floating'): string | null {
  for (const list of Object.values(server.addresses ?? {})) {
    for (const a of list) {
      if ((a.version ?? 4) === 4 && (a['OS-EXT-IPS:type'] ?? 'fixed') === kind && a.addr) return a.addr;
    }
  }
  return null;
}

export function toObservedVm(server: NovaServer, deleting = false): ObservedVm | undefined {
  const meta = server.metadata ?? {};
  const serverId = meta[META_SERVER_ID];
  if (!server.id || !serverId) return undefined;
  const created = server.created ? Date.parse(server.created) : Number.NaN;
  return {
    provider_id: server.id,
    server_id: serverId,
    pool: meta[META_POOL] ?? '',
    autoscale: meta[META_AUTOSCALE] ?? '',
    hostname: meta[META_HOSTNAME] ?? '',
    intent_id: meta[META_INTENT_ID] ?? null,
    state: mapServerStatus(server.status, server['OS-EXT-STS:task_state'], deleting),
    private_ip: address(server, 'fixed'),
    public_ip: address(server, 'floating'),
    launched_at: Number.isNaN(created) ? null : new Date(created).toISOString(),
  };
}

function isLive(state: VmState): boolean {
  return state !== 'terminated' && state !== 'shutting-down';
}

/** The path and query of a `servers_links` next href, applied to our own compute endpoint (Nova may advertise another host name). */
export function nextPath(links: { rel?: string; href?: string }[] | undefined): string | undefined {
  const href = links?.find((l) => l.rel === 'next')?.href;
  if (!href) return undefined;
  const url = new URL(href, 'http://placeholder');
  return `/servers/detail${url.search}`;
}

export function createOpenStackVmProviderClient(internals: OpenStackVmProviderInternals): VmProviderClient {
  const { config, client } = internals;
  const where = `VmProvider ${config.name}`;
  const what = `flavor ${config.flavor}${config.availability_zone ? ` in ${config.availability_zone}` : ''}`;
  const now = internals.now ?? Date.now;
  const poll = {
    baseMs: internals.pollIntervalMs ?? 2000,
    maxMs: internals.pollMaxIntervalMs ?? 15_000,
    timeoutMs: internals.buildTimeoutMs ?? 15 * 60_000,
    now,
    ...(internals.sleep ? { sleep: internals.sleep } : {}),
  };
  const pageSize = Math.max(1, internals.pageSize ?? 1000);
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const concurrency = internals.destroyConcurrency ?? 8;
  const tagFilter = ownershipTags(config.name).map(encodeURIComponent).join(',');

  let snapshot: Snapshot | undefined;
  const created = new Map<string, { vm: ObservedVm; at: number }>();
  const launching = createSingleFlight<ObservedVm>();
  const deleting = new Set<string>();
  const reservations = createReservations({ where, max: config.max_instances, noun: 'servers' });
  const serially = serialGate();
  let flavorRef: Promise<NovaFlavor> | undefined;

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toOpenStackError(error, { where, operation, what });
    }
  }

  async function listOwned(): Promise<Snapshot> {
    const at = now();
    const vms: ObservedVm[] = [];
    const owned = new Map<string, ObservedVm>();
    const errored = new Set<string>();
    let path: string | undefined = `/servers/detail?tags=${tagFilter}&limit=${pageSize}`;
    while (path) {
      const page: string = path;
      const { body } = await call('GET /servers/detail', () =>
        client.compute<{ servers?: NovaServer[]; servers_links?: { rel?: string; href?: string }[] }>('GET', page),
      );
      for (const server of body?.servers ?? []) {
        if (!ownedBy(server.metadata, config.name)) continue;
        const vm = toObservedVm(server, deleting.has(server.id));
        if (!vm) continue;
        vms.push(vm);
        owned.set(vm.provider_id, vm);
        if ((server.status ?? '').toUpperCase() === 'ERROR') errored.add(vm.provider_id);
      }
      path = nextPath(body?.servers_links);
    }
    const fresh = { at, vms, owned, errored };
    snapshot = fresh;
    for (const [intent, entry] of created) {
      if ((owned.has(entry.vm.provider_id) && at >= entry.at) || at - entry.at > 60_000) created.delete(intent);
    }
    return fresh;
  }

  function findIntent(snap: Snapshot, intentId: string): ObservedVm | undefined {
    const mine = created.get(intentId)?.vm;
    return snap.vms.find((vm) => vm.intent_id === intentId && isLive(vm.state)) ?? (mine && isLive(mine.state) ? mine : undefined);
  }

  function liveCount(snap: Snapshot): number {
    return liveVmCount(created.values(), snap.vms, isLive);
  }

  async function getServer(id: string): Promise<NovaServer | undefined> {
    try {
      return (await call('GET /servers/{id}', () => client.compute<{ server: NovaServer }>('GET', `/servers/${encodeURIComponent(id)}`))).body.server;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  function flavor(): Promise<NovaFlavor> {
    if (!flavorRef) {
      const pending = call('GET /flavors/detail', async () => {
        const { body } = await client.compute<{ flavors?: NovaFlavor[] }>('GET', '/flavors/detail?limit=1000');
        const flavors = body?.flavors ?? [];
        const hit = flavors.find((f) => f.id === config.flavor) ?? flavors.find((f) => f.name === config.flavor);
        if (!hit) {
          throw new PoolformError('openstack-not-found', `${where}: flavor ${config.flavor} is neither the id nor the name of a flavor the project can use`, {
            field: 'flavor',
          });
        }
        return hit;
      });
      flavorRef = pending;
      pending.catch(() => {
        if (flavorRef === pending) flavorRef = undefined;
      });
    }
    return flavorRef;
  }

  function timeout(error: PollTimeoutError, label: string, id: string): PoolformError {
    return new PoolformError(
      'openstack-operation-timeout',
      `${where}: server ${id} did not ${label} within ${Math.round(poll.timeoutMs / 1000)} s; poolform will look again`,
      { retryable: true, cause: error, details: { server: id } },
    );
  }

  /** DELETE, then wait until Nova no longer knows the server (its delete_on_termination volume goes with it). */
  async function deleteServer(id: string): Promise<void> {
    deleting.add(id);
    try {
      await call('DELETE /servers/{id}', () => client.compute('DELETE', `/servers/${encodeURIComponent(id)}`));
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    try {
      await pollUntil(
        () => getServer(id),
        (s) => s === undefined || (s.status ?? '').toUpperCase() === 'DELETED',
        poll,
      );
    } catch (error) {
      if (error instanceof PollTimeoutError) throw timeout(error, 'go after DELETE', id);
      throw error;
    }
  }

  async function launch(request: VmCreateRequest): Promise<ObservedVm> {
    const admitted = await serially(async () => {
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await listOwned();
      const existing = findIntent(current, request.intent_id);
      if (existing && !current.errored.has(existing.provider_id)) return existing;
      if (existing) {
        // A server of this intent in ERROR (a build that failed in a process that died before deleting it): replace it.
        await deleteServer(existing.provider_id);
      }
      const live = liveCount(current) - (existing ? 1 : 0);
      reservations.reserve(live);
      return undefined;
    });
    if (admitted) return admitted;

    let id: string | undefined;
    try {
      const f = await flavor();
      const name = serverName(request.intent_id, request.hostname);
      const answer = await call('POST /servers', () =>
        client.compute<{ server?: { id?: string } }>('POST', '/servers', serverBody(config, f.id, name, request)),
      );
      id = answer.body?.server?.id;
      if (!id)
        throw new PoolformError('openstack-error', `${where}: POST /servers answered without a server id; poolform will look again`, { retryable: true });
      const serverId = id;
      let server: NovaServer | undefined;
      try {
        server = await pollUntil(
          () => getServer(serverId),
          (s) => s === undefined || (s.status ?? '').toUpperCase() !== 'BUILD',
          poll,
        );
      } catch (error) {
        if (error instanceof PollTimeoutError) throw timeout(error, 'leave BUILD', serverId);
        throw error;
      }
      if (!server)
        throw new PoolformError('openstack-error', `${where}: server ${serverId} vanished while building; poolform will look again`, { retryable: true });
      if ((server.status ?? '').toUpperCase() === 'ERROR') {
        throw new ServerFaultError(server.fault?.message ?? 'the server went to ERROR without a fault message', server.fault?.code);
      }
      const observed = toObservedVm(server) ?? pendingVm(serverId, request, { launched_at: new Date(now()).toISOString() });
      created.set(request.intent_id, { vm: observed, at: now() });
      return observed;
    } catch (error) {
      throw await afterFailedCreate(error, id);
    } finally {
      reservations.release();
    }
  }

  /**
   * A refused POST (4xx: bad request, quota, rate limit after retries) made
   * nothing; a server Nova put in ERROR is deleted. Either way the error then
   * says nothing was created. Unknown outcomes (5xx, lost answers, timeouts)
   * keep everything: the next observe adopts the server by its intent.
   */
  async function afterFailedCreate(error: unknown, id: string | undefined): Promise<PoolformError> {
    const mapped = toOpenStackError(error, { where, operation: 'POST /servers', what });
    if (!openstackRefused(error)) {
      // The server may exist now: the next create of this process lists again instead of trusting an older listing.
      snapshot = undefined;
      return mapped;
    }
    if (id !== undefined) {
      try {
        await deleteServer(id);
      } catch {
        return mapped;
      }
    }
    return new PoolformError(mapped.code, mapped.message, {
      retryable: mapped.retryable,
      cause: mapped.cause ?? error,
      nothingCreated: true,
      ...(mapped.providerCode !== undefined ? { providerCode: mapped.providerCode } : {}),
      details: mapped.details,
    });
  }

  async function destroyOne(ref: VmRef, known: ReadonlySet<string>): Promise<void> {
    const id = ref.provider_id;
    if (!known.has(id)) {
      const server = await getServer(id);
      if (!server) return;
      if (!ownedBy(server.metadata, config.name)) {
        throw new PoolformError('not-owned', `${where}: server ${id} does not carry poolform's metadata for this provider; poolform does not delete it`);
      }
    }
    await deleteServer(id);
    for (const entry of created.values()) if (entry.vm.provider_id === id) entry.vm = { ...entry.vm, state: 'terminated' };
    if (snapshot) {
      const owned = new Map(snapshot.owned);
      owned.delete(id);
      snapshot = { ...snapshot, vms: snapshot.vms.filter((vm) => vm.provider_id !== id), owned };
    }
    deleting.delete(id);
  }

  return {
    kind: 'openstack',
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
      const key = `${config.auth_url}|${config.region_name ?? ''}|${config.flavor}`;
      return await cachedPromise(capacityCache, key, () =>
        flavor().then((f) => (f.vcpus === undefined || f.ram === undefined ? undefined : { cores: f.vcpus, memory_mb: f.ram, gpus: 0 })),
      );
    },
  };
}
