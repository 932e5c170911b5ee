// What a schedule costs, per autoscale config: the target in force now and the
// idle server-hours (docker agent pools: also idle core-hours) over the last
// 24 h, as accrued by the daemon's rounds (daemon/idle-accrual.ts). Shown in
// /api/v1/status (`autoscale`) and /metrics. No secrets: names and numbers only.
import type { Config } from '../config/model.ts';
import { autoscaleConfigs, autoscaleKey } from '../config/model.ts';
import type { IdleTotals } from '../model/capacity-usage.ts';
import type { TargetInForce } from '../schedule/targets.ts';
import { targetAt } from '../schedule/targets.ts';

export const COST_WINDOW_MS = 24 * 3_600_000;

export interface AutoscaleCost {
  pool: string;
  autoscale: string;
  type: 'server' | 'docker_agent';
  /** The target in force now (schedule windows; pre-warm not included); null when the schedule cannot be evaluated. */
  target: TargetInForce | null;
  /** Idle server-hours over the last 24 h (servers that existed with no session on them). */
  idle_server_hours_24h: number;
  /** Docker agent pools: idle core-hours over the last 24 h (cores no session used); null for server pools. */
  idle_core_hours_24h: number | null;
}

const round = (hours: number): number => Math.round(hours * 1000) / 1000;

/** Per configured autoscale config (config order). `totals`: store.idleTotals(now − 24 h). */
export function autoscaleCosts(config: Config | undefined, totals: Readonly<Record<string, IdleTotals>>, nowMs: number): AutoscaleCost[] {
  if (!config) return [];
  return autoscaleConfigs(config).map(({ pool, autoscale }) => {
    const key = autoscaleKey(pool.name, autoscale.name);
    const staging: Record<string, number> = {};
    if (pool.type === 'docker_agent') for (const s of pool.staging ?? []) if (s.autoscale === autoscale.name) staging[s.name] = s.num_sessions;
    let target: TargetInForce | null;
    try {
      target =
        autoscale.enabled === false || pool.enabled === false
          ? targetAt({ ...autoscale, enabled: false }, nowMs, staging)
          : targetAt(autoscale, nowMs, staging);
    } catch {
      target = null;
    }
    const t = totals[key];
    return {
      pool: pool.name,
      autoscale: autoscale.name,
      type: pool.type,
      target,
      idle_server_hours_24h: round((t?.server_ms ?? 0) / 3_600_000),
      idle_core_hours_24h: pool.type === 'docker_agent' ? round((t?.core_ms ?? 0) / 3_600_000) : null,
    };
  });
}
