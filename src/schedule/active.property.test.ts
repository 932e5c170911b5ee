// Property tests: transitions() alternates and agrees with isActive() at every
// sampled instant, for random schedules in random (DST-heavy) zones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Day, Schedule } from '../generated/config.ts';
import { isActive, transitions } from './active.ts';
import { propertyRuns } from '../testing/property-runs.ts';

const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'America/Santiago', // DST at midnight
  'Asia/Kathmandu', // +05:45
  'Pacific/Chatham', // +12:45 / +13:45
  'America/St_Johns', // -03:30 / -02:30
  'Australia/Sydney',
  'Asia/Tokyo',
  'Europe/London',
  'America/Sao_Paulo',
];
const DAYS: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

// Minutes biased toward the DST hours (00:00–04:00) and quarter hours.
const minute = fc.oneof(
  fc.integer({ min: 0, max: 1439 }),
  fc.integer({ min: 0, max: 16 }).map((q) => q * 15),
);
const schedule: fc.Arbitrary<Schedule> = fc.record({
  days: fc.subarray(DAYS, { minLength: 1 }),
  start: minute.map(hhmm),
  end: fc.oneof(minute.map(hhmm), fc.constant('24:00')),
  timezone: fc.constantFrom(...ZONES),
});
const config = fc.record({ enabled: fc.constant(true), schedules: fc.array(schedule, { minLength: 1, maxLength: 3 }) });
// 2020–2030, around DST changes most of the time.
const fromMs = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });

describe('schedule properties', () => {
  it('transitions alternate, increase, and agree with isActive at edges and sampled instants', () => {
    fc.assert(
      fc.property(config, fromMs, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }), (c, from, samples) => {
        const list = transitions(c, from, 6);
        let state = isActive(c, from);
        let previous = from;
        for (const t of list) {
          const ms = Date.parse(t.at);
          expect(ms).toBeGreaterThan(previous);
          expect(t.active).toBe(!state);
          expect(isActive(c, ms)).toBe(t.active);
          expect(isActive(c, ms - 1)).toBe(!t.active);
          state = t.active;
          previous = ms;
        }
        // Between `from` and the last transition, the state is what the list says.
        const edges = list.map((t) => Date.parse(t.at));
        const horizon = edges.at(-1) ?? from + 7 * 86_400_000;
        const initial = isActive(c, from);
        for (const fraction of samples) {
          const x = Math.floor(from + fraction * (horizon - from));
          const passed = edges.filter((e) => e <= x).length;
          const expected = list.length === 0 ? initial : passed % 2 === 0 ? initial : !initial;
          expect(isActive(c, x)).toBe(expected);
        }
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('a window is never lost or doubled: a single one-day schedule opens exactly once a week, also across DST changes', () => {
    fc.assert(
      fc.property(schedule, fromMs, (s, from) => {
        // Short windows included: one lying inside a skipped hour still opens (after the gap).
        const single = { ...s, days: [s.days[0] ?? 'mon'] };
        const list = transitions({ schedules: [single] }, from, 8);
        // One window per week: consecutive "on" transitions are 6–8 days apart (DST moves them by an hour at most).
        const ons = list.filter((t) => t.active).map((t) => Date.parse(t.at));
        for (let i = 1; i < ons.length; i++) {
          const gap = (ons[i] ?? 0) - (ons[i - 1] ?? 0);
          expect(gap).toBeGreaterThan(6 * 86_400_000);
          expect(gap).toBeLessThan(8 * 86_400_000);
        }
      }),
      { numRuns: propertyRuns(1500) },
    );
  });
});
