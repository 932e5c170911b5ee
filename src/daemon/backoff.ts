// Requeue after failure, as controller-runtime does: the first retry after
// `baseMs`, doubling per consecutive failure up to `maxMs`; a success resets.
// Pure: the daemon keeps the failure count and arms the timer.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Reconcile retries: 1 s doubling to 5 min. */
export const RECONCILE_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 300_000 };

/** The wait before retry number `failures` (1 = after the first failure). 0 failures: no wait. */
export function backoffDelay(failures: number, policy: BackoffPolicy = RECONCILE_BACKOFF): number {
  if (!Number.isFinite(failures) || failures <= 0) return 0;
  // 2^(failures-1) overflows to Infinity long before failures is huge; Math.min keeps the cap.
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 60));
}

export interface BackoffState {
  /** Consecutive failed runs. */
  failures: number;
}

export const NO_FAILURES: BackoffState = { failures: 0 };

/**
 * The state after a run and when to requeue: a failed run counts one more
 * failure and asks for a retry after the backoff delay; a successful one
 * resets and asks for none (the regular interval and events drive it again).
 */
export function afterRun(
  state: BackoffState,
  failed: boolean,
  policy: BackoffPolicy = RECONCILE_BACKOFF,
): { state: BackoffState; requeueAfterMs: number | null } {
  if (!failed) return { state: NO_FAILURES, requeueAfterMs: null };
  const failures = state.failures + 1;
  return { state: { failures }, requeueAfterMs: backoffDelay(failures, policy) };
}
