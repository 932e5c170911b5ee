// Production scenarios of `poolform serve` over time, in-process (startServe:
// the real HTTP API, the real reconcile pipeline, the real local provider whose
// "VMs" check in with curl), with short timeouts so things happen in seconds.
// The assertions wait for events rather than sleeping fixed times, so a loaded
// machine makes them slower, not flaky.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe } from '../src/daemon/serve.ts';
import type { ServeHandle } from '../src/daemon/serve.ts';
import { silentLog } from '../src/server/types.ts';
import { killLocalVms, waitFor } from './serve-process.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const KEY = 'scenario-key-0123456789';
const AUTH = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };

const CHECKIN_SCRIPT = `#!/bin/sh
  curl -sf -X POST -H 'Content-Type: application/json' -d '{{"status": "running", "status_message": "ok", "status_progress": "100"}}' "http://{upstream_auth_address}/api/set_server_status?token={checkin_jwt}"`;

function configYaml(opts: { script: string; interval: string; autoscale: string; policy?: string }): string {
  return `kind: Settings
api_keys: [{ name: k, secret: "\${env:POOLFORM_API_KEY}" }]
apply_policy: ${opts.policy ?? 'auto'}
reconcile_interval: ${opts.interval}
# The schedule test moves its clock ahead by up to a minute: the lease must outlast that jump.
leader_lease: 5m
---
kind: Zone
name: local
---
kind: VmProvider
name: local
type: local
max_instances: 4
boot_delay: 0s
startup_script: |
  ${opts.script}
---
kind: Pool
name: p
type: server
autoscale:
${opts.autoscale}
`;
}

let dirs: string[] = [];
let handles: ServeHandle[] = [];

afterEach(async () => {
  for (const h of handles) {
    await h.stop().catch(() => undefined);
    await killLocalVms(h.stateDir);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  handles = [];
  dirs = [];
});

/** Triggers of every reconcile the daemons of this file ran (from their `reconcile` log lines). */
const reconcileTriggers: string[] = [];
const triggerLog = {
  ...silentLog,
  info(obj: object): void {
    const entry = obj as { event?: unknown; trigger?: unknown };
    if (entry.event === 'reconcile' && typeof entry.trigger === 'string') reconcileTriggers.push(entry.trigger);
  },
};

async function serve(yaml: string, clock?: () => number): Promise<{ handle: ServeHandle; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-scenario-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'pools.yaml'), yaml);
  const handle = await startServe({
    dir,
    listen: '127.0.0.1:0',
    stateDir: join(dir, 'state'),
    env: { POOLFORM_API_KEY: KEY },
    cwd: dir,
    log: triggerLog,
    watch: false,
    clock,
  });
  handles.push(handle);
  return { handle, dir };
}

interface StatusView {
  servers: { id: string; status: string; sessions: number; autoscale: string | null }[];
  last_reconcile: {
    decisions?: { action: string; reason: string; server_id: string | null }[];
    held_changes: { address: string; action: string; reason: string }[];
  } | null;
}

const NO_CHECKIN = `  - name: a
    vm_provider: local
    zone: local
    connection_type: rdp
    minimum_available_sessions: 1
    max_simultaneous_sessions_per_server: 1
    checkin_timeout: 1s`;

async function status(h: ServeHandle): Promise<StatusView> {
  return (await (await fetch(`${h.url}/api/v1/status`)).json()) as StatusView;
}

