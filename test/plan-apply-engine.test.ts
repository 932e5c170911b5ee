// The apply engine in-process, on the real SQLite store and local providers
// (an in-memory directory stands in for AD): ordering AD → VM → DNS with the
// join password handed over in memory only, failure isolation, apply
// policies, bounded concurrency, and the reconcile pipeline.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { ApplyDeps } from '../src/apply/types.ts';
import type { Config } from '../src/config/model.ts';
import { interceptRegistry } from '../src/providers/intercept.ts';
import type { ProviderCall } from '../src/providers/intercept.ts';
import type { ProviderRegistry } from '../src/providers/registry.ts';
import type { VmProviderClient } from '../src/providers/types.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { AllocationResult, StateStore } from '../src/state/types.ts';
import { PoolformError } from '../src/util/errors.ts';
import { testConfig, desktopsPool, serverRecord } from './fixtures/plan/builders.ts';
import { killLocalVms, localVmIds } from './fixtures/plan/harness.ts';
import type { MemoryDirectory } from './fixtures/plan/memory-directory.ts';
import { createMemoryDirectory } from './fixtures/plan/memory-directory.ts';

const ENV = { DESKTOP_PASSWORD: 'conn-pw-Zq9', BIND_PW: 'bind-pw' };
const SCRIPT =
  'echo "id={server_id} host={server_hostname} fqdn={server_external_fqdn} domain={domain} join={ad_join_credential} user={connection_username} pass={connection_password} up={upstream_auth_address}"\n';

let dir: string;
let store: StateStore;
let directory: MemoryDirectory;
let config: Config;
let seq = 0;

function registryFor(cfg: Config): ProviderRegistry {
  return createProviderRegistry({ config: cfg, stateDir: dir, env: ENV, factories: { ldap: () => directory } });
}

function deps(registry: ProviderRegistry, extra: Partial<ApplyDeps> = {}): ApplyDeps {
  return {
    config,
    store,
    registry,
    clock: () => new Date(),
    newId: () => `intent-${++seq}`,
    env: ENV,
    apiAddress: '127.0.0.1:9999',
    newPassword: () => `Join-Pw-${seq}-xY7!`,
    ...extra,
  };
}

async function planFor(registry: ProviderRegistry, cfg: Config = config) {
  return (await planOnce({ config: cfg, store, registry, clock: () => new Date(), idGen: createSeededIdGen(seq + 11) })).plan;
}

