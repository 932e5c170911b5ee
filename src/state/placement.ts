// Room on a server, as the store enforces it inside the allocation
// transaction whatever the chooser picked. Exported so choosers can use the
// same rule.
import type { PlacementCandidate, Resources, ServerRecord } from './types.ts';

/** Servers the store offers to a chooser: enabled and running (checked in, or not requiring it). */
export function isUsable(server: ServerRecord): boolean {
  return server.enabled && server.status === 'running';
}

function sum(a: Resources, b: Resources | null): Resources {
  if (!b) return a;
  return { cores: a.cores + b.cores, memory_mb: a.memory_mb + b.memory_mb, gpus: a.gpus + b.gpus };
}

/**
 * Whether one more session fits. Server pools (no `capacity`): fewer running
 * sessions than `max_sessions`. Docker agents (`capacity` set): the request's
 * resources fit beside what running sessions use.
 */
export function hasRoom(candidate: PlacementCandidate, resources: Resources | null): boolean {
  const { server, sessions } = candidate;
  if (!isUsable(server)) return false;
  if (server.capacity === null) return sessions.length < server.max_sessions;
  const used = sessions.reduce<Resources>((acc, s) => sum(acc, s.resources), { cores: 0, memory_mb: 0, gpus: 0 });
  const need = sum(used, resources);
  return need.cores <= server.capacity.cores && need.memory_mb <= server.capacity.memory_mb && need.gpus <= server.capacity.gpus;
}
