import { describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import { prewarmNotes } from './prewarm-notes.ts';

const config = (prewarm: string) =>
  makeConfig({
    pools: [
      serverPool('desktops', [
        {
          name: 'day',
          connection_type: 'rdp',
          prewarm,
          checkin_timeout: '30m',
          schedules: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '07:30', end: '09:30', timezone: 'Europe/Berlin', minimum_available_sessions: 50 }],
        },
      ]),
    ],
  });

describe('prewarm notes in plans', () => {
  it('name the next pre-warm start, the window and why that early', () => {
    const boots = { 'desktops/day': Array.from({ length: 20 }, () => 14 * 60_000) };
    expect(prewarmNotes(config('auto'), Date.parse('2024-03-11T05:00:00Z'), boots)).toEqual([
      'desktops/day: pre-warm from 2024-03-11T06:16:00.000Z for 2024-03-11T06:30:00.000Z (window mon-fri 07:30–09:30 Europe/Berlin: minimum 50), boot time 14m (median of 20)',
    ]);
    expect(prewarmNotes(config('20m'), Date.parse('2024-03-11T06:20:00Z'))).toEqual([
      'desktops/day: pre-warming now (since 2024-03-11T06:10:00.000Z) for 2024-03-11T06:30:00.000Z (window mon-fri 07:30–09:30 Europe/Berlin: minimum 50), prewarm 20m',
    ]);
    // Inside the window: the next one is Tuesday's.
    expect(prewarmNotes(config('20m'), Date.parse('2024-03-11T07:00:00Z'))[0]).toContain('pre-warm from 2024-03-12T06:10:00.000Z');
    expect(prewarmNotes(config('off'), Date.parse('2024-03-11T05:00:00Z'))).toEqual([]);
  });
});
