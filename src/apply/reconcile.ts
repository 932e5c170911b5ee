// The one pipeline the CLI and the daemon share (level-based: it reads the
// world, not events):
//   planOnce:      snapshot → refresh (bulk observe) → decide → buildPlan
//   reconcileOnce: planOnce + applyPlan, under the state lock
// Dependencies are injected; nothing here reads the environment.
import { decide } from '../autoscale/decide.ts';
import { bootTimesByConfig } from '../autoscale/boot-history.ts';
import { prewarmNotes } from '../plan/prewarm-notes.ts';
import type { DecisionInput, DecisionResult } from '../autoscale/types.ts';
import { dirname, join } from 'node:path';
import { autoscaleConfigs, autoscaleKey } from '../config/model.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { Config } from '../config/model.ts';
import type { Observed } from '../providers/observe.ts';
import { observeAll } from '../providers/observe.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import { buildDecisionInput } from '../plan/decision-input.ts';
import type { IdGen } from '../plan/names.ts';
import { buildPlan } from '../plan/planner.ts';
import type { Plan } from '../plan/types.ts';
import { staleLockMessage, withStateLock } from './state-lock.ts';
import type { Resources, SessionStore, Snapshot, StateStore } from '../state/types.ts';
import { errorMessage } from '../util/errors.ts';
import { applyPlan } from './apply-plan.ts';
import type { ApplyDeps, ApplyLog, ApplyResult } from './types.ts';
import { silentLog } from './types.ts';
import { addPlanDiagnostics } from '../plan/diagnostics.ts';

export interface PlanOnceDeps {
  config: Config;
  store: StateStore;
  registry: ProviderRegistry;
  clock: () => Date;
  /** New server ids. */
  idGen: IdGen;
  /** The instant decisions are made for (`--at`); default: the clock. */
  at?: Date;
  /** Observe providers (default true); false trusts state (`--refresh=false`). */
  refresh?: boolean;
  targets?: readonly string[];
  log?: ApplyLog;
  /**
   * For `${env:...}` references: when given, the plan warns (plan.errors) about
   * secrets new servers' startup scripts need that cannot be resolved.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface PlanOnceResult {
  plan: Plan;
  snapshot: Snapshot;
  /** null when not refreshed. */
  observed: Observed | null;
  input: DecisionInput;
  /** The decision core's output, staging decisions included (the daemon applies those). */
  result: DecisionResult;
}

/** What one VM offers, for docker agent configs that do not override every size dimension (one call per provider, failures ignored). */
async function providerCapacities(config: Config, registry: ProviderRegistry, observed: Observed, log: ApplyLog): Promise<Record<string, Resources>> {
  const wanted = new Set<string>();
  for (const { pool, autoscale } of autoscaleConfigs(config)) {
    if (pool.type !== 'docker_agent') continue;
    // Each dimension falls back to the instance size on its own: only a config that overrides all three needs no lookup.
    if (autoscale.agent_cores_override !== undefined && autoscale.agent_memory_override_gb !== undefined && autoscale.agent_gpus_override !== undefined) {
      continue;
    }
    if (observed.vms.has(autoscale.vm_provider)) wanted.add(autoscale.vm_provider);
  }
  const out: Record<string, Resources> = {};
  await Promise.all(
    [...wanted].sort().map(async (name) => {
      try {
        const cap = await registry.vm(name).capacity();
        if (cap) out[name] = cap;
      } catch (error) {
        log.warn({ provider: name, error: errorMessage(error) }, `VmProvider ${name}: capacity unknown`);
      }
    }),
  );
  return out;
}

/** Sessions ever placed on each non-reusable server (a used-up one is destroyed). */
async function sessionsStarted(store: Pick<SessionStore, 'listSessions'>, snapshot: Snapshot): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of snapshot.servers) {
    if (s.autoscale === null || s.reusable) continue;
    out[s.id] = (await store.listSessions({ server_id: s.id })).length;
  }
  return out;
}

