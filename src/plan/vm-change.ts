// The one builder of `vm` resource changes: every phase of plan-vms makes its
// VM changes here, so they share one shape (no dependencies of their own;
// records depend on them, see plan-records.ts).
import type { JsonObject } from '../model/json.ts';
import type { ChangeAction, ResourceChange } from './types.ts';

/** Which VM a change is about. */
export interface VmTarget {
  address: string;
  serverId: string;
  /** VmProvider that carries the change out. */
  provider: string;
  pool: string;
}

export interface VmChangeParts {
  before: JsonObject | null;
  after: JsonObject | null;
  reason: string;
  /** The provider no longer has it: the delete part only forgets it. */
  observedGone?: boolean;
  /** The unfinished create this change resolves (adoption). */
  intentId?: string;
}

export function vmChange(target: VmTarget, action: ChangeAction, parts: VmChangeParts): ResourceChange {
  return {
    address: target.address,
    type: 'vm',
    name: target.serverId,
    action,
    before: parts.before,
    after: parts.after,
    reason: parts.reason,
    depends_on: [],
    provider: target.provider,
    pool: target.pool,
    ...(parts.observedGone ? { observed_gone: true } : {}),
    ...(parts.intentId !== undefined ? { intent_id: parts.intentId } : {}),
  };
}
