// Targeted session requests: POST /api/v1/sessions with `server_id` names the
// server (or docker agent) the session must run on. The request is placed
// there when that server is usable and has room; otherwise the answer is 503
// `no_resources` with the reason (disabled, draining, failed, full, not
// enough free resources, its autoscale config inactive...). It is queued for
// that server only when the pool scales aggressively and the server is still
// coming up (provisioning or starting): it then takes the request once it
// checks in. A targeted request never goes to another server.
// Pure: the caller reads the server and its sessions.
import type { Resources, ServerRecord, SessionRecord } from '../state/types.ts';
import type { PlacementRules } from './placement.ts';
import { occupying, usedResources } from './placement.ts';

export type TargetVerdict =
  /** Usable now: allocate on it (the allocation transaction re-checks room). */
  | { kind: 'place' }
  /** Still coming up and the pool scales aggressively: queue for it. */
  | { kind: 'queue' }
  | { kind: 'reject'; reason: string };

function label(server: ServerRecord, rules: PlacementRules): string {
  return `${rules.poolType === 'docker_agent' ? 'agent' : 'server'} ${server.id}`;
}

/** What to do with a request targeted at `server`, before looking at its room. */
export function judgeTarget(server: ServerRecord, rules: PlacementRules, aggressive: boolean): TargetVerdict {
  const what = label(server, rules);
  if (!server.enabled) return { kind: 'reject', reason: `${what} is disabled` };
  switch (server.status) {
    case 'running':
      break;
    case 'provisioning':
    case 'starting':
      if (aggressive && rules.autoscaleActive(server)) return { kind: 'queue' };
      return {
        kind: 'reject',
        reason: `${what} is still ${server.status} (waiting for its check-in); it takes sessions once it is running${aggressive ? '' : ' (requests are queued for a starting server only with aggressive_scaling)'}`,
      };
    case 'draining':
    case 'destroying':
      return { kind: 'reject', reason: `${what} is ${server.status}: it takes no new sessions` };
    case 'failed':
      return { kind: 'reject', reason: `${what} has failed (${server.status_message || 'check-in failed or timed out'}); it will be replaced` };
    default: {
      const never: never = server.status;
      return { kind: 'reject', reason: `${what} is ${String(never)}` };
    }
  }
  if (!rules.autoscaleActive(server)) {
    return { kind: 'reject', reason: `${what} belongs to autoscale config ${server.autoscale ?? '?'}, which is disabled or outside its schedule now` };
  }
  return { kind: 'place' };
}

/** Why a usable server had no room for the request (after the allocation said so). */
export function noRoomReason(server: ServerRecord, sessions: readonly SessionRecord[], need: Resources | null, rules: PlacementRules): string {
  const what = label(server, rules);
  const used = occupying(sessions).filter((s) => s.status === 'running');
  if (server.capacity === null) return `${what} is full (${used.length} of ${server.max_sessions} sessions)`;
  const u = usedResources(used);
  const cap = server.capacity;
  const free = { cores: cap.cores - u.cores, memory_mb: cap.memory_mb - u.memory_mb, gpus: cap.gpus - u.gpus };
  const n = need ?? { cores: 0, memory_mb: 0, gpus: 0 };
  return `${what} has not enough free resources: ${free.cores} cores, ${free.memory_mb} MB, ${free.gpus} GPUs free; the workspace needs ${n.cores} cores, ${n.memory_mb} MB, ${n.gpus} GPUs`;
}
