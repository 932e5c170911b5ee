// decide(): the pure decision core. Given the configuration, the autoscaled
// servers (state merged with what providers report), queued session requests,
// staged sessions, per-config history and the instant, it returns what to
// create, destroy, drain or hold, and which staged sessions to add or remove,
// each with a reason for people. No I/O, no clock: `input.now` is the instant.
//
// One round, per autoscale config in config order (pool order, then config order):
// 1. Activity: schedule/ decides whether the config is active at `now`
//    (disabled = never, no schedules = always).
// 2. Lifecycle (lifecycle.ts): gone, failed, timed-out, drained and used-up
//    non-reusable servers are destroyed (drained while they still have
//    sessions); the rest is usable capacity, or idle capacity of an inactive config.
// 3. Staging (docker pools, staging.ts): unstage expired/excess/unusable staged
//    sessions; count what is missing.
// 4. Sizing (server-pool.ts / docker-pool.ts): creates wanted, idle servers to
//    scale down. Inactive configs create nothing and scale idle servers to zero.
// 5. downscale_backoff holds scale-down destroys for that long after the
//    config's last create; the create backoff (history.ts) holds creates after
//    creates the provider refused (capacity, limits: 1 min doubling to 30 min), and
//    repeated failed starts.
// Then servers of configs no longer in the configuration drain / are destroyed
// (removed.ts), and finally creates are granted against each VM provider's
// max_instances in config order (provider-cap.ts).
//
// Output order is deterministic: configs in config order; within a config,
// lifecycle decisions (servers oldest first), scale-down destroys, creates,
// holds; then removed configs' servers by pool, config, age. Staging decisions
// follow the same config order, then staged sessions of removed staging configs.
//
// Cost: O(servers log servers + staged + queued + configs), plus staging
// placement (missing staged sessions × agents of their config).
import type { AutoscaleRef, Config, Pool, StagingConfig } from '../config/model.ts';
import { autoscaleConfigs, autoscaleKey } from '../config/model.ts';
import type { AutoscaleHistory } from '../model/autoscale-history.ts';
import type { Resources } from '../model/compute.ts';
import type { ConfigTarget } from './config-target.ts';
import { configTarget } from './config-target.ts';
import type { Decision, DecisionCause, DecisionInput, DecisionResult, QueuedRequest, StagedSessionView, StagingDecision } from './types.ts';
import { makeDecision } from './decision.ts';
import { classifyServers } from './lifecycle.ts';
import { iso, plural } from './format.ts';
import { createBlockedUntil, createErrorBlockedUntil, destroyBlockedUntil } from './history.ts';
import { ProviderCounts } from './provider-cap.ts';
import { removedConfigDecisions } from './removed.ts';
import { addInto, workspaceResources, zero } from './resources.ts';
import type { Sizing } from './server-pool.ts';
import { sizeServerPool } from './server-pool.ts';
import { agentFree, sizeDockerPool } from './docker-pool.ts';
import { oldestFirst } from './server-order.ts';
import { agentCapacity, checkinTimeoutMs, downscaleBackoffMs, maxInstances } from './settings.ts';
import { placeStaging, reviewStaging } from './staging.ts';

interface Activity {
  active: boolean;
  /** "schedule inactive" | "config disabled" (for reasons). */
  why: string;
  /** The schedule could not be evaluated (bad zone/time): nothing is created or scaled down. */
  error: string | null;
  /** The target in force (schedule windows, pre-warm); null when disabled or on error. */
  target: ConfigTarget | null;
}

/** Per-config work of phase 1, finished by the max_instances pass. */
interface ConfigPlan {
  ref: AutoscaleRef;
  lifecycle: Decision[];
  scaleDown: Decision[];
  creates: number;
  createReason: string;
  holds: Decision[];
  staging: StagingDecision[];
}

function activityOf(ref: AutoscaleRef, now: number, bootTimes: readonly number[] | undefined): Activity {
  if (ref.autoscale.enabled === false) return { active: false, why: 'config disabled', error: null, target: null };
  // A disabled pool takes no sessions, so capacity for it would only be billed.
  if (ref.pool.enabled === false) return { active: false, why: 'pool disabled', error: null, target: null };
  try {
    // Active while a window is, or while pre-warming for one that is about to begin (config-target.ts).
    const target = configTarget(ref, now, bootTimes);
    return { active: target.active, why: 'schedule inactive', error: null, target };
  } catch (err) {
    return { active: true, why: '', error: err instanceof Error ? err.message : String(err), target: null };
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
  }
  return map;
}

