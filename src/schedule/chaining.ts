// Chained day schedules written the upstream way: a window that ends at
// "23:59" on one local day while a schedule of the same autoscale config (in
// the same time zone) starts at "00:00" on the next day is treated as running
// until midnight, so the chain is continuous. Upstream's UI cannot express
// "24:00", and admins paste exactly these chains (Wed 15:00–23:59, Thu
// 00:00–23:59, Fri 00:00–11:00); read literally they would switch the
// config off for one minute every night.
// A 23:59 end with no 00:00 start on the next day keeps its literal meaning.
// Pure: works on the compiled form only.
import type { CompiledSchedule } from './windows.ts';

/** Minute of the day upstream chains end at. */
export const CHAIN_END_MIN = 23 * 60 + 59;

/** Day-of-week bit (0 = Monday) of the day after `weekday`. */
function nextDayBit(weekday: number): number {
  return 1 << ((weekday + 1) % 7);
}

/**
 * The schedules with `chainMask` set: bit d means the window that starts on
 * weekday d runs to midnight (24:00) instead of 23:59, because a schedule of
 * the same list in the same zone starts at 00:00 on the day after it ends.
 * `zones[i]` is the time zone name of `schedules[i]` (windows chain only
 * within one zone). Other schedules come back unchanged.
 */
export function linkChains(schedules: readonly CompiledSchedule[], zones: readonly string[]): CompiledSchedule[] {
  return schedules.map((s, i) => {
    if (s.endMin !== CHAIN_END_MIN) return s;
    // Days (bit mask) on which some schedule of this zone starts at 00:00.
    let midnightStarts = 0;
    schedules.forEach((o, j) => {
      if (o.startMin === 0 && zones[j] === zones[i]) midnightStarts |= o.dayMask;
    });
    let chainMask = 0;
    for (let d = 0; d < 7; d++) {
      if ((s.dayMask & (1 << d)) === 0) continue;
      // The window ends on its start day (start < 23:59) or the next day (overnight).
      const endDay = s.startMin < s.endMin ? d : (d + 1) % 7;
      if (midnightStarts & nextDayBit(endDay)) chainMask |= 1 << d;
    }
    return chainMask === 0 ? s : { ...s, chainMask };
  });
}
