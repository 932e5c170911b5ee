// decide() with per-window targets and pre-warming: the target in force sizes
// the pool, reasons name the window or the pre-warm, and a window's cap holds.
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../generated/config.ts';
import { decide } from './decide.ts';
import { dockerPool, input, makeConfig, server, serverPool } from './testing.ts';
import type { ServerView } from './types.ts';

const WEEKDAYS: Schedule['days'] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const tz = 'Europe/Berlin';
const RAMP: Schedule[] = [
  { days: WEEKDAYS, start: '07:30', end: '09:30', timezone: tz, minimum_available_sessions: 50 },
  { days: WEEKDAYS, start: '09:30', end: '17:00', timezone: tz, minimum_available_sessions: 10 },
  { days: WEEKDAYS, start: '17:00', end: '19:00', timezone: tz, minimum_available_sessions: 2 },
];
const pool = (extra: Record<string, unknown> = {}) =>
  makeConfig({ pools: [serverPool('desktops', [{ name: 'day', minimum_available_sessions: 1, connection_type: 'rdp', schedules: RAMP, ...extra }])] });
const running = (n: number, over: Partial<ServerView> = {}) => Array.from({ length: n }, () => server({ pool: 'desktops', autoscale: 'day', ...over }));
// Monday 2024-03-11, CET (UTC+1).
const MON = (hhmm: string) => `2024-03-11T${String(Number(hhmm.slice(0, 2)) - 1).padStart(2, '0')}:${hhmm.slice(3)}:00.000Z`;

describe('per-window targets in decide()', () => {
  it('sizes by the window in force and names it in the reason', () => {
    const result = decide(input(pool(), { now: MON('07:45') }));
    const creates = result.decisions.filter((d) => d.action === 'create');
    expect(creates).toHaveLength(50);
    expect(creates[0]?.reason).toBe('scale-up: 0 sessions available, 50 wanted (window mon-fri 07:30–09:30 Europe/Berlin: minimum 50)');
  });

  it('a falling target scales idle servers down but never destroys a busy one', () => {
    const servers = [...running(30), ...running(20, { active_sessions: 1 })];
    const result = decide(input(pool(), { now: MON('09:45'), servers }));
    const destroyed = new Set(result.decisions.filter((d) => d.action === 'destroy').map((d) => d.server_id));
    expect(destroyed.size).toBe(20); // 30 idle, 10 wanted
    for (const s of servers) if (s.active_sessions > 0) expect(destroyed.has(s.id)).toBe(false);
    expect(result.decisions.find((d) => d.action === 'destroy')?.reason).toContain('window mon-fri 09:30–17:00 Europe/Berlin: minimum 10');
  });

  it('pre-warm with a duration: creates start that long before the window, with the reason', () => {
    expect(decide(input(pool({ prewarm: '20m' }), { now: MON('07:09') })).decisions).toEqual([]);
    const result = decide(input(pool({ prewarm: '20m' }), { now: MON('07:10') }));
    const creates = result.decisions.filter((d) => d.action === 'create');
    expect(creates).toHaveLength(50);
    expect(creates[0]?.reason).toBe('scale-up: 0 sessions available, 50 wanted (pre-warm: window 07:30 needs 50, prewarm 20m)');
  });

  it('pre-warm auto: the median of the newest 20 boot times; without any, checkin_timeout / 2', () => {
    const boots = [...Array.from({ length: 5 }, () => 60 * 60_000), ...Array.from({ length: 20 }, (_, i) => (10 + i) * 60_000)];
    const learned = input(pool({ prewarm: 'auto' }), { now: MON('07:10'), bootTimes: { 'desktops/day': boots } });
    // median of 10..29 minutes = 19m 30s → starting at 07:10:30
    expect(decide(learned).decisions).toEqual([]);
    const later = decide({ ...learned, now: MON('07:11') }).decisions.filter((d) => d.action === 'create');
    expect(later).toHaveLength(50);
    expect(later[0]?.reason).toContain('pre-warm: window 07:30 needs 50, boot time 19m (median of 20)');
    const fresh = decide(input(pool({ prewarm: 'auto', checkin_timeout: '30m' }), { now: MON('07:15') })).decisions;
    expect(fresh.filter((d) => d.action === 'create')[0]?.reason).toContain('boot time unknown, checkin_timeout / 2 = 15m');
    expect(decide(input(pool({ prewarm: 'auto', checkin_timeout: '30m' }), { now: MON('07:14') })).decisions).toEqual([]);
  });

  it("a window's max_instances caps this config's creates", () => {
    const schedules: Schedule[] = [{ days: WEEKDAYS, start: '07:30', end: '09:30', timezone: tz, minimum_available_sessions: 50, max_instances: 12 }];
    const result = decide(input(pool({ schedules }), { now: MON('08:00'), servers: running(4, { active_sessions: 1 }) }));
    expect(result.decisions.filter((d) => d.action === 'create')).toHaveLength(8);
    const hold = result.decisions.find((d) => d.action === 'hold');
    expect(hold?.cause).toBe('max-instances');
    expect(hold?.reason).toBe('max_instances: window mon-fri 07:30–09:30 Europe/Berlin caps desktops/day at 12 servers (4 now); 42 more servers wanted');
  });

  it('docker pools: standby and staging num_sessions per window', () => {
    const config = makeConfig({
      workspaces: [{ kind: 'Workspace', name: 'chrome', image: 'x', cores: 1, memory_mb: 1024 } as never],
      pools: [
        dockerPool(
          'agents',
          [
            {
              name: 'standby',
              agent_cores_override: 4,
              agent_memory_override_gb: 8,
              agent_gpus_override: 0,
              schedules: [{ days: WEEKDAYS, start: '07:30', end: '09:30', timezone: tz, standby_cores: 8, staging_num_sessions: { chrome: 4 } }],
            },
          ],
          [{ name: 'chrome', workspace: 'chrome', autoscale: 'standby', num_sessions: 1 }],
        ),
      ],
    });
    const result = decide(input(config, { now: MON('08:00') }));
    const creates = result.decisions.filter((d) => d.action === 'create');
    expect(creates).toHaveLength(3); // 8 standby + 4 staged cores = 12 cores = 3 agents
    expect(creates[0]?.reason).toContain('window mon-fri 07:30–09:30 Europe/Berlin: standby 8 cores, staging chrome 4');
  });
});
