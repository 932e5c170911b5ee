// What the HTTP API needs from the process around it. Everything comes in
// through createApp's dependencies, so tests run the app through
// `app.request` against a real store and a fake clock.
import type { Diagnostic } from '../config/model.ts';

/** Structured logger (pino's Logger satisfies it). Never pass secrets. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;

export const silentLog: Log = { info() {}, warn() {}, error() {}, debug() {} };

/** Outcome of one reconcile, as shown by /api/v1/status and recorded in metrics. */
export interface ReconcileSummary {
  started_at: string;
  finished_at: string;
  duration_ms: number;
  /** ok: ran (changes may have failed individually: see failed); skipped: not leader / lock busy / no config; error: it threw. */
  result: 'ok' | 'error' | 'skipped';
  trigger: string;
  message: string;
  changes: number;
  applied: number;
  failed: number;
  held: number;
  /** The plan's changes (address, action, reason), at most 200. */
  plan: { address: string; action: string; reason: string }[];
  /** Changes held back by apply_policy. */
  held_changes: { address: string; action: string; reason: string }[];
  /**
   * The autoscaler's decisions of this run (create, destroy, drain, hold,
   * stage, unstage) with their reasons, at most 200: why nothing is created
   * (a check-in back-off, max_instances) is visible here, not only in the log.
   */
  decisions?: { action: string; pool: string; autoscale: string; server_id: string | null; reason: string }[];
  /** Problems for people (no secrets). */
  errors: string[];
}

/** What the daemon reports about itself; /api/v1/status and /metrics show it. */
export interface ServeStatus {
  replica_id: string;
  /** Whether this replica holds the leader lease (runs the reconcile loop). */
  is_leader: boolean;
  /** The lease holder as last seen, or null when nobody leads. */
  leader_id: string | null;
  apply_policy: 'safe' | 'auto' | 'manual';
  config: {
    dir: string;
    /** When the config being served was loaded (null: none valid yet). */
    loaded_at: string | null;
    /** Diagnostics of the latest load; errors here mean the last good config is still being served. */
    errors: Diagnostic[];
    /** When the latest load was rejected (null/absent: the latest load is the one served). */
    rejected_at?: string | null;
  };
  last_reconcile: ReconcileSummary | null;
  /** The last recorded runs, newest first (at most 20; the web page's history). Absent: only the last one is known. */
  recent_reconciles?: ReconcileSummary[];
  next_reconcile_at: string | null;
}
