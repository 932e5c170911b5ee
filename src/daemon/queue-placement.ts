// After a reconcile: servers that became running without a check-in
// (require_checkin: false) can take queued requests now. Places each pool's
// queued sessions in FIFO order; a pool that fails is logged and the others go on.
import type { Config } from '../config/model.ts';
import type { ActiveCheck } from '../server/context.ts';
import { createPlacementChooser } from '../server/placement.ts';
import type { Clock, Log } from '../server/types.ts';
import type { SessionRecord, SessionStore } from '../state/types.ts';
import { errorMessage } from '../util/errors.ts';

export type QueueStore = Pick<SessionStore, 'assignQueued'>;

export async function placeQueuedSessions(
  deps: { store: QueueStore; log: Log; clock: Clock; isActive: ActiveCheck },
  config: Config,
  nowIso: string,
): Promise<SessionRecord[]> {
  const { store, log, clock, isActive } = deps;
  const chooser = createPlacementChooser(config, (pool, autoscale) => isActive(config, pool, autoscale, clock()));
  const all: SessionRecord[] = [];
  for (const pool of config.pools) {
    try {
      const placed = await store.assignQueued(pool.name, chooser, nowIso);
      for (const s of placed) log.info({ event: 'session-assigned', session_id: s.id, pool: s.pool, server_id: s.server_id }, `queued session ${s.id} placed`);
      all.push(...placed);
    } catch (err) {
      log.warn({ event: 'assign-error', pool: pool.name, err: errorMessage(err) }, 'placing queued sessions failed');
    }
  }
  return all;
}
