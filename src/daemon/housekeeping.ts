// Session expiry, run by the leader before each reconcile: ends running
// sessions idle past session_keepalive_timeout and fails queued ones older
// than queue_timeout, retires single-use servers whose session ended, logs and
// audits each.
import type { Config } from '../config/model.ts';
import { retireIfSingleUse } from '../server/single-use.ts';
import type { Log } from '../server/types.ts';
import type { AuditStore, InfrastructureStore, SessionRecord, SessionStore } from '../state/types.ts';
import { durationOr } from '../util/duration.ts';

/** A duration setting, or the fallback when it does not parse (validation reports it). */
export function safeDuration(text: string | undefined, fallback: string): number {
  try {
    return durationOr(text, fallback);
  } catch {
    return durationOr(undefined, fallback);
  }
}

export type ExpiryStore = Pick<SessionStore, 'expireSessions'> &
  Pick<AuditStore, 'appendAudit'> &
  Pick<InfrastructureStore, 'getServer' | 'updateServerStatus'>;

/** Expires sessions as of `nowIso`; returns the sessions that changed. */
export async function expireSessions(store: ExpiryStore, log: Log, config: Config, nowIso: string): Promise<SessionRecord[]> {
  const keepalive = safeDuration(config.settings.session_keepalive_timeout, '1h');
  const queue = safeDuration(config.settings.queue_timeout, '15m');
  const changed = await store.expireSessions(nowIso, keepalive, queue);
  if (changed.length === 0) return changed;
  for (const s of changed) {
    if (s.status === 'ended') await retireIfSingleUse(store, s.server_id, nowIso);
    log.info({ event: 'session-expired', session_id: s.id, pool: s.pool, reason: s.end_reason }, `session ${s.id} ${s.status}: ${s.end_reason ?? ''}`);
  }
  await store.appendAudit(
    changed.map((s) => ({
      at: nowIso,
      actor: 'serve',
      action: s.status === 'failed' ? 'session-queue-timeout' : 'session-expire',
      address: null,
      reason:
        s.end_reason === 'queue_timeout'
          ? `queued request ${s.id} not placed within queue_timeout`
          : `session ${s.id} had no keepalive within session_keepalive_timeout`,
      detail: { session_id: s.id, pool: s.pool },
    })),
  );
  return changed;
}
