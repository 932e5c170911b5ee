// Chaining (23:59 → 00:00 the next day) only ever adds the last minute of a
// chained day: compared with the literal reading, activity differs only in
// [23:59, 24:00) local time, and there only by becoming active.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Day, Schedule } from '../generated/config.ts';
import { linkChains } from './chaining.ts';
import { compileSchedule, scheduleContains } from './windows.ts';
import { isActive } from './active.ts';

const DAYS: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ZONES = ['UTC', 'Europe/London', 'America/New_York'];
const schedule: fc.Arbitrary<Schedule> = fc.record({
  days: fc.subarray(DAYS, { minLength: 1 }),
  start: fc.constantFrom('00:00', '08:00', '15:00', '22:00'),
  end: fc.constantFrom('23:59', '11:00', '24:00', '05:00'),
  timezone: fc.constantFrom(...ZONES),
});

function literalActive(list: readonly Schedule[], ms: number): boolean {
  return list.some((s) => scheduleContains(compileSchedule(s), ms));
}

describe('linkChains', () => {
  it('activity differs from the literal reading only in the minute before local midnight, and only by being on', () => {
    fc.assert(
      fc.property(
        fc.array(schedule, { minLength: 1, maxLength: 4 }).filter((l) => l.every((s) => s.start !== s.end)),
        fc.integer({ min: 0, max: 14 * 1440 - 1 }),
        (list, minuteOfFortnight) => {
          const ms = Date.parse('2024-03-04T00:00:00Z') + minuteOfFortnight * 60_000 + 30_000;
          const chained = isActive({ schedules: list }, ms);
          const literal = literalActive(list, ms);
          if (chained === literal) return;
          expect(chained).toBe(true);
          // Local time 23:59 in some schedule's zone.
          const inLastMinute = list.some((s) => {
            const parts = new Intl.DateTimeFormat('en-GB', { timeZone: s.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
            return parts === '23:59';
          });
          expect(inLastMinute).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('marks only the start days whose 23:59 end meets a 00:00 start the next day in the same zone', () => {
    const list: Schedule[] = [
      { days: ['wed', 'sun'], start: '15:00', end: '23:59', timezone: 'UTC' },
      { days: ['thu'], start: '00:00', end: '10:00', timezone: 'UTC' },
      { days: ['mon'], start: '00:00', end: '10:00', timezone: 'Europe/Paris' },
    ];
    const [wed] = linkChains(
      list.map(compileSchedule),
      list.map((s) => s.timezone),
    );
    expect(wed?.chainMask).toBe(1 << 2); // Wednesday only: Monday's 00:00 start is in another zone
  });
});
