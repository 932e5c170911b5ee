// What `poolform schedule` shows: for every autoscale config (config order)
// whether it is active at an instant and its next transitions. Pure: the
// instant comes in as an argument; the CLI reads the clock.
import { DateTime } from 'luxon';
import type { Config } from '../config/model.ts';
import { autoscaleConfigs } from '../config/model.ts';
import type { Transition } from './active.ts';
import { isActive, transitions } from './active.ts';

export interface ScheduleEntry {
  pool: string;
  name: string;
  active: boolean;
  transitions: Transition[];
}

/** The JSON document of `poolform schedule --json`. */
export interface ScheduleReport {
  at: string;
  autoscale: ScheduleEntry[];
}

export function buildScheduleReport(config: Config, atMs: number, count: number): ScheduleReport {
  return {
    at: new Date(atMs).toISOString(),
    autoscale: autoscaleConfigs(config).map(({ pool, autoscale }) => ({
      pool: pool.name,
      name: autoscale.name,
      active: isActive(autoscale, atMs),
      transitions: transitions(autoscale, atMs, count),
    })),
  };
}

const DAY_ORDER = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "mon,wed,fri 08:00–12:00 Europe/Berlin" */
function describeSchedule(s: { days: string[]; start: string; end: string; timezone: string }): string {
  const days = [...s.days].sort((a, b) => DAY_ORDER.indexOf(a) - DAY_ORDER.indexOf(b)).join(',');
  const overnight = s.end !== '24:00' && s.end <= s.start ? ' (next day)' : '';
  return `${days || '(no days)'} ${s.start}–${s.end}${overnight} ${s.timezone}`;
}

/** "Mon 2024-03-11 18:00 EDT" in a zone. */
function localTime(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('ccc yyyy-LL-dd HH:mm ZZZZ');
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
    if (autoscale?.enabled === false || schedules.length === 0) return;
    const zones = [...new Set(schedules.map((s) => s.timezone))];
    const atMs = Date.parse(report.at);
    out += `  at ${zones.map((z) => `${localTime(atMs, z)} (${z})`).join(', ')}\n`;
    if (entry.transitions.length === 0) {
      if (count !== 0) out += '  no transitions ahead\n';
      return;
    }
    out += '  next transitions:\n';
    for (const t of entry.transitions) {
      const ms = Date.parse(t.at);
      const local = zones.map((z) => `${localTime(ms, z)} (${z})`).join(', ');
      out += `    ${(t.active ? 'active' : 'inactive').padEnd(8)}  ${local}  = ${t.at.replace('.000Z', 'Z')} UTC\n`;
    }
  });
  return out;
}
