// The bridge between the pure schedule module and the running daemon: whether
// an autoscale config is active now (for placement), and when the next
// schedule transition of any config happens (the daemon sets a timer for it
// rather than waiting for the next reconcile tick).
import type { Config } from '../config/model.ts';
import { autoscaleConfigs } from '../config/model.ts';
import { isActive, transitions } from '../schedule/index.ts';
import type { ActiveCheck } from '../server/context.ts';
import { findPoolAutoscale } from '../config/lookup.ts';

export const activeCheck: ActiveCheck = (config, pool, autoscale, nowMs) => {
  const a = findPoolAutoscale(config, pool, autoscale);
  if (!a) return false;
  try {
    return isActive(a, nowMs);
  } catch {
    // An invalid schedule never passes validate; treat it as inactive rather than fail a request.
    return false;
  }
};

/** Epoch ms of the next schedule transition of any autoscale config after nowMs, or null. */
export function nextTransition(config: Config, nowMs: number): { at: number; pool: string; autoscale: string; active: boolean } | null {
  let best: { at: number; pool: string; autoscale: string; active: boolean } | null = null;
  for (const { pool, autoscale } of autoscaleConfigs(config)) {
    let next: ReturnType<typeof transitions>[number] | undefined;
    try {
      next = transitions(autoscale, nowMs, 1)[0];
    } catch {
      continue;
    }
    if (!next) continue;
    const at = Date.parse(next.at);
    if (best === null || at < best.at) best = { at, pool: pool.name, autoscale: autoscale.name, active: next.active };
  }
  return best;
}
