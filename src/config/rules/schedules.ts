// Schedule rules (per autoscale config):
// schedule-timezone: a valid IANA zone (luxon).
// schedule-time: start/end are HH:MM (end may be 24:00; the schema checks
//   too, this keeps the rule self-contained for configs built in code).
// schedule-empty-window: start ≠ end.
// schedule-no-days: at least one day.
// schedule-gap (warning): chained schedules that leave a one-minute hole,
//   e.g. one ends 11:59 and the next starts 12:00. Upstream's midnight chain
//   (ends 23:59, the next day starts 00:00) is no gap: the scheduler treats it
//   as continuous (schedule/chaining.ts), so it is not warned about.
import { IANAZone } from 'luxon';
import type { Rule } from './context.ts';
import type { Schedule } from '../../generated/config.ts';
import { overBudgetMessage } from '../budgets.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const WEEK = 7 * 1440;
const START = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const END = /^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/;

export function minutesOf(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function hhmm(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

interface Window {
  schedule: number;
  start: number; // minute of the week, 0 = Monday 00:00
  end: number; // exclusive, may exceed WEEK (wraps)
}

/** Active windows in minutes of the week for well-formed schedules. */
function windows(schedules: readonly Schedule[], ok: readonly boolean[]): Window[] {
  const out: Window[] = [];
  schedules.forEach((s, index) => {
    if (!ok[index]) return;
    const start = minutesOf(s.start);
    const end = minutesOf(s.end);
    for (const day of s.days) {
      const d = DAYS.indexOf(day);
      const ws = d * 1440 + start;
      out.push({ schedule: index, start: ws, end: end > start ? d * 1440 + end : (d + 1) * 1440 + end });
    }
  });
  return out;
}

// luxon builds an Intl.DateTimeFormat per check: cache per zone name (a big config repeats a few zones).
const zoneValidity = new Map<string, boolean>();
/**
 * An IANA zone name (Region/City, UTC, Etc/GMT+5...). Intl also accepts fixed
 * offsets such as "+05:00"; those are not zone names and have no DST rules, so
 * they are refused: an offset schedule silently drifts an hour twice a year.
 */
export function isValidTimeZone(name: string): boolean {
  let valid = zoneValidity.get(name);
  if (valid === undefined) {
    valid = /^[A-Za-z]/.test(name) && IANAZone.isValidZone(name);
    zoneValidity.set(name, valid);
  }
  return valid;
}

interface ZoneIndex {
  /** Disjoint, sorted [start, end) minute-of-week intervals that some window of the zone covers. */
  covered: [number, number][];
  /** The first window (in config order) starting at each minute of the week. */
  startingAt: Map<number, Window>;
}

/** Per time zone: the union of its windows (wrapping ones split at the week's end) and the windows by start minute. */
function indexByZone(ws: readonly Window[], list: readonly Schedule[]): Map<string, ZoneIndex> {
  const raw = new Map<string, { intervals: [number, number][]; startingAt: Map<number, Window> }>();
  for (const w of ws) {
    const tz = list[w.schedule]?.timezone ?? '';
    let z = raw.get(tz);
    if (!z) raw.set(tz, (z = { intervals: [], startingAt: new Map() }));
    const start = w.start % WEEK;
    const end = start + (w.end - w.start);
    if (end <= WEEK) z.intervals.push([start, end]);
    else z.intervals.push([start, WEEK], [0, end - WEEK]);
    if (!z.startingAt.has(start)) z.startingAt.set(start, w);
  }
  const out = new Map<string, ZoneIndex>();
  for (const [tz, z] of raw) {
    z.intervals.sort((a, b) => a[0] - b[0]);
    const covered: [number, number][] = [];
    for (const [a, b] of z.intervals) {
      const last = covered[covered.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else covered.push([a, b]);
    }
    out.set(tz, { covered, startingAt: z.startingAt });
  }
  return out;
}

/** Whether a minute of the week lies in one of the sorted disjoint intervals (binary search). */
function isCovered(covered: readonly [number, number][], minute: number): boolean {
  let lo = 0;
  let hi = covered.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const iv = covered[mid];
    if (!iv) return false;
    if (minute < iv[0]) hi = mid - 1;
    else if (minute >= iv[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

export const schedules: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    (pool.autoscale ?? []).forEach((a, i) => {
      const list = a.schedules ?? [];
      if (list.length > ctx.budgets.maxSchedules) {
        // Checked per schedule below, so bounded first.
        ctx.report(
          'error',
          'config-too-large',
          overBudgetMessage('maxSchedules', ctx.budgets.maxSchedules, `this autoscale config has ${list.length.toLocaleString('en-US')} schedules`),
          {
            doc: pool,
            path: ['autoscale', i, 'schedules'],
            target: 'key',
          },
        );
        return;
      }
      const ok = list.map((s, j) => {
        const at = ['autoscale', i, 'schedules', j];
        let good = true;
        if (!isValidTimeZone(s.timezone)) {
          ctx.report('error', 'schedule-timezone', `"${s.timezone}" is not an IANA time zone (e.g. America/New_York, Europe/Berlin, UTC)`, {
            doc: pool,
            path: [...at, 'timezone'],
          });
          good = false;
        }
        if (!START.test(s.start)) {
          ctx.report('error', 'schedule-time', `start "${s.start}" is not HH:MM (00:00-23:59)`, { doc: pool, path: [...at, 'start'] });
          good = false;
        }
        if (!END.test(s.end)) {
          ctx.report('error', 'schedule-time', `end "${s.end}" is not HH:MM (00:00-24:00)`, { doc: pool, path: [...at, 'end'] });
          good = false;
        }
        if (good && minutesOf(s.start) === minutesOf(s.end)) {
          ctx.report('error', 'schedule-empty-window', `start and end are both ${s.start}: a window must have a length (use 00:00 to 24:00 for a whole day)`, {
            doc: pool,
            path: [...at, 'end'],
          });
          good = false;
        }
        if (s.days.length === 0) {
          ctx.report('error', 'schedule-no-days', 'a schedule needs at least one day', { doc: pool, path: [...at, 'days'] });
          good = false;
        }
        return good;
      });
      // Gaps are only meaningful between schedules in the same time zone.
      // Linear-logarithmic: per zone, the windows' union sorted once
      // (coverage by binary search) and a map of start minute → first window.
      const ws = windows(list, ok);
      const zones = indexByZone(ws, list);
      const warned = new Set<number>();
      for (const w of ws) {
        if (warned.has(w.schedule)) continue;
        const tz = list[w.schedule]?.timezone ?? '';
        const endMinute = w.end % WEEK;
        const zone = zones.get(tz);
        if (!zone || isCovered(zone.covered, endMinute)) continue;
        const next = zone.startingAt.get((endMinute + 1) % WEEK);
        if (!next) continue;
        // 23:59 → 00:00 the next day: continuous (schedule/chaining.ts), not a gap.
        if (endMinute % 1440 === 1439) continue;
        warned.add(w.schedule);
        const s = list[w.schedule];
        const suggestion = hhmm(next.start) === '00:00' ? '24:00' : hhmm(next.start);
        const day = DAY_NAMES[Math.floor(endMinute / 1440)] ?? '';
        ctx.report(
          'warning',
          'schedule-gap',
          `${next.schedule === w.schedule ? 'this schedule ends' : 'schedule ends'} at ${s?.end ?? ''} and ${next.schedule === w.schedule ? 'starts again' : `schedule ${next.schedule + 1} starts`} at ${hhmm(next.start)}: the minute ${hhmm(endMinute)}-${hhmm(endMinute + 1)} on ${day} is inactive; use end: "${suggestion}"`,
          { doc: pool, path: ['autoscale', i, 'schedules', w.schedule, 'end'] },
        );
      }
    });
  }
};
