import { describe, expect, it } from 'vitest';
import type { AutoscaleConfig, Schedule } from '../generated/config.ts';
import { describeDays, prewarmedTargetAt, targetAt, targetChanges } from './targets.ts';
import { buildScheduleReport, formatScheduleText } from './report.ts';
import type { Config } from '../config/model.ts';

const WEEKDAYS: Schedule['days'] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const tz = 'Europe/Berlin';
const day = (extra: Partial<AutoscaleConfig> = {}): Pick<AutoscaleConfig, 'schedules' | 'minimum_available_sessions' | 'enabled'> => ({
  minimum_available_sessions: 1,
  schedules: [
    { days: WEEKDAYS, start: '07:30', end: '09:30', timezone: tz, minimum_available_sessions: 50 },
    { days: WEEKDAYS, start: '09:30', end: '17:00', timezone: tz, minimum_available_sessions: 10 },
    { days: WEEKDAYS, start: '17:00', end: '19:00', timezone: tz, minimum_available_sessions: 2 },
  ],
  ...extra,
});
const min = (c: ReturnType<typeof day>, iso: string) => {
  const t = targetAt(c, Date.parse(iso));
  return t.active ? t.targets.minimum_available_sessions : 'inactive';
};

describe('target in force', () => {
  it('follows the ramp-up / day / ramp-down windows (Mon 2024-03-11, CET = UTC+1)', () => {
    const c = day();
    expect(min(c, '2024-03-11T06:29:59Z')).toBe('inactive');
    expect(min(c, '2024-03-11T06:30:00Z')).toBe(50);
    expect(min(c, '2024-03-11T08:29:59Z')).toBe(50);
    expect(min(c, '2024-03-11T08:30:00Z')).toBe(10);
    expect(min(c, '2024-03-11T16:00:00Z')).toBe(2);
    expect(min(c, '2024-03-11T18:00:00Z')).toBe('inactive');
    expect(min(c, '2024-03-16T10:00:00Z')).toBe('inactive'); // Saturday
    expect(targetAt(c, Date.parse('2024-03-11T07:00:00Z')).windows).toEqual({ minimum_available_sessions: 'mon-fri 07:30–09:30 Europe/Berlin' });
  });

  it('overlapping windows: the larger target wins; a window without an override brings the config value', () => {
    const c = {
      minimum_available_sessions: 5,
      schedules: [
        { days: ['mon' as const], start: '08:00', end: '12:00', timezone: 'UTC', minimum_available_sessions: 2 },
        { days: ['mon' as const], start: '10:00', end: '11:00', timezone: 'UTC', minimum_available_sessions: 30 },
        { days: ['mon' as const], start: '11:30', end: '13:00', timezone: 'UTC' },
      ],
    };
    expect(min(c, '2024-01-08T09:00:00Z')).toBe(2);
    expect(min(c, '2024-01-08T10:30:00Z')).toBe(30);
    expect(min(c, '2024-01-08T11:45:00Z')).toBe(5); // config value 5 > window 2
    expect(min(c, '2024-01-08T12:30:00Z')).toBe(5);
  });

  it('max_instances: the larger cap wins, a window without a cap lifts it', () => {
    const c = {
      schedules: [
        { days: ['mon' as const], start: '08:00', end: '12:00', timezone: 'UTC', max_instances: 3 },
        { days: ['mon' as const], start: '09:00', end: '10:00', timezone: 'UTC', max_instances: 7 },
        { days: ['mon' as const], start: '11:00', end: '12:00', timezone: 'UTC' },
      ],
    };
    const cap = (iso: string) => targetAt(c, Date.parse(iso)).targets.max_instances;
    expect(cap('2024-01-08T08:30:00Z')).toBe(3);
    expect(cap('2024-01-08T09:30:00Z')).toBe(7);
    expect(cap('2024-01-08T11:30:00Z')).toBe(null);
  });

  it('lists the next target changes, not only on/off', () => {
    const changes = targetChanges(day(), Date.parse('2024-03-11T00:00:00Z'), 5).map((c) => [c.at, c.active ? c.targets.minimum_available_sessions : 'off']);
    expect(changes).toEqual([
      ['2024-03-11T06:30:00.000Z', 50],
      ['2024-03-11T08:30:00.000Z', 10],
      ['2024-03-11T16:00:00.000Z', 2],
      ['2024-03-11T18:00:00.000Z', 'off'],
      ['2024-03-12T06:30:00.000Z', 50],
    ]);
  });

  it('keeps local times across the spring-forward change (Berlin, 2024-03-31 → Monday 04-01 in CEST)', () => {
    const changes = targetChanges(day(), Date.parse('2024-03-29T18:30:00Z'), 2).map((c) => c.at);
    expect(changes).toEqual(['2024-04-01T05:30:00.000Z', '2024-04-01T07:30:00.000Z']);
  });

  it('pre-warm brings a rising target forward by the lead, never a falling one', () => {
    const c = day();
    const lead = 20 * 60_000;
    const at = (iso: string) => prewarmedTargetAt(c, Date.parse(iso), lead);
    expect(at('2024-03-11T06:09:59Z').active).toBe(false);
    const early = at('2024-03-11T06:10:00Z');
    expect(early.active).toBe(true);
    expect(early.targets.minimum_available_sessions).toBe(50);
    expect(early.rising?.at).toBe('2024-03-11T06:30:00.000Z');
    // 09:30 falls to 10: still 50 until the window ends.
    expect(at('2024-03-11T08:20:00Z').targets.minimum_available_sessions).toBe(50);
    expect(at('2024-03-11T08:30:00Z').targets.minimum_available_sessions).toBe(10);
    // 19:00 ends the day: not brought forward.
    expect(at('2024-03-11T17:50:00Z').targets.minimum_available_sessions).toBe(2);
    expect(at('2024-03-11T18:00:00Z').active).toBe(false);
  });

  it('describes day sets compactly', () => {
    expect(describeDays(['fri', 'mon', 'tue', 'wed', 'thu'])).toBe('mon-fri');
    expect(describeDays(['mon', 'wed', 'fri'])).toBe('mon,wed,fri');
    expect(describeDays(['sat', 'sun'])).toBe('sat,sun');
    expect(describeDays(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).toBe('daily');
  });
});

describe('num_sessions on a window (docker pools)', () => {
  it('sets every staging config of the autoscale config while the window is active; staging_num_sessions by name wins', () => {
    const c = {
      schedules: [
        { days: WEEKDAYS, start: '07:30', end: '09:30', timezone: tz, num_sessions: 20, staging_num_sessions: { firefox: 5 } },
        { days: WEEKDAYS, start: '09:30', end: '17:00', timezone: tz },
      ],
    };
    const staging = { chrome: 2, firefox: 3 };
    const ramp = targetAt(c, Date.parse('2024-03-11T07:00:00Z'), staging);
    expect(ramp.targets.staging).toEqual({ chrome: 20, firefox: 5 });
    expect(ramp.windows['staging:chrome']).toBe('mon-fri 07:30–09:30 Europe/Berlin');
    expect(targetAt(c, Date.parse('2024-03-11T10:00:00Z'), staging).targets.staging).toEqual({ chrome: 2, firefox: 3 });
    expect(targetAt(c, Date.parse('2024-03-11T20:00:00Z'), staging).targets.staging).toEqual({ chrome: 0, firefox: 0 });
  });
});

describe('schedule report', () => {
  const config = {
    pools: [{ name: 'desktops', type: 'server', autoscale: [{ name: 'day', vm_provider: 'local', ...day() }] }],
  } as unknown as Config;

  it('shows the target in force, the next target changes and the pre-warm start of rising ones', () => {
    const report = buildScheduleReport(config, Date.parse('2024-03-11T07:00:00Z'), 3, () => ({ ms: 15 * 60_000, why: 'prewarm 15m' }));
    const entry = report.autoscale[0];
    expect(entry?.target).toMatchObject({ active: true, targets: { minimum_available_sessions: 50 } });
    expect(entry?.target_changes.map((c) => [c.at, c.targets.minimum_available_sessions, c.prewarm_at])).toEqual([
      ['2024-03-11T08:30:00.000Z', 10, undefined],
      ['2024-03-11T16:00:00.000Z', 2, undefined],
      ['2024-03-11T18:00:00.000Z', 0, undefined],
    ]);
    const night = buildScheduleReport(config, Date.parse('2024-03-11T20:00:00Z'), 1, () => ({ ms: 15 * 60_000, why: 'prewarm 15m' }));
    expect(night.autoscale[0]?.target_changes[0]).toMatchObject({ at: '2024-03-12T06:30:00.000Z', prewarm_at: '2024-03-12T06:15:00.000Z' });
    const text = formatScheduleText(config, night, 1);
    expect(text).toContain('target in force: inactive');
    expect(text).toMatch(/Tue 2024-03-12 07:30 \S+: minimum 50 \(window mon-fri 07:30–09:30 Europe\/Berlin\) {2}\(pre-warm from Tue 2024-03-12 07:15 /);
  });
});
