// Scenario: a whole week with a fake clock, local provider, plan/apply every
// 15 minutes. The pool ramps up to 6 sessions 07:30–09:30 (Berlin), keeps 3
// until 17:00 and 1 until 19:00 on weekdays, nothing otherwise, with
// `prewarm: auto`. Servers "boot" (check in running) at the round after their
// create, so poolform learns a 15-minute boot time; before it has any, it
// pre-warms by checkin_timeout / 2. Each weekday the ramp-up capacity is
// created before 07:30 and runs when the window opens; after each window the
// surplus is removed, and after 19:00 every server is gone, except on
// Wednesday where a late user's desktop is drained at 19:00 (never destroyed
// while busy) and removed once the session ends. The week crosses
// the spring-forward change (Sun 2024-03-31) into Monday 04-01 (CEST).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { idleLevels, maxIdleGapMs } from '../src/daemon/idle-accrual.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { killLocalVms } from './fixtures/plan/harness.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const CONFIG = `kind: VmProvider
name: local
type: local
max_instances: 20
startup_script: "true"
---
kind: Pool
name: desktops
type: server
autoscale:
  - name: day
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    minimum_available_sessions: 0
    checkin_timeout: 40m
    prewarm: auto
    schedules:
      - { days: [mon, tue, wed, thu, fri], start: "07:30", end: "09:30", timezone: Europe/Berlin, minimum_available_sessions: 6 }
      - { days: [mon, tue, wed, thu, fri], start: "09:30", end: "17:00", timezone: Europe/Berlin, minimum_available_sessions: 3 }
      - { days: [mon, tue, wed, thu, fri], start: "17:00", end: "19:00", timezone: Europe/Berlin, minimum_available_sessions: 1 }
