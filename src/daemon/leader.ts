// Leader election for several `serve` replicas on one store: every replica
// answers the API, only the holder of the lease named LEADER_LEASE runs the
// reconcile loop. The lease lasts `ttlMs` (Settings.leader_lease, default
// 10s) and is renewed every ttl/3, so a dead leader is replaced within one
// ttl plus one renewal period (≤ 4/3 × ttl; 13.3 s by default). A replica
// that fails to renew (store unreachable) stops leading at once.
import { errorCodeOf } from '../util/error-code.ts';
import type { LeaseStore } from '../state/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { Clock, Log } from '../server/types.ts';
import { realTimers } from './timers.ts';
import type { TimerHandle, Timers } from './timers.ts';

export const LEADER_LEASE = 'serve-leader';

export interface LeaderElector {
  isLeader(): boolean;
  /** The holder last seen (null: nobody). */
  leaderId(): string | null;
  /** Runs one acquire/renew round now. */
  tick(): Promise<void>;
  start(): Promise<void>;
  /** Stops renewing; `release` gives the lease up at once (graceful shutdown) so a standby takes over quickly. */
  stop(options?: { release?: boolean }): Promise<void>;
}

export interface LeaderOptions {
  store: LeaseStore;
  replicaId: string;
  ttlMs: () => number;
  clock: Clock;
  log: Log;
  /** Called when this replica becomes (true) or stops being (false) the leader. */
  onChange: (leading: boolean) => void;
  /** Timers for the renewals (default the process's; tests inject fakes). */
  timers?: Timers;
}

export function createLeaderElector(options: LeaderOptions): LeaderElector {
  const { store, replicaId, clock, log } = options;
  let leading = false;
  /** Until when our lease is known to hold (measured from before the renewing call). */
  let leaseUntil = 0;
  let seen: string | null = null;
  let timer: TimerHandle | undefined;
  const timers = options.timers ?? realTimers;
  let stopped = false;
  let inflight: Promise<void> | undefined;

  const set = (next: boolean): void => {
    if (next === leading) return;
    leading = next;
    log.info(
      { event: next ? 'leader-acquired' : 'leader-lost', replica: replicaId },
      next ? `replica ${replicaId} now leads` : `replica ${replicaId} no longer leads`,
    );
    options.onChange(next);
  };

  const round = async (): Promise<void> => {
    const startedMs = clock();
    const now = new Date(startedMs).toISOString();
    const ttl = options.ttlMs();
    // Our lease ran out locally before this renewal (a stalled event loop, a clock step): isLeader()
    // said no meanwhile, so runs were skipped; winning it back must wake the daemon like a new election.
    const lapsed = leading && startedMs >= leaseUntil;
    try {
      const got = await store.tryAcquireLease(LEADER_LEASE, replicaId, ttl, now);
      if (got) {
        seen = replicaId;
        leaseUntil = startedMs + ttl;
      } else {
        const lease = await store.getLease(LEADER_LEASE);
        seen = lease && lease.expires_at > now ? lease.holder : null;
      }
      set(got);
      if (got && lapsed) {
        log.info({ event: 'leader-resumed', replica: replicaId }, `replica ${replicaId} leads again after its lease lapsed`);
        options.onChange(true);
      }
    } catch (err) {
      log.warn({ event: 'leader-lease-error', err: errorMessage(err), code: errorCodeOf(err) }, 'cannot renew the leader lease');
      set(false);
    }
  };

  const tick = (): Promise<void> => {
    inflight ??= round().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = timers.set(
      () => {
        void tick().finally(schedule);
      },
      Math.max(100, Math.floor(options.ttlMs() / 3)),
    );
  };

  return {
    // A renewal delayed past the lease's end (a blocked event loop) must not leave two leaders:
    // leadership ends locally when the lease does, whatever the next renewal says.
    isLeader: () => leading && clock() < leaseUntil,
    leaderId: () => seen,
    tick,
    async start() {
      stopped = false;
      await tick();
      schedule();
    },
    async stop(opts = {}) {
      stopped = true;
      timers.clear(timer);
      await inflight;
      if (opts.release && leading) {
        // Expire our lease now: renew it with a zero-length ttl.
        try {
          await store.tryAcquireLease(LEADER_LEASE, replicaId, 0, new Date(clock()).toISOString());
        } catch (err) {
          log.warn({ event: 'leader-release-error', err: errorMessage(err) }, 'cannot release the leader lease');
        }
      }
      leaseUntil = 0;
      set(false);
    },
  };
}
