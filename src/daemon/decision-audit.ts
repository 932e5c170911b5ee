// De-duplication of the daemon's decision log and audit: one audit line per
// decision, with its reason, but a decision repeated unchanged from the
// previous run (a standing hold, a backoff) is logged at debug and not
// audited again. Pure apart from the memory of the previous run.
import type { AuditEntry } from '../state/types.ts';
import type { DecisionLine, PlannedChange } from './pipeline.ts';

export interface AuditReview {
  /** Every decision of the run, with whether it is new since the previous run. */
  decisions: { decision: DecisionLine; fresh: boolean }[];
  /** Every held change, with whether it was not held in the previous run. */
  held: { change: PlannedChange; fresh: boolean }[];
  /** The decisions to audit (the fresh ones), in order. */
  fresh: DecisionLine[];
}

export interface DecisionAudit {
  /** Compares a run's decisions and held changes with the previous run's, and remembers them. */
  review(run: { decisions: readonly DecisionLine[]; held: readonly PlannedChange[] }): AuditReview;
}

/**
 * A decision's identity across runs. A decision about one server (a destroy held by
 * apply_policy, a drain) is the same decision while its kind holds, though its
 * reason's ages ("starting for 31m") change: keyed by the reason's prefix.
 */
export function decisionKey(d: DecisionLine): string {
  return [d.action, d.pool, d.autoscale, d.server_id ?? '', d.server_id ? d.reason.split(':')[0] : d.reason].join('\u0000');
}

/** A held change's identity: action and address (reasons carry ages that change every run). */
export function heldKey(h: PlannedChange): string {
  return `${h.action} ${h.address}`;
}

export function createDecisionAudit(): DecisionAudit {
  let lastDecisions = new Set<string>();
  let lastHeld = new Set<string>();
  return {
    review(run) {
      const decisions = run.decisions.map((decision) => ({ decision, fresh: !lastDecisions.has(decisionKey(decision)) }));
      const held = run.held.map((change) => ({ change, fresh: !lastHeld.has(heldKey(change)) }));
      lastDecisions = new Set(run.decisions.map(decisionKey));
      lastHeld = new Set(run.held.map(heldKey));
      return { decisions, held, fresh: decisions.filter((d) => d.fresh).map((d) => d.decision) };
    },
  };
}

/** The audit entries for fresh decisions (actor `serve`). */
export function decisionAuditEntries(fresh: readonly DecisionLine[], at: string, policy: string): AuditEntry[] {
  return fresh.map((d) => ({
    at,
    actor: 'serve',
    action: d.action,
    address: d.server_id ? `vm.${d.pool}.${d.autoscale}.${d.server_id}` : null,
    reason: d.reason,
    detail: { pool: d.pool, autoscale: d.autoscale, policy },
  }));
}