function byCreatedThenId(a: { created_at: string; id: string }, b: { created_at: string; id: string }): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The pool's queued requests go to its first active config with
 * aggressive_scaling (config order); without one, queued demand is not
 * provisioned for (the requests wait for capacity that frees up or fail at
 * queue_timeout).
 */
function queueOwners(refs: readonly AutoscaleRef[], activity: readonly Activity[]): Map<string, string> {
  const owners = new Map<string, string>();
  refs.forEach((ref, i) => {
    const a = activity[i];
    if (ref.autoscale.aggressive_scaling === true && a?.active && a.error === null && !owners.has(ref.pool.name)) {
      owners.set(ref.pool.name, ref.autoscale.name);
    }
  });
  return owners;
}

function stagingConfigsOf(pool: Pool, autoscale: string): StagingConfig[] {
  return pool.type === 'docker_agent' ? (pool.staging ?? []).filter((s) => s.autoscale === autoscale) : [];
}

export function decide(input: DecisionInput): DecisionResult {
  const now = Date.parse(input.now);
  if (!Number.isFinite(now)) throw new RangeError(`decide: invalid now "${input.now}"`);
  const realNow = input.clock === undefined ? now : Date.parse(input.clock);
  if (!Number.isFinite(realNow)) throw new RangeError(`decide: invalid clock "${String(input.clock)}"`);
  const config: Config = input.config;
  const refs = autoscaleConfigs(config);

  const serversByKey = groupBy(input.servers, (s) => autoscaleKey(s.pool, s.autoscale));
  for (const list of serversByKey.values()) list.sort(oldestFirst);
  const stagedOn = new Map<string, number>();
  for (const s of input.staged) stagedOn.set(s.server_id, (stagedOn.get(s.server_id) ?? 0) + 1);
  const stagedByPool = groupBy(input.staged, (s) => s.pool);
  const stagedIndex = new Map<string, Map<string, StagedSessionView[]>>();
  const stagedOfPool = (pool: string): Map<string, StagedSessionView[]> => {
    let byName = stagedIndex.get(pool);
    if (!byName) {
      byName = groupBy(stagedByPool.get(pool) ?? [], (s) => s.staging);
      for (const list of byName.values()) list.sort(byCreatedThenId);
      stagedIndex.set(pool, byName);
    }
    return byName;
  };
  const queuedByPool = groupBy(input.queued, (q) => q.pool);
  const activity = refs.map((ref) => activityOf(ref, now, input.bootTimes?.[autoscaleKey(ref.pool.name, ref.autoscale.name)]));
  const owners = queueOwners(refs, activity);

  const plans: ConfigPlan[] = [];
  const claimedStaging = new Set<string>(); // `pool/staging` handled by a configured autoscale config
  refs.forEach((ref, index) => {
    const { pool, autoscale } = ref;
    const key = autoscaleKey(pool.name, autoscale.name);
    const act: Activity = activity[index] ?? { active: true, why: '', error: null, target: null };
    // Sizing reads the targets in force (windows, pre-warm); everything else the config as written.
    const targeted = act.target?.autoscale ?? autoscale;
    const servers = serversByKey.get(key) ?? [];
    const history: AutoscaleHistory | undefined = input.history[key];
    const timeoutMs = checkinTimeoutMs(autoscale);
    const plan: ConfigPlan = { ref, lifecycle: [], scaleDown: [], creates: 0, createReason: '', holds: [], staging: [] };
    plans.push(plan);
    const hold = (cause: DecisionCause, reason: string): void => {
      plan.holds.push(makeDecision({ action: 'hold', pool: pool.name, autoscale: autoscale.name, reason }, cause));
    };

    const life = classifyServers({
      pool,
      autoscale,
      servers,
      active: act.active,
      inactiveWhy: act.why,
      now,
      clockNow: realNow,
      checkinTimeoutMs: timeoutMs,
      stagedOn,
    });
    plan.lifecycle = life.decisions;

    // Staging review (docker pools): what to unstage, what is missing.
    const stagingConfigs = act.target?.staging ?? stagingConfigsOf(pool, autoscale.name);
    for (const s of stagingConfigs) claimedStaging.add(`${pool.name}/${s.name}`);
    if (act.error !== null) {
      // Servers are still repaired (lifecycle above); capacity and staging are left as they are.
      hold('schedule-error', `schedule cannot be evaluated (${act.error}); nothing is created, scaled down or (un)staged`);
      return;
    }
    const stagedByName = stagingConfigs.length === 0 ? new Map<string, StagedSessionView[]>() : stagedOfPool(pool.name);
    const review = reviewStaging({
      config,
      pool,
      stagingConfigs,
      stagedByName,
      active: act.active,
      inactiveWhy: act.why,
      usableIds: new Set(life.usable.map((s) => s.id)),
      now,
    });
    plan.staging.push(...review.decisions);

    // Sizing.
    let sizing: Sizing;
    const queued: readonly QueuedRequest[] = owners.get(pool.name) === autoscale.name ? (queuedByPool.get(pool.name) ?? []) : [];
    const newAgent = pool.type === 'docker_agent' ? agentCapacity(config, autoscale, input.providerCapacity) : {};
    if (!act.active) {
      sizing = {
        creates: 0,
        createReason: '',
        problems: [],
        scaleDown: life.idleWhileInactive.map((server) => ({ server, reason: `${act.why}: idle server scaled down` })),
      };
    } else if (pool.type === 'server') {
      sizing = sizeServerPool(targeted, life.usable, queued.length, act.target?.label ?? undefined);
    } else {
      const stagingNeed = zero();
      let stagingCount = 0;
      for (const m of review.missing) {
        addInto(stagingNeed, m.each, m.count);
        stagingCount += m.count;
      }
      const queuedNeed = zero();
      for (const q of queued) addInto(queuedNeed, workspaceResources(config, q.workspace));
      sizing = sizeDockerPool(
        targeted,
        life.usable,
        newAgent,
        {
          staging: stagingNeed,
          stagingCount,
          queued: queuedNeed,
          queuedCount: queued.length,
          credits: review.credits,
        },
        act.target?.label ?? undefined,
      );
    }
    for (const p of sizing.problems) hold(p.cause, p.reason);
    // A window's max_instances: a cap on this config's servers, below the provider's (which still applies later).
    const cap = act.target?.cap ?? null;
    if (cap !== null && sizing.creates > 0) {
      const leaving = new Set(life.decisions.filter((d) => d.action === 'destroy').map((d) => d.server_id));
      const present = servers.filter((s) => !s.gone && !leaving.has(s.id)).length;
      const room = Math.max(0, cap - present);
      if (room < sizing.creates) {
        hold(
          'max-instances',
          `max_instances: window ${act.target?.capWindow ?? '?'} caps ${key} at ${plural(cap, 'server')} (${present} now); ${plural(sizing.creates - room, 'more server')} wanted`,
        );
        sizing = { ...sizing, creates: room };
      }
    }

    // Scale-down, unless downscale_backoff holds it.
    if (sizing.scaleDown.length > 0) {
      const until = destroyBlockedUntil(history, downscaleBackoffMs(pool, autoscale), now);
      if (until === null) {
        plan.scaleDown = sizing.scaleDown.map(({ server, reason }) =>
          makeDecision({ action: 'destroy', pool: pool.name, autoscale: autoscale.name, server_id: server.id, reason }, act.active ? 'scale-down' : 'inactive'),
        );
      } else {
        hold(
          'downscale-backoff',
          `downscale_backoff: last create at ${history?.last_create_at ?? '?'}; ${plural(sizing.scaleDown.length, 'idle server')} kept until ${iso(until)}`,
        );
      }
    }

    // Creates, unless the failed-start backoff holds them (max_instances comes later).
    if (sizing.creates > 0) {
      const until = createBlockedUntil(history, timeoutMs, now);
      const refusedUntil = createErrorBlockedUntil(history, now);
      if (refusedUntil !== null && (until === null || refusedUntil >= until)) {
        hold(
          'backoff',
          `backoff: last create failed with ${history?.last_create_error ?? 'a provider error'} ` +
            `(${plural(history?.create_errors ?? 0, 'refused round')} in a row), retrying after ${iso(refusedUntil)} (${plural(sizing.creates, 'server')} wanted)`,
        );
      } else if (until !== null) {
        hold(
          'backoff',
          `backoff: ${plural(history?.consecutive_failures ?? 0, 'consecutive failed start')}; next create after ${iso(until)} (${plural(sizing.creates, 'server')} wanted)`,
        );
      } else {
        plan.creates = sizing.creates;
        plan.createReason = sizing.createReason;
      }
    }

    // Staging placement on running agents (after unstaging credits).
    if (act.active && review.missing.length > 0) {
      const free = new Map<string, Resources>();
      for (const agent of life.usable) free.set(agent.id, agentFree(agent, newAgent, review.credits.get(agent.id)));
      plan.staging.push(...placeStaging(pool, review.missing, life.usable, free));
    }
  });

  // Servers of configs that are no longer configured.
  const configured = new Set(refs.map((r) => autoscaleKey(r.pool.name, r.autoscale.name)));
  const removedKeys = [...serversByKey.keys()].filter((k) => !configured.has(k)).sort();
  const removed: Decision[] = [];
  for (const key of removedKeys) removed.push(...removedConfigDecisions(serversByKey.get(key) ?? []));

  // max_instances, in config order.
  const destroyed = new Set<string>();
  for (const plan of plans) for (const d of [...plan.lifecycle, ...plan.scaleDown]) if (d.action === 'destroy' && d.server_id) destroyed.add(d.server_id);
  for (const d of removed) if (d.action === 'destroy' && d.server_id) destroyed.add(d.server_id);
  const counts = new ProviderCounts([...serversByKey.values()].flat().sort(oldestFirst), destroyed);

  const decisions: Decision[] = [];
  for (const plan of plans) {
    const { pool, autoscale } = plan.ref;
    decisions.push(...plan.lifecycle, ...plan.scaleDown);
    if (plan.creates > 0) {
      const max = maxInstances(config, autoscale.vm_provider);
      if (max === null) {
        plan.holds.push(
          makeDecision(
            {
              action: 'hold',
              pool: pool.name,
              autoscale: autoscale.name,
              reason: `vm_provider "${autoscale.vm_provider}" is not in the configuration; ${plural(plan.creates, 'server')} wanted`,
            },
            'provider-unknown',
          ),
        );
      } else {
        const before = counts.count(autoscale.vm_provider);
        const slots = counts.take(autoscale.vm_provider, plan.creates, max);
        for (const waitFor of slots) {
          decisions.push(makeDecision({ action: 'create', pool: pool.name, autoscale: autoscale.name, reason: plan.createReason }, 'scale-up', waitFor));
        }
        const granted = slots.length;
        if (granted < plan.creates) {
          plan.holds.push(
            makeDecision(
              {
                action: 'hold',
                pool: pool.name,
                autoscale: autoscale.name,
                reason: `max_instances: provider "${autoscale.vm_provider}" has ${before} of ${max} instances${granted > 0 ? ` (+${granted} now)` : ''}; ${plural(plan.creates - granted, 'more server')} wanted`,
              },
              'max-instances',
            ),
          );
        }
      }
    }
    decisions.push(...plan.holds);
  }
  decisions.push(...removed);

  // Staging decisions, then staged sessions whose staging config is gone.
  const staging: StagingDecision[] = plans.flatMap((p) => p.staging);
  const orphans: StagedSessionView[] = input.staged.filter((s) => !claimedStaging.has(`${s.pool}/${s.staging}`));
  orphans.sort((a, b) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : a.staging < b.staging ? -1 : a.staging > b.staging ? 1 : byCreatedThenId(a, b)));
  for (const s of orphans) {
    staging.push({
      action: 'unstage',
      pool: s.pool,
      staging: s.staging,
      session_id: s.id,
      reason: 'removed: its staging config (or its autoscale config) is no longer in the configuration',
    });
  }
  return { decisions, staging };
}
