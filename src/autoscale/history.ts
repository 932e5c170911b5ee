// Per-config scale history (AutoscaleHistory, key `pool/autoscale`) and the
// rules that read it: the create backoff after failed starts, the create backoff
// after refused creates (capacity errors), and downscale_backoff.
//
// Who calls what:
// - decide() only READS history (input.history).
// - apply (or the daemon) calls nextHistory(history, applied, now, createFailures)
//   with the decisions it actually carried out and the creates the provider
//   refused (capacity, limits), and persists the result.
// - the check-in endpoint calls historyAfterCheckin(entry) when a server of
//   the config checks in with status running, and persists the result.
import type { AutoscaleHistory } from '../model/autoscale-history.ts';
import type { Decision } from './types.ts';
import { decisionCause } from './decision.ts';
import { isStoppedOutside } from './lifecycle.ts';

export function emptyHistory(): AutoscaleHistory {
  return { last_create_at: null, last_destroy_at: null, consecutive_failures: 0, last_failure_at: null };
}

/**
 * Failed starts: a server that timed out waiting for check-in, or that reported failure.
 * A VM stopped (or terminated: `gone`) outside poolform is not one: it is replaced at once and
 * backs nothing off, since the config's servers do start (issue 12: a VM stopped by hand froze
 * scale-up for checkin_timeout).
 */
function isFailure(decision: Decision): boolean {
  if (decision.action !== 'destroy' && decision.action !== 'drain') return false;
  if (isStoppedOutside(decision.reason)) return false;
  const cause = decisionCause(decision);
  return cause === 'checkin-timeout' || cause === 'failed';
}

/**
 * History after `applied` (decisions carried out at `now`, ISO): a create sets
 * last_create_at, a destroy sets last_destroy_at, and each failed start
 * (destroy or drain whose decisionCause is checkin-timeout or failed; the
 * reason's prefix is enough, so decisions read back from a saved plan work) adds one to
 * consecutive_failures and sets last_failure_at. Holds change nothing. Pure:
 * returns a new record, the input is untouched.
 */
export function nextHistory(
  history: Readonly<Record<string, AutoscaleHistory>>,
  applied: readonly Decision[],
  now: string,
  createFailures: readonly CreateFailure[] = [],
): Record<string, AutoscaleHistory> {
  const result: Record<string, AutoscaleHistory> = {};
  for (const [key, entry] of Object.entries(history)) result[key] = { ...entry };
  for (const decision of applied) {
    const key = `${decision.pool}/${decision.autoscale}`;
    const entry = (result[key] ??= emptyHistory());
    if (decision.action === 'create') {
      entry.last_create_at = now;
      // A create went through: the provider has capacity again.
      if ((entry.create_errors ?? 0) > 0) entry.create_errors = 0;
    }
    if (decision.action === 'destroy') entry.last_destroy_at = now;
    if (isFailure(decision)) {
      entry.consecutive_failures += 1;
      entry.last_failure_at = now;
    }
  }
  // Refused creates count once per round and config (several refusals in one
  // round are one "AWS has no capacity now"), after the successes: a round where
  // some creates went through and the rest were refused still backs off.
  const counted = new Set<string>();
  for (const failure of createFailures) {
    const key = `${failure.pool}/${failure.autoscale}`;
    const entry = (result[key] ??= emptyHistory());
    if (!counted.has(key)) entry.create_errors = (entry.create_errors ?? 0) + 1;
    counted.add(key);
    entry.last_create_error_at = now;
    entry.last_create_error = failure.error;
  }
  return result;
}

/**
 * A create the provider refused with a retryable error that made nothing
 * (capacity, instance limits, throttling after retries): the autoscaler tries
 * again after createErrorBackoffMs.
 */
export interface CreateFailure {
  pool: string;
  autoscale: string;
  /** For people, e.g. "InsufficientInstanceCapacity (aws-insufficient-capacity)". */
  error: string;
}

/** First wait after a refused create, and the longest. */
export const CREATE_ERROR_BACKOFF_BASE_MS = 60_000;
export const MAX_CREATE_ERROR_BACKOFF_MS = 30 * 60_000;

/** Wait after the n-th consecutive round with refused creates: 0 for n = 0, else min(1 min × 2^(n−1), 30 min). */
export function createErrorBackoffMs(createErrors: number): number {
  if (createErrors <= 0) return 0;
  return Math.min(CREATE_ERROR_BACKOFF_BASE_MS * 2 ** Math.min(createErrors - 1, 40), MAX_CREATE_ERROR_BACKOFF_MS);
}

/** Epoch ms before which creates wait because the provider refused the last ones (null: allowed now). */
export function createErrorBlockedUntil(entry: AutoscaleHistory | undefined, now: number): number | null {
  const n = entry?.create_errors ?? 0;
  const at = entry?.last_create_error_at ?? null;
  if (n <= 0 || at === null) return null;
  const until = Date.parse(at) + createErrorBackoffMs(n);
  return Number.isFinite(until) && until > now ? until : null;
}

/** History after a server of the config checked in successfully: the failure streak ends (last_failure_at is kept for people). */
export function historyAfterCheckin(entry: AutoscaleHistory | undefined): AutoscaleHistory {
  return { ...(entry ?? emptyHistory()), consecutive_failures: 0 };
}

/** Longest wait between creates after repeated failed starts. */
export const MAX_CREATE_BACKOFF_MS = 6 * 3_600_000;

/**
 * Wait after the n-th consecutive failed start before the next create:
 * 0 for n = 0, else min(checkin_timeout × 2^(n−1), 6 h), counted from
 * last_failure_at. The first failure is replaced at once (decide() reads the
 * history from before the failure it is reacting to), so with a 30-minute
 * timeout the creates of a never-booting image are spaced 30 m, 30 m, 1 h,
 * 2 h, 4 h, 6 h, 6 h … apart instead of looping every 30 minutes.
 */
export function createBackoffMs(consecutiveFailures: number, checkinTimeoutMs: number): number {
  if (consecutiveFailures <= 0) return 0;
  return Math.min(checkinTimeoutMs * 2 ** Math.min(consecutiveFailures - 1, 40), MAX_CREATE_BACKOFF_MS);
}

/** Epoch ms before which creates wait (null: creates allowed now). */
export function createBlockedUntil(entry: AutoscaleHistory | undefined, checkinTimeoutMs: number, now: number): number | null {
  if (!entry || entry.consecutive_failures <= 0 || entry.last_failure_at === null) return null;
  const until = Date.parse(entry.last_failure_at) + createBackoffMs(entry.consecutive_failures, checkinTimeoutMs);
  return Number.isFinite(until) && until > now ? until : null;
}

/** Epoch ms before which scale-down destroys wait because of downscale_backoff (null: allowed now). */
export function destroyBlockedUntil(entry: AutoscaleHistory | undefined, downscaleBackoffMs: number, now: number): number | null {
  if (!entry || entry.last_create_at === null || downscaleBackoffMs <= 0) return null;
  const until = Date.parse(entry.last_create_at) + downscaleBackoffMs;
  return Number.isFinite(until) && until > now ? until : null;
}