export async function planOnce(deps: PlanOnceDeps): Promise<PlanOnceResult> {
  const log = deps.log ?? silentLog;
  const snapshot = await deps.store.snapshot();
  const refresh = deps.refresh ?? true;
  const observed = refresh
    ? await observeAll({ config: deps.config, registry: deps.registry, previousResources: snapshot.resources, intents: snapshot.intents })
    : null;
  for (const e of observed?.errors ?? []) {
    log.warn(
      { kind: e.kind, provider: e.provider, scope: e.scope, code: e.code },
      `could not observe ${e.kind} provider ${e.provider}: error [${e.code}]: ${e.message}`,
    );
  }
  const providerCapacity = observed ? await providerCapacities(deps.config, deps.registry, observed, log) : {};
  const now = deps.clock().toISOString();
  const at = (deps.at ?? deps.clock()).toISOString();
  const input = buildDecisionInput({
    config: deps.config,
    snapshot,
    observed,
    now: at,
    observedAt: now,
    providerCapacity,
    sessionsStarted: await sessionsStarted(deps.store, snapshot),
  });
  // prewarm: auto reads the configs' boot times (create → first running check-in) from the state.
  const bootTimes = bootTimesByConfig(await deps.store.listBoots());
  if (Object.keys(bootTimes).length > 0) input.bootTimes = bootTimes;
  const result = decide(input);
  const plan = buildPlan({
    config: deps.config,
    snapshot,
    observed,
    result,
    now,
    at,
    idGen: deps.idGen,
    providerCapacity,
    ...(deps.targets ? { targets: deps.targets } : {}),
  });
  const prewarm = prewarmNotes(deps.config, Date.parse(at), bootTimes);
  if (prewarm.length > 0) plan.prewarm = prewarm;
  if (deps.env) {
    addPlanDiagnostics(
      plan,
      unresolvedSecrets(deps.config, plan, deps.env).map((message) => ({
        code: 'secret-unresolved' as const,
        severity: 'warning' as const,
        address: null,
        message,
      })),
    );
  }
  return { plan, snapshot, observed, input, result };
}

/** Secrets the startup scripts of the plan's new VMs need that cannot be resolved now (apply would fail those creates). */
function unresolvedSecrets(config: Config, plan: Plan, env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of plan.changes) {
    if (c.type !== 'vm' || (c.action !== 'create' && c.action !== 'replace') || !c.pool) continue;
    const as = c.after?.['autoscale'];
    const ref = autoscaleConfigs(config).find((r) => r.pool.name === c.pool && r.autoscale.name === as);
    const value = ref?.autoscale.connection_password;
    if (!ref || value === undefined) continue;
    const key = autoscaleKey(ref.pool.name, ref.autoscale.name);
    if (seen.has(key)) continue;
    seen.add(key);
    const source = config.sources[`Pool/${ref.pool.name}`];
    try {
      resolveSecret(value, { env, baseDir: source ? dirname(join(config.dir, source.file)) : config.dir });
    } catch (error) {
      out.push(`${key}: connection_password: ${errorMessage(error)}; creating its servers will fail`);
    }
  }
  return out;
}

export interface ReconcileDeps extends Omit<PlanOnceDeps, 'env'>, Omit<ApplyDeps, 'config' | 'store' | 'registry' | 'clock' | 'log'> {
  /** Take the state lock for the round (default true; false when the caller holds it). */
  lock?: boolean;
  /** How long to wait for the lock (default 0: fail at once with who holds it). */
  lockWaitMs?: number;
  /** Shown to whoever finds the lock held. */
  operation?: string;
}

export interface ReconcileResult extends PlanOnceResult {
  applied: ApplyResult;
}

/** One reconcile round: plan and apply under the lock. The plan's `held` lists what the policy held back. */
export async function reconcileOnce(deps: ReconcileDeps): Promise<ReconcileResult> {
  const round = async (): Promise<ReconcileResult> => {
    const planned = await planOnce(deps);
    const applied = await applyPlan(planned.plan, deps);
    planned.plan.held = applied.held;
    return { ...planned, applied };
  };
  if (deps.lock === false) return round();
  const log = deps.log ?? silentLog;
  return withStateLock(
    deps.store,
    {
      operation: deps.operation ?? 'reconcile',
      waitMs: deps.lockWaitMs ?? 0,
      now: deps.clock(),
      onStale: (holder) => log.warn({ lock: holder }, staleLockMessage(holder).trim()),
    },
    round,
  );
}
