// The reconcile loop of `poolform serve`.
//
// - Watches DIR (chokidar, debounced ~300 ms). On a change it reloads: an
//   invalid config is logged and shown in /api/v1/status while the last good
//   one keeps serving; a valid one replaces it and triggers a reconcile.
// - Reconciles every Settings.reconcile_interval (default 30s) and at once on
//   queue events, check-ins, config changes and schedule transitions (a timer
//   is set for the next transition of any autoscale config).
// - Only the leader (lease in the store, see leader.ts) reconciles; every
//   replica serves the API. Queue events and check-ins that a standby
//   receives wake the leader through the store (WAKE_LEASE), so the leader
//   reconciles at once for them too.
// - One reconcile at a time; triggers that arrive meanwhile coalesce into one
//   more run. Each run: expire idle/queued sessions, take the state lock
//   (waiting up to lockWaitMs: a CLI `apply` holding it makes the run skip
//   and retry soon, never interleave), run the pipeline per apply_policy,
//   release the lock, place queued sessions, write one audit line per
//   decision.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config, Diagnostic, LoadResult } from '../config/model.ts';
import type { StateStore } from '../state/types.ts';
import { LockHeldError } from '../state/types.ts';
import { durationOr } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import type { Metrics } from '../server/metrics.ts';
import type { ActiveCheck } from '../server/app.ts';
import { createPlacementChooser } from '../server/placement.ts';
import { retireIfSingleUse } from '../server/single-use.ts';
import type { Clock, Log, ReconcileSummary, ServeStatus } from '../server/types.ts';
import { createLeaderElector } from './leader.ts';
import type { LeaderElector } from './leader.ts';
import type { ApplyPolicy, ReconcileFn, ReconcileOutcome } from './pipeline.ts';
import { activeCheck, nextTransition } from './schedule-clock.ts';
import { watchConfigDir } from './watcher.ts';
import type { ConfigWatcher } from './watcher.ts';

/** Longest a timer may wait (setTimeout's limit is 2^31-1 ms). */
const MAX_TIMER_MS = 2_000_000_000;
/** After a run skipped because the lock was busy, try again this soon. */
const LOCK_RETRY_MS = 2_000;
/** Triggers within this window coalesce into one run. */
const TRIGGER_COALESCE_MS = 50;
/** Triggered runs start at least this long after the previous one ended (bursts of events cannot hammer the providers). */
const MIN_GAP_MS = 500;
/**
 * Events on a standby replica (a queued request, a check-in) must make the
 * leader reconcile at once too. The standby stamps the WAKE_LEASE row (a
 * lease with a zero ttl, so any replica may take it at any time) and the
 * leader polls that one row every WAKE_POLL_MS.
 */
export const WAKE_LEASE = 'serve-wake';
const WAKE_POLL_MS = 250;

export interface DaemonOptions {
  dir: string;
  store: StateStore;
  /** Store (connection pool) for the leader lease alone, so renewals never queue behind request traffic; default `store`. */
  leaseStore?: StateStore | undefined;
  log: Log;
  metrics: Metrics;
  reconcile: ReconcileFn;
  /** Base URL of this API, the default `{upstream_auth_address}`. */
  upstreamAuthAddress: string;
  stateDir: string;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  replicaId?: string;
  load: (dir: string) => Promise<LoadResult>;
  /** The result of the load done before start (serve refuses to start without a valid config). */
  initial: LoadResult;
  /** Watch DIR for changes (default true). */
  watch?: boolean;
  debounceMs?: number;
  /** How long a reconcile waits for the state lock (default 10 s). */
  lockWaitMs?: number;
  isActive?: ActiveCheck;
}

export interface Daemon {
  start(): Promise<void>;
  /** Stops timers and the watcher, waits for the running reconcile, releases the lease. */
  stop(): Promise<void>;
  /** Ask for a reconcile now (coalesced), on this replica (skipped unless it leads). */
  trigger(reason: string): void;
  /** An API event (queued request, check-in): the leader reconciles now, also when this replica is a standby. */
  notify(reason: string): void;
  /**
   * Remember a check-in this process accepted. A check-in that lands while
   * apply is still recording the server's creation (a VM that boots faster
   * than apply finishes) can be overwritten by apply's "waiting for check-in"
   * record; after each reconcile the daemon re-asserts such check-ins.
   */
  /** Run a reconcile now and wait for it (tests, `--once`). */
  reconcileNow(reason: string): Promise<ReconcileSummary>;
  reload(): Promise<void>;
  getConfig(): Config | undefined;
  status(): ServeStatus;
  readonly replicaId: string;
}

