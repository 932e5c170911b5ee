// Building decisions: `{ action, pool, autoscale, server_id?, reason }` plus
// the machine-readable `cause` and, for some creates, `after_destroy`. Both
// are plain fields, so they survive JSON (saved plans). decisionCause() also
// recovers the cause of a decision written before `cause` existed, from the
// reason's stable prefix.
import type { Decision, DecisionCause } from './types.ts';

export function makeDecision(fields: Omit<Decision, 'cause' | 'after_destroy'>, cause: DecisionCause, afterDestroy?: string[]): Decision {
  const decision: Decision = {
    action: fields.action,
    pool: fields.pool,
    autoscale: fields.autoscale,
    ...(fields.server_id !== undefined ? { server_id: fields.server_id } : {}),
    reason: fields.reason,
    cause,
    ...(afterDestroy && afterDestroy.length > 0 ? { after_destroy: afterDestroy } : {}),
  };
  return decision;
}

/** Reason prefixes decide() writes, per cause (checked in order). */
const PREFIXES: readonly [string, DecisionCause][] = [
  ['scale-up:', 'scale-up'],
  ['scale-down:', 'scale-down'],
  ['schedule inactive:', 'inactive'],
  ['config disabled:', 'inactive'],
  ['pool disabled:', 'inactive'],
  ['check-in timeout:', 'checkin-timeout'],
  ['failed:', 'failed'],
  ['gone:', 'gone'],
  ['drained:', 'drained'],
  ['non-reusable:', 'non-reusable'],
  ['removed:', 'removed'],
  ['max_instances:', 'max-instances'],
  ['backoff:', 'backoff'],
  ['downscale_backoff:', 'downscale-backoff'],
  ['cannot add ', 'capacity-unknown'],
  ['vm_provider ', 'provider-unknown'],
  ['schedule cannot be evaluated', 'schedule-error'],
];

/** The cause of a decision: its `cause` property, else derived from its reason (e.g. after a JSON round trip). */
export function decisionCause(decision: Decision): DecisionCause | undefined {
  if (decision.cause !== undefined) return decision.cause;
  return PREFIXES.find(([prefix]) => decision.reason.startsWith(prefix))?.[1];
}
