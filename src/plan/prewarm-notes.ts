// For people reading a plan (`plan --at` included): when each pre-warming
// config next starts acting on a rising target, and why that early. Pure.
import type { Config } from '../config/model.ts';
import { autoscaleConfigs, autoscaleKey } from '../config/model.ts';
import { prewarmLead } from '../autoscale/prewarm.ts';
import { describeTargets } from '../autoscale/config-target.ts';
import type { TargetInForce } from '../schedule/targets.ts';
import { targetAt, targetChanges } from '../schedule/targets.ts';

const LOOK_AHEAD = 40;

function rises(after: TargetInForce, before: TargetInForce): boolean {
  if (!after.active) return false;
  if (!before.active) return true;
  const a = after.targets;
  const b = before.targets;
  return (
    a.minimum_available_sessions > b.minimum_available_sessions ||
    a.standby_cores > b.standby_cores ||
    a.standby_memory_mb > b.standby_memory_mb ||
    a.standby_gpus > b.standby_gpus ||
    Object.entries(a.staging).some(([n, v]) => v > (b.staging[n] ?? 0))
  );
}

/**
 * One line per config with `prewarm` on and a rising target ahead:
 * "desktops/day: pre-warm from 2024-03-12T06:16:00.000Z for 2024-03-12T06:30:00.000Z (window mon-fri 07:30–09:30 Europe/Berlin: minimum 50), boot time 14m (median of 20)".
 * `bootTimes`: per `pool/autoscale`, oldest first. Configs whose schedule cannot be evaluated are left out (decide() holds them).
 */
export function prewarmNotes(config: Config, atMs: number, bootTimes: Readonly<Record<string, readonly number[]>> = {}): string[] {
  const out: string[] = [];
  for (const { pool, autoscale } of autoscaleConfigs(config)) {
    if (autoscale.enabled === false || pool.enabled === false || (autoscale.schedules ?? []).length === 0) continue;
    const key = autoscaleKey(pool.name, autoscale.name);
    const lead = prewarmLead(autoscale, bootTimes[key] ?? []);
    if (!lead) continue;
    const staging: Record<string, number> = {};
    if (pool.type === 'docker_agent') for (const s of pool.staging ?? []) if (s.autoscale === autoscale.name) staging[s.name] = s.num_sessions;
    try {
      // A rising change whose pre-warm has not ended yet: it may have started already (then "now").
      let previous = targetAt(autoscale, atMs - lead.ms, staging);
      for (const change of targetChanges(autoscale, atMs - lead.ms, LOOK_AHEAD, staging)) {
        const changeMs = Date.parse(change.at);
        const raised = rises(change, previous);
        previous = change;
        if (!raised || changeMs <= atMs) continue;
        const start = changeMs - lead.ms;
        const keys = Object.keys(change.windows).filter((k) => k !== 'max_instances');
        const windows = [...new Set(keys.map((k) => change.windows[k]))];
        const what = windows.length > 0 ? `window ${windows.join('; window ')}: ${describeTargets(change.targets, keys)}` : 'schedule active';
        const when = start <= atMs ? `pre-warming now (since ${new Date(start).toISOString()})` : `pre-warm from ${new Date(start).toISOString()}`;
        out.push(`${key}: ${when} for ${change.at} (${what}), ${lead.why}`);
        break;
      }
    } catch {
      // An invalid schedule: decide() holds the config and says why.
    }
  }
  return out;
}
