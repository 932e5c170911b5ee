// Small lookups by name over a loaded Config. Names are unique per kind
// (validate enforces it), so the first match is the only one.
import { dirname, join } from 'node:path';
import type { AutoscaleConfig, Config, DnsProvider, FixedServer, LdapConfig, Pool, StagingConfig, VmProvider, Workspace, Zone } from './model.ts';

export function findPool(config: Config, name: string): Pool | undefined {
  return config.pools.find((p) => p.name === name);
}

export function findVmProvider(config: Config, name: string): VmProvider | undefined {
  return config.vmProviders.find((p) => p.name === name);
}

export function findDnsProvider(config: Config, name: string): DnsProvider | undefined {
  return config.dnsProviders.find((p) => p.name === name);
}

export function findLdapConfig(config: Config, name: string): LdapConfig | undefined {
  return config.ldapConfigs.find((l) => l.name === name);
}

export function findZone(config: Config, name: string): Zone | undefined {
  return config.zones.find((z) => z.name === name);
}

export function findWorkspace(config: Config, name: string): Workspace | undefined {
  return config.workspaces.find((w) => w.name === name);
}

export function findAutoscale(pool: Pool, name: string): AutoscaleConfig | undefined {
  return (pool.autoscale ?? []).find((a) => a.name === name);
}

export function findFixedServer(pool: Pool, name: string): FixedServer | undefined {
  return (pool.servers ?? []).find((s) => s.name === name);
}

export function findStaging(pool: Pool, name: string): StagingConfig | undefined {
  return (pool.staging ?? []).find((s) => s.name === name);
}

/** The autoscale config `autoscale` of pool `pool`, by names. */
export function findPoolAutoscale(config: Config, pool: string, autoscale: string): AutoscaleConfig | undefined {
  const p = findPool(config, pool);
  return p ? findAutoscale(p, autoscale) : undefined;
}

/** The staging config `staging` of pool `pool`, by names. */
export function findPoolStaging(config: Config, pool: string, staging: string): StagingConfig | undefined {
  const p = findPool(config, pool);
  return p ? findStaging(p, staging) : undefined;
}

/** Autoscale config by its `pool/autoscale` key (see autoscaleKey in model.ts). */
export function findAutoscaleByKey(config: Config, key: string): { pool: Pool; autoscale: AutoscaleConfig } | undefined {
  const slash = key.indexOf('/');
  if (slash === -1) return undefined;
  const pool = findPool(config, key.slice(0, slash));
  const autoscale = pool ? findAutoscale(pool, key.slice(slash + 1)) : undefined;
  return pool && autoscale ? { pool, autoscale } : undefined;
}

/**
 * Directory of the file that defines `key` (a `config.sources` key such as
 * `VmProvider/aws` or `Pool/p/autoscale/a`): the base for `${file:...}`
 * secret references held by that object (resolveSecret's `baseDir`).
 */
export function sourceDir(config: Config, key: string): string {
  const source = config.sources[key];
  return source ? dirname(join(config.dir, source.file)) : config.dir;
}
