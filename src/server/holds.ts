// What the autoscaler is holding back, for /api/v1/status: each hold of the
// last reconcile with its reason and, where the hold has one, when it ends
// (backoffs: "next create after T", "retrying after T"; downscale_backoff:
// "kept until T"). Read from the decision's reason, which always states it.

export interface HoldView {
  pool: string;
  autoscale: string;
  reason: string;
  /** ISO instant the hold ends, when it has an end (null: e.g. max_instances, until capacity frees). */
  until: string | null;
}

const UNTIL = /\b(?:after|until)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/;

/** When a hold's reason says it ends (ISO), else null. */
export function holdUntil(reason: string): string | null {
  return UNTIL.exec(reason)?.[1] ?? null;
}

export function holdsOf(decisions: readonly { action: string; pool: string; autoscale: string; reason: string }[] | undefined): HoldView[] {
  return (decisions ?? [])
    .filter((d) => d.action === 'hold')
    .map((d) => ({ pool: d.pool, autoscale: d.autoscale, reason: d.reason, until: UNTIL.exec(d.reason)?.[1] ?? null }));
}
