// The Proxmox VE VM provider. Contracts (providers/types.ts) and how they
// are met:
// - observe(): one GET /cluster/resources?type=vm for the whole cluster (any
//   number of VMs, any node), filtered to the VMs whose tags mark them as this
//   config's (markers.ts); the exact values come from the tags, the address
//   from the `pf-ip.` tag the create wrote. A poolform VM still locked by its
//   clone, or being created by this process, is `pending`; one without the
//   `pf-ready` tag otherwise is what a create interrupted before the startup
//   script was handed over left behind: it is reported `stopped` (failed), so
//   the planner replaces it instead of waiting for a check-in that never comes.
// - create(): keyed by intent id through a deterministic VM name (markers.ts
//   vmName) and the `pf-i.` tag, looked up in a listing at most
//   `snapshotMaxAgeMs` old before anything is cloned: a ready VM of the intent
//   is returned; a half-made one (not ready, not in flight) is destroyed and
//   made again. Then: GET /cluster/nextid + POST …/qemu/{template}/clone
//   (serialised within the process; a clash with another client, "VM <id>
//   already exists", is retried with a new id, at most `maxIdAttempts`
//   times), the clone task awaited, POST …/config (markers, cores, memory,
//   agent), POST …/status/start, the guest agent pinged until it answers
//   (bounded by agent_timeout_seconds), its IPv4 address read (polled until
//   DHCP gave one, bounded: without one the VM is made anyway), the script
//   written and run (user-data.ts), and the `pf-ready` + `pf-ip.` tags set.
//   Every task is polled with backoff and a bound (`taskTimeoutMs`).
//   Refusals (a failed task, no space on the storage, a bad parameter, an
//   agent that never answers) delete what was made and say nothing was
//   created, so the autoscaler backs off (no space is a capacity error)
//   instead of looping create/delete; unknown outcomes keep it for the next
//   observe. max_instances is checked one admission at a time.
// - destroy(): only VMs carrying this config's markers; a running VM is
//   stopped (POST …/status/stop, task awaited), then DELETE
//   /nodes/{node}/qemu/{vmid}?purge=1&destroy-unreferenced-disks=1 (task
//   awaited): disks and pool/replication/HA entries go with it. A VM already
//   gone is success.
// - capacity(): cores / memory_mb of the config, else the template's.
import type { ProxmoxVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { PoolformError } from '../../util/errors.ts';
import { PollTimeoutError, pollUntil } from '../shared/backoff.ts';
import { eachItem } from '../shared/bulk.ts';
import { maxInstancesReached, serialGate } from '../shared/admission.ts';
import type { ObservedVm, VmCreateRequest, VmProviderClient, VmRef, VmState } from '../types.ts';
import type { ProxmoxClient } from './client.ts';
import { isMissingVm, isVmIdTaken, proxmoxRefused, ProxmoxHttpError, toProxmoxError } from './errors.ts';
import { configPrefix, ownedBy, ownershipDescription, ownershipTags, parseTags, readMarkers, TAG_READY, vmName } from './markers.ts';
import { assertUserDataFits, guestScript } from './user-data.ts';

/** A GET /cluster/resources?type=vm entry (the fields poolform reads). */
export interface PveResource {
  id?: string;
  type?: string;
  vmid?: number;
  name?: string;
  node?: string;
  status?: string;
  template?: number;
  tags?: string;
  lock?: string;
  maxcpu?: number;
  maxmem?: number;
  uptime?: number;
}

export interface ProxmoxVmProviderInternals {
  config: ProxmoxVmProvider;
  client: ProxmoxClient;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Longest wait for one worker task (default 15 minutes: a full clone copies disks). */
  taskTimeoutMs?: number;
  /** First / longest wait between guest-agent pings (default 2 s / 15 s). */
  agentPollMs?: number;
  agentPollMaxMs?: number;
  /** How long to wait for the guest to report an IPv4 address (default 120,000 ms). */
  ipTimeoutMs?: number;
  /** How old a listing may be to admit a create (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** Clone attempts with a fresh id when another client took it first (default 5). */
  maxIdAttempts?: number;
  /** Concurrent deletions in one destroy (default 4: each is two tasks on the node). */
  destroyConcurrency?: number;
}

interface OwnedVm {
  vm: ObservedVm;
  node: string;
  vmid: number;
  ready: boolean;
  locked: boolean;
  running: boolean;
}

interface Snapshot {
  at: number;
  owned: Map<number, OwnedVm>;
  /** vmid → node of every VM listed (for destroy of an unknown id). */
  all: Map<number, PveResource>;
  /** Clones named like this config's but without tags, not locked, not in flight: left by a create interrupted before its config call. */
  untagged: PveResource[];
}

function mapState(resource: PveResource, ready: boolean, inFlight: boolean, deleting: boolean): VmState {
  if (deleting) return 'shutting-down';
  if (resource.lock === 'clone' || resource.lock === 'create' || inFlight) return 'pending';
  if (resource.lock === 'destroyed') return 'shutting-down';
  // A VM on a node the cluster cannot reach is listed with status `unknown`
  // (upstream #858: listing must not fail then): reported pending, so it is
  // neither taken for a failed server nor deleted while its node is away.
  if (resource.status === 'unknown') return 'pending';
  if (!ready) return 'stopped';
  return resource.status === 'running' ? 'running' : 'stopped';
}

export function toObserved(
  resource: PveResource,
  providerName: string,
  inFlight: (name: string) => boolean,
  deleting: boolean,
  now: number,
): OwnedVm | undefined {
  const tags = parseTags(resource.tags);
  if (resource.template === 1 || resource.vmid === undefined || !ownedBy(tags, providerName)) return undefined;
  const m = readMarkers(tags);
  if (m.serverId === undefined) return undefined;
  const uptime = resource.status === 'running' && typeof resource.uptime === 'number' ? resource.uptime : undefined;
  return {
    vmid: resource.vmid,
    node: resource.node ?? '',
    ready: m.ready,
    locked: resource.lock !== undefined && resource.lock !== '',
    running: resource.status === 'running',
    vm: {
      provider_id: String(resource.vmid),
      server_id: m.serverId,
      pool: m.pool ?? '',
      autoscale: m.autoscale ?? '',
      hostname: m.hostname ?? '',
      intent_id: m.intentId ?? null,
      state: mapState(resource, m.ready, inFlight(resource.name ?? ''), deleting),
      private_ip: m.ip ?? null,
      public_ip: null,
      launched_at: uptime === undefined ? null : new Date(now - uptime * 1000).toISOString(),
    },
  };
}

/** The first IPv4 address of the guest that is not loopback / link-local (agent network-get-interfaces). */
export function guestIpv4(answer: unknown): string | undefined {
  const result = (answer as { result?: { name?: string; 'ip-addresses'?: { 'ip-address-type'?: string; 'ip-address'?: string }[] }[] } | null)?.result;
  for (const iface of result ?? []) {
    for (const a of iface['ip-addresses'] ?? []) {
      const ip = a['ip-address'];
      if (a['ip-address-type'] === 'ipv4' && ip && !ip.startsWith('127.') && !ip.startsWith('169.254.')) return ip;
    }
  }
  return undefined;
}

export function createProxmoxVmProviderClient(internals: ProxmoxVmProviderInternals): VmProviderClient {
  const { config, client } = internals;
  const where = `VmProvider ${config.name}`;
  const now = internals.now ?? Date.now;
  const taskTimeoutMs = internals.taskTimeoutMs ?? 15 * 60_000;
  const agentTimeoutMs = (config.agent_timeout_seconds ?? 600) * 1000;
  const maxAge = internals.snapshotMaxAgeMs ?? 5000;
  const maxIdAttempts = Math.max(1, internals.maxIdAttempts ?? 5);
  const concurrency = internals.destroyConcurrency ?? 4;
  const node = config.node;
  const script = guestScript(config.guest_os ?? 'linux', config.script_path);
  const qemu = (n: string, vmid: number) => `/nodes/${encodeURIComponent(n)}/qemu/${vmid}`;

  let snapshot: Snapshot | undefined;
  const inFlight = new Set<string>();
  const deleting = new Set<number>();
  const launching = new Map<string, Promise<ObservedVm>>();
  let reserved = 0;
  const admission = serialGate();
  const allocation = serialGate();
  let templateSize: Promise<Resources | undefined> | undefined;

  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toProxmoxError(error, { where, operation });
    }
  }

  async function task(operation: string, n: string, upid: string): Promise<void> {
    try {
      await client.waitTask(n, upid, taskTimeoutMs);
    } catch (error) {
      if (error instanceof PollTimeoutError) {
        throw new PoolformError(
          'proxmox-operation-timeout',
          `${where}: the ${operation} task ${upid} did not finish within ${Math.round(taskTimeoutMs / 1000)} s; poolform will look again`,
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
    const resources = await call('GET /cluster/resources', () => client.get<PveResource[]>('/cluster/resources', { type: 'vm' }));
    const owned = new Map<number, OwnedVm>();
    const all = new Map<number, PveResource>();
    const untagged: PveResource[] = [];
    const prefix = configPrefix(config.name);
    for (const r of resources ?? []) {
      if (r.vmid === undefined || (r.type !== undefined && r.type !== 'qemu')) continue;
      all.set(r.vmid, r);
      const o = toObserved(r, config.name, (name) => inFlight.has(name), deleting.has(r.vmid), at);
      if (o) owned.set(o.vmid, o);
      else if (r.template !== 1 && (r.name ?? '').startsWith(prefix) && parseTags(r.tags).length === 0 && !r.lock && !inFlight.has(r.name ?? ''))
        untagged.push(r);
    }
    snapshot = { at, owned, all, untagged };
    return snapshot;
  }

  const liveCount = (snap: Snapshot): number => [...snap.owned.values()].filter((o) => o.vm.state !== 'terminated' && o.vm.state !== 'shutting-down').length;

  /** Stop (when running) and delete with its disks; a VM already gone is success. */
  async function removeVm(n: string, vmid: number, running: boolean): Promise<void> {
    deleting.add(vmid);
    try {
      if (running) {
        try {
          const upid = await call('POST /status/stop', () => client.post<string>(`${qemu(n, vmid)}/status/stop`));
          await call('stop task', () => task('stop', n, upid));
        } catch (error) {
          if (isMissingVm(error) || isMissingVm((error as { cause?: unknown }).cause)) return;
          throw error;
        }
      }
      try {
        const upid = await client.del<string>(qemu(n, vmid), { purge: 1, 'destroy-unreferenced-disks': 1 });
        await call('destroy task', () => task('destroy', n, upid));
      } catch (error) {
        if (isMissingVm(error)) return;
        throw toProxmoxError(error, { where, operation: 'DELETE /nodes/{node}/qemu/{vmid}' });
      }
      if (snapshot) snapshot.owned.delete(vmid);
    } finally {
      deleting.delete(vmid);
    }
  }

  /** nextid + clone; another client taking the id first ("already exists") gets a new id. */
  async function cloneWithFreshId(name: string): Promise<number> {
    for (let attempt = 0; attempt < maxIdAttempts; attempt++) {
      const started = await allocation(async () => {
        const id = Number(await call('GET /cluster/nextid', () => client.get<string | number>('/cluster/nextid')));
        try {
          const upid = await client.post<string>(`${qemu(node, config.template_vmid)}/clone`, {
            newid: id,
            name,
            full: config.full_clone === true ? 1 : 0,
            ...(config.full_clone === true && config.storage !== undefined ? { storage: config.storage } : {}),
            ...(config.pool !== undefined ? { pool: config.pool } : {}),
          });
          return { id, upid };
        } catch (error) {
          if (isVmIdTaken(error)) return undefined;
          throw toProxmoxError(error, { where, operation: 'POST /nodes/{node}/qemu/{template}/clone' });
        }
      });
      if (!started) continue;
      try {
        await task('clone', node, started.upid);
      } catch (error) {
        throw toProxmoxError(error, { where, operation: 'clone' });
      }
      return started.id;
    }
    throw new PoolformError('proxmox-error', `${where}: other clients took ${maxIdAttempts} VM ids in a row from /cluster/nextid; poolform will try again`, {
      retryable: true,
      nothingCreated: true,
    });
  }

  async function waitForAgent(vmid: number): Promise<void> {
    try {
      await pollUntil(
        async () => {
          try {
            await client.post(`${qemu(node, vmid)}/agent/ping`);
            return true;
          } catch (error) {
            if (error instanceof ProxmoxHttpError && error.status >= 500) return false;
            throw toProxmoxError(error, { where, operation: 'POST /agent/ping' });
          }
        },
        (up) => up,
        {
          baseMs: internals.agentPollMs ?? 2000,
          maxMs: internals.agentPollMaxMs ?? 15_000,
          timeoutMs: agentTimeoutMs,
          now,
          ...(internals.sleep ? { sleep: internals.sleep } : {}),
        },
      );
    } catch (error) {
      if (error instanceof PollTimeoutError) {
        throw new PoolformError(
          'proxmox-operation-timeout',
          `${where}: the QEMU guest agent of VM ${vmid} did not answer within ${Math.round(agentTimeoutMs / 1000)} s: install and enable qemu-guest-agent in template ${config.template_vmid}; the VM is deleted and the create retried later`,
          { retryable: true, cause: error, nothingCreated: true },
        );
      }
      throw error;
    }
  }

  /**
   * The guest's first IPv4 address, polled until DHCP gave one (bounded by
   * `ipTimeoutMs`); without one the VM is still made, with no address
   * reported (the agent checks in by itself; DNS registration waits for it).
   */
  async function guestAddress(vmid: number): Promise<string | undefined> {
    try {
      return await pollUntil(
        async () => guestIpv4(await call('GET /agent/network-get-interfaces', () => client.get(`${qemu(node, vmid)}/agent/network-get-interfaces`))),
        (ip) => ip !== undefined,
        {
          baseMs: internals.agentPollMs ?? 2000,
          maxMs: internals.agentPollMaxMs ?? 15_000,
          timeoutMs: internals.ipTimeoutMs ?? 120_000,
          now,
          ...(internals.sleep ? { sleep: internals.sleep } : {}),
        },
      );
    } catch (error) {
      if (error instanceof PollTimeoutError) return undefined;
      throw error;
    }
  }

  async function launch(request: VmCreateRequest): Promise<ObservedVm> {
    const name = vmName(config.name, request.intent_id);
    const admitted = await admission(async () => {
      const current = snapshot && now() - snapshot.at <= maxAge ? snapshot : await list();
      // Clones a crash left before their config call (no tags: no server to report them as): removed before anything new is made.
      for (const r of current.untagged.splice(0)) {
        if (r.vmid !== undefined) await removeVm(r.node ?? node, r.vmid, r.status === 'running');
      }
      const cloning = [...current.all.values()].find((r) => r.name === name && r.lock === 'clone' && !current.owned.has(r.vmid ?? -1));
      if (cloning) {
        // A clone of this intent (by its name) still running, from before a crash: wait for it rather than clone again.
        throw new PoolformError('proxmox-error', `${where}: VM ${cloning.vmid} of this server is still locked by its clone; poolform will look again`, {
          retryable: true,
        });
      }
      const mine = [...current.owned.values()].filter((o) => o.vm.intent_id === request.intent_id && o.vm.state !== 'shutting-down');
      const ready = mine.find((o) => o.ready);
      if (ready) return ready.vm;
      for (const half of mine) {
        if (half.locked) {
          throw new PoolformError('proxmox-error', `${where}: VM ${half.vmid} of this server is still locked by its clone; poolform will look again`, {
            retryable: true,
          });
        }
        // Left half-made by an interrupted create: made again from the start.
        await removeVm(half.node, half.vmid, half.running);
      }
      const live = liveCount(current) - mine.length;
      if (live + reserved >= config.max_instances) {
        throw maxInstancesReached({ where, max: config.max_instances, live, launching: reserved, noun: 'VMs' });
      }
      reserved++;
      inFlight.add(name);
      return undefined;
    });
    if (admitted) return admitted;

    let vmid: number | undefined;
    try {
      vmid = await cloneWithFreshId(name);
      const id = vmid;
      const markers = ownershipTags(config.name, request, config.tags ?? []);
      const configure = (tags: readonly string[], extra: Record<string, string | number> = {}) =>
        call('POST /config', async () => {
          const upid = await client.post<string>(`${qemu(node, id)}/config`, { tags: tags.join(';'), ...extra });
          await task('config', node, upid);
        });
      await configure(markers, {
        description: ownershipDescription(config.name, request),
        agent: '1',
        ...(config.cores !== undefined ? { cores: config.cores } : {}),
        ...(config.memory_mb !== undefined ? { memory: config.memory_mb } : {}),
      });
      await call('POST /status/start', async () => {
        const upid = await client.post<string>(`${qemu(node, id)}/status/start`);
        await task('start', node, upid);
      });
      await waitForAgent(id);
      const ip = await guestAddress(id);
      await call('POST /agent/file-write', () => client.post(`${qemu(node, id)}/agent/file-write`, { file: script.path, content: request.user_data }));
      await call('POST /agent/exec', () => client.post(`${qemu(node, id)}/agent/exec`, { command: script.command }));
      await configure([...markers, TAG_READY, ...(ip ? [`pf-ip.${ip}`] : [])]);
      const observed: ObservedVm = {
        provider_id: String(id),
        server_id: request.server_id,
        pool: request.pool,
        autoscale: request.autoscale,
        hostname: request.hostname,
        intent_id: request.intent_id,
        state: 'running',
        private_ip: ip ?? null,
        public_ip: null,
        launched_at: new Date(now()).toISOString(),
      };
      if (snapshot) snapshot = { ...snapshot, at: 0 };
      return observed;
    } catch (error) {
      throw await afterFailedCreate(error, vmid);
    } finally {
      reserved--;
      inFlight.delete(name);
    }
  }

  /**
   * A refusal (failed task, no space, bad parameter, agent never up) made
   * nothing that stays: the VM, if cloned, is deleted, and the error says
   * nothing was created. Unknown outcomes keep everything for the next observe.
   */
  async function afterFailedCreate(error: unknown, vmid: number | undefined): Promise<PoolformError> {
    const mapped = toProxmoxError(error, { where, operation: 'create' });
    const refused = proxmoxRefused(error) || proxmoxRefused(mapped.cause) || mapped.code === 'proxmox-insufficient-capacity' || mapped.nothingCreated === true;
    snapshot = undefined;
    if (!refused) return mapped;
    if (vmid !== undefined) {
      try {
        await removeVm(node, vmid, true);
      } catch {
        return new PoolformError(mapped.code, mapped.message, { retryable: mapped.retryable, cause: mapped.cause ?? error, details: mapped.details });
      }
    }
    return new PoolformError(mapped.code, mapped.message, {
      retryable: mapped.retryable,
      cause: mapped.cause ?? error,
      nothingCreated: true,
      details: mapped.details,
    });
  }

  async function destroyOne(ref: VmRef, known: Snapshot): Promise<void> {
    const vmid = Number(ref.provider_id);
    if (!Number.isInteger(vmid)) return;
    const owned = known.owned.get(vmid);
    if (!owned) {
      if (known.all.has(vmid)) {
        throw new PoolformError('not-owned', `${where}: VM ${vmid} does not carry poolform's tags for this provider; poolform does not delete it`);
      }
      return;
    }
    await removeVm(owned.node, vmid, owned.running || owned.vm.state === 'running');
  }

  return {
    kind: 'proxmox',
    name: config.name,

    async observe() {
      return [...(await list()).owned.values()].map((o) => o.vm);
    },

    async create(request) {
      assertUserDataFits(config.name, request.user_data, script.path);
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
      // One fresh listing: the node, running state and ownership of every ref.
      const known = await list();
      return await eachItem(refs, concurrency, (ref) => destroyOne(ref, known));
    },

    async capacity() {
      if (config.cores !== undefined && config.memory_mb !== undefined) return { cores: config.cores, memory_mb: config.memory_mb, gpus: 0 };
      if (!templateSize) {
        const pending = list().then((snap) => {
          const t = snap.all.get(config.template_vmid);
          const cores = config.cores ?? t?.maxcpu;
          const memory = config.memory_mb ?? (t?.maxmem !== undefined ? Math.floor(t.maxmem / (1024 * 1024)) : undefined);
          return cores === undefined || memory === undefined ? undefined : { cores, memory_mb: memory, gpus: 0 };
        });
        templateSize = pending;
        pending.catch(() => {
          if (templateSize === pending) templateSize = undefined;
        });
      }
      return await templateSize;
    },
  };
}
