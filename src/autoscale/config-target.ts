// The target a config acts on in one decision round: the schedule's target in
// force at `now` (schedule/targets.ts), brought forward by the pre-warm lead
// (prewarm.ts), applied to the autoscale config and its staging configs so the
// sizing code reads them as usual. Also the words reasons use for it. Pure.
import type { AutoscaleConfig, AutoscaleRef, StagingConfig } from '../config/model.ts';
import type { TargetInForce, Targets } from '../schedule/targets.ts';
import { prewarmedTargetAt } from '../schedule/targets.ts';
import { DateTime } from 'luxon';
import { prewarmLead } from './prewarm.ts';
import type { PrewarmLead } from './prewarm.ts';

export interface ConfigTarget {
  active: boolean;
  /** The autoscale config with the target in force (minimum_available_sessions, standby_*). */
  autoscale: AutoscaleConfig;
  /** The pool's staging configs that use this autoscale config, num_sessions as in force. */
  staging: StagingConfig[];
  /** This config's own cap on servers (a window's max_instances); null: none. */
  cap: number | null;
  /** The window that set the cap, for reasons. */
  capWindow: string | null;
  /** What the wanted amount comes from when a window or pre-warm sets it, e.g. "window mon-fri 07:30–09:30 Europe/Berlin: minimum 50"; null: the config's own fields. */
  label: string | null;
  /** Pre-warm lead in force (null: off). */
  lead: PrewarmLead | null;
}

function stagingOf(ref: AutoscaleRef): StagingConfig[] {
  return ref.pool.type === 'docker_agent' ? (ref.pool.staging ?? []).filter((s) => s.autoscale === ref.autoscale.name) : [];
}

/** "minimum 50" / "standby 8 cores, 16384 MB, 1 GPU, staging chrome 20" for the targets a window set. */
export function describeTargets(t: Targets, keys: readonly string[]): string {
  const parts: string[] = [];
  if (keys.includes('minimum_available_sessions')) parts.push(`minimum ${t.minimum_available_sessions}`);
  const standby: string[] = [];
  if (keys.includes('standby_cores')) standby.push(`${t.standby_cores} cores`);
  if (keys.includes('standby_memory_mb')) standby.push(`${t.standby_memory_mb} MB`);
  if (keys.includes('standby_gpus')) standby.push(`${t.standby_gpus} GPUs`);
  if (standby.length > 0) parts.push(`standby ${standby.join(', ')}`);
  for (const key of keys) if (key.startsWith('staging:')) parts.push(`staging ${key.slice(8)} ${t.staging[key.slice(8)] ?? 0}`);
  if (keys.includes('max_instances') && t.max_instances !== null) parts.push(`max_instances ${t.max_instances}`);
  return parts.join(', ');
}

/** "window mon-fri 07:30–09:30 Europe/Berlin: minimum 50; window …" (one entry per window, sizing targets only). */
function windowLabel(force: TargetInForce): string | null {
  const byWindow = new Map<string, string[]>();
  for (const [key, window] of Object.entries(force.windows)) {
    if (key === 'max_instances') continue;
    const list = byWindow.get(window) ?? [];
    list.push(key);
    byWindow.set(window, list);
  }
  if (byWindow.size === 0) return null;
  return [...byWindow].map(([window, keys]) => `window ${window}: ${describeTargets(force.targets, keys)}`).join('; ');
}

/** What a rising target needs, in the first zone's wall time: "window 07:30 needs 50". */
function risingLabel(ref: AutoscaleRef, rising: TargetInForce & { at: string }, targets: Targets, lead: PrewarmLead): string {
  const zone = ref.autoscale.schedules?.[0]?.timezone ?? 'UTC';
  const at = DateTime.fromISO(rising.at, { zone });
  const local = at.isValid ? at.toFormat('HH:mm') : rising.at;
  const need =
    ref.pool.type === 'server'
      ? String(targets.minimum_available_sessions)
      : describeTargets(targets, ['standby_cores', 'standby_memory_mb', 'standby_gpus', ...Object.keys(targets.staging).map((n) => `staging:${n}`)]);
  return `pre-warm: window ${local} needs ${need}, ${lead.why}`;
}

/**
 * The target of `ref` for a round at `nowMs`. `bootTimes`: the config's boot
 * durations, oldest first (prewarm: auto). Throws RangeError when the schedule
 * cannot be evaluated.
 */
export function configTarget(ref: AutoscaleRef, nowMs: number, bootTimes: readonly number[] = []): ConfigTarget {
  const stagingConfigs = stagingOf(ref);
  const baseStaging: Record<string, number> = {};
  for (const s of stagingConfigs) baseStaging[s.name] = s.num_sessions;
  const lead = prewarmLead(ref.autoscale, bootTimes);
  const current = prewarmedTargetAt(ref.autoscale, nowMs, 0, baseStaging);
  const force = lead ? prewarmedTargetAt(ref.autoscale, nowMs, lead.ms, baseStaging) : current;
  const t = force.targets;
  const autoscale: AutoscaleConfig = {
    ...ref.autoscale,
    minimum_available_sessions: t.minimum_available_sessions,
    standby_cores: t.standby_cores,
    standby_memory_mb: t.standby_memory_mb,
    standby_gpus: t.standby_gpus,
  };
  const staging = stagingConfigs.map((s) => ({ ...s, num_sessions: t.staging[s.name] ?? s.num_sessions }));
  // Pre-warm raised something the current window does not: say so; else name the window(s) in force.
  const prewarming = lead !== null && force.rising !== null && (!current.active || raises(t, current.targets));
  const label = prewarming && force.rising && lead ? risingLabel(ref, force.rising, t, lead) : windowLabel(force);
  return {
    active: force.active,
    autoscale,
    staging,
    cap: t.max_instances,
    capWindow: force.windows['max_instances'] ?? null,
    label,
    lead,
  };
}

function raises(after: Targets, before: Targets): boolean {
  if (after.minimum_available_sessions > before.minimum_available_sessions) return true;
  if (after.standby_cores > before.standby_cores || after.standby_memory_mb > before.standby_memory_mb || after.standby_gpus > before.standby_gpus) return true;
  return Object.entries(after.staging).some(([n, v]) => v > (before.staging[n] ?? 0));
}
