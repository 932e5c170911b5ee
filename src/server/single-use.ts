// Non-reusable autoscaled servers (`reusable: false`) serve one session: when it ends
// the server is marked `draining` at once, so placement never hands it to
// the next user; the autoscaler destroys it (and creates a replacement as
// minimum_available_sessions requires).
import type { InfrastructureStore, ServerRecord, SessionStore } from '../state/types.ts';

export async function retireIfSingleUse(
  store: Pick<InfrastructureStore, 'getServer' | 'updateServerStatus'>,
  serverId: string | null,
  at: string,
): Promise<ServerRecord | undefined> {
  if (serverId === null) return undefined;
  const server = await store.getServer(serverId);
  if (!server || server.autoscale === null || server.reusable || server.status === 'draining' || server.status === 'destroying') return undefined;
  return store.updateServerStatus(serverId, {
    status: 'draining',
    message: 'single-use server (reusable: false): its session ended',
    progress: server.status_progress,
    at,
    checkedIn: false,
  });
}

/**
 * Whether a server that takes no new sessions (draining, failed) has just
 * lost its last session: the reconciler should destroy it now rather than at
 * the next reconcile_interval (a drained VM left running costs money).
 */
export async function becameEmptyWhileDraining(
  store: Pick<InfrastructureStore, 'getServer'> & Pick<SessionStore, 'activeSessionCount'>,
  serverId: string | null,
): Promise<boolean> {
  if (serverId === null) return false;
  const server = await store.getServer(serverId);
  if (!server || (server.status !== 'draining' && server.status !== 'failed')) return false;
  return (await store.activeSessionCount(serverId)) === 0;
}
