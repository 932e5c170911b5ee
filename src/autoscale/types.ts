// Inputs and outputs of the decision core (autoscale/decide.ts). Pure data:
// the core never does I/O and never reads the clock (`now` is an input).
import type { Config } from '../config/model.ts';
import type { AutoscaleHistory } from '../model/autoscale-history.ts';
import type { Resources } from '../model/compute.ts';
import type { ServerStatus } from '../model/server.ts';

/** An autoscaled server as the decision core sees it (state merged with what the provider reports). */
export interface ServerView {
  id: string;
  pool: string;
  autoscale: string;
  /** VmProvider config it was created on (counts toward that provider's max_instances even if its config was removed). */
  vm_provider: string;
  status: ServerStatus;
  /** ISO time it was created (ties in choices go to the oldest). */
  created_at: string;
  /** Running sessions on it (user and staged). */
  active_sessions: number;
  /** Server pools: session slots. */
  max_sessions: number;
  /** Docker agents: what it offers, and what its sessions use. */
  capacity: Resources | null;
  used: Resources | null;
  /** The provider no longer has it (terminated or gone behind poolform's back). */
  gone: boolean;
  /** The VM exists but is stopped at the provider (it serves nobody; status is then `failed`). Default false. */
  stopped?: boolean;
  /**
   * Server pools: whether it may take another session after one ends.
   * Optional; default: the autoscale config's `reusable` (itself default true).
   */
  reusable?: boolean;
  /**
   * Sessions ever placed on it, ended ones included. Optional; default:
   * `active_sessions`. A non-reusable server with `sessions_started > 0` and no
   * active session is used up: it is destroyed (and replaced as the minimum requires).
   */
  sessions_started?: number;
}

export interface QueuedRequest {
  id: string;
  pool: string;
  workspace: string | null;
  created_at: string;
}

/** A staged (pre-created, unassigned) docker session. */
export interface StagedSessionView {
  id: string;
  pool: string;
  staging: string;
  server_id: string;
  created_at: string;
}

export interface DecisionInput {
  config: Config;
  servers: readonly ServerView[];
  queued: readonly QueuedRequest[];
  staged: readonly StagedSessionView[];
  /** Keyed `pool/autoscale`. */
  history: Readonly<Record<string, AutoscaleHistory>>;
  /** Per VM provider name: what one VM offers, when known (docker agent sizing without overrides). */
  providerCapacity: Readonly<Record<string, Resources>>;
  /** ISO instant the decision is for. */
  now: string;
  /**
   * ISO instant of the real clock, when `now` is a what-if instant (`plan --at`). Check-in
   * timeouts are judged by it: a server seconds old has not timed out because the plan looks
   * at next Saturday. Default `now`.
   */
  clock?: string;
  /**
   * Boot durations (ms, create → first running check-in) per `pool/autoscale`,
   * oldest first, the newest 20 (autoscale/boot-history.ts); `prewarm: auto`
   * takes their median. Optional: none known.
   */
  bootTimes?: Readonly<Record<string, readonly number[]>>;
}

export type DecisionAction = 'create' | 'destroy' | 'drain' | 'hold';

/**
 * Why a decision was made, for machines (nextHistory, metrics, audit filters);
 * `reason` says the same for people.
 * create: scale-up.
 * destroy: scale-down | inactive | failed | checkin-timeout | gone | drained | non-reusable | removed.
 * drain: inactive | failed | gone | removed.
 * hold: max-instances | backoff | downscale-backoff | capacity-unknown | provider-unknown | schedule-error.
 */
export type DecisionCause =
  | 'scale-up'
  | 'scale-down'
  | 'inactive'
  | 'failed'
  | 'checkin-timeout'
  | 'gone'
  | 'drained'
  | 'non-reusable'
  | 'removed'
  | 'max-instances'
  | 'backoff'
  | 'downscale-backoff'
  | 'capacity-unknown'
  | 'provider-unknown'
  | 'schedule-error';

export interface Decision {
  action: DecisionAction;
  pool: string;
  autoscale: string;
  /** Absent for creates: the planner generates new server ids. */
  server_id?: string;
  /** For people: "scale-up: 4 sessions available, 6 wanted (minimum_available_sessions)". */
  reason: string;
  /**
   * The machine-readable cause. decide() always sets it; decisionCause() in
   * autoscale/decision.ts also derives it from the reason's prefix.
   */
  cause?: DecisionCause;
  /**
   * Creates only: server ids destroyed in this
   * same round whose delete must complete before this create starts, because
   * the create takes the max_instances slot they free. If one of those
   * deletes fails, the create must not run (the cap would be exceeded).
   * Absent: a slot is free now.
   */
  after_destroy?: string[];
}

export type StagingAction = 'stage' | 'unstage';

/** Docker agent pools: keep `num_sessions` staged sessions per staging config. */
export interface StagingDecision {
  action: StagingAction;
  pool: string;
  staging: string;
  /** unstage: the staged session to remove. */
  session_id?: string;
  /** stage: the agent to put it on. */
  server_id?: string;
  reason: string;
}

export interface DecisionResult {
  decisions: Decision[];
  staging: StagingDecision[];
}
