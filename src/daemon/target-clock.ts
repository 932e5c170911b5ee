// When the daemon should wake for per-window targets and pre-warming, beside
// on/off transitions (schedule-clock.ts): the next instant where any config's
// target in force changes (e.g. 09:30, 50 → 10, with the config active
// throughout), and the next start of a fixed-duration pre-warm (a rising
// change minus `prewarm`). `prewarm: auto` depends on boot times in the state,
// which the timer does not read: those starts are picked up by the regular
// reconcile interval.
import type { Config } from '../config/model.ts';
import { autoscaleConfigs } from '../config/model.ts';
import { parsePrewarm } from '../autoscale/prewarm.ts';
import { targetChanges } from '../schedule/targets.ts';

export interface TargetEdge {
  at: number;
  pool: string;
  autoscale: string;
  /** Whether the config is active (or pre-warming) from `at`. */
  active: boolean;
  /** "target change" | "pre-warm start". */
  kind: 'target change' | 'pre-warm start';
}

/** Changes looked at per config to find the next pre-warm start after now. */
const LOOK_AHEAD = 8;

/** The earliest target change or fixed pre-warm start of any config strictly after nowMs, or null. */
export function nextTargetEdge(config: Config, nowMs: number): TargetEdge | null {
  let best: TargetEdge | null = null;
  const consider = (edge: TargetEdge): void => {
    if (edge.at > nowMs && (best === null || edge.at < best.at)) best = edge;
  };
  for (const { pool, autoscale } of autoscaleConfigs(config)) {
    if (autoscale.enabled === false || (autoscale.schedules ?? []).length === 0) continue;
    try {
      const setting = parsePrewarm(autoscale.prewarm);
      const lead = setting.kind === 'fixed' ? setting.ms : 0;
      // From now − lead, so a change whose pre-warm start is still ahead is seen.
      for (const change of targetChanges(autoscale, nowMs - lead, LOOK_AHEAD)) {
        const at = Date.parse(change.at);
        consider({ at, pool: pool.name, autoscale: autoscale.name, active: change.active, kind: 'target change' });
        if (lead > 0 && change.active) consider({ at: at - lead, pool: pool.name, autoscale: autoscale.name, active: true, kind: 'pre-warm start' });
      }
    } catch {
      // An invalid schedule never passes validate.
    }
  }
  return best;
}
