// What `poolform schedule` shows: for every autoscale config (config order)
// whether it is active at an instant and its next transitions. Pure: the
// instant comes in as an argument; the CLI reads the clock.
import { zoneLabel } from './zone-label.ts';
import { DateTime } from 'luxon';
import type { Config } from '../config/model.ts';
import { autoscaleConfigs } from '../config/model.ts';
import type { Transition } from './active.ts';
import { isActive, transitions } from './active.ts';
import type { TargetChange, TargetInForce } from './targets.ts';
import { targetAt, targetChanges } from './targets.ts';

/** A pre-warm lead (autoscale/prewarm.ts computes it; the report only shifts by it). */
export interface ReportLead {
  ms: number;
  why: string;
}

/** A change of the target in force; `prewarm_at`: when a rising change starts being acted on (its instant minus the lead). */
export interface ReportTargetChange extends TargetChange {
  prewarm_at?: string;
}

export interface ScheduleEntry {
  pool: string;
  name: string;
  active: boolean;
  transitions: Transition[];
  /** The target in force at the report's instant (without pre-warm): targets, and the window that set each overridden one. */
  target: TargetInForce;
  /** The next changes of the target in force (not only on/off). */
  target_changes: ReportTargetChange[];
  /** Pre-warm lead of the config (null: off). */
  prewarm: ReportLead | null;
}

/** The JSON document of `poolform schedule --json`. */
export interface ScheduleReport {
  at: string;
  autoscale: ScheduleEntry[];
}

/** Raised anything: more active, or a larger target. */
function rises(after: TargetInForce, before: TargetInForce): boolean {
  if (!after.active) return false;
  if (!before.active) return true;
  const a = after.targets;
  const b = before.targets;
  if (a.minimum_available_sessions > b.minimum_available_sessions || a.standby_cores > b.standby_cores) return true;
  if (a.standby_memory_mb > b.standby_memory_mb || a.standby_gpus > b.standby_gpus) return true;
  if (a.max_instances !== b.max_instances && (a.max_instances === null || (b.max_instances !== null && a.max_instances > b.max_instances))) return true;
  return Object.entries(a.staging).some(([n, v]) => v > (b.staging[n] ?? 0));
}

/**
 * `leadFor`: the pre-warm lead of a config (pool, autoscale name), null when
 * off; default: none. Rising target changes then carry `prewarm_at`.
 */
export function buildScheduleReport(
  config: Config,
  atMs: number,
  count: number,
  leadFor: (pool: string, autoscale: string) => ReportLead | null = () => null,
): ScheduleReport {
  return {
    at: new Date(atMs).toISOString(),
    autoscale: autoscaleConfigs(config).map(({ pool, autoscale }) => {
      const staging: Record<string, number> = {};
      if (pool.type === 'docker_agent') for (const s of pool.staging ?? []) if (s.autoscale === autoscale.name) staging[s.name] = s.num_sessions;
      const target = targetAt(autoscale, atMs, staging);
      const lead = leadFor(pool.name, autoscale.name);
      let previous = target;
      const changes: ReportTargetChange[] = targetChanges(autoscale, atMs, count, staging).map((change) => {
        const out: ReportTargetChange = { ...change };
        if (lead && lead.ms > 0 && rises(change, previous)) out.prewarm_at = new Date(Date.parse(change.at) - lead.ms).toISOString();
        previous = change;
        return out;
      });
      return {
        pool: pool.name,
        name: autoscale.name,
        active: isActive(autoscale, atMs),
        transitions: transitions(autoscale, atMs, count),
        target,
        target_changes: changes,
        prewarm: lead,
      };
    }),
  };
}

