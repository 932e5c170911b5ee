// Property tests of per-window targets and pre-warming, for random schedules
// with random overrides in DST-heavy zones, around DST changes.
// POOLFORM_PROPERTY_RUNS scales the number of runs (default: moderate, so the
// suite passes on a loaded 2-core machine).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Day, Schedule } from '../generated/config.ts';
import { isActive } from './active.ts';
import { edgesBetween, prewarmedTargetAt, targetAt, targetChanges } from './targets.ts';

const RUNS = Number(process.env['POOLFORM_PROPERTY_RUNS'] ?? '') || 150;

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kathmandu', 'Pacific/Chatham'];
const DAYS: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
// Quarter hours and the DST hours (00:00–04:00) most of the time; never 23:59 (chains are tested in chaining/active tests).
const minute = fc.oneof(
  fc.integer({ min: 0, max: 95 }).map((q) => q * 15),
  fc.integer({ min: 0, max: 240 }),
  fc.integer({ min: 0, max: 1438 }),
);
const override = fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined });
const schedule: fc.Arbitrary<Schedule> = fc
  .record({
    days: fc.subarray(DAYS, { minLength: 1 }),
    start: minute,
    end: fc.oneof(
      minute.map((m) => m as number | null),
      fc.constant(null),
    ),
    timezone: fc.constantFrom(...ZONES),
    minimum_available_sessions: override,
    max_instances: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
  })
  .filter((s) => s.end === null || s.end !== s.start)
  .map(({ start, end, minimum_available_sessions, max_instances, ...rest }) => ({
    ...rest,
    start: hhmm(start),
    end: end === null ? '24:00' : hhmm(end),
    ...(minimum_available_sessions === undefined ? {} : { minimum_available_sessions }),
    ...(max_instances === undefined ? {} : { max_instances }),
  }));
const config = fc.record({
  minimum_available_sessions: fc.integer({ min: 0, max: 20 }),
  schedules: fc.array(schedule, { minLength: 1, maxLength: 4 }),
});
// 2020–2030; a third of the instants within two days of a European/US DST change.
const dstChange = fc.constantFrom(
  Date.UTC(2024, 2, 10, 7),
  Date.UTC(2024, 2, 31, 1),
  Date.UTC(2024, 9, 27, 1),
  Date.UTC(2024, 10, 3, 6),
  Date.UTC(2025, 3, 6, 2), // Santiago, Lord Howe
);
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
  fc.tuple(dstChange, fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 })).map(([a, b]) => a + b),
);

/** What the windows say, schedule by schedule: the larger target of every active window wins. */
function oracle(c: { minimum_available_sessions: number; schedules: Schedule[] }, t: number) {
  const active = c.schedules.filter((s) => isActive({ schedules: [s] }, t));
  if (active.length === 0) return { active: false, minimum: 0, cap: null as number | null };
  const minimum = Math.max(...active.map((s) => s.minimum_available_sessions ?? c.minimum_available_sessions));
  const cap = active.some((s) => s.max_instances === undefined) ? null : Math.max(...active.map((s) => s.max_instances ?? 0));
  return { active: true, minimum, cap };
}

describe('target in force (properties)', () => {
  it('is exactly what the windows say at every instant, and the listed changes are the only ones', () => {
    fc.assert(
      fc.property(config, instant, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }), (c, from, samples) => {
        const at = (t: number) => {
          const x = targetAt(c, t);
          return { active: x.active, minimum: x.targets.minimum_available_sessions, cap: x.active ? x.targets.max_instances : null };
        };
        expect(at(from)).toEqual(oracle(c, from));
        expect(targetAt(c, from).active).toBe(isActive(c, from));
        const changes = targetChanges(c, from, 6);
        let previous = from;
        for (const change of changes) {
          const ms = Date.parse(change.at);
          expect(ms).toBeGreaterThan(previous);
          expect(at(ms)).toEqual(oracle(c, ms));
          expect(at(ms)).not.toEqual(at(ms - 1)); // a real change
          previous = ms;
        }
        // Between the listed changes nothing changes: sampled instants have the value of the last change before them.
        const horizon = changes.length > 0 ? Date.parse(changes.at(-1)?.at ?? '') : from + 7 * 86_400_000;
        for (const f of samples) {
          const x = Math.floor(from + f * (horizon - from));
          const last = [...changes].reverse().find((ch) => Date.parse(ch.at) <= x);
          const expected = last
            ? { active: last.active, minimum: last.targets.minimum_available_sessions, cap: last.active ? last.targets.max_instances : null }
            : at(from);
          expect(at(x)).toEqual(expected);
          expect(at(x)).toEqual(oracle(c, x));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('pre-warm never starts later than a fixed duration says, never brings a fall forward, and only ever raises', () => {
    fc.assert(
      fc.property(config, instant, fc.integer({ min: 1, max: 180 }), (c, from, leadMinutes) => {
        const lead = leadMinutes * 60_000;
        for (const edge of edgesBetween(c, from, from + 3 * 86_400_000).slice(0, 8)) {
          const target = targetAt(c, edge);
          if (!target.active) continue;
          // At edge − lead (and at every edge in between) the pre-warmed target is at least the window's.
          for (const t of [edge - lead, ...edgesBetween(c, edge - lead, edge).map((e) => e - 1)]) {
            const warmed = prewarmedTargetAt(c, t, lead);
            expect(warmed.active).toBe(true);
            expect(warmed.targets.minimum_available_sessions).toBeGreaterThanOrEqual(target.targets.minimum_available_sessions);
          }
        }
        // Only ever raises: never below the target in force; and equal to it when nothing is ahead within the lead.
        const now = targetAt(c, from);
        const warmed = prewarmedTargetAt(c, from, lead);
        if (now.active) expect(warmed.targets.minimum_available_sessions).toBeGreaterThanOrEqual(now.targets.minimum_available_sessions);
        if (edgesBetween(c, from, from + lead).length === 0) {
          expect(warmed.active).toBe(now.active);
          expect(warmed.targets.minimum_available_sessions).toBe(now.targets.minimum_available_sessions);
        }
        // A falling target is not brought forward: the value in force now is kept until the fall happens.
        if (now.active && warmed.active) {
          expect(warmed.targets.minimum_available_sessions).toBe(
            Math.max(
              now.targets.minimum_available_sessions,
              ...edgesBetween(c, from, from + lead).map((e) => {
                const x = targetAt(c, e);
                return x.active ? x.targets.minimum_available_sessions : 0;
              }),
            ),
          );
        }
      }),
      { numRuns: RUNS },
    );
  });
});
