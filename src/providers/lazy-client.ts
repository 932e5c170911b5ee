// Provider clients whose implementation (and its SDK: AWS, ldapts, ...) is
// imported on first use. `poolform validate`, `--help`, or a plan of a
// configuration without AWS never loads the AWS SDK. The registry's factories
// stay synchronous: a lazy factory returns at once a client that imports the
// real factory, builds the real client, and forwards every call to it. An
// error thrown while building surfaces from the calls.
import type { DirectoryProviderClient, DnsProviderClient, VmProviderClient } from './types.ts';

type Factory<O, C> = (options: O) => C;

/**
 * The real client: its module is imported and the client built as soon as the
 * registry hands the client out (a client is asked for when it is about to be
 * used; construction-time warnings come out then). Every call awaits it. A
 * failure to build is reported by each call, never as an unhandled rejection.
 */
function onFirstUse<O, C>(load: () => Promise<Factory<O, C>>, options: O): () => Promise<C> {
  const client = load().then((factory) => factory(options));
  client.catch(() => undefined);
  return () => client;
}

/** `kind` is the real client's kind (`aws`, `route53`, `ldap`); `name` comes from `options.config.name`. */
export function lazyVmFactory<O extends { config: { name: string } }>(
  kind: string,
  load: () => Promise<Factory<O, VmProviderClient>>,
): Factory<O, VmProviderClient> {
  return (options) => {
    const real = onFirstUse(load, options);
    return {
      kind,
      name: options.config.name,
      observe: async () => (await real()).observe(),
      create: async (request) => (await real()).create(request),
      destroy: async (refs) => (await real()).destroy(refs),
      capacity: async () => (await real()).capacity(),
    };
  };
}

export function lazyDnsFactory<O extends { config: { name: string } }>(
  kind: string,
  load: () => Promise<Factory<O, DnsProviderClient>>,
): Factory<O, DnsProviderClient> {
  return (options) => {
    const real = onFirstUse(load, options);
    return {
      kind,
      name: options.config.name,
      observe: async (baseDomain) => (await real()).observe(baseDomain),
      upsert: async (baseDomain, records) => (await real()).upsert(baseDomain, records),
      delete: async (baseDomain, records) => (await real()).delete(baseDomain, records),
    };
  };
}

export function lazyDirectoryFactory<O extends { config: { name: string } }>(
  kind: string,
  load: () => Promise<Factory<O, DirectoryProviderClient>>,
): Factory<O, DirectoryProviderClient> {
  return (options) => {
    const real = onFirstUse(load, options);
    return {
      kind,
      name: options.config.name,
      observe: async (containerDn) => (await real()).observe(containerDn),
      create: async (request) => (await real()).create(request),
      delete: async (computer, opts) => (await real()).delete(computer, opts),
    };
  };
}
