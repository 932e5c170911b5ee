// When an autoscale config is active: `isActive` and `transitions`.
//
// Rules: a disabled config (`enabled: false`) is never active; a config with
// no schedules is always active; otherwise it is active while any schedule's
// window is (windows.ts), in each schedule's own time zone with the DST rules
// of zone-time.ts. Pure: the instant is always an argument.
import type { AutoscaleConfig } from '../generated/config.ts';
import type { CompiledSchedule } from './windows.ts';
import { compileSchedule, mergedWindows, scheduleContains } from './windows.ts';
import { linkChains } from './chaining.ts';
import { DAY_MS } from './zone-time.ts';

/** What the schedule functions read from an autoscale config. */
export type ScheduledConfig = Pick<AutoscaleConfig, 'enabled' | 'schedules'>;

/** An instant: a Date, epoch milliseconds, an ISO-8601 string, or anything with `toMillis()` (luxon DateTime). */
export type Instant = Date | number | string | { toMillis(): number };

/** A change of state: from `at` (ISO-8601 UTC, inclusive) the config is `active`. */
export interface Transition {
  at: string;
  active: boolean;
}

/** Epoch ms of an instant; throws RangeError when it is not a valid time. */
export function instantMs(instant: Instant): number {
  let ms: number;
  if (typeof instant === 'number') ms = instant;
  else if (typeof instant === 'string') ms = Date.parse(instant);
  else if (instant instanceof Date) ms = instant.getTime();
  else ms = instant.toMillis();
  if (!Number.isFinite(ms)) throw new RangeError(`invalid instant ${String(instant)}`);
  return ms;
}

type Compiled = { kind: 'never' } | { kind: 'always' } | { kind: 'scheduled'; schedules: CompiledSchedule[] };

function compile(config: ScheduledConfig): Compiled {
  if (config.enabled === false) return { kind: 'never' };
  const schedules = config.schedules ?? [];
  if (schedules.length === 0) return { kind: 'always' };
  // Upstream 23:59 → 00:00 chains are continuous (chaining.ts).
  return {
    kind: 'scheduled',
    schedules: linkChains(
      schedules.map(compileSchedule),
      schedules.map((s) => s.timezone),
    ),
  };
}

/** Whether the config is active at the instant. Throws RangeError on an invalid time zone, day or time. */
export function isActive(config: ScheduledConfig, instant: Instant): boolean {
  const ms = instantMs(instant);
  const compiled = compile(config);
  switch (compiled.kind) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'scheduled':
      return compiled.schedules.some((schedule) => scheduleContains(schedule, ms));
    default: {
      const unreachable: never = compiled;
      return unreachable;
    }
  }
}

/** Horizon searched for transitions: schedules repeat weekly and DST rules yearly. */
const FIRST_CHUNK_MS = 14 * DAY_MS;
const GIVE_UP_WITHOUT_ANY_MS = 400 * DAY_MS;
const GIVE_UP_MS = 30 * 366 * DAY_MS;

/**
 * The next `count` changes of state strictly after `from`, in time order; they
 * alternate (the first one is the opposite of `isActive(config, from)`).
 * Overlapping or touching windows (also across schedules and zones) are merged,
 * so a window that ends where another starts is no transition. Fewer than
 * `count` come back only when the state never changes again (no schedules,
 * disabled, covered around the clock: nothing within 400 days) or not within 30 years.
 */
export function transitions(config: ScheduledConfig, from: Instant, count: number): Transition[] {
  const fromMs = instantMs(from);
  const compiled = compile(config);
  if (compiled.kind !== 'scheduled' || count <= 0) return [];
  let span = FIRST_CHUNK_MS;
  for (;;) {
    const toMs = fromMs + span;
    const found: { at: number; active: boolean }[] = [];
    for (const window of mergedWindows(compiled.schedules, fromMs, toMs)) {
      // Only edges before toMs are final: a window starting at or after toMs could still merge with this one.
      if (window.start > fromMs && window.start < toMs) found.push({ at: window.start, active: true });
      if (window.end > fromMs && window.end < toMs) found.push({ at: window.end, active: false });
      if (found.length >= count) break;
    }
    if (found.length >= count || span >= GIVE_UP_MS || (found.length === 0 && span >= GIVE_UP_WITHOUT_ANY_MS)) {
      return found.slice(0, count).map((t) => ({ at: new Date(t.at).toISOString(), active: t.active }));
    }
    span = Math.min(GIVE_UP_MS, span * 2);
  }
}