describe('serve scenarios', () => {
  it(
    'a server that never checks in is replaced once, then creates back off, and the hold is visible in /api/v1/status',
    async () => {
      const { handle } = await serve(
        configYaml({
          script: '#!/bin/sh\n  echo "booting {server_id}, no check-in"',
          interval: '1s',
          autoscale: `  - name: a
    vm_provider: local
    zone: local
    connection_type: rdp
    minimum_available_sessions: 1
    max_simultaneous_sessions_per_server: 1
    checkin_timeout: 1s`,
        }),
      );
      const hold = await waitFor(
        async () => (await status(handle)).last_reconcile?.decisions?.find((d) => d.action === 'hold' && d.reason.startsWith('backoff:')),
        30_000,
        'a back-off hold in /api/v1/status',
        200,
      );
      expect(hold.reason).toMatch(/consecutive failed starts; next create after \d{4}-/);
      const audit = await handle.store.listAudit(500);
      const creates = audit.filter((a) => a.action === 'create' && (a.address ?? '').startsWith('vm.p.a.'));
      const timeouts = audit.filter((a) => a.reason.startsWith('check-in timeout:'));
      // The first failure is replaced at once; the second starts the back-off: no create/delete loop.
      expect(timeouts.length).toBeGreaterThanOrEqual(2);
      expect(creates.length).toBeLessThanOrEqual(timeouts.length + 1);
    },
    testTimeout(40_000),
  );

  it(
    'under apply_policy safe the destroys of servers that never check in are held, and creates still back off (no pile-up to max_instances)',
    async () => {
      const { handle } = await serve(
        configYaml({
          script: '#!/bin/sh\n  echo "booting {server_id}, no check-in"',
          interval: '1s',
          policy: 'safe',
          autoscale: NO_CHECKIN.replace('checkin_timeout: 1s', 'checkin_timeout: 2s'),
        }),
      );
      const st = await waitFor(
        async () => {
          const s = await status(handle);
          return s.last_reconcile?.decisions?.some((d) => d.action === 'hold' && d.reason.startsWith('backoff:')) ? s : undefined;
        },
        30_000,
        'a back-off hold although no destroy was carried out',
        200,
      );
      // Every timed-out server is still there (safe holds its destroy) and listed as held.
      const held = new Set((st.last_reconcile?.held_changes ?? []).filter((c) => c.action === 'delete').map((c) => c.address.split('.').pop()));
      const timedOut = st.servers.filter((s) => held.has(s.id));
      expect(timedOut.length).toBeGreaterThanOrEqual(2);
      // The first failure was replaced at once, the second started the back-off: at most one server beyond the failed ones.
      expect(st.servers.length).toBeLessThanOrEqual(timedOut.length + 1);
      expect(st.servers.length).toBeLessThan(4); // max_instances is 4: no pile-up
    },
    testTimeout(40_000),
  );

  it(
    'a drained server is destroyed as soon as its last session ends, not a reconcile_interval later',
    async () => {
      const autoscale = (name: string, min: number): string => `  - name: ${name}
    vm_provider: local
    zone: local
    connection_type: rdp
    minimum_available_sessions: ${min}
    max_simultaneous_sessions_per_server: 1`;
      const { handle, dir } = await serve(configYaml({ script: CHECKIN_SCRIPT, interval: '1h', autoscale: autoscale('a', 1) }));
      const server = await waitFor(async () => (await status(handle)).servers.find((s) => s.status === 'running'), 20_000, 'a running server');
      const placed = await fetch(`${handle.url}/api/v1/sessions`, { method: 'POST', headers: AUTH, body: JSON.stringify({ pool: 'p', user: 'alice' }) });
      expect(placed.status).toBe(201);
      const session = (await placed.json()) as { id: string; server: { id: string } };
      expect(session.server.id).toBe(server.id);

      // The autoscale config is removed from the YAML (replaced by an empty one): the busy server drains.
      writeFileSync(join(dir, 'pools.yaml'), configYaml({ script: CHECKIN_SCRIPT, interval: '1h', autoscale: autoscale('b', 0) }));
      await handle.daemon.reload();
      await waitFor(async () => (await status(handle)).servers.find((s) => s.id === server.id && s.status === 'draining'), 10_000, 'the busy server draining');
      // Still there while the session runs.
      expect((await status(handle)).servers.some((s) => s.id === server.id)).toBe(true);

      const ended = await fetch(`${handle.url}/api/v1/sessions/${session.id}`, { method: 'DELETE', headers: AUTH });
      expect(ended.status).toBe(200);
      // reconcile_interval is 1 h: only the session's end can make this happen in time.
      await waitFor(async () => !(await status(handle)).servers.some((s) => s.id === server.id), 10_000, 'the drained server destroyed');
      const audit = await handle.store.listAudit(200);
      expect(audit.some((a) => a.action === 'destroy' && (a.address ?? '').endsWith(server.id))).toBe(true);
    },
    testTimeout(40_000),
  );

  it(
    'a schedule edge reconciles at once: idle servers go, busy ones drain until their session ends, and servers come back with the next window',
    async () => {
      // The clock is the wall clock shifted back (less than the 4 h check-in token lifetime, which
      // is checked against the wall clock too) to a minute edge in Paris; it is moved forward to
      // just before each later edge (reload re-arms the transition timer from the new time).
      let base = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3600_000;
      if (DateTime.fromMillis(base, { zone: 'Europe/Paris' }).hour === 23) base -= 3600_000;
      const paris = (ms: number): { day: string; hm: string } => {
        const t = DateTime.fromMillis(ms, { zone: 'Europe/Paris' });
        return { day: t.toFormat('ccc').toLowerCase(), hm: t.toFormat('HH:mm') };
      };
      const w1 = paris(base);
      const w1end = paris(base + 60_000);
      const w2 = paris(base + 120_000);
      const w2end = paris(base + 600_000);
      let offset = base + 1_000 - Date.now();
      const clock = (): number => Date.now() + offset;
      const { handle } = await serve(
        configYaml({
          script: CHECKIN_SCRIPT,
          interval: '1h',
          autoscale: `  - name: day
    vm_provider: local
    zone: local
    connection_type: rdp
    minimum_available_sessions: 2
    max_simultaneous_sessions_per_server: 1
    schedules:
      - { days: [${w1.day}], start: "${w1.hm}", end: "${w1end.hm}", timezone: Europe/Paris }
      - { days: [${w2.day}], start: "${w2.hm}", end: "${w2end.hm}", timezone: Europe/Paris }`,
        }),
        clock,
      );
      const first = await waitFor(
        async () => {
          const running = (await status(handle)).servers.filter((s) => s.status === 'running');
          return running.length === 2 ? running : undefined;
        },
        20_000,
        'two running servers',
      );
      const placed = await fetch(`${handle.url}/api/v1/sessions`, { method: 'POST', headers: AUTH, body: JSON.stringify({ pool: 'p', user: 'alice' }) });
      expect(placed.status).toBe(201);
      const session = (await placed.json()) as { id: string; server: { id: string } };
      const busy = session.server.id;
      const idle = first.find((s) => s.id !== busy)?.id ?? '';

      // The first window ends about a second from now; reconcile_interval (1 h) plays no part.
      offset = base + 59_000 - Date.now();
      reconcileTriggers.length = 0;
      await handle.daemon.reload();
      await waitFor(
        async () => {
          const st = await status(handle);
          return !st.servers.some((s) => s.id === idle) && st.servers.find((s) => s.id === busy)?.status === 'draining';
        },
        10_000,
        'idle server destroyed and busy server draining at the edge',
      ).catch(async (err: unknown) => {
        console.log(JSON.stringify({ d: handle.daemon.status(), s: (await status(handle)).servers, now: new Date(clock()).toISOString() }, null, 1));
        throw err;
      });
      // Acted on within seconds of the edge, not by the hourly interval: the edge's own timer
      // fires a run, unless a check-in's run just after the edge already did the work (then
      // the timer moves on to the next edge).
      expect(reconcileTriggers.length).toBeGreaterThan(0);
      expect(reconcileTriggers).not.toContain('interval');
      // Off hours nothing new is created, and the user keeps working.
      expect((await status(handle)).servers.map((s) => s.id)).toEqual([busy]);
      const get = (await (await fetch(`${handle.url}/api/v1/sessions/${session.id}`, { headers: AUTH })).json()) as { status: string };
      expect(get.status).toBe('running');
      expect((await fetch(`${handle.url}/api/v1/sessions/${session.id}`, { method: 'DELETE', headers: AUTH })).status).toBe(200);
      await waitFor(async () => (await status(handle)).servers.length === 0, 10_000, 'the drained server destroyed once empty');

      // The next window starts; fresh servers are created for it.
      offset = base + 119_000 - Date.now();
      await handle.daemon.reload();
      const back = await waitFor(
        async () => {
          const running = (await status(handle)).servers.filter((s) => s.status === 'running');
          return running.length === 2 ? running : undefined;
        },
        20_000,
        'servers back for the next window',
      );
      expect(back.map((s) => s.id)).not.toContain(busy);
    },
    testTimeout(60_000),
  );

  it(
    'a running server that later reports failure is drained, its session keeps running, and it is replaced',
    async () => {
      const script = `#!/bin/sh
  U="http://{upstream_auth_address}/api/set_server_status?token={checkin_jwt}"
  curl -sf -X POST -H 'Content-Type: application/json' -d '{{"status": "running", "status_progress": "100"}}' "$U"
  sleep 4
  curl -sf -X POST -H 'Content-Type: application/json' -d '{{"status": "failed", "status_message": "disk full", "status_progress": "100"}}' "$U"`;
      const { handle } = await serve(
        configYaml({
          script,
          interval: '1s',
          autoscale: `  - name: a
    vm_provider: local
    zone: local
    connection_type: rdp
    minimum_available_sessions: 1
    max_simultaneous_sessions_per_server: 2
    checkin_timeout: 1m`,
        }),
      );
      const first = await waitFor(async () => (await status(handle)).servers.find((s) => s.status === 'running'), 20_000, 'a running server');
      const placed = await fetch(`${handle.url}/api/v1/sessions`, { method: 'POST', headers: AUTH, body: JSON.stringify({ pool: 'p', user: 'alice' }) });
      expect(placed.status).toBe(201);
      const session = (await placed.json()) as { id: string; server: { id: string } };
      expect(session.server.id).toBe(first.id);
      // The failure report drains it (not destroyed: a session is on it) and a replacement is created.
      await waitFor(
        async () => {
          const st = await status(handle);
          return st.servers.find((s) => s.id === first.id)?.status === 'draining' && st.servers.some((s) => s.id !== first.id);
        },
        20_000,
        'the failed server draining and a replacement created',
      );
      const get = (await (await fetch(`${handle.url}/api/v1/sessions/${session.id}`, { headers: AUTH })).json()) as { status: string };
      expect(get.status).toBe('running');
      expect((await fetch(`${handle.url}/api/v1/sessions/${session.id}`, { method: 'DELETE', headers: AUTH })).status).toBe(200);
      await waitFor(async () => !(await status(handle)).servers.some((s) => s.id === first.id), 10_000, 'the failed server destroyed once empty');
    },
    testTimeout(60_000),
  );
});
