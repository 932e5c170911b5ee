import { describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import type { Schedule } from '../generated/config.ts';
import { nextTargetEdge } from './target-clock.ts';

const WEEKDAYS: Schedule['days'] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const config = (prewarm: string) =>
  makeConfig({
    pools: [
      serverPool('desktops', [
        {
          name: 'day',
          connection_type: 'rdp',
          prewarm,
          schedules: [
            { days: WEEKDAYS, start: '07:30', end: '09:30', timezone: 'Europe/Berlin', minimum_available_sessions: 50 },
            { days: WEEKDAYS, start: '09:30', end: '17:00', timezone: 'Europe/Berlin', minimum_available_sessions: 10 },
          ],
        },
      ]),
    ],
  });
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('next target edge (daemon wake-ups)', () => {
  it('wakes at a target change inside an active stretch and at a fixed pre-warm start', () => {
    // Monday 08:00 Berlin: next is 09:30 (50 → 10), though the config stays active.
    expect(iso(nextTargetEdge(config('off'), Date.parse('2024-03-11T07:00:00Z'))?.at)).toBe('2024-03-11T08:30:00.000Z');
    // Monday 06:00 Berlin with prewarm 20m: the pre-warm start 07:10 comes before the window.
    const edge = nextTargetEdge(config('20m'), Date.parse('2024-03-11T05:00:00Z'));
    expect(edge).toMatchObject({ kind: 'pre-warm start', active: true, pool: 'desktops', autoscale: 'day' });
    expect(iso(edge?.at)).toBe('2024-03-11T06:10:00.000Z');
    // Past the pre-warm start: the window start itself.
    expect(iso(nextTargetEdge(config('20m'), Date.parse('2024-03-11T06:15:00Z'))?.at)).toBe('2024-03-11T06:30:00.000Z');
  });
});
