// Concrete activity windows of schedules: [start, end) intervals of epoch ms.
//
// A schedule `{days, start, end, timezone}` opens one window on every listed
// local day (days are the days a window STARTS):
// - start < end: [start, end) that day; `end: "24:00"` is midnight at the end of that day;
// - start > end: overnight, from start that day until end on the next day;
// - start = end: a full 24 hours, from start that day until the same wall time next day.
// Times are taken literally: a window ending "23:59" stops a minute before
// midnight, except in upstream's 23:59/00:00 chains (chaining.ts sets
// `chainMask`): such a window runs to midnight, so the chain is continuous.
// Both ends are mapped to instants with resolveWall (DST rules in zone-time.ts).
// A window whose two ends fall in the same skipped hour is not dropped: it
// runs for its wall-clock length from the first instant after the gap.
import type { Day, Schedule } from '../generated/config.ts';
import type { TimeZone } from './zone-time.ts';
import { DAY_MS, MINUTE_MS, localDay, resolveWall, timeZone, weekdayOf } from './zone-time.ts';

export interface Window {
  start: number;
  end: number;
}

const DAY_INDEX: Record<Day, number> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };

/** A schedule parsed once: zone, minutes of the day, and a 7-bit day mask. */
export interface CompiledSchedule {
  zone: TimeZone;
  startMin: number;
  endMin: number;
  dayMask: number;
  /** Start days (bit 0 = Monday) whose 23:59 end is chained to a 00:00 start the next day: the window ends at midnight. */
  chainMask?: number;
}

/** Minutes since midnight of "HH:MM" ("24:00" = 1440); throws RangeError on malformed text. */
export function minutesOfDay(text: string, allow24: boolean): number {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  if (!match || minutes > 59 || hours > 24 || (hours === 24 && (!allow24 || minutes !== 0))) {
    throw new RangeError(`invalid time of day "${text}" (expected HH:MM${allow24 ? ' or 24:00' : ''})`);
  }
  return hours * 60 + minutes;
}

export function compileSchedule(schedule: Schedule): CompiledSchedule {
  let dayMask = 0;
  for (const day of schedule.days) {
    const index = DAY_INDEX[day.toLowerCase().slice(0, 3) as Day];
    if (index === undefined) throw new RangeError(`invalid day "${day}" (expected mon … sun)`);
    dayMask |= 1 << index;
  }
  const startMin = minutesOfDay(schedule.start, false);
  const endMin = minutesOfDay(schedule.end, true);
  return { zone: timeZone(schedule.timezone), startMin, endMin, dayMask };
}

/** The window a schedule opens on local day `day`, or null when the day is not listed. */
export function windowOnDay(schedule: CompiledSchedule, day: number): Window | null {
  if ((schedule.dayMask & (1 << weekdayOf(day))) === 0) return null;
  const startWall = day * DAY_MS + schedule.startMin * MINUTE_MS;
  const endDay = schedule.startMin < schedule.endMin ? day : day + 1;
  const chained = ((schedule.chainMask ?? 0) & (1 << weekdayOf(day))) !== 0;
  const endWall = endDay * DAY_MS + (chained ? 1440 : schedule.endMin) * MINUTE_MS;
  const start = resolveWall(schedule.zone, startWall);
  const end = resolveWall(schedule.zone, endWall);
  if (end > start) return { start, end };
  // Both ends in the same skipped hour (or the start in it and the end at its
  // edge): by the rules above the window would shrink to nothing. Windows are
  // never lost to DST, so it runs for its wall-clock length from the first
  // instant after the gap instead (02:10–02:40 on spring-forward day: 03:00–03:30).
  return { start, end: start + (endWall - startWall) };
}

/** Whether any window of the schedule contains the instant. */
export function scheduleContains(schedule: CompiledSchedule, instantMs: number): boolean {
  // Only windows that start on the instant's local day or the day before can contain it.
  const today = localDay(schedule.zone, instantMs);
  for (const day of [today - 1, today]) {
    const window = windowOnDay(schedule, day);
    if (window && window.start <= instantMs && instantMs < window.end) return true;
  }
  return false;
}

/**
 * Every window of the schedules that starts before `toMs` and ends after
 * `fromMs`, merged: overlapping or touching windows become one, so the result
 * is sorted, disjoint and never adjacent (its edges alternate on/off).
 */
export function mergedWindows(schedules: readonly CompiledSchedule[], fromMs: number, toMs: number): Window[] {
  const all: Window[] = [];
  for (const schedule of schedules) {
    const first = localDay(schedule.zone, fromMs) - 2;
    const last = localDay(schedule.zone, toMs) + 1;
    for (let day = first; day <= last; day++) {
      const window = windowOnDay(schedule, day);
      if (window && window.start < toMs && window.end > fromMs) all.push(window);
    }
  }
  all.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Window[] = [];
  for (const window of all) {
    const last = merged.at(-1);
    if (last && window.start <= last.end) last.end = Math.max(last.end, window.end);
    else merged.push({ start: window.start, end: window.end });
  }
  return merged;
}
