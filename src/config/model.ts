// The loaded, validated configuration: what every later stage reads.
// Produced by `loadConfig` (config/load.ts) from the YAML files of a directory.
import type { AutoscaleConfig, DnsProvider, FixedServer, LdapConfig, Pool, Settings, StagingConfig, VmProvider, Workspace, Zone } from '../generated/config.ts';

export type Severity = 'error' | 'warning';

/**
 * A problem found in the configuration. Diagnostics are data: they are
 * returned, never thrown. `line`/`column` are 1-based; `path` is a JSON
 * pointer into the document (e.g. `/autoscale/0/schedules/1/end`).
 */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `schema`, `yaml-syntax`, `duplicate-name`, `unknown-reference`. */
  code: string;
  message: string;
  /** Path of the file, relative to the config directory. Empty for directory-level problems. */
  file: string;
  line: number;
  column: number;
  path: string;
}

/** Where a document came from, for diagnostics raised after loading (plan, serve). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * The configuration after schema defaults are applied (ajv `useDefaults`), so
 * fields with a schema `default` are present at run time even though the
 * generated types mark them optional.
 */
export interface Config {
  /** Absolute path of the config directory; `${file:...}` references resolve relative to the file that holds them. */
  dir: string;
  settings: Settings;
  zones: Zone[];
  vmProviders: VmProvider[];
  dnsProviders: DnsProvider[];
  ldapConfigs: LdapConfig[];
  workspaces: Workspace[];
  pools: Pool[];
  /**
   * Source of each named object, keyed `Kind/name` (e.g. `Pool/desktops`, `VmProvider/local`, `Settings`),
   * plus the objects nested in pools: `Pool/<pool>/autoscale/<name>`, `Pool/<pool>/servers/<name>`,
   * `Pool/<pool>/staging/<name>`.
   */
  sources: Record<string, SourceLocation>;
}

export interface LoadResult {
  /** Present when there is no error-severity diagnostic. */
  config?: Config;
  diagnostics: Diagnostic[];
}

/** An autoscale config with the pool that holds it. */
export interface AutoscaleRef {
  pool: Pool;
  autoscale: AutoscaleConfig;
}

export type { AutoscaleConfig, DnsProvider, FixedServer, LdapConfig, Pool, Settings, StagingConfig, VmProvider, Workspace, Zone };

/** Every autoscale config in config order (pool order, then config order). */
export function autoscaleConfigs(config: Config): AutoscaleRef[] {
  return config.pools.flatMap((pool) => (pool.autoscale ?? []).map((autoscale) => ({ pool, autoscale })));
}

/** Key of an autoscale config across the whole configuration: `pool/autoscale`. */
export function autoscaleKey(pool: string, autoscale: string): string {
  return `${pool}/${autoscale}`;
}