`;

const STEP_MS = 15 * 60_000;
const START = Date.parse('2024-03-25T00:00:00+01:00'); // Monday, CET
const END = Date.parse('2024-04-01T12:00:00+02:00'); // the Monday after the change, CEST
const root = mkdtempSync(join(tmpdir(), 'poolform-week-'));
afterAll(async () => {
  await killLocalVms(join(root, 'state'));
  rmSync(root, { recursive: true, force: true });
});

/** Local wall time in Berlin, "Mon 07:15". */
const berlin = (ms: number) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false })
    .format(ms)
    .replace(',', '');

describe('a week of scheduled capacity with pre-warming', () => {
  it('creates VMs ahead of each ramp-up and removes them after it', { timeout: testTimeout(300_000) }, async () => {
    const configDir = join(root, 'config');
    const stateDir = join(root, 'state');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'pool.yaml'), CONFIG);
    const loaded = await loadConfig(configDir);
    const config = loaded.config;
    if (!config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
    const store = await createSqliteStore({ path: stateDir });
    const registry = createProviderRegistry({ config, stateDir, env: {} });
    let now = START;
    let lateServer = '';
    let seq = 0;
    const deps = {
      config,
      store,
      registry,
      clock: () => new Date(now),
      idGen: createSeededIdGen(21),
      newId: () => `intent-week-${++seq}`,
      env: {},
      apiAddress: '127.0.0.1:9',
      policy: 'all' as const,
    };
    // Per step: Berlin wall time → [servers in state, running ones, creates this round].
    const log: { at: string; servers: number; running: number; creates: number; reasons: string[] }[] = [];
    try {
      for (; now <= END; now += STEP_MS) {
        // Servers created last round boot now: the first running check-in (what the check-in endpoint records).
        for (const s of await store.listServers()) {
          if (s.autoscale === null || s.status === 'running' || s.status === 'draining' || s.status === 'destroying') continue;
          const at = new Date(now).toISOString();
          await store.updateServerStatus(s.id, { status: 'running', message: 'ready', progress: 100, at, checkedIn: true });
          await store.recordBoot({ pool: s.pool, autoscale: s.autoscale, server_id: s.id, created_at: s.created_at, running_at: at });
        }
        // Wednesday: a user works late on one desktop, 18:45 to 19:30 (past the end of the last window).
        const label = berlin(now);
        if (label === 'Wed 18:45') {
          const server = (await store.listServers()).find((s) => s.autoscale !== null && s.status === 'running');
          if (!server) throw new Error('expected a running server on Wednesday evening');
          lateServer = server.id;
          const at = new Date(now).toISOString();
          await store.putSession({
            id: 'late-session',
            pool: 'desktops',
            user: 'late',
            zone: null,
            workspace: null,
            server_id: server.id,
            status: 'running',
            resources: null,
            staged: false,
            staging: null,
            created_at: at,
            updated_at: at,
            last_keepalive_at: at,
            ended_at: null,
            end_reason: null,
            api_key: null,
          });
        }
        if (label === 'Wed 19:30') await store.endSession('late-session', 'deleted', new Date(now).toISOString());
        const round = await reconcileOnce(deps);
        if (label === 'Wed 19:00') {
          // The window closed with the late user on: drained, never destroyed.
          expect(round.result.decisions.find((d) => d.server_id === lateServer)?.action).toBe('drain');
        }
        expect(round.applied.failures).toEqual([]);
        await store.accrueIdle(new Date(now).toISOString(), idleLevels(round.input), maxIdleGapMs('15m'));
        const servers = (await store.listServers()).filter((s) => s.autoscale !== null);
        const creates = round.result.decisions.filter((d) => d.action === 'create');
        log.push({
          at: berlin(now),
          servers: servers.length,
          running: servers.filter((s) => s.status === 'running').length,
          creates: creates.length,
          reasons: [...new Set(round.result.decisions.map((d) => d.reason))],
        });
      }
    } finally {
      await store.close();
    }
    const at = (label: string) => {
      const found = log.filter((l) => l.at === label);
      if (found.length === 0) throw new Error(`no step at ${label}`);
      return found;
    };

    // Monday, no boot recorded yet: pre-warm by checkin_timeout / 2 = 20m → the 07:15 round creates 6.
    const [mon0700] = at('Mon 07:00');
    const [mon0715] = at('Mon 07:15');
    expect(mon0700?.servers).toBe(0);
    expect(mon0715?.creates).toBe(6);
    expect(mon0715?.reasons.join('\n')).toContain('pre-warm: window 07:30 needs 6, boot time unknown, checkin_timeout / 2 = 20m');
    for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) {
      const steps = at(`${day} 07:30`);
      const opening = steps[0];
      // Ready when the window opens: created ahead (at 07:15), booted by 07:30.
      expect(opening?.running, `${day} 07:30`).toBe(6);
      expect(opening?.creates, `${day} 07:30`).toBe(0);
      expect(at(`${day} 07:15`)[0]?.creates, `${day} 07:15`).toBe(6);
      expect(at(`${day} 07:00`)[0]?.servers, `${day} 07:00`).toBe(0);
      // After the ramp-up: down to 3, then 1, then nothing.
      expect(at(`${day} 09:30`)[0]?.servers, `${day} 09:30`).toBe(3);
      expect(at(`${day} 17:00`)[0]?.servers, `${day} 17:00`).toBe(1);
      expect(at(`${day} 19:00`)[0]?.servers, `${day} 19:00`).toBe(day === 'Wed' ? 1 : 0); // Wednesday: the late user's desktop
      expect(at(`${day} 23:45`)[0]?.servers, `${day} 23:45`).toBe(0);
    }
    // The late user's desktop goes once the session has ended.
    expect(at('Wed 19:15')[0]?.servers).toBe(1);
    expect(at('Wed 19:30')[0]?.servers).toBe(0);
    // From Tuesday on the learned boot time (15m, median of the servers so far) is the lead.
    expect(at('Tue 07:15')[0]?.reasons.join('\n')).toMatch(/pre-warm: window 07:30 needs 6, boot time 15m \(median of \d+\)/);
    expect(at('Tue 09:30')[0]?.reasons.join('\n')).toContain('window mon-fri 09:30–17:00 Europe/Berlin: minimum 3');
    // The weekend keeps nothing; Monday after the DST change ramps up at 07:30 CEST just the same.
    expect(log.filter((l) => l.at.startsWith('Sat') || l.at.startsWith('Sun')).every((l) => l.servers === 0)).toBe(true);
    expect(at('Mon 07:15').at(-1)?.creates).toBe(6);
    expect(at('Mon 07:30').at(-1)?.running).toBe(6);

    // What it cost: idle server-hours accrued, none over the weekend.
    const check = await createSqliteStore({ path: stateDir });
    try {
      const sunday = await check.idleTotals(new Date(Date.parse('2024-03-31T00:00:00+01:00')).toISOString());
      // From Sunday 00:00 to Monday 12:00 CEST only Monday's servers were idle (none had sessions): 07:15 → 12:00.
      // 6 idle from 07:30, 3 from 09:45 (each sample counts until the next): about 20 server-hours.
      expect(sunday['desktops/day']?.server_ms ?? 0).toBeGreaterThan(10 * 3_600_000);
      expect((sunday['desktops/day']?.server_ms ?? 0) / 3_600_000).toBeLessThanOrEqual(6 * 5);
    } finally {
      await check.close();
    }
  });
});
