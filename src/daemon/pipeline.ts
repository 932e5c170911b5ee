// What the daemon needs from the plan/apply pipeline: one level-based
// reconcile (refresh → decide → plan → apply per policy), run by the daemon
// while it holds the state lock. The default implementation adapts
// apply/reconcile.ts (see apply-adapter.ts); tests may pass their own.
import type { Config } from '../config/model.ts';
import type { StateStore } from '../state/types.ts';
import type { Log } from '../server/types.ts';

export type ApplyPolicy = 'safe' | 'auto' | 'manual';

export interface ReconcileRequest {
  config: Config;
  store: StateStore;
  /** The instant decisions are for. */
  now: Date;
  policy: ApplyPolicy;
  /** `{upstream_auth_address}` for zones that set none: this API's own base URL. */
  upstreamAuthAddress: string;
  /** The state path (local providers keep their VMs under it). */
  stateDir: string;
  env: Readonly<Record<string, string | undefined>>;
  log: Log;
  /** Id of the state lock the daemon holds for this run. */
  lockId: string;
  /** The daemon's clock, for the timestamps apply records (default the wall clock). */
  clock?: () => Date;
}

export interface PlannedChange {
  address: string;
  action: string;
  reason: string;
}

export interface DecisionLine {
  action: string;
  pool: string;
  autoscale: string;
  server_id?: string;
  reason: string;
}

export interface ReconcileOutcome {
  /** Every change the plan held (before policy). */
  changes: PlannedChange[];
  applied: number;
  failed: number;
  /** Changes held back by the policy (safe: destroys; manual: everything). */
  held: PlannedChange[];
  decisions: DecisionLine[];
  /** Problems for people (plan errors, failed changes), no secrets. */
  errors: string[];
  /** Failed provider calls, by provider config name. */
  providerErrors: { provider: string; message: string }[];
  /** Whether the pipeline already wrote its audit entries (the daemon then does not). */
  audited: boolean;
  /**
   * Run again after this long at the latest, when sooner than the interval (e.g.
   * an intent's grace period or a backoff ends then). Absent: the interval.
   */
  requeueAfterMs?: number | null;
}

export type ReconcileFn = (request: ReconcileRequest) => Promise<ReconcileOutcome>;
