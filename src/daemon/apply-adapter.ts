// Adapts the shared plan/apply pipeline (apply/reconcile.ts: planOnce +
// applyPlan) to the daemon's ReconcileFn. The daemon already holds the state
// lock, so the round runs with `lock: false`. Policies map as
// safe → safe, auto → all, manual → manual (plan only).
//
// The decision core's staging decisions (docker agent pools) are carried out
// here as session-level changes: `stage` puts a pre-created session on the
// chosen agent through the allocation transaction (so it can never overfill
// the agent), `unstage` ends an unused staged session.
import { idleLevels, maxIdleGapMs } from './idle-accrual.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { decisionCause } from '../autoscale/decision.ts';
import { nextHistory } from '../autoscale/history.ts';
import type { Decision, StagingDecision } from '../autoscale/types.ts';
import type { ResourceChange } from '../plan/types.ts';
import type { Config } from '../config/model.ts';
import { reconcileOnce } from '../apply/reconcile.ts';
import type { ApplyPolicy as PipelinePolicy } from '../apply/types.ts';
import { createIdGen } from '../plan/names.ts';
import { createProviderRegistry } from '../providers/registry.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import { hasRoom } from '../state/placement.ts';
import type { PlacementChooser, StateStore } from '../state/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { Log } from '../server/types.ts';
import type { ApplyPolicy, DecisionLine, ReconcileFn, ReconcileOutcome } from './pipeline.ts';
import { findPool, findPoolStaging, findStaging, findWorkspace } from '../config/lookup.ts';

function pipelinePolicy(policy: ApplyPolicy): PipelinePolicy {
  switch (policy) {
    case 'safe':
      return 'safe';
    case 'auto':
      return 'all';
    case 'manual':
      return 'manual';
    default: {
      const never: never = policy;
      throw new Error(`unknown apply policy ${String(never)}`);
    }
  }
}

// Provider clients are built once per loaded configuration (and state dir).
const registries = new WeakMap<Config, { stateDir: string; registry: ProviderRegistry }>();

function registryFor(config: Config, stateDir: string, env: Readonly<Record<string, string | undefined>>, log: Log): ProviderRegistry {
  const cached = registries.get(config);
  if (cached && cached.stateDir === stateDir) return cached.registry;
  // Provider warnings (e.g. LDAP tls_insecure_skip_verify) go to the structured log, not to stderr.
  const registry = createProviderRegistry({ config, stateDir, env, warn: (message) => log.warn({ event: 'provider-warning' }, message) });
  registries.set(config, { stateDir, registry });
  return registry;
}

/** `stateDir\0serverId` of held failed starts already counted in the config's failure streak. */
const countedHeldFailures = new Set<string>();

/**
 * apply_policy `safe` holds the destroy of a server that timed out waiting for
 * its check-in (or reported failure), and apply records only the destroys it
 * carried out in the failure streak, so without this the create back-off never
 * starts: a broken image gets a new server every checkin_timeout until
 * max_instances, none destroyed. Each held failed start is counted once (per
 * process: after a restart a lingering one may count once more, which only
 * lengthens the back-off).
 */
async function countHeldFailures(
  store: StateStore,
  stateDir: string,
  decisions: readonly Decision[],
  held: readonly ResourceChange[],
  now: string,
): Promise<void> {
  const heldServers = new Set(held.filter((c) => c.type === 'vm' && c.action === 'delete').map((c) => c.name));
  const fresh: Decision[] = [];
  for (const d of decisions) {
    const cause = decisionCause(d);
    if (d.action !== 'destroy' || d.server_id === undefined || (cause !== 'checkin-timeout' && cause !== 'failed')) continue;
    if (!heldServers.has(d.server_id)) continue;
    const key = `${stateDir}\0${d.server_id}`;
    if (countedHeldFailures.has(key)) continue;
    countedHeldFailures.add(key);
    // Counted as a drain: a failure of the streak, without pretending a destroy happened.
    fresh.push({ ...d, action: 'drain', cause });
  }
  if (fresh.length === 0) return;
  const before = await store.getHistory();
  const after = nextHistory(before, fresh, now);
  for (const [key, entry] of Object.entries(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(entry)) await store.putHistory(key, entry);
  }
}

