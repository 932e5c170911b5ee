// The reconcile daemon with a real store, a real config directory and the
// real file watcher; the pipeline is a recording stand-in so that triggers,
// locking, leadership and config handling can be observed exactly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { StateStore } from '../src/state/types.ts';
import { createDaemon } from '../src/daemon/daemon.ts';
import type { Daemon } from '../src/daemon/daemon.ts';
import type { ReconcileFn, ReconcileRequest } from '../src/daemon/pipeline.ts';
import { createMetrics } from '../src/server/metrics.ts';
import { silentLog } from '../src/server/types.ts';
import { localPoolYaml, waitUntil } from '../src/testing/local-pool.ts';

const poolYaml = (min: number, extra = ''): string => localPoolYaml({ minimum: min, settings: ['leader_lease: 3s'], extra });
const waitFor = waitUntil;

let dir: string;
let stateDir: string;
let stores: StateStore[] = [];
let daemons: Daemon[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'poolform-daemon-cfg-'));
  stateDir = mkdtempSync(join(tmpdir(), 'poolform-daemon-state-'));
});
afterEach(async () => {
  for (const d of daemons) await d.stop();
  for (const s of stores) await s.close();
  daemons = [];
  stores = [];
  rmSync(dir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

function recorder(): { fn: ReconcileFn; calls: ReconcileRequest[] } {
  const calls: ReconcileRequest[] = [];
  const fn: ReconcileFn = (req) => {
    calls.push(req);
    return Promise.resolve({
      changes: [{ address: 'vm.desktops.day.x', action: 'create', reason: `min ${String(req.config.pools[0]?.autoscale?.[0]?.minimum_available_sessions)}` }],
      applied: 1,
      failed: 0,
      held: [],
      decisions: [{ action: 'create', pool: 'desktops', autoscale: 'day', reason: 'scale-up: test' }],
      errors: [],
      providerErrors: [],
      audited: false,
    });
  };
  return { fn, calls };
}

async function start(
  reconcile: ReconcileFn,
  opts: { clock?: () => number; replicaId?: string; store?: StateStore } = {},
): Promise<{ daemon: Daemon; store: StateStore }> {
  const store = opts.store ?? (await createSqliteStore({ path: join(stateDir, 'poolform.db') }));
  if (!opts.store) stores.push(store);
  const initial = await loadConfig(dir);
  const daemon = createDaemon({
    dir,
    store,
    log: silentLog,
    metrics: createMetrics(),
    reconcile,
    upstreamAuthAddress: '127.0.0.1:9',
    stateDir,
    load: loadConfig,
    initial,
    clock: opts.clock,
    replicaId: opts.replicaId,
    lockWaitMs: 200,
  });
  daemons.push(daemon);
  await daemon.start();
  return { daemon, store };
}

describe('daemon', () => {
  it('reconciles at start as leader, with policy, upstream address and an audit line per decision', async () => {
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1));
    const rec = recorder();
    const { daemon, store } = await start(rec.fn);
    await waitFor(() => rec.calls.length >= 1, 3000, 'first reconcile');
    expect(rec.calls[0]?.policy).toBe('safe');
    expect(rec.calls[0]?.upstreamAuthAddress).toBe('127.0.0.1:9');
    await waitFor(() => daemon.status().last_reconcile?.result === 'ok', 2000, 'summary');
    const st = daemon.status();
    expect(st.is_leader).toBe(true);
    expect(st.leader_id).toBe(daemon.replicaId);
    expect(st.last_reconcile).toMatchObject({ result: 'ok', changes: 1, applied: 1 });
    const audit = await store.listAudit(10);
    expect(audit.some((a) => a.action === 'create' && a.reason === 'scale-up: test' && a.actor === 'serve')).toBe(true);
    // The lock was released.
    expect(await store.getLock()).toBeUndefined();
    // The same standing decision in the next run is not audited again.
    await daemon.reconcileNow('again');
    const again = await store.listAudit(50);
    expect(again.filter((a) => a.reason === 'scale-up: test')).toHaveLength(1);
  });

  it('a YAML edit reloads and re-plans within 2 s; an invalid edit keeps the last good config', async () => {
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1));
    const rec = recorder();
    const { daemon } = await start(rec.fn);
    await waitFor(() => rec.calls.length >= 1, 3000, 'first reconcile');
    const before = rec.calls.length;
    const t0 = Date.now();
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(3));
    await waitFor(
      () => rec.calls.slice(before).some((c) => c.config.pools[0]?.autoscale?.[0]?.minimum_available_sessions === 3),
      2000,
      'reconcile with the new config',
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(daemon.status().last_reconcile?.trigger).toContain('config changed');

    const count = rec.calls.length;
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(3).replace('type: server', 'type: spaceship'));
    await waitFor(() => daemon.status().config.errors.some((d) => d.severity === 'error'), 2000, 'config errors shown');
    expect(daemon.getConfig()?.pools[0]?.autoscale?.[0]?.minimum_available_sessions).toBe(3);
    expect(daemon.getConfig()?.pools[0]?.type).toBe('server');
    expect(rec.calls.length).toBe(count);

    // Fixing it clears the errors.
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(2));
    await waitFor(() => daemon.getConfig()?.pools[0]?.autoscale?.[0]?.minimum_available_sessions === 2, 2000, 'fixed config');
    expect(daemon.status().config.errors.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('records reconcile durations and provider errors in the metrics', async () => {
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1));
    const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
    stores.push(store);
    const metrics = createMetrics();
    const failing: ReconcileFn = () =>
      Promise.resolve({
        changes: [],
        applied: 0,
        failed: 1,
        held: [],
        decisions: [],
        errors: ['vm: boom'],
        providerErrors: [{ provider: 'local', message: 'boom' }],
        audited: false,
      });
    const daemon = createDaemon({
      dir,
      store,
      log: silentLog,
      metrics,
      reconcile: failing,
      upstreamAuthAddress: '127.0.0.1:9',
      stateDir,
      load: loadConfig,
      initial: await loadConfig(dir),
    });
    daemons.push(daemon);
    await daemon.start();
    await waitFor(() => daemon.status().last_reconcile?.result === 'ok', 3000, 'a run');
    await metrics.refresh(store, daemon.status());
    const text = await metrics.registry.metrics();
    expect(text).toContain('poolform_provider_errors_total{provider="local"} 1');
    expect(text).toMatch(/poolform_reconcile_duration_seconds_count\{result="ok"\} [1-9]/);
    expect(text).toContain(`poolform_leader{replica="${daemon.replicaId}"} 1`);
    expect(daemon.status().last_reconcile?.errors).toEqual(['vm: boom']);
  });

  it('coalesces bursts of triggers and never runs two reconciles at once', async () => {
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1));
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const slow: ReconcileFn = async () => {
      active++;
      runs++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 100));
      active--;
      return { changes: [], applied: 0, failed: 0, held: [], decisions: [], errors: [], providerErrors: [], audited: false };
    };
    const { daemon } = await start(slow);
    await waitFor(() => runs >= 1, 3000, 'first run');
    for (let i = 0; i < 50; i++) daemon.trigger(`queue ${i}`);
    await new Promise((r) => setTimeout(r, 600));
    expect(maxActive).toBe(1);
    expect(runs).toBeLessThanOrEqual(4);
  });

  it('waits for the state lock; a CLI apply holding it makes the run skip, then it retries', async () => {
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1));
    const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
    stores.push(store);
    await store.acquireLock({ id: 'cli-lock', operation: 'apply', pid: process.pid, host: 'test', since: new Date().toISOString() }, { waitMs: 0 });
    const rec = recorder();
    const { daemon } = await start(rec.fn, { store });
    await waitFor(() => daemon.status().last_reconcile?.result === 'skipped', 3000, 'skipped run');
    expect(daemon.status().last_reconcile?.message).toContain('apply');
    expect(rec.calls.length).toBe(0);
    await store.releaseLock('cli-lock');
    await waitFor(() => rec.calls.length >= 1, 4000, 'retry after the lock is free');
  });

  it('expires idle sessions and stale queued requests on each run', async () => {
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1));
    const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
    stores.push(store);
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await store.putSession({
      id: 'q1',
      pool: 'desktops',
      user: 'u',
      zone: null,
      workspace: null,
      server_id: null,
      status: 'queued',
      resources: null,
      staged: false,
      staging: null,
      created_at: old,
      updated_at: old,
      last_keepalive_at: old,
      ended_at: null,
      end_reason: null,
      api_key: null,
    });
    const rec = recorder();
    const { daemon } = await start(rec.fn, { store });
    await waitFor(() => rec.calls.length >= 1, 3000, 'first run');
    expect((await store.getSession('q1'))?.status).toBe('failed');
    expect((await store.getSession('q1'))?.end_reason).toBe('queue_timeout');
    expect(daemon.status().is_leader).toBe(true);
  });

  it('sets a timer for the next schedule transition instead of waiting for the tick', async () => {
    // Wall clock shifted so that a 07:00 UTC schedule edge is ~600 ms away.
    const now = Date.now();
    const edge = Date.UTC(2026, 0, 5, 7, 0, 0); // a Monday
    const offset = edge - 600 - now;
    const schedule = `    schedules:\n      - { days: [mon], start: "07:00", end: "18:00", timezone: UTC }\n`;
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1, schedule));
    const rec = recorder();
    const { daemon } = await start(rec.fn, { clock: () => Date.now() + offset });
    await waitFor(() => rec.calls.length >= 1, 3000, 'first run');
    await waitFor(() => (daemon.status().last_reconcile?.trigger ?? '').includes('schedule transition'), 3000, 'transition run');
    expect(daemon.status().last_reconcile?.trigger).toContain('desktops/day');
  });

  it('only the lease holder reconciles; when it stops, another replica takes over', async () => {
    writeFileSync(join(dir, 'pools.yaml'), poolYaml(1));
    const a = recorder();
    const b = recorder();
    const { daemon: da } = await start(a.fn, { replicaId: 'replica-a' });
    const { daemon: db } = await start(b.fn, { replicaId: 'replica-b' });
    await waitFor(() => a.calls.length >= 1, 3000, 'leader run');
    expect(da.status().is_leader).toBe(true);
    expect(db.status().is_leader).toBe(false);
    await waitFor(() => db.status().leader_id === 'replica-a', 3000, 'standby sees the leader');
    // An event on the standby (a queued request, a check-in) makes the leader reconcile at once,
    // not at its next tick (1h here); the standby itself never reconciles.
    const before = a.calls.length;
    db.notify('queue event');
    await waitFor(() => a.calls.length > before, 3000, "the leader to run for the standby's event");
    expect(da.status().last_reconcile?.trigger).toContain('event on replica replica-b');
    // The standby's own timers (interval, retries) never wake the leader: only API events do.
    const settled = a.calls.length;
    db.trigger('interval');
    await new Promise((r) => setTimeout(r, 800));
    expect(a.calls.length).toBe(settled);
    expect(b.calls.length).toBe(0);
    await da.stop();
    daemons = daemons.filter((d) => d !== da);
    // Released on graceful stop: the standby leads within one renewal period (lease 3 s → 1 s).
    await waitFor(() => db.status().is_leader, 2500, 'standby takes over');
    await waitFor(() => b.calls.length >= 1, 2000, 'new leader reconciles');
  });
});
