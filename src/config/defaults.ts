// Defaults that depend on where a field sits, so the JSON Schema cannot state
// them as a plain `default`. loadConfig fills them in like schema defaults
// (the loaded Config has them); the decision core falls back to the same
// values for configs built in code.
import type { FixedServer, Pool } from '../generated/config.ts';

type ConnectionType = FixedServer['connection_type'];

/** Upstream's defaults: server pools scale down at once, docker agent pools wait 30 minutes after a create. */
export const DEFAULT_DOWNSCALE_BACKOFF_SERVER_S = 0;
export const DEFAULT_DOWNSCALE_BACKOFF_DOCKER_S = 1800;

export function defaultDownscaleBackoff(poolType: Pool['type']): number {
  return poolType === 'docker_agent' ? DEFAULT_DOWNSCALE_BACKOFF_DOCKER_S : DEFAULT_DOWNSCALE_BACKOFF_SERVER_S;
}

/**
 * The protocol's usual port, so a session answer always says where to
 * connect: RDP 3389, SSH 22, VNC 5900, KasmVNC 8443 (its HTTPS/websocket server).
 */
export const DEFAULT_CONNECTION_PORTS: Readonly<Record<ConnectionType, number>> = { rdp: 3389, ssh: 22, vnc: 5900, kasmvnc: 8443 };

/** Fills the position-dependent defaults of a schema-valid pool, in place. */
export function applyPoolDefaults(pool: Pool): void {
  for (const autoscale of pool.autoscale ?? []) {
    autoscale.downscale_backoff ??= defaultDownscaleBackoff(pool.type);
    if (autoscale.connection_type) autoscale.connection_port ??= DEFAULT_CONNECTION_PORTS[autoscale.connection_type];
  }
  for (const server of pool.servers ?? []) {
    server.connection_port ??= DEFAULT_CONNECTION_PORTS[server.connection_type];
  }
}
