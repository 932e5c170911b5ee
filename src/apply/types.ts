// Inputs and outputs of apply (apply-plan.ts). Dependencies come in through
// `ApplyDeps`; apply reads no environment and no clock of its own.
import type { Config } from '../config/model.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { ChangeAction, ResourceChange } from '../plan/types.ts';
import type { StateStore } from '../state/types.ts';

/**
 * What apply may carry out.
 * all:    everything (the CLI's `poolform apply`);
 * safe:   creates and updates; destroys of servers and records (deletes and
 *         replaces) are held and listed (serve's default, apply_policy safe);
 * manual: nothing (plan only).
 */
export type ApplyPolicy = 'all' | 'safe' | 'manual';

/** Structured log lines (pino-compatible). Never given secret values. */
export interface ApplyLog {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export const silentLog: ApplyLog = { info() {}, warn() {}, error() {} };

export interface ApplyDeps {
  config: Config;
  store: StateStore;
  registry: ProviderRegistry;
  clock: () => Date;
  /** Fresh unique ids (intent ids: the providers' idempotency keys). */
  newId: () => string;
  /** A fresh one-time AD join password (default: random, meets AD complexity). */
  newPassword?: () => string;
  /** For `${env:...}` secret references (connection_password in startup scripts). */
  env: Readonly<Record<string, string | undefined>>;
  /** host[:port] VMs call back to when their zone sets no upstream_auth_address. */
  apiAddress: string;
  policy?: ApplyPolicy;
  /** Who applies, for the audit log: `cli`, `serve`. */
  actor?: string;
  /** Max concurrent calls per provider (default Settings.provider_concurrency, else 10). */
  concurrency?: number;
  log?: ApplyLog;
  /** Progress, one event per change as it starts and ends (the CLI prints them). */
  onEvent?: (event: ApplyEvent) => void;
}

export type OutcomeStatus =
  /** Done and recorded. */
  | 'applied'
  /** The provider call or a state write failed; dependants were skipped. */
  | 'failed'
  /** Not attempted: a dependency failed or was skipped, or the server has sessions. */
  | 'skipped'
  /** Held back by the apply policy. */
  | 'held';

export interface ChangeOutcome {
  address: string;
  action: ChangeAction;
  status: OutcomeStatus;
  /** For people: why it failed or was skipped. Never a secret. */
  message: string | null;
  /** PoolformError code of a failure, when there is one. */
  code?: string;
}

export type ApplyEvent = { kind: 'start'; change: ResourceChange } | { kind: 'end'; change: ResourceChange; outcome: ChangeOutcome; ms: number };

export interface ApplyResult {
  /** One per change of the plan, in plan order. */
  outcomes: ChangeOutcome[];
  /** Changes held by the policy. */
  held: ResourceChange[];
  failures: ChangeOutcome[];
  skipped: ChangeOutcome[];
  /** Terraform-like counts of what was actually done. */
  summary: { added: number; changed: number; destroyed: number };
  /** State housekeeping done (intents discarded, leftover server records removed). */
  cleaned: number;
}
