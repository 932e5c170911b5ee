// Targeted session requests (server_id) wait in the queue only while their
// server is still coming up. A queued targeted request whose server is gone,
// disabled, failed, draining or being destroyed can never be placed (it never
// goes to another server): it fails with end_reason `target_unavailable` the
// next time it is looked at (GET /api/v1/sessions/:id) instead of waiting out
// queue_timeout (which still ends it if nobody looks).
import type { AuditStore, InfrastructureStore, SessionRecord, SessionStore } from '../state/types.ts';
import type { Log } from './types.ts';

export type TargetStore = Pick<SessionStore, 'endSession'> & Pick<AuditStore, 'appendAudit'> & Pick<InfrastructureStore, 'getServer'>;

const WAITING = new Set(['provisioning', 'starting', 'running']);

/** The session as it is now: failed when it is a queued targeted request whose server can no longer take it, else unchanged. */
export async function failIfTargetUnavailable(store: TargetStore, log: Log, session: SessionRecord, nowIso: string): Promise<SessionRecord> {
  const target = session.target_server_id;
  if (session.status !== 'queued' || !target) return session;
  const server = await store.getServer(target);
  if (server && server.enabled && WAITING.has(server.status)) return session;
  const why = server ? (server.enabled ? `is ${server.status}` : 'is disabled') : 'no longer exists';
  const ended = await store.endSession(session.id, 'target_unavailable', nowIso, 'failed');
  if (!ended) return session;
  if (ended.end_reason === 'target_unavailable' && ended.ended_at === nowIso) {
    log.info(
      { event: 'session-target-unavailable', session_id: session.id, pool: session.pool, server_id: target },
      `queued request ${session.id} failed: its server ${target} ${why}`,
    );
    await store.appendAudit([
      {
        at: nowIso,
        actor: 'serve',
        action: 'session-target-unavailable',
        address: null,
        reason: `queued request ${session.id} for server ${target} failed: the server ${why}`,
        detail: { session_id: session.id, pool: session.pool, server_id: target },
      },
    ]);
  }
  return ended;
}
