import { describe, expect, it } from 'vitest';
import type { Schedule } from '../generated/config.ts';
import { isActive, transitions } from './active.ts';

const cfg = (...schedules: Schedule[]) => ({ enabled: true, schedules });
const at = (iso: string) => new Date(iso);
const list = (config: ReturnType<typeof cfg>, from: string, count: number) =>
  transitions(config, from, count).map((t) => `${t.active ? 'on ' : 'off'} ${t.at}`);

describe('reference examples', () => {
  it('business hours 07:00–18:00 Monday to Friday', () => {
    const c = cfg({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '07:00', end: '18:00', timezone: 'America/Chicago' });
    // Week of Mon 2024-05-13 (CDT, UTC-5).
    expect(isActive(c, at('2024-05-13T11:59:59Z'))).toBe(false); // Mon 06:59:59
    expect(isActive(c, at('2024-05-13T12:00:00Z'))).toBe(true); // Mon 07:00
    expect(isActive(c, at('2024-05-13T22:59:59Z'))).toBe(true); // Mon 17:59:59
    expect(isActive(c, at('2024-05-13T23:00:00Z'))).toBe(false); // Mon 18:00
    expect(isActive(c, at('2024-05-18T17:00:00Z'))).toBe(false); // Sat noon
    expect(list(c, '2024-05-17T17:00:00Z', 4)).toEqual([
      'off 2024-05-17T23:00:00.000Z', // Fri 18:00
      'on  2024-05-20T12:00:00.000Z', // Mon 07:00
      'off 2024-05-20T23:00:00.000Z',
      'on  2024-05-21T12:00:00.000Z',
    ]);
  });

  it('Wednesday 15:00 to Friday 11:00 from three schedules', () => {
    const tz = 'Europe/London';
    const c = cfg(
      { days: ['wed'], start: '15:00', end: '24:00', timezone: tz },
      { days: ['thu'], start: '00:00', end: '24:00', timezone: tz },
      { days: ['fri'], start: '00:00', end: '11:00', timezone: tz },
    );
    // Wed 2024-01-10 (GMT).
    expect(list(c, '2024-01-10T12:00:00Z', 4)).toEqual([
      'on  2024-01-10T15:00:00.000Z',
      'off 2024-01-12T11:00:00.000Z',
      'on  2024-01-17T15:00:00.000Z',
      'off 2024-01-19T11:00:00.000Z',
    ]);
    expect(isActive(c, at('2024-01-10T14:59:59Z'))).toBe(false);
    expect(isActive(c, at('2024-01-10T23:59:30Z'))).toBe(true);
    expect(isActive(c, at('2024-01-11T00:00:00Z'))).toBe(true);
    expect(isActive(c, at('2024-01-11T23:59:59Z'))).toBe(true);
    expect(isActive(c, at('2024-01-12T10:59:59Z'))).toBe(true);
    expect(isActive(c, at('2024-01-12T11:00:00Z'))).toBe(false);
  });

  it('the upstream 23:59 / 00:00 chain is continuous: active from Wed 15:00 to Fri 11:00 without a break', () => {
    const tz = 'Europe/London';
    const c = cfg(
      { days: ['wed'], start: '15:00', end: '23:59', timezone: tz },
      { days: ['thu'], start: '00:00', end: '23:59', timezone: tz },
      { days: ['fri'], start: '00:00', end: '11:00', timezone: tz },
    );
    expect(list(c, '2024-01-10T12:00:00Z', 3)).toEqual(['on  2024-01-10T15:00:00.000Z', 'off 2024-01-12T11:00:00.000Z', 'on  2024-01-17T15:00:00.000Z']);
    expect(isActive(c, at('2024-01-10T23:59:30Z'))).toBe(true);
    expect(isActive(c, at('2024-01-11T23:59:30Z'))).toBe(true);
  });

  it('a 23:59 end without a 00:00 start the next day keeps its literal meaning', () => {
    const tz = 'Europe/London';
    // Fri ends 23:59, but the 00:00 start is on Monday only, and Wed's 00:00 start in another zone does not chain.
    const c = cfg(
      { days: ['fri', 'tue'], start: '20:00', end: '23:59', timezone: tz },
      { days: ['mon'], start: '00:00', end: '01:00', timezone: tz },
      { days: ['wed'], start: '00:00', end: '01:00', timezone: 'America/New_York' },
    );
    expect(isActive(c, at('2024-01-12T23:59:30Z'))).toBe(false); // Fri 23:59:30: Sat has no 00:00 start
    expect(isActive(c, at('2024-01-09T23:59:30Z'))).toBe(false); // Tue 23:59:30: Wed's start is in New York
    expect(isActive(c, at('2024-01-07T23:59:30Z'))).toBe(false); // Sun: not listed
  });

  it('one schedule on consecutive days chains to itself; the last day of the run ends at 23:59', () => {
    const c = cfg({ days: ['sat', 'sun'], start: '00:00', end: '23:59', timezone: 'UTC' });
    expect(list(c, '2024-01-12T12:00:00Z', 2)).toEqual(['on  2024-01-13T00:00:00.000Z', 'off 2024-01-14T23:59:00.000Z']);
  });

  it('overnight Tuesday and Thursday 21:00 to 05:00 the next day', () => {
    const c = cfg({ days: ['tue', 'thu'], start: '21:00', end: '05:00', timezone: 'UTC' });
    // Mon 2024-01-08.
    expect(list(c, '2024-01-08T00:00:00Z', 5)).toEqual([
      'on  2024-01-09T21:00:00.000Z', // Tue 21:00
      'off 2024-01-10T05:00:00.000Z', // Wed 05:00
      'on  2024-01-11T21:00:00.000Z', // Thu 21:00
      'off 2024-01-12T05:00:00.000Z', // Fri 05:00
      'on  2024-01-16T21:00:00.000Z',
    ]);
    expect(isActive(c, at('2024-01-10T04:59:00Z'))).toBe(true); // Wed early morning
    expect(isActive(c, at('2024-01-11T04:59:00Z'))).toBe(false); // Thu early morning: Wed is not listed
    expect(isActive(c, at('2024-01-13T02:00:00Z'))).toBe(false); // Sat early morning
  });

  it('split day 08:00–12:00 and 14:00–18:00 on Monday, Wednesday and Friday', () => {
    const tz = 'Asia/Tokyo';
    const days: Schedule['days'] = ['mon', 'wed', 'fri'];
    const c = cfg({ days, start: '08:00', end: '12:00', timezone: tz }, { days, start: '14:00', end: '18:00', timezone: tz });
    // Mon 2024-01-08 00:00 JST = Sun 15:00Z.
    expect(list(c, '2024-01-07T15:00:00Z', 6)).toEqual([
      'on  2024-01-07T23:00:00.000Z', // Mon 08:00
      'off 2024-01-08T03:00:00.000Z', // Mon 12:00
      'on  2024-01-08T05:00:00.000Z', // Mon 14:00
      'off 2024-01-08T09:00:00.000Z', // Mon 18:00
      'on  2024-01-09T23:00:00.000Z', // Wed 08:00
      'off 2024-01-10T03:00:00.000Z',
    ]);
    expect(isActive(c, at('2024-01-08T04:00:00Z'))).toBe(false); // Mon 13:00 lunch
    expect(isActive(c, at('2024-01-09T00:00:00Z'))).toBe(false); // Tue 09:00
  });
});

