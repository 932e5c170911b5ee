// Sizing of a docker agent pool's autoscale config (active configs only).
//
// Each dimension (cores, memory, GPUs) is sized on its own:
// available = free resources of usable agents (capacity − used; capacity on
// its way counts), plus what the staged sessions removed this round free up.
// wanted = standby_cores / standby_memory_mb / standby_gpus, plus the
// resources of the staged sessions still to create, plus (aggressive_scaling)
// the queued requests' workspaces. Agents are created until every dimension
// is met; idle agents are destroyed only while every dimension stays met and,
// in every dimension that is wanted at all, the surplus is at least one new
// agent's worth (the same fixed-point hysteresis as server pools).
import type { AutoscaleConfig } from '../config/model.ts';
import type { Resources } from '../model/compute.ts';
import type { ScaleDown, Sizing } from './server-pool.ts';
import type { ServerView } from './types.ts';
import { DIMENSIONS, addInto, formatResources, freeOf, zero } from './resources.ts';
import { plural } from './format.ts';
import { scaleDownOrder } from './server-order.ts';

export interface DockerDemand {
  /** Resources of staged sessions to create this round. */
  staging: Resources;
  stagingCount: number;
  /** Resources of queued requests (aggressive scaling only; zero otherwise). */
  queued: Resources;
  queuedCount: number;
  /** Resources freed on usable agents by unstaging this round, per agent id. */
  credits: ReadonlyMap<string, Resources>;
}

const DIMENSION_NAME: Record<(typeof DIMENSIONS)[number], string> = { cores: 'cores', memory_mb: 'memory', gpus: 'GPUs' };
const OVERRIDE: Record<(typeof DIMENSIONS)[number], string> = {
  cores: 'agent_cores_override',
  memory_mb: 'agent_memory_override_gb',
  gpus: 'agent_gpus_override',
};

/** What an agent offers now: its reported capacity, else what a new agent of the config offers (unknown dimensions: 0). */
export function agentFree(agent: ServerView, newAgent: Partial<Resources>, credit: Resources | undefined): Resources {
  const capacity = agent.capacity ?? { cores: newAgent.cores ?? 0, memory_mb: newAgent.memory_mb ?? 0, gpus: newAgent.gpus ?? 0 };
  const free = freeOf(capacity, agent.used);
  if (credit) addInto(free, credit);
  return free;
}

export function sizeDockerPool(
  autoscale: AutoscaleConfig,
  usable: readonly ServerView[],
  newAgent: Partial<Resources>,
  demand: DockerDemand,
  /** Where standby/staging targets come from when a schedule window or pre-warm sets them (autoscale/config-target.ts). */
  label?: string,
): Sizing {
  const available = zero();
  const freeById = new Map<string, Resources>();
  for (const agent of usable) {
    const free = agentFree(agent, newAgent, demand.credits.get(agent.id));
    freeById.set(agent.id, free);
    addInto(available, free);
  }
  const wanted: Resources = {
    cores: autoscale.standby_cores ?? 0,
    memory_mb: autoscale.standby_memory_mb ?? 0,
    gpus: autoscale.standby_gpus ?? 0,
  };
  addInto(wanted, demand.staging);
  addInto(wanted, demand.queued);
  const parts = [label ?? 'standby_*'];
  if (demand.stagingCount > 0) parts.push(`${plural(demand.stagingCount, 'staged session')} to create`);
  if (demand.queuedCount > 0) parts.push(`${plural(demand.queuedCount, 'queued request')}, aggressive_scaling`);
  const why = `available ${formatResources(available)}; wanted ${formatResources(wanted)} (${parts.join(' + ')})`;

  const result: Sizing = { creates: 0, createReason: '', scaleDown: [], problems: [] };
  let deficit = false;
  for (const dim of DIMENSIONS) {
    const missing = wanted[dim] - available[dim];
    if (missing <= 1e-9) continue;
    deficit = true;
    const per = newAgent[dim];
    if (per === undefined || per <= 0) {
      result.problems.push({
        cause: 'capacity-unknown',
        reason: `cannot add ${DIMENSION_NAME[dim]}: ${missing} more wanted but a new agent's ${DIMENSION_NAME[dim]} are ${per === undefined ? 'unknown' : 'zero'} (set ${OVERRIDE[dim]} or use a provider that reports its instance size)`,
      });
      continue;
    }
    result.creates = Math.max(result.creates, Math.ceil(missing / per - 1e-9));
  }
  if (result.creates > 0) result.createReason = `scale-up: ${why}`;
  if (deficit) return result;

  const surplus: Resources = { cores: available.cores - wanted.cores, memory_mb: available.memory_mb - wanted.memory_mb, gpus: available.gpus - wanted.gpus };
  const candidates = usable.filter((a) => a.active_sessions === 0).sort(scaleDownOrder);
  const scaleDown: ScaleDown[] = [];
  for (const agent of candidates) {
    const free = freeById.get(agent.id) ?? zero();
    // Keeps every dimension met, and (hysteresis) a dimension that is wanted at all keeps one new agent's worth of surplus.
    const removable = DIMENSIONS.every((dim) => surplus[dim] + 1e-9 >= free[dim] && (wanted[dim] <= 0 || surplus[dim] + 1e-9 >= (newAgent[dim] ?? free[dim])));
    if (!removable) continue;
    scaleDown.push({ server: agent, reason: `scale-down: idle agent not needed; ${why}` });
    for (const dim of DIMENSIONS) surplus[dim] -= free[dim];
  }
  result.scaleDown = scaleDown;
  return result;
}
