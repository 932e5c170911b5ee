// Property: whatever the windows say and however the target falls (window
// ends, a smaller window takes over, pre-warm on or off), decide() never
// destroys a server that has a session on it. POOLFORM_PROPERTY_RUNS scales the runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Day, Schedule } from '../generated/config.ts';
import { edgesBetween } from '../schedule/targets.ts';
import { decide } from './decide.ts';
import { input, makeConfig, serverPool } from './testing.ts';
import type { ServerView } from './types.ts';

const RUNS = Number(process.env['POOLFORM_PROPERTY_RUNS'] ?? '') || 150;
const DAYS: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const hhmm = (q: number) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
const schedule: fc.Arbitrary<Schedule> = fc
  .record({
    days: fc.subarray(DAYS, { minLength: 1 }),
    start: fc.integer({ min: 0, max: 95 }),
    end: fc.integer({ min: 1, max: 96 }),
    timezone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
    minimum_available_sessions: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
  })
  .filter((s) => s.start !== s.end % 96)
  .map(({ start, end, minimum_available_sessions, ...rest }) => ({
    ...rest,
    start: hhmm(start),
    end: end === 96 ? '24:00' : hhmm(end),
    ...(minimum_available_sessions === undefined ? {} : { minimum_available_sessions }),
  }));
const servers = fc.array(
  fc.record({
    sessions: fc.integer({ min: 0, max: 2 }),
    status: fc.constantFrom('running', 'running', 'starting', 'draining') as fc.Arbitrary<ServerView['status']>,
  }),
  { maxLength: 12 },
);

describe('window targets (properties)', () => {
  it('a busy server is never destroyed when the target falls, with or without pre-warm', () => {
    fc.assert(
      fc.property(
        fc.array(schedule, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom('off', '15m', '2h'),
        servers,
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2025, 0, 1) }),
        (schedules, base, prewarm, list, from) => {
          const config = makeConfig({
            pools: [
              serverPool('p', [
                { name: 'a', connection_type: 'rdp', max_simultaneous_sessions_per_server: 2, minimum_available_sessions: base, prewarm, schedules },
              ]),
            ],
          });
          const views: ServerView[] = list.map((s, i) => ({
            id: `s${String(i).padStart(2, '0')}`,
            pool: 'p',
            autoscale: 'a',
            vm_provider: 'local',
            status: s.status,
            created_at: new Date(from - 3_600_000).toISOString(),
            active_sessions: s.sessions,
            max_sessions: 2,
            capacity: null,
            used: null,
            gone: false,
          }));
          // Just before and at each of the next edges (where targets fall or rise), and at `from`.
          const instants = [
            from,
            ...edgesBetween({ schedules }, from, from + 8 * 86_400_000)
              .slice(0, 4)
              .flatMap((e) => [e - 1, e]),
          ];
          for (const t of instants) {
            const result = decide(input(config, { now: new Date(t).toISOString(), servers: views }));
            const busy = new Set(views.filter((v) => v.active_sessions > 0).map((v) => v.id));
            for (const d of result.decisions) {
              if (d.action === 'destroy') expect(busy.has(d.server_id ?? '')).toBe(false);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
