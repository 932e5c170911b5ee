// Idle capacity per autoscale config, sampled after each reconcile round and
// accrued in the state (store.accrueIdle), so /status and /metrics can show
// idle server-/core-hours over the last 24 h.
//
// Definitions (docs/schedules-and-scaling.md): an idle server is an autoscaled server
// the provider still has (not gone) with no session on it (staged sessions
// count as sessions: they are capacity the config asked for); idle cores are
// a docker agent's cores no session uses. The level seen at one sample counts
// until the next one; a gap over maxIdleGapMs (the daemon was down) is not guessed.
import type { DecisionInput } from '../autoscale/types.ts';
import { autoscaleConfigs, autoscaleKey } from '../config/model.ts';
import type { IdleLevel } from '../model/capacity-usage.ts';
import { parseDuration } from '../util/duration.ts';

export const MAX_IDLE_GAP_MS = 10 * 60_000;

/** The longest gap between samples that still accrues: 10 minutes, or three reconcile intervals when those are longer. */
export function maxIdleGapMs(reconcileInterval: string | undefined): number {
  let interval = 0;
  try {
    interval = parseDuration(reconcileInterval ?? '30s');
  } catch {
    interval = 0;
  }
  return Math.max(MAX_IDLE_GAP_MS, 3 * interval);
}

/** Idle levels per configured autoscale config (0 included) from a round's decision input. Pure. */
export function idleLevels(input: Pick<DecisionInput, 'config' | 'servers'>): Record<string, IdleLevel> {
  const out: Record<string, IdleLevel> = {};
  for (const { pool, autoscale } of autoscaleConfigs(input.config)) out[autoscaleKey(pool.name, autoscale.name)] = { servers: 0, cores: 0 };
  for (const s of input.servers) {
    const level = out[autoscaleKey(s.pool, s.autoscale)];
    if (!level || s.gone) continue;
    if (s.active_sessions === 0) level.servers += 1;
    if (s.capacity) level.cores += Math.max(0, s.capacity.cores - (s.used?.cores ?? 0));
  }
  return out;
}
