// When the daemon runs next after a run, as controller-runtime decides a
// requeue: a clean run waits for the interval (or less, when the outcome asks
// for an earlier look with `requeueAfterMs`); a run that failed in a way a retry
// can fix backs off (backoff.ts); a terminal error (bad input no retry can fix)
// is not retried early: it waits for the interval or an event (a config edit).
//
// One reconcile covers every pool, so a partial failure (the run completed but
// changes failed or a provider could not be reached) backs off only up to the
// interval: the healthy pools keep their cadence. A run that failed as a whole
// (it threw a retryable error: the state store is down, say) backs off fully,
// to 5 minutes. Pure.
import type { ErrorDisposition } from '../util/errors.ts';
import { afterRun, backoffDelay, NO_FAILURES } from './backoff.ts';
import type { BackoffPolicy, BackoffState } from './backoff.ts';
import type { ReconcileOutcome } from './pipeline.ts';

export type RunResult = { kind: 'skipped' } | { kind: 'done'; outcome: ReconcileOutcome } | { kind: 'error'; disposition: ErrorDisposition };

export interface Requeue {
  state: BackoffState;
  /** Wait before the next run. */
  delayMs: number;
  /** The trigger reason of that run. */
  reason: string;
}

/** Whether a completed run counts as failed (retry with backoff). */
export function outcomeFailed(outcome: ReconcileOutcome): boolean {
  return outcome.failed > 0 || outcome.providerErrors.length > 0;
}

export function nextRequeue(state: BackoffState, result: RunResult, intervalMs: number, policy?: BackoffPolicy): Requeue {
  const interval = (s: BackoffState, earlierMs?: number | null): Requeue =>
    earlierMs != null && earlierMs >= 0 && earlierMs < intervalMs
      ? { state: s, delayMs: earlierMs, reason: 'requeue' }
      : { state: s, delayMs: intervalMs, reason: 'interval' };
  switch (result.kind) {
    case 'skipped':
      // Not leader, no config, lock busy (retried on its own): the streak neither grows nor ends.
      return state.failures > 0
        ? { state, delayMs: backoffDelay(state.failures, policy), reason: `retry after ${state.failures} failed run(s)` }
        : interval(state);
    case 'error':
      if (result.disposition === 'terminal') return interval(NO_FAILURES);
      return retry(afterRun(state, true, policy).state, policy);
    case 'done': {
      if (outcomeFailed(result.outcome)) return retry(afterRun(state, true, policy).state, policy, intervalMs);
      return interval(NO_FAILURES, result.outcome.requeueAfterMs);
    }
    default: {
      const never: never = result;
      throw new Error(`unknown run result ${JSON.stringify(never)}`);
    }
  }
}

function retry(state: BackoffState, policy?: BackoffPolicy, capMs = Number.POSITIVE_INFINITY): Requeue {
  return { state, delayMs: Math.min(capMs, backoffDelay(state.failures, policy)), reason: `retry after ${state.failures} failed run(s)` };
}
