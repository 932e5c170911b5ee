// Timers the daemon's parts take by injection, so unit tests drive them with
// a fake (daemon/fake-timers.ts) instead of waiting on the wall clock.

/** Longest a timer may wait (setTimeout's limit is 2^31-1 ms). */
export const MAX_TIMER_MS = 2_000_000_000;

/** Opaque handle of a pending timer. */
export type TimerHandle = object;

export interface Timers {
  /** Calls `fn` once after `ms` (capped at MAX_TIMER_MS). */
  set(fn: () => void, ms: number): TimerHandle;
  /** Cancels a pending timer; a fired or unknown handle is ignored. */
  clear(handle: TimerHandle | undefined): void;
}

/** The process's timers (setTimeout / clearTimeout). */
export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS)),
  clear: (handle) => {
    if (handle !== undefined) clearTimeout(handle as NodeJS.Timeout);
  },
};
