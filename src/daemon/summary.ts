// The ReconcileSummary of one run, as /api/v1/status shows it. Pure; lists are
// capped (200 changes/decisions, 50 errors) so a huge plan cannot bloat status.
import type { ReconcileSummary } from '../server/types.ts';
import type { ReconcileOutcome } from './pipeline.ts';

export function reconcileSummary(
  startMs: number,
  endMs: number,
  trigger: string,
  result: ReconcileSummary['result'],
  message: string,
  outcome?: ReconcileOutcome,
): ReconcileSummary {
  return {
    started_at: new Date(startMs).toISOString(),
    finished_at: new Date(endMs).toISOString(),
    duration_ms: endMs - startMs,
    result,
    trigger,
    message,
    changes: outcome?.changes.length ?? 0,
    applied: outcome?.applied ?? 0,
    failed: outcome?.failed ?? 0,
    held: outcome?.held.length ?? 0,
    plan: (outcome?.changes ?? []).slice(0, 200),
    held_changes: (outcome?.held ?? []).slice(0, 200),
    decisions: (outcome?.decisions ?? [])
      .slice(0, 200)
      .map((d) => ({ action: d.action, pool: d.pool, autoscale: d.autoscale, server_id: d.server_id ?? null, reason: d.reason })),
    errors: (outcome?.errors ?? []).slice(0, 50),
  };
}

/** The one-line message of a run that completed. */
export function outcomeMessage(outcome: ReconcileOutcome): string {
  return (
    `${outcome.changes.length} change(s): ${outcome.applied} applied, ${outcome.failed} failed, ${outcome.held.length} held` +
    (outcome.errors.length > 0 ? `; ${outcome.errors.length} error(s)` : '')
  );
}
