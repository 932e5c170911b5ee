// The shared provider conformance suites: the guarantees of providers/types.ts
// as vitest `describe` blocks. Every implementation runs them: the local
// providers (local/*.test.ts), EC2 and Route 53 against moto, LDAP against
// Samba. Import this module from test files only.
//
// `setup` runs before each test and returns a fresh client plus optional hooks;
// `cleanup` (if returned) runs after each test. Return null from setup to skip
// (e.g. the emulator is not installed and CI is not set): the tests are marked
// skipped. Tests use random server ids and names, so a shared service (one moto
// or Samba for the whole file) is fine.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type {
  ComputerCreateRequest,
  DirectoryProviderClient,
  DnsProviderClient,
  DnsRecord,
  ItemResult,
  ObservedComputer,
  ObservedVm,
  VmCreateRequest,
  VmProviderClient,
} from './types.ts';

export interface ConformanceOptions {
  /** Per-test timeout (ms). */
  timeout?: number;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

function assertNoItemErrors<T>(results: ItemResult<T>[]): void {
  const errors = results.filter((r) => r.error).map((r) => r.error?.message);
  expect(errors).toEqual([]);
}

/** Runs `fn` with the value `setup` produced for this test, or skips the test when setup returned null. */
function useSetup<S extends { cleanup?: () => Promise<void> }>(setup: () => Promise<S | null>): (ctx: TestContext) => S {
  let current: S | null = null;
  beforeEach(async () => {
    current = await setup();
  });
  afterEach(async () => {
    const s = current;
    current = null;
    await s?.cleanup?.();
  });
  return (ctx) => {
    if (!current) {
      ctx.skip();
      throw new Error('unreachable: skipped');
    }
    return current;
  };
}

// ---------------------------------------------------------------- VM

export interface VmConformanceSetup {
  client: VmProviderClient;
  /** Startup script for test VMs (default: a script that sleeps a while). */
  userData?: string;
  /** Creates a VM at the provider that poolform does not own; returns ids observe must never report. */
  createForeign?(): Promise<{ server_id?: string; provider_id?: string }>;
  /**
   * What of a VM is still at the provider (for clouds where a VM comes with
   * other resources: NICs, IPs, disks). Checked empty after destroy: no orphans.
   */
  leftovers?(vm: ObservedVm): Promise<string[]>;
  cleanup?(): Promise<void>;
}

function isGone(vm: ObservedVm | undefined): boolean {
  return vm === undefined || vm.state === 'terminated' || vm.state === 'shutting-down';
}

export function defineVmProviderConformance(name: string, setup: () => Promise<VmConformanceSetup | null>, options: ConformanceOptions = {}): void {
  describe(`VM provider conformance: ${name}`, { timeout: options.timeout ?? 30_000 }, () => {
    const get = useSetup(setup);

    const request = (s: VmConformanceSetup, over: Partial<VmCreateRequest> = {}): VmCreateRequest => {
      const id = hex(5);
      return {
        intent_id: `intent-${hex(8)}`,
        server_id: `conf-${id}`,
        hostname: `cf${id}`,
        pool: 'conformance',
        autoscale: 'default',
        user_data: s.userData ?? '#!/bin/sh\nsleep 30\n',
        ...over,
      };
    };
    const find = async (client: VmProviderClient, serverId: string): Promise<ObservedVm[]> =>
      (await client.observe()).filter((vm) => vm.server_id === serverId);

    it('create returns the VM and observe lists it', async (ctx) => {
      const s = get(ctx);
      const req = request(s);
      const vm = await s.client.create(req);
      expect(vm.provider_id).not.toBe('');
      expect(vm).toMatchObject({ server_id: req.server_id, pool: req.pool, autoscale: req.autoscale, hostname: req.hostname });
      expect([req.intent_id, null]).toContain(vm.intent_id);
      expect(isGone(vm)).toBe(false);
      const seen = await find(s.client, req.server_id);
      expect(seen.map((v) => v.provider_id)).toEqual([vm.provider_id]);
      expect(seen[0]).toMatchObject({ server_id: req.server_id, pool: req.pool, autoscale: req.autoscale, hostname: req.hostname });
      expect([req.intent_id, null]).toContain(seen[0]?.intent_id);
      expect(isGone(seen[0])).toBe(false);
      await s.client.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    });

    it('create twice with the same intent id gives one VM', async (ctx) => {
      const s = get(ctx);
      const req = request(s);
      const first = await s.client.create(req);
      const second = await s.client.create(req);
      expect(second.provider_id).toBe(first.provider_id);
      const seen = (await find(s.client, req.server_id)).filter((v) => !isGone(v));
      expect(seen.map((v) => v.provider_id)).toEqual([first.provider_id]);
      await s.client.destroy([{ provider_id: first.provider_id, server_id: first.server_id }]);
    });

    it('destroy removes the VM (observe no longer lists it, or lists it terminated)', async (ctx) => {
      const s = get(ctx);
      const a = await s.client.create(request(s));
      const b = await s.client.create(request(s));
      const results = await s.client.destroy([
        { provider_id: a.provider_id, server_id: a.server_id },
        { provider_id: b.provider_id, server_id: b.server_id },
      ]);
      expect(results.map((r) => r.item.server_id).sort()).toEqual([a.server_id, b.server_id].sort());
      assertNoItemErrors(results);
      const all = await s.client.observe();
      for (const id of [a.server_id, b.server_id]) {
        expect(all.filter((v) => v.server_id === id).every((v) => isGone(v))).toBe(true);
      }
      if (s.leftovers) for (const vm of [a, b]) expect(await s.leftovers(vm)).toEqual([]);
    });

    it('destroy of an already-gone VM succeeds', async (ctx) => {
      const s = get(ctx);
      const vm = await s.client.create(request(s));
      const ref = { provider_id: vm.provider_id, server_id: vm.server_id };
      assertNoItemErrors(await s.client.destroy([ref]));
      assertNoItemErrors(await s.client.destroy([ref]));
      assertNoItemErrors(await s.client.destroy([]));
      if (s.leftovers) expect(await s.leftovers(vm)).toEqual([]);
    });

    it('observe returns only VMs poolform owns', async (ctx) => {
      const s = get(ctx);
      if (!s.createForeign) return ctx.skip();
      const foreign = await s.createForeign();
      const own = await s.client.create(request(s));
      const all = await s.client.observe();
      expect(all.some((v) => v.provider_id === own.provider_id)).toBe(true);
      if (foreign.provider_id !== undefined) expect(all.some((v) => v.provider_id === foreign.provider_id)).toBe(false);
      if (foreign.server_id !== undefined) expect(all.some((v) => v.server_id === foreign.server_id)).toBe(false);
      await s.client.destroy([{ provider_id: own.provider_id, server_id: own.server_id }]);
    });

    it('capacity is undefined or non-negative numbers', async (ctx) => {
      const s = get(ctx);
      const capacity = await s.client.capacity();
      if (capacity !== undefined) {
        for (const v of [capacity.cores, capacity.memory_mb, capacity.gpus]) expect(v).toBeGreaterThanOrEqual(0);
      }
    });
  });
}

// ---------------------------------------------------------------- DNS

export interface DnsConformanceSetup {
  client: DnsProviderClient;
  /** A domain the provider can write under (an existing hosted zone for Route 53). */
  baseDomain: string;
  /** Adds an A record poolform does not own (made by hand). */
  createForeign?(fqdn: string, value: string): Promise<void>;
  /** Whether that foreign record still exists, unchanged. */
  foreignExists?(fqdn: string, value: string): Promise<boolean>;
  cleanup?(): Promise<void>;
}

export function defineDnsProviderConformance(name: string, setup: () => Promise<DnsConformanceSetup | null>, options: ConformanceOptions = {}): void {
  describe(`DNS provider conformance: ${name}`, { timeout: options.timeout ?? 30_000 }, () => {
    const get = useSetup(setup);

    const record = (s: DnsConformanceSetup, over: Partial<DnsRecord> = {}): DnsRecord => {
      const id = hex(5);
      return { fqdn: `cf${id}.${s.baseDomain}`.toLowerCase(), type: 'A', value: '10.0.0.1', ttl: 60, server_id: `conf-${id}`, ...over };
    };
    const find = async (s: DnsConformanceSetup, fqdn: string): Promise<DnsRecord[]> => (await s.client.observe(s.baseDomain)).filter((r) => r.fqdn === fqdn);

    it('upsert creates records that observe lists', async (ctx) => {
      const s = get(ctx);
      const a = record(s);
      const b = record(s, { value: '10.0.0.2' });
      assertNoItemErrors(await s.client.upsert(s.baseDomain, [a, b]));
      expect(await find(s, a.fqdn)).toEqual([a]);
      expect(await find(s, b.fqdn)).toEqual([b]);
      assertNoItemErrors(await s.client.delete(s.baseDomain, [a, b]));
    });

    it('upsert is idempotent and replaces the value', async (ctx) => {
      const s = get(ctx);
      const a = record(s);
      assertNoItemErrors(await s.client.upsert(s.baseDomain, [a]));
      assertNoItemErrors(await s.client.upsert(s.baseDomain, [a]));
      expect(await find(s, a.fqdn)).toEqual([a]);
      const moved = { ...a, value: '10.0.0.9' };
      assertNoItemErrors(await s.client.upsert(s.baseDomain, [moved]));
      expect(await find(s, a.fqdn)).toEqual([moved]);
      assertNoItemErrors(await s.client.delete(s.baseDomain, [moved]));
    });

    it('delete removes records; deleting an already-gone record succeeds', async (ctx) => {
      const s = get(ctx);
      const a = record(s);
      const b = record(s);
      assertNoItemErrors(await s.client.upsert(s.baseDomain, [a, b]));
      assertNoItemErrors(await s.client.delete(s.baseDomain, [a]));
      expect(await find(s, a.fqdn)).toEqual([]);
      expect(await find(s, b.fqdn)).toEqual([b]);
      assertNoItemErrors(await s.client.delete(s.baseDomain, [a]));
      assertNoItemErrors(await s.client.delete(s.baseDomain, [b]));
      expect(await find(s, b.fqdn)).toEqual([]);
    });

    it('foreign records are neither observed nor touched', async (ctx) => {
      const s = get(ctx);
      if (!s.createForeign || !s.foreignExists) return ctx.skip();
      const foreign = record(s, { value: '10.9.9.9' });
      await s.createForeign(foreign.fqdn, foreign.value);
      const own = record(s);
      assertNoItemErrors(await s.client.upsert(s.baseDomain, [own]));
      const seen = await s.client.observe(s.baseDomain);
      expect(seen.some((r) => r.fqdn === foreign.fqdn)).toBe(false);
      expect(seen.some((r) => r.fqdn === own.fqdn)).toBe(true);
      // Deleting it by name must not remove it (whatever the call reports).
      await s.client.delete(s.baseDomain, [foreign]).catch(() => []);
      assertNoItemErrors(await s.client.delete(s.baseDomain, [own]));
      expect(await s.foreignExists(foreign.fqdn, foreign.value)).toBe(true);
    });
  });
}

// ---------------------------------------------------------------- directory

export interface DirectoryConformanceSetup {
  client: DirectoryProviderClient;
  /** An OU the client may create computer records in. */
  containerDn: string;
  /** Adds a computer record in the OU without poolform's marker. */
  createForeign?(name: string): Promise<void>;
  /** Whether that foreign record still exists. */
  foreignExists?(name: string): Promise<boolean>;
  cleanup?(): Promise<void>;
}

export function defineDirectoryProviderConformance(
  name: string,
  setup: () => Promise<DirectoryConformanceSetup | null>,
  options: ConformanceOptions = {},
): void {
  describe(`directory provider conformance: ${name}`, { timeout: options.timeout ?? 30_000 }, () => {
    const get = useSetup(setup);

    const request = (s: DirectoryConformanceSetup, over: Partial<ComputerCreateRequest> = {}): ComputerCreateRequest => {
      const id = hex(5);
      const computer = `cf${id}`.toUpperCase();
      return {
        intent_id: `intent-${hex(8)}`,
        server_id: `conf-${id}`,
        name: computer,
        container_dn: s.containerDn,
        dns_host_name: `${computer.toLowerCase()}.conformance.test`,
        password: `Pw-${hex(12)}!a1`,
        ...over,
      };
    };
    const find = async (s: DirectoryConformanceSetup, computer: string): Promise<ObservedComputer[]> =>
      (await s.client.observe(s.containerDn)).filter((c) => c.name.toLowerCase() === computer.toLowerCase());

    it('create returns the record and observe lists it', async (ctx) => {
      const s = get(ctx);
      const req = request(s);
      const created = await s.client.create(req);
      expect(created.name.toLowerCase()).toBe(req.name.toLowerCase());
      expect(created).toMatchObject({ server_id: req.server_id, intent_id: req.intent_id });
      expect(created.dn.toLowerCase()).toContain(`cn=${req.name.toLowerCase()},`);
      const seen = await find(s, req.name);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ server_id: req.server_id, intent_id: req.intent_id, dn: created.dn });
      expect(seen[0]?.dns_host_name?.toLowerCase()).toBe(req.dns_host_name.toLowerCase());
      await s.client.delete(created, { recursive: true });
    });

    it('create twice with the same intent id gives one record', async (ctx) => {
      const s = get(ctx);
      const req = request(s);
      const first = await s.client.create(req);
      const second = await s.client.create({ ...req, password: `Pw-${hex(12)}!b2` });
      expect(second.dn).toBe(first.dn);
      expect(await find(s, req.name)).toHaveLength(1);
      await s.client.delete(first, { recursive: true });
    });

    it('delete removes the record; deleting an already-gone record succeeds', async (ctx) => {
      const s = get(ctx);
      const created = await s.client.create(request(s));
      await s.client.delete(created, { recursive: false });
      expect(await find(s, created.name)).toEqual([]);
      await s.client.delete(created, { recursive: false });
    });

    it('foreign records are neither observed nor deleted', async (ctx) => {
      const s = get(ctx);
      if (!s.createForeign || !s.foreignExists) return ctx.skip();
      const foreignName = `FX${hex(4)}`.toUpperCase();
      await s.createForeign(foreignName);
      const own = await s.client.create(request(s));
      const seen = await s.client.observe(s.containerDn);
      expect(seen.some((c) => c.name.toLowerCase() === foreignName.toLowerCase())).toBe(false);
      expect(seen.some((c) => c.dn === own.dn)).toBe(true);
      const impostor: ObservedComputer = { name: foreignName, dn: `CN=${foreignName},${s.containerDn}`, server_id: null, intent_id: null, dns_host_name: null };
      await s.client.delete(impostor, { recursive: true }).catch(() => undefined);
      await s.client.delete(own, { recursive: true });
      expect(await s.foreignExists(foreignName)).toBe(true);
    });
  });
}