export function createDaemon(options: DaemonOptions): Daemon {
  const { store, log, metrics, dir } = options;
  const clock = options.clock ?? Date.now;
  const replicaId = options.replicaId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const isActive = options.isActive ?? activeCheck;
  const lockWaitMs = options.lockWaitMs ?? 10_000;

  let config: Config | undefined = options.initial.config;
  let diagnostics: Diagnostic[] = options.initial.diagnostics;
  let loadedAt: string | null = config ? new Date(clock()).toISOString() : null;
  let last: ReconcileSummary | null = null;
  let stopped = true;
  let watcher: ConfigWatcher | undefined;
  let intervalTimer: NodeJS.Timeout | undefined;
  let transitionTimer: NodeJS.Timeout | undefined;
  let triggerTimer: NodeJS.Timeout | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;
  /** The last wake stamp seen (holder + time), so each stamp triggers one run. */
  let lastWake = '';
  let wakeSending = false;
  /** Wake stamps strictly increase, so two events within one millisecond still differ. */
  let lastWakeSentMs = 0;
  let wakePending = false;
  const leaseStore = options.leaseStore ?? store;
  let nextAt: number | null = null;
  let running: Promise<ReconcileSummary> | undefined;
  let again: string[] = [];
  let reloading: Promise<void> = Promise.resolve();
  /** Decisions of the previous run, so that standing ones are not audited every tick. */
  let lastDecisions = new Set<string>();
  /** Changes held in the previous run, so a standing hold is not logged at info every tick. */
  let lastHeld = new Set<string>();
  let lastEndMs: number | null = null;

  const settings = () => config?.settings;
  const policy = (): ApplyPolicy => settings()?.apply_policy ?? 'safe';
  const intervalMs = (): number => safeDuration(settings()?.reconcile_interval, '30s');
  const leaseMs = (): number => safeDuration(settings()?.leader_lease, '10s');

  function safeDuration(text: string | undefined, fallback: string): number {
    try {
      return durationOr(text, fallback);
    } catch {
      return durationOr(undefined, fallback);
    }
  }

  const leader: LeaderElector = createLeaderElector({
    store: leaseStore,
    replicaId,
    ttlMs: leaseMs,
    clock,
    log,
    onChange: (leading) => {
      if (leading) trigger('became leader');
    },
  });

  function armInterval(): void {
    if (intervalTimer) clearTimeout(intervalTimer);
    if (stopped) return;
    const ms = intervalMs();
    nextAt = clock() + ms;
    intervalTimer = setTimeout(() => trigger('interval'), Math.min(ms, MAX_TIMER_MS));
  }

  function armTransition(): void {
    if (transitionTimer) clearTimeout(transitionTimer);
    transitionTimer = undefined;
    if (stopped || !config) return;
    const next = nextTransition(config, clock());
    if (!next) return;
    // A few ms past the edge so the schedule already reads the new state.
    const rawWait = Math.max(0, next.at - clock()) + 20;
    const wait = Math.min(rawWait, MAX_TIMER_MS);
    transitionTimer = setTimeout(() => {
      // A transition further away than setTimeout can wait (~23 days): this was only a stopover.
      if (rawWait > MAX_TIMER_MS) {
        armTransition();
        return;
      }
      log.info({ event: 'schedule-transition', pool: next.pool, autoscale: next.autoscale, active: next.active }, `schedule transition: ${next.pool}/${next.autoscale} ${next.active ? 'active' : 'inactive'}`);
      trigger(`schedule transition ${next.pool}/${next.autoscale} → ${next.active ? 'active' : 'inactive'}`);
      armTransition();
    }, wait);
  }

  /** A standby passes its events on to the leader (one write in flight, the latest event wins). */
  function wakeLeader(): void {
    if (wakeSending) {
      wakePending = true;
      return;
    }
    wakeSending = true;
    wakePending = false;
    lastWakeSentMs = Math.max(clock(), lastWakeSentMs + 1);
    leaseStore
      .tryAcquireLease(WAKE_LEASE, replicaId, 0, new Date(lastWakeSentMs).toISOString())
      .catch((err: unknown) => log.warn({ event: 'wake-error', err: errorMessage(err) }, 'cannot wake the leader'))
      .finally(() => {
        wakeSending = false;
        if (wakePending && !stopped) wakeLeader();
      });
  }

  function armWakePoll(): void {
    if (stopped) return;
    wakeTimer = setTimeout(() => {
      void pollWake().finally(armWakePoll);
    }, WAKE_POLL_MS);
  }

  async function pollWake(): Promise<void> {
    if (!leader.isLeader()) return;
    try {
      const wake = await leaseStore.getLease(WAKE_LEASE);
      if (!wake) return;
      const stamp = `${wake.holder}@${wake.expires_at}`;
      if (stamp === lastWake) return;
      lastWake = stamp;
      // The first stamp seen may predate this replica's leadership: one spare run at most.
      if (wake.holder !== replicaId) trigger(`event on replica ${wake.holder}`);
    } catch (err) {
      log.debug({ event: 'wake-poll-error', err: errorMessage(err) }, 'cannot read the wake-up row');
    }
  }

  /** An event from the API (queued request, check-in): reconcile now, on whichever replica leads. */
  function notify(reason: string): void {
    if (stopped) return;
    if (!leader.isLeader() && leader.leaderId() !== null && leader.leaderId() !== replicaId) {
      wakeLeader();
      return;
    }
    trigger(reason);
  }

  function trigger(reason: string): void {
    if (stopped) return;
    again.push(reason);
    if (running || triggerTimer) return;
    const gap = lastEndMs === null ? 0 : Math.max(0, lastEndMs + MIN_GAP_MS - clock());
    triggerTimer = setTimeout(() => {
      triggerTimer = undefined;
      void kick();
    }, Math.max(TRIGGER_COALESCE_MS, gap));
  }

  async function kick(): Promise<void> {
    if (running || stopped || again.length === 0) return;
    const reasons = again;
    again = [];
    const distinct = [...new Set(reasons)];
    const shown = distinct.slice(0, 5).join('; ');
    await runOnce(distinct.length > 5 ? `${shown} (+${distinct.length - 5} more)` : shown || 'trigger');
  }

  function runOnce(reason: string): Promise<ReconcileSummary> {
    if (running) return running;
    const p = doReconcile(reason).finally(() => {
      running = undefined;
      lastEndMs = clock();
      armInterval();
      // Triggers that arrived during the run: one more run, through trigger() so the minimum gap applies.
      if (again.length > 0 && !stopped) {
        const pending = again;
        again = [];
        for (const r of pending) trigger(r);
      }
    });
    running = p;
    return p;
  }

  function summary(startMs: number, trig: string, result: ReconcileSummary['result'], message: string, outcome?: ReconcileOutcome): ReconcileSummary {
    const end = clock();
    return {
      started_at: new Date(startMs).toISOString(),
      finished_at: new Date(end).toISOString(),
      duration_ms: end - startMs,
      result,
      trigger: trig,
      message,
      changes: outcome?.changes.length ?? 0,
      applied: outcome?.applied ?? 0,
      failed: outcome?.failed ?? 0,
      held: outcome?.held.length ?? 0,
      plan: (outcome?.changes ?? []).slice(0, 200),
      held_changes: (outcome?.held ?? []).slice(0, 200),
      decisions: (outcome?.decisions ?? []).slice(0, 200).map((d) => ({ action: d.action, pool: d.pool, autoscale: d.autoscale, server_id: d.server_id ?? null, reason: d.reason })),
      errors: (outcome?.errors ?? []).slice(0, 50),
    };
  }

  async function doReconcile(trig: string): Promise<ReconcileSummary> {
    const startMs = clock();
    const cfg = config;
    if (!cfg) return finish(summary(startMs, trig, 'skipped', 'no valid configuration loaded'));
    if (!leader.isLeader()) return finish(summary(startMs, trig, 'skipped', `not the leader (leader: ${leader.leaderId() ?? 'none'})`), false);
    const now = new Date(startMs);
    const nowIso = now.toISOString();
    try {
      await expire(cfg, nowIso);
    } catch (err) {
      log.warn({ event: 'expire-error', err: errorMessage(err) }, 'expiring sessions failed');
    }
    const lockId = randomUUID();
    try {
      await store.acquireLock({ id: lockId, operation: 'serve reconcile', pid: process.pid, host: hostname(), since: nowIso }, { waitMs: lockWaitMs });
    } catch (err) {
      if (err instanceof LockHeldError) {
        log.warn({ event: 'reconcile-skipped', reason: 'locked', holder: err.holder.operation, holder_pid: err.holder.pid }, err.message);
        setTimeout(() => trigger('retry after lock'), LOCK_RETRY_MS).unref();
        return finish(summary(startMs, trig, 'skipped', err.message));
      }
      return finish(summary(startMs, trig, 'error', `cannot take the state lock: ${errorMessage(err)}`));
    }
    let outcome: ReconcileOutcome;
    try {
      outcome = await options.reconcile({
        config: cfg,
        store,
        now,
        policy: policy(),
        upstreamAuthAddress: options.upstreamAuthAddress,
        stateDir: options.stateDir,
        env: options.env ?? {},
        log,
        lockId,
        clock: () => new Date(clock()),
      });
    } catch (err) {
      log.error({ event: 'reconcile-error', trigger: trig, err: errorMessage(err) }, `reconcile failed: ${errorMessage(err)}`);
      return finish(summary(startMs, trig, 'error', errorMessage(err)));
    } finally {
      await store.releaseLock(lockId).catch((err: unknown) => log.error({ event: 'unlock-error', err: errorMessage(err) }, 'cannot release the state lock'));
    }
    for (const e of outcome.providerErrors) metrics.providerError(e.provider);
    try {
      await afterApply(cfg, outcome, nowIso);
    } catch (err) {
      // Runs are started with `void kick()`: a rejection here would be unhandled and end the process.
      log.error({ event: 'after-apply-error', err: errorMessage(err) }, `after the reconcile: ${errorMessage(err)}`);
    }
    const msg =
      `${outcome.changes.length} change(s): ${outcome.applied} applied, ${outcome.failed} failed, ${outcome.held.length} held` +
      (outcome.errors.length > 0 ? `; ${outcome.errors.length} error(s)` : '');
    log.info({ event: 'reconcile', trigger: trig, policy: policy(), changes: outcome.changes.length, applied: outcome.applied, failed: outcome.failed, held: outcome.held.length, duration_ms: clock() - startMs }, `reconcile (${trig}): ${msg}`);
    return finish(summary(startMs, trig, 'ok', msg, outcome));
  }

  function finish(s: ReconcileSummary, record = true): ReconcileSummary {
    if (record || last === null) last = s;
    metrics.observeReconcile(s.duration_ms / 1000, s.result);
    return s;
  }

  async function expire(cfg: Config, nowIso: string): Promise<void> {
    const keepalive = safeDuration(cfg.settings.session_keepalive_timeout, '1h');
    const queue = safeDuration(cfg.settings.queue_timeout, '15m');
    const changed = await store.expireSessions(nowIso, keepalive, queue);
    if (changed.length === 0) return;
    for (const s of changed) {
      if (s.status === 'ended') await retireIfSingleUse(store, s.server_id, nowIso);
      log.info({ event: 'session-expired', session_id: s.id, pool: s.pool, reason: s.end_reason }, `session ${s.id} ${s.status}: ${s.end_reason ?? ''}`);
    }
    await store.appendAudit(
      changed.map((s) => ({
        at: nowIso,
        actor: 'serve',
        action: s.status === 'failed' ? 'session-queue-timeout' : 'session-expire',
        address: null,
        reason: s.end_reason === 'queue_timeout' ? `queued request ${s.id} not placed within queue_timeout` : `session ${s.id} had no keepalive within session_keepalive_timeout`,
        detail: { session_id: s.id, pool: s.pool },
      })),
    );
  }

  async function afterApply(cfg: Config, outcome: ReconcileOutcome, nowIso: string): Promise<void> {
    // One audit line per decision, with its reason. A decision repeated unchanged from the
    // previous run (a standing hold, a backoff) is logged at debug and not audited again.
    // A decision about one server (a destroy held by apply_policy, a drain) is the same decision while
    // its kind holds, though its reason's ages ("starting for 31m") change: keyed by the reason's prefix.
    const keyOf = (d: ReconcileOutcome['decisions'][number]): string =>
      [d.action, d.pool, d.autoscale, d.server_id ?? '', d.server_id ? d.reason.split(':')[0] : d.reason].join('\u0000');
    const fresh = outcome.decisions.filter((d) => !lastDecisions.has(keyOf(d)));
    lastDecisions = new Set(outcome.decisions.map(keyOf));
    for (const d of outcome.decisions) {
      const line = { event: 'decision', action: d.action, pool: d.pool, autoscale: d.autoscale, server_id: d.server_id ?? null, reason: d.reason };
      const msg = `${d.action} ${d.pool}/${d.autoscale}${d.server_id ? ` ${d.server_id}` : ''}: ${d.reason}`;
      if (fresh.includes(d)) log.info(line, msg);
      else log.debug({ ...line, repeated: true }, msg);
    }
    // A held change stays held every run until an admin applies it: logged at info once, then at debug.
    const heldKey = (h: ReconcileOutcome['held'][number]): string => `${h.action} ${h.address}`; // reasons carry ages that change every run
    for (const h of outcome.held) {
      const line = { event: 'held', address: h.address, action: h.action, reason: h.reason, policy: policy() };
      const msg = `held by apply_policy ${policy()}: ${h.action} ${h.address}`;
      if (lastHeld.has(heldKey(h))) log.debug({ ...line, repeated: true }, msg);
      else log.info(line, msg);
    }
    lastHeld = new Set(outcome.held.map(heldKey));
    if (!outcome.audited && fresh.length > 0) {
      await store
        .appendAudit(
          fresh.map((d) => ({
            at: nowIso,
            actor: 'serve',
            action: d.action,
            address: d.server_id ? `vm.${d.pool}.${d.autoscale}.${d.server_id}` : null,
            reason: d.reason,
            detail: { pool: d.pool, autoscale: d.autoscale, policy: policy() },
          })),
        )
        .catch((err: unknown) => log.error({ event: 'audit-error', err: errorMessage(err) }, 'cannot write the audit log'));
    }
    // Servers that became running without a check-in (require_checkin: false) can take queued requests now.
    const chooser = createPlacementChooser(cfg, (pool, autoscale) => isActive(cfg, pool, autoscale, clock()));
    for (const pool of cfg.pools) {
      try {
        const placed = await store.assignQueued(pool.name, chooser, nowIso);
        for (const s of placed) log.info({ event: 'session-assigned', session_id: s.id, pool: s.pool, server_id: s.server_id }, `queued session ${s.id} placed`);
      } catch (err) {
        log.warn({ event: 'assign-error', pool: pool.name, err: errorMessage(err) }, 'placing queued sessions failed');
      }
    }
  }

  async function reloadNow(): Promise<void> {
    let result: LoadResult;
    try {
      result = await options.load(dir);
    } catch (err) {
      result = { diagnostics: [{ severity: 'error', code: 'load-failed', message: errorMessage(err), file: '', line: 0, column: 0, path: '' }] };
    }
    diagnostics = result.diagnostics;
    if (!result.config) {
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      for (const d of errors) {
        log.error({ event: 'config-invalid', file: d.file, line: d.line, column: d.column, code: d.code }, `${d.file}:${d.line}:${d.column}: ${d.code}: ${d.message}`);
      }
      log.warn({ event: 'config-rejected', errors: errors.length }, `configuration in ${dir} is invalid (${errors.length} error(s)); still serving the last good configuration`);
      return;
    }
    config = result.config;
    loadedAt = new Date(clock()).toISOString();
    log.info({ event: 'config-loaded', dir, pools: config.pools.length, warnings: result.diagnostics.length }, `configuration reloaded from ${dir}`);
    armTransition();
    trigger('config changed');
  }

  function reload(): Promise<void> {
    reloading = reloading.then(reloadNow, reloadNow);
    return reloading;
  }

  return {
    replicaId,
    async start() {
      stopped = false;
      await leader.start();
      if (options.watch !== false) {
        watcher = watchConfigDir(dir, (paths) => {
          log.info({ event: 'config-change', files: paths.length }, `config change detected (${paths.length} path(s))`);
          void reload();
        }, {
          debounceMs: options.debounceMs ?? 300,
          // The state directory (SQLite WAL, local VM directories) often sits inside DIR: never a config change.
          ignorePaths: [options.stateDir],
          onError: (err) => log.warn({ event: 'config-watch-error', err: errorMessage(err) }, `watching ${dir} failed: ${errorMessage(err)}; reloading`),
        });
        await watcher.ready;
      }
      armTransition();
      armInterval();
      armWakePoll();
      trigger('start');
    },
    async stop() {
      stopped = true;
      for (const t of [intervalTimer, transitionTimer, triggerTimer, wakeTimer]) if (t) clearTimeout(t);
      intervalTimer = transitionTimer = triggerTimer = wakeTimer = undefined;
      again = [];
      await watcher?.close();
      await reloading.catch(() => undefined);
      if (running) await running.catch(() => undefined);
      await leader.stop({ release: true });
    },
    trigger,
    notify,
    reconcileNow: (reason) => runOnce(reason),
    reload,
    getConfig: () => config,
    status: () => ({
      replica_id: replicaId,
      is_leader: leader.isLeader(),
      leader_id: leader.leaderId(),
      apply_policy: policy(),
      config: { dir, loaded_at: loadedAt, errors: diagnostics },
      last_reconcile: last,
      next_reconcile_at: nextAt === null ? null : new Date(nextAt).toISOString(),
    }),
  };
}