/** Carries out staging decisions; the ones done become decision lines (logged and audited by the daemon). */
async function applyStaging(
  config: Config,
  store: StateStore,
  decisions: readonly StagingDecision[],
  now: string,
  log: Log,
): Promise<{ errors: string[]; done: DecisionLine[] }> {
  const errors: string[] = [];
  const done: DecisionLine[] = [];
  const autoscaleOf = (d: StagingDecision): string => findPoolStaging(config, d.pool, d.staging)?.autoscale ?? d.staging;
  for (const d of decisions) {
    try {
      if (d.action === 'unstage') {
        if (!d.session_id) continue;
        const s = await store.getSession(d.session_id);
        if (!s || !s.staged || s.status !== 'running') continue;
        await store.endSession(d.session_id, 'unstaged', now);
        log.info({ event: 'unstage', pool: d.pool, staging: d.staging, session_id: d.session_id, reason: d.reason }, `unstaged ${d.session_id}: ${d.reason}`);
        done.push({
          action: 'unstage',
          pool: d.pool,
          autoscale: autoscaleOf(d),
          ...(s.server_id === null ? {} : { server_id: s.server_id }),
          reason: d.reason,
        });
        continue;
      }
      if (!d.server_id) continue;
      const pool = findPool(config, d.pool);
      const staging = pool ? findStaging(pool, d.staging) : undefined;
      const workspace = staging ? findWorkspace(config, staging.workspace) : undefined;
      if (!pool || !staging || !workspace) continue;
      const resources = { cores: workspace.cores ?? 1, memory_mb: workspace.memory_mb ?? 2048, gpus: workspace.gpus ?? 0 };
      const target = d.server_id;
      const onlyTarget: PlacementChooser = (candidates) => {
        const c = candidates.find((x) => x.server.id === target);
        return c && hasRoom(c, resources) ? target : null;
      };
      const result = await store.allocateSession(
        { id: randomUUID(), pool: d.pool, user: '', zone: staging.zone ?? null, workspace: workspace.name, resources, api_key: null, now },
        onlyTarget,
        { onNoCapacity: 'reject' },
      );
      if (result.outcome !== 'placed') {
        log.warn({ event: 'stage-skipped', pool: d.pool, staging: d.staging, server_id: target }, `cannot stage on ${target}: no room`);
        continue;
      }
      await store.putSession({ ...result.session, staged: true, staging: staging.name });
      log.info(
        { event: 'stage', pool: d.pool, staging: d.staging, session_id: result.session.id, server_id: target, reason: d.reason },
        `staged ${result.session.id} on ${target}: ${d.reason}`,
      );
      done.push({ action: 'stage', pool: d.pool, autoscale: autoscaleOf(d), server_id: target, reason: d.reason });
    } catch (err) {
      errors.push(`staging ${d.pool}/${d.staging}: ${errorMessage(err)}`);
    }
  }
  return { errors, done };
}

/**
 * When the plan waits for something (a VM an interrupted apply launched that the
 * provider does not list yet), look again this soon rather than after the interval.
 */
export const WAITING_REQUEUE_MS = 10_000;

export const applyPipeline: ReconcileFn = async (request): Promise<ReconcileOutcome> => {
  const { config, store, log } = request;
  const registry = registryFor(config, request.stateDir, request.env, log);
  const result = await reconcileOnce({
    config,
    store,
    registry,
    clock: request.clock ?? (() => new Date()),
    at: request.now,
    idGen: createIdGen((n) => randomBytes(n)),
    newId: randomUUID,
    env: request.env,
    apiAddress: request.upstreamAuthAddress,
    policy: pipelinePolicy(request.policy),
    actor: 'serve',
    log,
    lock: false,
  });
  const changesByAddress = new Map(result.plan.changes.map((c) => [c.address, c]));
  const errors = [...result.plan.errors];
  const providerErrors: { provider: string; message: string }[] = [];
  for (const e of result.observed?.errors ?? []) {
    providerErrors.push({ provider: e.provider, message: e.message });
    errors.push(`observe ${e.kind} provider ${e.provider}: error [${e.code}]: ${e.message}`);
  }
  for (const f of result.applied.failures) {
    const provider = changesByAddress.get(f.address)?.provider ?? 'poolform';
    providerErrors.push({ provider, message: f.message ?? 'failed' });
    errors.push(`${f.address}: error [${f.code ?? 'apply-failed'}]: ${f.message ?? 'failed'}`);
  }
  if (request.policy === 'safe' && result.applied.held.length > 0) {
    try {
      await countHeldFailures(store, request.stateDir, result.result.decisions, result.applied.held, request.now.toISOString());
    } catch (err) {
      errors.push(`recording held failed starts: ${errorMessage(err)}`);
    }
  }
  // What idle capacity cost since the last round (daemon/idle-accrual.ts): /status and /metrics show the last 24 h.
  try {
    await store.accrueIdle(request.now.toISOString(), idleLevels(result.input), maxIdleGapMs(config.settings.reconcile_interval));
  } catch (err) {
    errors.push(`recording idle capacity: ${errorMessage(err)}`);
  }
  const staged: DecisionLine[] = [];
  if (request.policy !== 'manual') {
    const outcome = await applyStaging(config, store, result.result.staging, request.now.toISOString(), log);
    errors.push(...outcome.errors);
    staged.push(...outcome.done);
  }
  return {
    changes: result.plan.changes.map((c) => ({ address: c.address, action: c.action, reason: c.reason })),
    applied: result.applied.outcomes.filter((o) => o.status === 'applied').length,
    failed: result.applied.failures.length,
    held: result.applied.held.map((c) => ({ address: c.address, action: c.action, reason: c.reason })),
    decisions: result.result.decisions
      .map(
        (d): DecisionLine => ({
          action: d.action,
          pool: d.pool,
          autoscale: d.autoscale,
          reason: d.reason,
          ...(d.server_id === undefined ? {} : { server_id: d.server_id }),
        }),
      )
      .concat(staged),
    errors,
    providerErrors,
    audited: false,
    ...((result.plan.waiting?.length ?? 0) > 0 ? { requeueAfterMs: WAITING_REQUEUE_MS } : {}),
  };
};
