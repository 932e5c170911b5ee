// friendly_name: the name shown to people for pools, fixed servers and fixed
// docker agents (status, plan output, servers list). Autoscaled servers have
// none (their hostname is what people see). Looked up in the configuration
// being served, so a renamed entry shows its new name at once.
import type { Config } from '../config/model.ts';
import type { ServerRecord } from '../state/types.ts';
import { findPool } from '../config/lookup.ts';

/** The pool's friendly_name, or null. */
export function poolFriendlyName(config: Config | undefined, pool: string): string | null {
  return (config ? findPool(config, pool) : undefined)?.friendly_name ?? null;
}

/** A fixed server's or fixed agent's friendly_name (`fixed.<pool>.<name>`), or null. */
export function serverFriendlyName(config: Config | undefined, server: Pick<ServerRecord, 'id' | 'pool' | 'autoscale'>): string | null {
  if (!config || server.autoscale !== null) return null;
  const pool = findPool(config, server.pool);
  const prefix = `fixed.${server.pool}.`;
  if (!pool || !server.id.startsWith(prefix)) return null;
  const name = server.id.slice(prefix.length);
  const entry = [...(pool.servers ?? []), ...(pool.agents ?? [])].find((s) => s.name === name);
  return entry?.friendly_name ?? null;
}