describe('general rules', () => {
  it('no schedules: always active; disabled: never active, no transitions', () => {
    expect(isActive({ enabled: true, schedules: [] }, at('2024-01-01T00:00:00Z'))).toBe(true);
    expect(isActive({}, at('2024-01-01T00:00:00Z'))).toBe(true);
    const disabled = { enabled: false, schedules: [{ days: ['mon' as const], start: '00:00', end: '24:00', timezone: 'UTC' }] };
    expect(isActive(disabled, at('2024-01-08T12:00:00Z'))).toBe(false);
    expect(transitions(disabled, '2024-01-08T12:00:00Z', 5)).toEqual([]);
    expect(transitions({ schedules: [] }, '2024-01-08T12:00:00Z', 5)).toEqual([]);
  });

  it('a window across New Year', () => {
    const c = cfg({ days: ['tue'], start: '22:00', end: '06:00', timezone: 'Europe/Berlin' });
    // Tue 2024-12-31 22:00 CET → Wed 2025-01-01 06:00 CET.
    expect(list(c, '2024-12-31T12:00:00Z', 2)).toEqual(['on  2024-12-31T21:00:00.000Z', 'off 2025-01-01T05:00:00.000Z']);
    expect(isActive(c, at('2025-01-01T00:00:00Z'))).toBe(true);
  });

  it('touching windows of different schedules merge: no transition where one ends and the next starts', () => {
    const c = cfg(
      { days: ['mon'], start: '08:00', end: '12:00', timezone: 'UTC' },
      { days: ['mon'], start: '12:00', end: '13:00', timezone: 'UTC' },
      { days: ['mon'], start: '09:00', end: '10:00', timezone: 'UTC' },
    );
    expect(list(c, '2024-01-08T00:00:00Z', 2)).toEqual(['on  2024-01-08T08:00:00.000Z', 'off 2024-01-08T13:00:00.000Z']);
  });

  it('start equal to end is a full 24 hours', () => {
    const c = cfg({ days: ['mon'], start: '06:00', end: '06:00', timezone: 'UTC' });
    expect(list(c, '2024-01-08T00:00:00Z', 2)).toEqual(['on  2024-01-08T06:00:00.000Z', 'off 2024-01-09T06:00:00.000Z']);
  });

  it('a transition exactly at `from` is not listed (isActive already reflects it)', () => {
    const c = cfg({ days: ['mon'], start: '08:00', end: '12:00', timezone: 'UTC' });
    expect(isActive(c, '2024-01-08T08:00:00Z')).toBe(true);
    expect(list(c, '2024-01-08T08:00:00Z', 1)).toEqual(['off 2024-01-08T12:00:00.000Z']);
  });

  it('every day 00:00–24:00 never changes', () => {
    const c = cfg({ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00', timezone: 'America/New_York' });
    expect(transitions(c, '2024-03-01T00:00:00Z', 3)).toEqual([]);
    expect(isActive(c, '2024-03-10T07:00:00Z')).toBe(true);
  });

  it('rejects an unknown time zone', () => {
    expect(() => isActive(cfg({ days: ['mon'], start: '08:00', end: '12:00', timezone: 'Mars/Olympus' }), 0)).toThrow(/time zone/);
  });
});

describe('daylight saving time', () => {
  it('America/New_York, spring forward (02:00 → 03:00 on 2024-03-10)', () => {
    const tz = 'America/New_York';
    // Start in the skipped hour: takes effect at 03:00 EDT, the first instant after the gap.
    const startInGap = cfg({ days: ['sun'], start: '02:30', end: '05:00', timezone: tz });
    expect(list(startInGap, '2024-03-09T12:00:00Z', 2)).toEqual(['on  2024-03-10T07:00:00.000Z', 'off 2024-03-10T09:00:00.000Z']);
    // End in the skipped hour: also 03:00 EDT.
    const endInGap = cfg({ days: ['sun'], start: '00:00', end: '02:30', timezone: tz });
    expect(list(endInGap, '2024-03-09T12:00:00Z', 2)).toEqual(['on  2024-03-10T05:00:00.000Z', 'off 2024-03-10T07:00:00.000Z']);
    // A business day the day after keeps its local times.
    const monday = cfg({ days: ['mon'], start: '07:00', end: '18:00', timezone: tz });
    expect(list(monday, '2024-03-09T12:00:00Z', 2)).toEqual(['on  2024-03-11T11:00:00.000Z', 'off 2024-03-11T22:00:00.000Z']);
    // An overnight window across the change is one hour shorter, not lost.
    const overnight = cfg({ days: ['sat'], start: '22:00', end: '06:00', timezone: tz });
    expect(list(overnight, '2024-03-09T12:00:00Z', 2)).toEqual(['on  2024-03-10T03:00:00.000Z', 'off 2024-03-10T10:00:00.000Z']);
  });

  it('America/New_York, fall back (02:00 → 01:00 on 2024-11-03)', () => {
    const tz = 'America/New_York';
    // Start in the repeated hour: its first occurrence (01:30 EDT = 05:30Z), once.
    const start = cfg({ days: ['sun'], start: '01:30', end: '04:00', timezone: tz });
    expect(list(start, '2024-11-02T12:00:00Z', 3)).toEqual(['on  2024-11-03T05:30:00.000Z', 'off 2024-11-03T09:00:00.000Z', 'on  2024-11-10T06:30:00.000Z']);
    // End in the repeated hour: first occurrence too; the second 01:15–01:45 is not active again.
    const end = cfg({ days: ['sun'], start: '00:30', end: '01:45', timezone: tz });
    expect(list(end, '2024-11-02T12:00:00Z', 2)).toEqual(['on  2024-11-03T04:30:00.000Z', 'off 2024-11-03T05:45:00.000Z']);
    expect(isActive(end, '2024-11-03T06:30:00Z')).toBe(false); // 01:30 EST, the second occurrence
    // Overnight across the change is one hour longer.
    const overnight = cfg({ days: ['sat'], start: '22:00', end: '06:00', timezone: tz });
    expect(list(overnight, '2024-11-02T12:00:00Z', 2)).toEqual(['on  2024-11-03T02:00:00.000Z', 'off 2024-11-03T11:00:00.000Z']);
  });

  it('Europe/Berlin, spring forward (02:00 → 03:00 on 2024-03-31) and fall back (03:00 → 02:00 on 2024-10-27)', () => {
    const tz = 'Europe/Berlin';
    const spring = cfg({ days: ['sun'], start: '02:30', end: '02:45', timezone: tz });
    // Both ends in the gap: never lost; it runs its 15 minutes from 03:00 CEST (01:00Z); the next Sunday is normal.
    expect(list(spring, '2024-03-30T12:00:00Z', 4)).toEqual([
      'on  2024-03-31T01:00:00.000Z',
      'off 2024-03-31T01:15:00.000Z',
      'on  2024-04-07T00:30:00.000Z',
      'off 2024-04-07T00:45:00.000Z',
    ]);
    expect(isActive(spring, '2024-03-31T01:05:00Z')).toBe(true);
    // The whole skipped hour as a window (02:00–03:00): an hour from 03:00 CEST, not nothing.
    const skippedHour = cfg({ days: ['sun'], start: '02:00', end: '03:00', timezone: tz });
    expect(list(skippedHour, '2024-03-30T12:00:00Z', 2)).toEqual(['on  2024-03-31T01:00:00.000Z', 'off 2024-03-31T02:00:00.000Z']);
    const springStart = cfg({ days: ['sun'], start: '02:00', end: '04:00', timezone: tz });
    expect(list(springStart, '2024-03-30T12:00:00Z', 2)).toEqual(['on  2024-03-31T01:00:00.000Z', 'off 2024-03-31T02:00:00.000Z']);
    const fall = cfg({ days: ['sun'], start: '02:30', end: '05:00', timezone: tz });
    // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET): the first one counts.
    expect(list(fall, '2024-10-26T12:00:00Z', 2)).toEqual(['on  2024-10-27T00:30:00.000Z', 'off 2024-10-27T04:00:00.000Z']);
    const daily = cfg({ days: ['sat', 'sun'], start: '00:00', end: '24:00', timezone: tz });
    // Sat+Sun around the fall-back: 49 hours of activity, one window.
    expect(list(daily, '2024-10-25T12:00:00Z', 2)).toEqual(['on  2024-10-25T22:00:00.000Z', 'off 2024-10-27T23:00:00.000Z']);
  });

  it('a window inside the skipped hour is never lost: it runs its length from the first instant after the gap', () => {
    // America/New_York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z). Every window within 02:00–03:00.
    const pad = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    for (let start = 120; start < 180; start += 7) {
      for (let end = start + 1; end <= 180; end += 5) {
        const c = cfg({ days: ['sun'], start: pad(start), end: pad(end), timezone: 'America/New_York' });
        const jump = Date.parse('2026-03-08T07:00:00Z');
        expect(list(c, '2026-03-07T12:00:00Z', 2)).toEqual([
          `on  ${new Date(jump).toISOString()}`,
          `off ${new Date(jump + (end - start) * 60_000).toISOString()}`,
        ]);
        expect(isActive(c, jump)).toBe(true);
      }
    }
  });

  it('Australia/Lord_Howe: a 30-minute DST shift', () => {
    const tz = 'Australia/Lord_Howe';
    // 2024-10-06 02:00 (+10:30) → 02:30 (+11). A start at 02:15 takes effect at the jump (15:30Z).
    const spring = cfg({ days: ['sun'], start: '02:15', end: '03:00', timezone: tz });
    expect(list(spring, '2024-10-05T00:00:00Z', 2)).toEqual(['on  2024-10-05T15:30:00.000Z', 'off 2024-10-05T16:00:00.000Z']);
    // 2024-04-07 02:00 (+11) → 01:30 (+10:30). 01:45 occurs twice; the first (+11) counts.
    const fall = cfg({ days: ['sun'], start: '01:45', end: '03:00', timezone: tz });
    expect(list(fall, '2024-04-06T00:00:00Z', 2)).toEqual(['on  2024-04-06T14:45:00.000Z', 'off 2024-04-06T16:30:00.000Z']);
    expect(isActive(fall, '2024-04-06T15:20:00Z')).toBe(true); // 01:50 the second time: still inside
  });
});

describe('long horizons', () => {
  it('lists many transitions (a weekly window, 1000 transitions ≈ 10 years)', () => {
    const c = cfg({ days: ['mon'], start: '08:00', end: '12:00', timezone: 'Europe/Berlin' });
    const list = transitions(c, '2024-01-01T00:00:00Z', 1000);
    expect(list).toHaveLength(1000);
    expect(list.at(-1)?.at.slice(0, 4)).toBe('2033');
  });
});
