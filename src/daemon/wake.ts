// Events on a standby replica (a queued request, a check-in) must make the
// leader reconcile at once too. The standby stamps the WAKE_LEASE row (a lease
// with a zero ttl, so any replica may take it at any time) and the leader polls
// that one row every WAKE_POLL_MS; each new stamp from another replica is one
// trigger.
import type { Clock, Log } from '../server/types.ts';
import type { LeaseStore } from '../state/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { TimerHandle, Timers } from './timers.ts';

export const WAKE_LEASE = 'serve-wake';
export const WAKE_POLL_MS = 250;

export type WakeStore = LeaseStore;

export interface WakeChannelOptions {
  store: WakeStore;
  replicaId: string;
  clock: Clock;
  timers: Timers;
  log: Log;
  /** Whether this replica leads (only the leader polls). */
  isLeader: () => boolean;
  /** A stamp from another replica was seen. */
  onWake: (holder: string) => void;
  pollMs?: number;
}

export interface WakeChannel {
  /** Wake the leader (one write in flight; events meanwhile make one more write). */
  send(): void;
  /** Reads the wake row once (exposed for tests; start() polls it). */
  poll(): Promise<void>;
  start(): void;
  stop(): void;
}

export function createWakeChannel(options: WakeChannelOptions): WakeChannel {
  const { store, replicaId, clock, timers, log } = options;
  const pollMs = options.pollMs ?? WAKE_POLL_MS;
  let stopped = true;
  let timer: TimerHandle | undefined;
  /** The last wake stamp seen (holder + time), so each stamp triggers one run. */
  let lastWake = '';
  let sending = false;
  let sendPending = false;
  /** Wake stamps strictly increase, so two events within one millisecond still differ. */
  let lastSentMs = 0;

  function send(): void {
    if (sending) {
      sendPending = true;
      return;
    }
    sending = true;
    sendPending = false;
    lastSentMs = Math.max(clock(), lastSentMs + 1);
    store
      .tryAcquireLease(WAKE_LEASE, replicaId, 0, new Date(lastSentMs).toISOString())
      .catch((err: unknown) => log.warn({ event: 'wake-error', err: errorMessage(err) }, 'cannot wake the leader'))
      .finally(() => {
        sending = false;
        if (sendPending && !stopped) send();
      });
  }

  async function poll(): Promise<void> {
    if (!options.isLeader()) return;
    try {
      const wake = await store.getLease(WAKE_LEASE);
      if (!wake) return;
      const stamp = `${wake.holder}@${wake.expires_at}`;
      if (stamp === lastWake) return;
      lastWake = stamp;
      // The first stamp seen may predate this replica's leadership: one spare run at most.
      if (wake.holder !== replicaId) options.onWake(wake.holder);
    } catch (err) {
      log.debug({ event: 'wake-poll-error', err: errorMessage(err) }, 'cannot read the wake-up row');
    }
  }

  function arm(): void {
    if (stopped) return;
    timer = timers.set(() => {
      void poll().finally(arm);
    }, pollMs);
  }

  return {
    send,
    poll,
    start() {
      stopped = false;
      arm();
    },
    stop() {
      stopped = true;
      timers.clear(timer);
      timer = undefined;
    },
  };
}
