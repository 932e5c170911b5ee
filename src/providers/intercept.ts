// Provider call interception: every method of every client a registry hands
// out goes through one `around` function. Used for call counting (API budget
// tests), the crash hook (crash-after.ts) and fault injection in tests.
import { wrapRegistry } from './registry.ts';
import type { ProviderRegistry } from './registry.ts';
import type { DirectoryProviderClient, DnsProviderClient, VmProviderClient } from './types.ts';

export type ProviderMethod =
  | 'vm.observe'
  | 'vm.create'
  | 'vm.destroy'
  | 'vm.capacity'
  | 'dns.observe'
  | 'dns.upsert'
  | 'dns.delete'
  | 'directory.observe'
  | 'directory.create'
  | 'directory.delete';

/** Methods that change something at the provider. */
export const MUTATING_METHODS: ReadonlySet<ProviderMethod> = new Set<ProviderMethod>([
  'vm.create',
  'vm.destroy',
  'dns.upsert',
  'dns.delete',
  'directory.create',
  'directory.delete',
]);

export interface ProviderCall {
  method: ProviderMethod;
  /** Provider config name. */
  provider: string;
  mutating: boolean;
  /** Items in a batch call (destroy, upsert, delete); 1 otherwise. */
  items: number;
}

/** Runs around each provider call; must call `next` (or not, to simulate a failure) and return its outcome. */
export type ProviderCallInterceptor = <T>(call: ProviderCall, next: () => Promise<T>) => Promise<T>;

function call(method: ProviderMethod, provider: string, items = 1): ProviderCall {
  return { method, provider, mutating: MUTATING_METHODS.has(method), items };
}

export function interceptVm(client: VmProviderClient, around: ProviderCallInterceptor): VmProviderClient {
  return {
    kind: client.kind,
    name: client.name,
    observe: () => around(call('vm.observe', client.name), () => client.observe()),
    create: (request) => around(call('vm.create', client.name), () => client.create(request)),
    destroy: (refs) => around(call('vm.destroy', client.name, refs.length), () => client.destroy(refs)),
    capacity: () => around(call('vm.capacity', client.name), () => client.capacity()),
  };
}

export function interceptDns(client: DnsProviderClient, around: ProviderCallInterceptor): DnsProviderClient {
  return {
    kind: client.kind,
    name: client.name,
    observe: (baseDomain) => around(call('dns.observe', client.name), () => client.observe(baseDomain)),
    upsert: (baseDomain, records) => around(call('dns.upsert', client.name, records.length), () => client.upsert(baseDomain, records)),
    delete: (baseDomain, records) => around(call('dns.delete', client.name, records.length), () => client.delete(baseDomain, records)),
  };
}

export function interceptDirectory(client: DirectoryProviderClient, around: ProviderCallInterceptor): DirectoryProviderClient {
  return {
    kind: client.kind,
    name: client.name,
    observe: (containerDn) => around(call('directory.observe', client.name), () => client.observe(containerDn)),
    create: (request) => around(call('directory.create', client.name), () => client.create(request)),
    delete: (computer, options) => around(call('directory.delete', client.name), () => client.delete(computer, options)),
  };
}

/** A registry whose clients route every call through `around`. */
export function interceptRegistry(registry: ProviderRegistry, around: ProviderCallInterceptor): ProviderRegistry {
  return wrapRegistry(registry, {
    vm: (client) => interceptVm(client, around),
    dns: (client) => interceptDns(client, around),
    directory: (client) => interceptDirectory(client, around),
  });
}

export interface CallCounter {
  /** Every call, in the order they started. */
  readonly calls: readonly ProviderCall[];
  readonly total: number;
  /** Calls that change something (what POOLFORM_CRASH_AFTER counts). */
  readonly mutating: number;
  /** Calls per method, e.g. `{ 'vm.observe': 1, 'vm.create': 3 }`. */
  byMethod(): Partial<Record<ProviderMethod, number>>;
  reset(): void;
}

/** Counts provider calls (API budget tests; measuring a full apply's call count for crash tests). */
export function withCallCounter(registry: ProviderRegistry): { registry: ProviderRegistry; counter: CallCounter } {
  const calls: ProviderCall[] = [];
  const counter: CallCounter = {
    calls,
    get total() {
      return calls.length;
    },
    get mutating() {
      return calls.filter((c) => c.mutating).length;
    },
    byMethod() {
      const out: Partial<Record<ProviderMethod, number>> = {};
      for (const c of calls) out[c.method] = (out[c.method] ?? 0) + 1;
      return out;
    },
    reset() {
      calls.length = 0;
    },
  };
  return {
    registry: interceptRegistry(registry, (c, next) => {
      calls.push(c);
      return next();
    }),
    counter,
  };
}
