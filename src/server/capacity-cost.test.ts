// /api/v1/status and /metrics: per autoscale config the target in force and
// idle server-/core-hours over the last 24 h.
import { describe, expect, it } from 'vitest';
import { makeConfig, dockerPool, serverPool } from '../autoscale/testing.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import { createApp } from './app.ts';
import { autoscaleCosts } from './capacity-cost.ts';
import type { Log } from './types.ts';

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const NOW = Date.parse('2024-03-11T07:00:00Z'); // Monday 08:00 Berlin
const config = makeConfig({
  pools: [
    serverPool('desktops', [
      {
        name: 'day',
        connection_type: 'rdp',
        minimum_available_sessions: 3,
        schedules: [
          {
            days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            start: '07:30',
            end: '09:30',
            timezone: 'Europe/Berlin',
            minimum_available_sessions: 50,
            max_instances: 60,
          },
        ],
      },
    ]),
    dockerPool('agents', [{ name: 'standby', standby_cores: 4 }]),
  ],
});

describe('what a schedule costs', () => {
  it('status lists each config with the target in force and its idle hours of the last 24 h; metrics carry the same numbers', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    try {
      const hour = 3_600_000;
      // 30 h ago: 5 idle servers for an hour (outside the 24 h window), then serve was down for 26 h (not guessed).
      await store.accrueIdle(new Date(NOW - 30 * hour).toISOString(), { 'desktops/day': { servers: 5, cores: 0 } }, 4 * hour);
      await store.accrueIdle(new Date(NOW - 29 * hour).toISOString(), { 'desktops/day': { servers: 7, cores: 0 } }, 4 * hour);
      expect((await store.idleTotals(new Date(NOW - 48 * hour).toISOString()))['desktops/day']?.server_ms).toBe(5 * hour);
      await store.accrueIdle(
        new Date(NOW - 3 * hour).toISOString(),
        { 'desktops/day': { servers: 2, cores: 0 }, 'agents/standby': { servers: 1, cores: 4 } },
        4 * hour,
      );
      await store.accrueIdle(new Date(NOW).toISOString(), { 'desktops/day': { servers: 0, cores: 0 }, 'agents/standby': { servers: 0, cores: 0 } }, 4 * hour);
      const app = createApp({ store, getConfig: () => config, env: {}, log: quiet, clock: () => new Date(NOW) });
      const status = (await (await app.request('/api/v1/status')).json()) as { autoscale: unknown[] };
      expect(status.autoscale).toEqual([
        {
          pool: 'desktops',
          autoscale: 'day',
          type: 'server',
          target: {
            active: true,
            targets: { minimum_available_sessions: 50, standby_cores: 0, standby_memory_mb: 0, standby_gpus: 0, staging: {}, max_instances: 60 },
            windows: { minimum_available_sessions: 'mon-fri 07:30–09:30 Europe/Berlin', max_instances: 'mon-fri 07:30–09:30 Europe/Berlin' },
          },
          idle_server_hours_24h: 6,
          idle_core_hours_24h: null,
        },
        {
          pool: 'agents',
          autoscale: 'standby',
          type: 'docker_agent',
          target: {
            active: true,
            targets: { minimum_available_sessions: 0, standby_cores: 4, standby_memory_mb: 0, standby_gpus: 0, staging: {}, max_instances: null },
            windows: {},
          },
          idle_server_hours_24h: 3,
          idle_core_hours_24h: 12,
        },
      ]);
      const metrics = await (await app.request('/metrics')).text();
      expect(metrics).toContain('poolform_idle_server_hours_24h{pool="desktops",autoscale="day"} 6');
      expect(metrics).toContain('poolform_idle_core_hours_24h{pool="agents",autoscale="standby"} 12');
      expect(metrics).toContain('poolform_autoscale_target{pool="desktops",autoscale="day",target="minimum_available_sessions"} 50');
      expect(metrics).toContain('poolform_autoscale_target{pool="desktops",autoscale="day",target="max_instances"} 60');
      expect(metrics).toContain('poolform_autoscale_target{pool="agents",autoscale="standby",target="standby_cores"} 4');
      expect(metrics).toContain('poolform_autoscale_active{pool="desktops",autoscale="day"} 1');
    } finally {
      await store.close();
    }
  });

  it('an inactive config shows target inactive and no idle hours', () => {
    const costs = autoscaleCosts(config, {}, Date.parse('2024-03-16T12:00:00Z')); // Saturday
    expect(costs[0]).toMatchObject({ target: { active: false }, idle_server_hours_24h: 0 });
  });
});