/** The test config with one autoscale config without AD records (and without DNS unless `dns`), on a local provider running `true`. */
function vmOnlyConfig(minimum: number, options: { dns?: boolean; maxInstances?: number } = {}): Config {
  const pool = desktopsPool({ servers: [] });
  const as = pool.autoscale?.[0];
  if (as) {
    as.minimum_available_sessions = minimum;
    as.ad_create_machine_record = false;
    if (!options.dns) as.register_dns = false;
  }
  const cfg = testConfig([pool]);
  cfg.vmProviders = [{ kind: 'VmProvider', name: 'local', type: 'local', max_instances: options.maxInstances ?? 10, startup_script: 'true\n' }];
  return cfg;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'poolform-engine-'));
  store = await createSqliteStore({ path: dir });
  directory = createMemoryDirectory('corp');
  config = testConfig();
  config.vmProviders = [{ kind: 'VmProvider', name: 'local', type: 'local', max_instances: 10, startup_script: SCRIPT }];
});
afterEach(async () => {
  await killLocalVms(dir);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('applyPlan', () => {
  it('runs AD record → VM → DNS record, with the join password only in the startup script', async () => {
    const calls: ProviderCall[] = [];
    const registry = interceptRegistry(registryFor(config), (call, next) => {
      if (call.mutating) calls.push(call);
      return next();
    });
    const plan = await planFor(registry);
    expect(plan.changes.map((c) => c.type).sort()).toEqual(['ad_computer', 'dns_record', 'server', 'vm']);
    const result = await applyPlan(plan, deps(registry));
    expect(result.failures).toEqual([]);
    expect(result.summary).toEqual({ added: 4, changed: 0, destroyed: 0 });
    expect(calls.map((c) => c.method)).toEqual(['directory.create', 'vm.create', 'dns.upsert']);

    const [id] = localVmIds(dir);
    if (!id) throw new Error('no VM');
    const record = [...directory.records.values()][0];
    expect(record?.computer.server_id).toBe(id);
    const script = readFileSync(join(dir, 'local-vms', id, 'startup.sh'), 'utf8');
    const hostname = record?.computer.name ?? '';
    expect(script).toContain(`id=${id} host=${hostname} fqdn=${hostname}.desk.example.com domain=corp.example.com`);
    expect(script).toContain(`join=${record?.password ?? 'missing'} `);
    expect(script).toContain(`user=admin pass=${ENV.DESKTOP_PASSWORD} up=127.0.0.1:9999`);

    // The join credential is nowhere in state (resources, audit, intents).
    const db = readFileSync(join(dir, 'poolform.db'));
    expect(db.includes(Buffer.from(record?.password ?? 'missing'))).toBe(false);
    expect(JSON.stringify(await store.listAudit(100))).not.toContain(record?.password ?? 'missing');
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    expect(snap.servers.find((s) => s.id === id)?.status).toBe('starting');
    expect((await planFor(registry)).changes).toEqual([]);
  });

  it('destroys in reverse: DNS record → VM → AD record', async () => {
    const calls: string[] = [];
    const registry = interceptRegistry(registryFor(config), (call, next) => {
      if (call.mutating) calls.push(call.method);
      return next();
    });
    await applyPlan(await planFor(registry), deps(registry));
    calls.length = 0;
    const pool = desktopsPool();
    const as = pool.autoscale?.[0];
    if (as) as.minimum_available_sessions = 0;
    config = testConfig([pool]);
    config.vmProviders = [{ kind: 'VmProvider', name: 'local', type: 'local', max_instances: 10, startup_script: SCRIPT }];
    const down = await planFor(registryFor(config), config);
    expect(down.changes.filter((c) => c.action === 'delete')).toHaveLength(3);
    const result = await applyPlan(down, deps(registry));
    expect(result.failures).toEqual([]);
    expect(calls).toEqual(['dns.delete', 'vm.destroy', 'directory.delete']);
    expect(localVmIds(dir)).toEqual([]);
    expect(directory.records.size).toBe(0);
  });

  it('one failure stops only what depends on it; the rest completes; the next apply finishes', async () => {
    let failDns = true;
    const registry = interceptRegistry(registryFor(config), (call, next) => {
      if (call.method === 'dns.upsert' && failDns) return Promise.reject(new PoolformError('provider-error', 'DNS provider unavailable', { retryable: true }));
      return next();
    });
    const plan = await planFor(registry);
    const result = await applyPlan(plan, deps(registry));
    expect(result.failures.map((f) => [f.address.split('.')[0], f.message])).toEqual([['dns', 'DNS provider unavailable']]);
    expect(result.summary.added).toBe(3);
    expect(localVmIds(dir)).toHaveLength(1);
    failDns = false;
    const retry = await planFor(registry);
    expect(retry.changes.map((c) => `${c.action} ${c.type}`)).toEqual(['create dns_record']);
    expect((await applyPlan(retry, deps(registry))).failures).toEqual([]);
    expect((await planFor(registry)).changes).toEqual([]);
  });

  it('a failed VM create skips its DNS record; the next plan discards its intent', async () => {
    const registry = interceptRegistry(registryFor(config), (call, next) => {
      if (call.method === 'vm.create') return Promise.reject(new PoolformError('aws-insufficient-capacity', 'InsufficientInstanceCapacity'));
      return next();
    });
    const result = await applyPlan(await planFor(registry), deps(registry));
    expect(result.failures.map((f) => f.address.split('.')[0])).toEqual(['vm']);
    expect(result.skipped.map((s) => s.address.split('.')[0])).toEqual(['dns']);
    // The intent stays until the next plan decides: the provider made nothing, so it is discarded then.
    const next = await planFor(registryFor(config));
    expect(next.cleanup?.map((c) => c.kind)).toEqual(['intent']);
  });

  it('policy safe holds destroys (and what depends on them); manual does nothing', async () => {
    const registry = registryFor(config);
    await applyPlan(await planFor(registry), deps(registry));
    const pool = desktopsPool();
    const as = pool.autoscale?.[0];
    if (as) as.minimum_available_sessions = 0;
    pool.servers = [];
    config = testConfig([pool]);
    config.vmProviders = [{ kind: 'VmProvider', name: 'local', type: 'local', max_instances: 10, startup_script: SCRIPT }];
    const down = await planFor(registryFor(config), config);
    const manual = await applyPlan(down, deps(registry, { policy: 'manual' }));
    expect(manual.outcomes.every((o) => o.status === 'held')).toBe(true);
    const safe = await applyPlan(down, deps(registry, { policy: 'safe' }));
    expect(safe.held.map((c) => c.type).sort()).toEqual(['ad_computer', 'dns_record', 'server', 'vm']);
    expect(safe.summary).toEqual({ added: 0, changed: 0, destroyed: 0 });
    expect(localVmIds(dir)).toHaveLength(1);
    // One audit entry per held change, for each of the two runs.
    expect((await store.listAudit(100)).filter((a) => a.action === 'hold')).toHaveLength(8);
  });

  it('keeps at most provider_concurrency calls in flight per provider', async () => {
    config = vmOnlyConfig(12);
    config.settings = { kind: 'Settings', provider_concurrency: 2 };
    let inFlight = 0;
    let peak = 0;
    const registry = interceptRegistry(registryFor(config), async (call, next) => {
      if (call.method !== 'vm.create') return next();
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      try {
        return await next();
      } finally {
        inFlight--;
      }
    });
    const result = await applyPlan(await planFor(registry, config), deps(registry));
    expect(result.summary.added).toBe(6);
    expect(peak).toBe(2);
  });

  it('a session request racing a destroy can never land on the server being destroyed', async () => {
    config = vmOnlyConfig(1);
    const as = config.pools[0]?.autoscale?.[0];
    const registry = registryFor(config);
    expect((await applyPlan(await planFor(registry, config), deps(registry))).failures).toEqual([]);
    const [server] = await store.listServers();
    if (!server) throw new Error('no server');
    await store.updateServerStatus(server.id, { status: 'running', message: 'ready', progress: 100, at: new Date().toISOString(), checkedIn: true });
    if (as) as.minimum_available_sessions = 0;
    const down = await planFor(registry, config);
    expect(down.changes.map((c) => `${c.action} ${c.type}`)).toEqual(['delete vm']);
    // A session request lands just before apply counts the server's sessions.
    let raced: AllocationResult | undefined;
    const racing: StateStore = {
      ...store,
      activeSessionCount: async (id) => {
        raced ??= await store.allocateSession(
          { id: 'late-1', pool: 'desktops', user: 'bob', zone: null, workspace: null, resources: null, api_key: null, now: new Date().toISOString() },
          (candidates) => candidates[0]?.server.id ?? null,
          { onNoCapacity: 'queue' },
        );
        return store.activeSessionCount(id);
      },
    };
    const result = await applyPlan(down, deps(registry, { store: racing }));
    expect(result.failures).toEqual([]);
    // The server was already out of placement: the request queued, and the VM was destroyed.
    expect(raced?.outcome).toBe('queued');
    expect(localVmIds(dir)).toEqual([]);
    expect(await store.getServer(server.id)).toBeUndefined();
  });

  it('after a crash, a VM a cloud provider does not list yet is waited for (no second VM), then given up after the grace', async () => {
    config = vmOnlyConfig(1);
    config.vmProviders = [
      {
        kind: 'VmProvider',
        name: 'local',
        type: 'aws',
        max_instances: 10,
        startup_script: 'x',
        aws_region: 'us-east-1',
        aws_ec2_ami_id: 'ami-1',
        aws_ec2_instance_type: 't3.micro',
      },
    ];
    // An eventually consistent listing that has not caught up with the launch yet.
    const lagging: VmProviderClient = {
      kind: 'aws',
      name: 'local',
      observe: () => Promise.resolve([]),
      create: () => Promise.reject(new Error('not used')),
      destroy: () => Promise.resolve([]),
      capacity: () => Promise.resolve(undefined),
    };
    const registry = createProviderRegistry({ config, stateDir: dir, env: ENV, factories: { awsVm: () => lagging } });
    // The apply that launched it died after the provider call: its intent and provisioning record remain.
    const launched = new Date('2026-03-02T10:00:00.000Z');
    const address = 'vm.desktops.day.lagvm001';
    await store.putIntent({
      id: 'intent-lag',
      address,
      type: 'vm',
      payload: { server_id: 'lagvm001', hostname: 'desktop-lagvm00', pool: 'desktops', autoscale: 'day', provider: 'local' },
      created_at: launched.toISOString(),
    });
    await store.putServer({ ...serverRecord('lagvm001', { status: 'provisioning', checked_in_at: null }), address, created_at: launched.toISOString() });
    const planAt = async (ms: number) =>
      (await planOnce({ config, store, registry, clock: () => new Date(launched.getTime() + ms), idGen: createSeededIdGen(5) })).plan;

    const early = await planAt(3 * 60_000);
    expect(early.changes).toEqual([]);
    expect(early.cleanup).toBeUndefined();
    expect(early.waiting).toEqual([expect.stringContaining(`waiting for ${address} to appear at VmProvider local (created 3m00s ago`)]);

    const late = await planAt(11 * 60_000);
    expect(late.waiting).toBeUndefined();
    expect(late.cleanup?.map((c) => `${c.kind} ${c.id}`)).toEqual(['intent intent-lag']);
    expect(late.changes.map((c) => `${c.action} ${c.type}`)).toEqual(['create vm']);
  });

  it('adopting a VM whose apply died keeps a check-in that landed meanwhile', async () => {
    let lose = true;
    const registry = interceptRegistry(registryFor(config), async (call, next) => {
      const result = await next();
      // The VM is made, but the apply never hears back (as if it died right after the call).
      if (call.method === 'vm.create' && lose) throw new Error('connection reset');
      return result;
    });
    const first = await applyPlan(await planFor(registry), deps(registry));
    expect(first.failures.map((f) => f.address.split('.')[0])).toEqual(['vm']);
    const [server] = (await store.listServers()).filter((s) => s.autoscale !== null);
    if (!server) throw new Error('no server record');
    expect(server.status).toBe('provisioning');
    await store.updateServerStatus(server.id, { status: 'running', message: 'ready', progress: 100, at: new Date().toISOString(), checkedIn: true });
    lose = false;
    const next = await planFor(registry);
    expect(next.changes.find((c) => c.type === 'vm')?.reason).toContain('adopt');
    expect((await applyPlan(next, deps(registry))).failures).toEqual([]);
    expect(await store.getServer(server.id)).toMatchObject({ status: 'running', status_message: 'ready', ip: '127.0.0.1' });
    expect((await store.snapshot()).intents).toEqual([]);
    expect(localVmIds(dir)).toEqual([server.id]);
  });

  it('a check-in that lands between the VM create and the write-back is kept (never downgraded to starting)', async () => {
    const registry = interceptRegistry(registryFor(config), async (call, next) => {
      const result = await next();
      if (call.method === 'vm.create') {
        // The VM booted fast and checked in through the API before apply wrote its result back.
        const server = (await store.listServers()).find((s) => s.status === 'provisioning');
        if (!server) throw new Error('no provisioning server');
        await store.updateServerStatus(server.id, { status: 'running', message: 'ready', progress: 100, at: new Date().toISOString(), checkedIn: true });
      }
      return result;
    });
    const result = await applyPlan(await planFor(registry), deps(registry));
    expect(result.failures).toEqual([]);
    const [server] = (await store.listServers()).filter((s) => s.autoscale !== null);
    expect(server?.status).toBe('running');
    expect(server?.status_message).toBe('ready');
    expect(server?.checked_in_at).not.toBeNull();
    expect(server?.ip).toBe('127.0.0.1');
    expect((await planFor(registry)).changes).toEqual([]);
  });

  it('sends all DNS upserts of one zone in one call, however many VMs (only records of VMs that were created)', async () => {
    config = vmOnlyConfig(40, { dns: true, maxInstances: 50 });
    const upserts: number[] = [];
    let creates = 0;
    const registry = interceptRegistry(registryFor(config), (call, next) => {
      if (call.method === 'dns.upsert') upserts.push(call.items);
      // Every 7th VM create fails: its DNS record is skipped, the rest go in one batch.
      if (call.method === 'vm.create' && ++creates % 7 === 0) return Promise.reject(new PoolformError('aws-insufficient-capacity', 'no capacity'));
      return next();
    });
    const plan = await planFor(registry, config);
    const dnsChanges = plan.changes.filter((c) => c.type === 'dns_record');
    expect(dnsChanges.length).toBeGreaterThanOrEqual(15);
    const result = await applyPlan(plan, deps(registry));
    const failedVms = result.failures.filter((f) => f.address.startsWith('vm.')).length;
    expect(failedVms).toBe(Math.floor(dnsChanges.length / 7));
    expect(upserts).toEqual([dnsChanges.length - failedVms]);
    expect(result.skipped.filter((s) => s.address.startsWith('dns.'))).toHaveLength(failedVms);
  });
});

describe('reconcileOnce', () => {
  it('plans and applies under the lock, then has nothing left to do', async () => {
    const registry = registryFor(config);
    const common = { config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3), newId: () => `i-${++seq}`, env: ENV, apiAddress: 'x:1' };
    const first = await reconcileOnce({ ...common, policy: 'all', operation: 'serve' });
    expect(first.applied.summary.added).toBe(4);
    expect(await store.getLock()).toBeUndefined();
    const second = await reconcileOnce({ ...common, policy: 'all' });
    expect(second.plan.changes).toEqual([]);
  });
});

describe('docker agent sizing', () => {
  it('takes each dimension the config does not override from the instance size (GPUs with cores and memory overridden)', async () => {
    const agents: Config['pools'][number] = {
      kind: 'Pool',
      name: 'agents',
      type: 'docker_agent',
      autoscale: [{ name: 'gpu', vm_provider: 'local', standby_cores: 1, agent_cores_override: 4, agent_memory_override_gb: 8, require_checkin: false }],
    };
    const cfg: Config = { ...config, pools: [agents] };
    cfg.vmProviders = [{ kind: 'VmProvider', name: 'local', type: 'local', max_instances: 10, startup_script: SCRIPT, cores: 2, memory_mb: 4096, gpus: 2 }];
    const planned = await planOnce({ config: cfg, store, registry: registryFor(cfg), clock: () => new Date(), idGen: createSeededIdGen(5) });
    expect(planned.input.providerCapacity['local']).toEqual({ cores: 2, memory_mb: 4096, gpus: 2 });
    const vm = planned.plan.changes.find((c) => c.type === 'vm');
    expect(vm?.action).toBe('create');
    expect(vm?.after?.['capacity']).toEqual({ cores: 4, memory_mb: 8192, gpus: 2 });
  });
});

describe('ordering checks', () => {
  it('checks the startup script against the EC2 user data limit before creating the AD record', async () => {
    const cfg: Config = { ...config, pools: [desktopsPool({ servers: [] })] };
    cfg.pools[0]!.autoscale![0]!.vm_provider = 'aws';
    cfg.vmProviders = [
      {
        kind: 'VmProvider',
        name: 'aws',
        type: 'aws',
        max_instances: 10,
        aws_region: 'us-east-1',
        aws_ec2_ami_id: 'ami-12345678',
        aws_ec2_instance_type: 't3.medium',
        endpoint: 'http://127.0.0.1:9',
        startup_script: `${SCRIPT}# ${'x'.repeat(17_000)}\n`,
      },
    ];
    const calls: ProviderCall[] = [];
    const registry = interceptRegistry(registryFor(cfg), (call, next) => {
      calls.push(call);
      return next();
    });
    // --refresh=false: nothing at the (unreachable) endpoint is asked.
    const { plan } = await planOnce({ config: cfg, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3), refresh: false });
    expect(plan.changes.filter((c) => c.type === 'ad_computer')).toHaveLength(1);
    const result = await applyPlan(plan, deps(registry, { config: cfg }));
    const failed = result.failures.filter((f) => f.address.startsWith('ad_computer.'));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toMatch(/VmProvider aws: the rendered startup_script is \d+ bytes; EC2 user data is limited to 16384 bytes/);
    expect(calls.filter((c) => c.mutating)).toEqual([]);
    expect(directory.records.size).toBe(0);
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    expect(snap.resources).toEqual([]);
  });
});
