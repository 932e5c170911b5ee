// A week of an autoscale config's schedule, day by day in one time zone, for
// the Schedules page: the active stretches of each local day (as fractions of
// that day's real length, so a 23-hour or 25-hour DST day is marked, not
// distorted), plus whether the day has a UTC-offset change. Pure: the instant
// comes in as an argument.
import { DateTime } from 'luxon';
import type { ScheduledConfig } from '../../schedule/active.ts';
import { isActive, transitions } from '../../schedule/active.ts';

export interface DaySegment {
  /** 0..1 of the day's real length. */
  from: number;
  to: number;
  fromIso: string;
  toIso: string;
}

export interface WeekDay {
  /** yyyy-LL-dd in the zone. */
  date: string;
  /** e.g. "Mon 07 Dec". */
  label: string;
  /** Real length of the local day in hours (23 or 25 on DST days). */
  hours: number;
  /** The UTC offset changes during this local day. */
  dst: boolean;
  segments: DaySegment[];
}

export interface WeekTimeline {
  zone: string;
  days: WeekDay[];
}

/** Active intervals [from, to) within [fromMs, toMs). */
export function activeIntervals(config: ScheduledConfig, fromMs: number, toMs: number): [number, number][] {
  const out: [number, number][] = [];
  let active = isActive(config, fromMs);
  let start = fromMs;
  // Two transitions a day at most per window in practice; 64 covers a busy week, and we stop at toMs anyway.
  for (const t of transitions(config, fromMs, 64)) {
    const at = Date.parse(t.at);
    if (at >= toMs) break;
    if (active && !t.active) out.push([start, at]);
    if (!active && t.active) start = at;
    active = t.active;
  }
  if (active) out.push([start, toMs]);
  return out.filter(([a, b]) => b > a);
}

/** Seven local days from the start of `nowMs`'s day in `zone`. */
export function weekTimeline(config: ScheduledConfig, zone: string, nowMs: number): WeekTimeline {
  const first = DateTime.fromMillis(nowMs, { zone }).startOf('day');
  const weekEnd = first.plus({ days: 7 }).toMillis();
  const intervals = activeIntervals(config, first.toMillis(), weekEnd);
  const days: WeekDay[] = [];
  for (let i = 0; i < 7; i++) {
    const start = first.plus({ days: i });
    const end = start.plus({ days: 1 });
    const s = start.toMillis();
    const e = end.toMillis();
    const len = e - s;
    const segments: DaySegment[] = [];
    for (const [a, b] of intervals) {
      const from = Math.max(a, s);
      const to = Math.min(b, e);
      if (to > from) segments.push({ from: (from - s) / len, to: (to - s) / len, fromIso: new Date(from).toISOString(), toIso: new Date(to).toISOString() });
    }
    days.push({ date: start.toFormat('yyyy-LL-dd'), label: start.toFormat('ccc dd LLL'), hours: len / 3_600_000, dst: start.offset !== end.offset, segments });
  }
  return { zone, days };
}

/** "Mon 2026-12-07 08:00 CET" in a zone. */
export function localTime(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('ccc yyyy-LL-dd HH:mm ZZZZ');
}

/** Whether `zone` is a time zone luxon knows (viewer zones come from the browser). */
export function validZone(zone: string | undefined): zone is string {
  if (zone === undefined || zone.length === 0 || zone.length > 64) return false;
  return DateTime.now().setZone(zone).isValid;
}
