// Defaults that depend on where a field sits, so the JSON Schema cannot state
// them as a plain `default`. loadConfig fills them in like schema defaults
// (the loaded Config has them); the decision core falls back to the same
// values for configs built in code.
import type { Pool } from '../generated/config.ts';

/** Upstream's defaults: server pools scale down at once, docker agent pools wait 30 minutes after a create. */
export const DEFAULT_DOWNSCALE_BACKOFF_SERVER_S = 0;
export const DEFAULT_DOWNSCALE_BACKOFF_DOCKER_S = 1800;

export function defaultDownscaleBackoff(poolType: Pool['type']): number {
  return poolType === 'docker_agent' ? DEFAULT_DOWNSCALE_BACKOFF_DOCKER_S : DEFAULT_DOWNSCALE_BACKOFF_SERVER_S;
}

/** Fills the position-dependent defaults of a schema-valid pool, in place. */
export function applyPoolDefaults(pool: Pool): void {
  for (const autoscale of pool.autoscale ?? []) {
    autoscale.downscale_backoff ??= defaultDownscaleBackoff(pool.type);
  }
}
