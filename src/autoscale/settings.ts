// Autoscale config fields with their defaults, read in one place. The config
// loader applies schema defaults, but the decision core is also fed hand-built
// configs (tests, `--at` previews), so every optional field has its fallback here.
import type { AutoscaleConfig, Config, Pool } from '../config/model.ts';
import type { Resources } from '../model/compute.ts';
import { parseDuration } from '../util/duration.ts';
import { defaultDownscaleBackoff } from '../config/defaults.ts';
import { findVmProvider } from '../config/lookup.ts';

export const DEFAULT_CHECKIN_TIMEOUT = '30m';
/** Upstream's defaults: server pools destroy at once, docker agent pools wait 30 minutes after a create (config/defaults.ts). */
export { DEFAULT_DOWNSCALE_BACKOFF_DOCKER_S, DEFAULT_DOWNSCALE_BACKOFF_SERVER_S } from '../config/defaults.ts';

export function checkinTimeoutMs(autoscale: AutoscaleConfig): number {
  return parseDuration(autoscale.checkin_timeout ?? DEFAULT_CHECKIN_TIMEOUT);
}

export function downscaleBackoffMs(pool: Pool, autoscale: AutoscaleConfig): number {
  return (autoscale.downscale_backoff ?? defaultDownscaleBackoff(pool.type)) * 1000;
}

export function minimumAvailable(autoscale: AutoscaleConfig): number {
  return Math.max(0, autoscale.minimum_available_sessions ?? 0);
}

/** Session slots a new server of this config offers (at least 1). */
export function slotsPerServer(autoscale: AutoscaleConfig): number {
  return Math.max(1, autoscale.max_simultaneous_sessions_per_server ?? 1);
}

export function configReusable(autoscale: AutoscaleConfig): boolean {
  return autoscale.reusable ?? true;
}

/** The provider's max_instances, or null when the provider config does not exist. */
export function maxInstances(config: Config, provider: string): number | null {
  const found = findVmProvider(config, provider);
  return found ? found.max_instances : null;
}

/**
 * What one new docker agent of this config offers, per dimension: the
 * config's overrides, else what the provider reports (`providerCapacity`),
 * else the local provider's own `cores`/`memory_mb`/`gpus` fields. A dimension
 * nobody knows is undefined (sizing then holds when that dimension is needed).
 */
export function agentCapacity(config: Config, autoscale: AutoscaleConfig, providerCapacity: Readonly<Record<string, Resources>>): Partial<Resources> {
  const reported = providerCapacity[autoscale.vm_provider];
  const provider = findVmProvider(config, autoscale.vm_provider);
  const local = provider?.type === 'local' ? provider : undefined;
  const result: Partial<Resources> = {};
  const cores = autoscale.agent_cores_override ?? reported?.cores ?? local?.cores;
  const memory = autoscale.agent_memory_override_gb !== undefined ? autoscale.agent_memory_override_gb * 1024 : (reported?.memory_mb ?? local?.memory_mb);
  const gpus = autoscale.agent_gpus_override ?? reported?.gpus ?? local?.gpus;
  if (cores !== undefined) result.cores = cores;
  if (memory !== undefined) result.memory_mb = memory;
  if (gpus !== undefined) result.gpus = gpus;
  return result;
}