/** "minimum 50", "standby 4 cores, 8192 MB, 0 GPUs, staging chrome 20", "inactive"; plus a cap. */
function targetText(pool: { type: string }, t: TargetInForce): string {
  if (!t.active) return 'inactive';
  const x = t.targets;
  const parts: string[] = [];
  if (pool.type === 'server') parts.push(`minimum ${x.minimum_available_sessions}`);
  else {
    parts.push(`standby ${x.standby_cores} cores, ${x.standby_memory_mb} MB, ${x.standby_gpus} GPUs`);
    for (const [name, n] of Object.entries(x.staging)) parts.push(`staging ${name} ${n}`);
  }
  if (x.max_instances !== null) parts.push(`max_instances ${x.max_instances}`);
  const windows = [...new Set(Object.values(t.windows))];
  return `${parts.join(', ')}${windows.length > 0 ? ` (window ${windows.join('; window ')})` : ''}`;
}

const DAY_ORDER = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "mon,wed,fri 08:00–12:00 Europe/Berlin" */
function describeSchedule(s: { days: string[]; start: string; end: string; timezone: string }): string {
  const days = [...s.days].sort((a, b) => DAY_ORDER.indexOf(a) - DAY_ORDER.indexOf(b)).join(',');
  const overnight = s.end !== '24:00' && s.end <= s.start ? ' (next day)' : '';
  return `${days || '(no days)'} ${s.start}–${s.end}${overnight} ${s.timezone}`;
}

/** "Mon 2024-03-11 18:00 EDT" in a zone (abbreviation, else the IANA name: never "GMT+1"; zone-label.ts). */
function localTime(ms: number, zone: string): string {
  return `${DateTime.fromMillis(ms, { zone }).toFormat('ccc yyyy-LL-dd HH:mm')} ${zoneLabel(ms, zone)}`;
}

/** localTime plus the IANA name in parentheses, unless the label already is it. */
function localTimeNamed(ms: number, zone: string): string {
  const shown = localTime(ms, zone);
  return shown.endsWith(` ${zone}`) ? shown : `${shown} (${zone})`;
}

/** Human-readable report: times in each schedule's own zone(s) and in UTC. `count`: how many were asked for (0: none listed, no "no transitions" note). */
export function formatScheduleText(config: Config, report: ScheduleReport, count?: number): string {
  const refs = autoscaleConfigs(config);
  let out = `at ${report.at}\n`;
  if (refs.length === 0) return `${out}no autoscale configs\n`;
  report.autoscale.forEach((entry, i) => {
    const autoscale = refs[i]?.autoscale;
    const schedules = autoscale?.schedules ?? [];
    const state = entry.active ? 'active' : 'inactive';
    let note = '';
    if (autoscale?.enabled === false) note = ' (disabled: never active)';
    else if (schedules.length === 0) note = ' (no schedules: always active)';
    out += `\n${entry.pool}/${entry.name}: ${state}${note}\n`;
    for (const s of schedules) out += `  schedule ${describeSchedule(s)}\n`;
    const pool = refs[i]?.pool;
    if (pool && entry.target) out += `  target in force: ${targetText(pool, entry.target)}\n`;
    if (entry.prewarm) out += `  pre-warm: rising targets start early (${entry.prewarm.why})\n`;
    if (autoscale?.enabled === false || schedules.length === 0) return;
    const zones = [...new Set(schedules.map((s) => s.timezone))];
    const atMs = Date.parse(report.at);
    out += `  at ${zones.map((z) => localTimeNamed(atMs, z)).join(', ')}\n`;
    if (entry.transitions.length === 0) {
      if (count !== 0) out += '  no transitions ahead\n';
      return;
    }
    out += '  next transitions:\n';
    for (const t of entry.transitions) {
      const ms = Date.parse(t.at);
      const local = zones.map((z) => localTimeNamed(ms, z)).join(', ');
      out += `    ${(t.active ? 'active' : 'inactive').padEnd(8)}  ${local}  = ${t.at.replace('.000Z', 'Z')} UTC\n`;
    }
    if (pool && entry.target_changes.length > 0) {
      out += '  next target changes:\n';
      for (const c of entry.target_changes) {
        const local = zones.map((z) => `${localTime(Date.parse(c.at), z)}`).join(', ');
        const warm = c.prewarm_at ? `  (pre-warm from ${localTime(Date.parse(c.prewarm_at), zones[0] ?? 'UTC')})` : '';
        out += `    ${local}: ${targetText(pool, c)}${warm}\n`;
      }
    }
  });
  return out;
}
