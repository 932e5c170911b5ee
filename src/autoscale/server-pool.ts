// Sizing of a server pool's autoscale config (active configs only).
//
// available = free session slots on usable servers (running, and also
// provisioning/starting: capacity on its way counts, so a burst is not
// provisioned twice). wanted = minimum_available_sessions, plus the pool's
// queued requests when aggressive_scaling is on. Below wanted: create
// ceil(deficit / max_simultaneous_sessions_per_server) servers. Above: destroy
// idle servers while removing the server keeps available ≥ wanted and (when
// anything is wanted at all) the surplus is at least one new server's worth of
// slots. That hysteresis makes the result a fixed point: right after a
// scale-up the surplus is smaller than one new server, so the next round
// destroys nothing; with nothing wanted every idle server goes.
import type { AutoscaleConfig } from '../config/model.ts';
import type { ServerView } from './types.ts';
import { plural } from './format.ts';
import { usedUp } from './lifecycle.ts';
import { minimumAvailable, slotsPerServer } from './settings.ts';
import { scaleDownOrder } from './server-order.ts';

export interface ScaleDown {
  server: ServerView;
  reason: string;
}

export interface Sizing {
  /** Servers wanted beyond what exists (before max_instances and backoff). */
  creates: number;
  /** Reason shared by those creates. */
  createReason: string;
  /** Idle servers to destroy (before downscale_backoff), in order. */
  scaleDown: ScaleDown[];
  /** Why sizing cannot do what is needed (kept as hold decisions). */
  problems: { cause: 'capacity-unknown'; reason: string }[];
}

/** Free slots of a usable server: none on a non-reusable server once used. */
export function freeSlots(server: ServerView, autoscale: AutoscaleConfig): number {
  const reusable = server.reusable ?? autoscale.reusable ?? true;
  if (!reusable && ((server.sessions_started ?? server.active_sessions) > 0 || usedUp(server, autoscale))) return 0;
  return Math.max(0, server.max_sessions - server.active_sessions);
}

/** `label`: where the minimum comes from when a schedule window or pre-warm sets it (autoscale/config-target.ts). */
function wantedText(minimum: number, queued: number, label?: string): string {
  if (queued === 0) return label ?? 'minimum_available_sessions';
  return `${label ? `${label}; ` : ''}minimum_available_sessions ${minimum} + ${plural(queued, 'queued request')}, aggressive_scaling`;
}

export function sizeServerPool(autoscale: AutoscaleConfig, usable: readonly ServerView[], queued: number, label?: string): Sizing {
  const slots = slotsPerServer(autoscale);
  const minimum = minimumAvailable(autoscale);
  const wanted = minimum + queued;
  let available = 0;
  for (const server of usable) available += freeSlots(server, autoscale);
  const result: Sizing = { creates: 0, createReason: '', scaleDown: [], problems: [] };
  const why = wantedText(minimum, queued, label);
  if (available < wanted) {
    result.creates = Math.ceil((wanted - available) / slots);
    result.createReason = `scale-up: ${plural(available, 'session')} available, ${wanted} wanted (${why})`;
    return result;
  }
  if (wanted > 0 && available - wanted < slots) return result;
  const candidates = usable.filter((s) => s.active_sessions === 0).sort(scaleDownOrder);
  for (const server of candidates) {
    const free = freeSlots(server, autoscale);
    const surplus = available - wanted;
    if (surplus < free || (wanted > 0 && surplus < slots)) continue;
    result.scaleDown.push({
      server,
      reason: `scale-down: idle server not needed; ${plural(available, 'session')} available, ${wanted} wanted (${why}), ${available - free} after this one`,
    });
    available -= free;
  }
  return result;
}
