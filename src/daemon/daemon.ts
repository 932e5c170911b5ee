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
// - A failed run (it threw a retryable error, changes failed, a provider could
//   not be reached) is retried with backoff (backoff.ts: 1 s doubling to 5 min)
//   in place of the regular interval; a clean run resets it; a terminal error
//   waits for the interval or an event (requeue.ts).
// - One reconcile at a time; triggers that arrive meanwhile coalesce into one
//   more run (trigger-queue.ts). Each run: expire idle/queued sessions, take the state lock
//   (waiting up to lockWaitMs: a CLI `apply` holding it makes the run skip
//   and retry soon, never interleave), run the pipeline per apply_policy,
//   release the lock, place queued sessions, write one audit line per
//   decision.
//
// This module wires the parts: trigger-queue.ts (coalescing), wake.ts (standby →
// leader), transition-timer.ts (schedule edges), config-reload.ts, housekeeping.ts
// (session expiry), decision-audit.ts, queue-placement.ts, summary.ts, backoff.ts.
// Clock and timers are injected (DaemonOptions.clock / timers).
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config, LoadResult } from '../config/model.ts';
import type { LeaseStore, StateStore } from '../state/types.ts';
import { LockHeldError } from '../state/types.ts';
import { dispositionOf, errorMessage } from '../util/errors.ts';
import { errorCodeOf } from '../util/error-code.ts';
import { holdUntil } from '../server/holds.ts';
import type { Metrics } from '../server/metrics.ts';
import type { ActiveCheck } from '../server/context.ts';
import type { Clock, Log, ReconcileSummary, ServeStatus } from '../server/types.ts';
import { NO_FAILURES } from './backoff.ts';
import type { BackoffPolicy, BackoffState } from './backoff.ts';
import { createConfigHolder } from './config-reload.ts';
import { createDecisionAudit, decisionAuditEntries } from './decision-audit.ts';
import { expireSessions, safeDuration } from './housekeeping.ts';
import { createLeaderElector } from './leader.ts';
import type { LeaderElector } from './leader.ts';
import type { ApplyPolicy, ReconcileFn, ReconcileOutcome } from './pipeline.ts';
import { placeQueuedSessions } from './queue-placement.ts';
import { nextRequeue } from './requeue.ts';
import type { Requeue, RunResult } from './requeue.ts';
import { activeCheck } from './schedule-clock.ts';
import { outcomeMessage, reconcileSummary } from './summary.ts';
import { realTimers } from './timers.ts';
import type { TimerHandle, Timers } from './timers.ts';
import { createTransitionTimer } from './transition-timer.ts';
import { createTriggerQueue } from './trigger-queue.ts';
import { createWakeChannel } from './wake.ts';
import { watchConfigDir } from './watcher.ts';
import type { ConfigWatcher } from './watcher.ts';

/** After a run skipped because the lock was busy, try again this soon. */
const LOCK_RETRY_MS = 2_000;
/** How many recorded reconcile runs status keeps for the web page's history. */
const RECENT_RUNS = 20;
export { WAKE_LEASE } from './wake.ts';

export interface DaemonOptions {
  dir: string;
  store: StateStore;
  /** Store (connection pool) for the leader lease alone, so renewals never queue behind request traffic; default `store`. */
  leaseStore?: LeaseStore | undefined;
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
  /** Timers (default the process's); tests inject fakes (daemon/fake-timers.ts). */
  timers?: Timers;
  /** Requeue after a failed run (default 1 s doubling to 5 min). */
  backoff?: BackoffPolicy;
}

export interface Daemon {
  start(): Promise<void>;
  /** Stops timers and the watcher, waits for the running reconcile, releases the lease. */
  stop(): Promise<void>;
  /** Ask for a reconcile now (coalesced), on this replica (skipped unless it leads). */
  trigger(reason: string): void;
  /** An API event (queued request, check-in): the leader reconciles now, also when this replica is a standby. */
  notify(reason: string): void;
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
  const timers = options.timers ?? realTimers;
  const replicaId = options.replicaId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const isActive = options.isActive ?? activeCheck;
  const lockWaitMs = options.lockWaitMs ?? 10_000;
  const leaseStore = options.leaseStore ?? store;

  let last: ReconcileSummary | null = null;
  /** The last RECENT_RUNS recorded runs, newest first (the web page's history). */
  const recent: ReconcileSummary[] = [];
  let stopped = true;
  let watcher: ConfigWatcher | undefined;
  /** The next regular run (interval) or retry (backoff), and when it is due. */
  let requeueTimer: TimerHandle | undefined;
  let nextAt: number | null = null;
  const lockRetryTimers = new Set<TimerHandle>();
  let backoff: BackoffState = NO_FAILURES;
  /** The requeue the last run asked for (undefined before the first run: the interval). */
  let requeue: Requeue | undefined;
  const audit = createDecisionAudit();

  const holder = createConfigHolder({
    dir,
    load: options.load,
    initial: options.initial,
    log,
    clock,
    onLoaded: () => {
      transitions.arm();
      trigger('config changed');
    },
  });
  const settings = () => holder.config()?.settings;
  const policy = (): ApplyPolicy => settings()?.apply_policy ?? 'safe';
  const intervalMs = (): number => safeDuration(settings()?.reconcile_interval, '30s');
  const leaseMs = (): number => safeDuration(settings()?.leader_lease, '10s');

  const queue = createTriggerQueue<ReconcileSummary>({ clock, timers, run: doReconcile, onSettled: armRequeue });
  const trigger = (reason: string): void => queue.trigger(reason);

  const leader: LeaderElector = createLeaderElector({
    store: leaseStore,
    replicaId,
    ttlMs: leaseMs,
    clock,
    timers,
    log,
    onChange: (leading) => {
      if (leading) trigger('became leader');
    },
  });

  const transitions = createTransitionTimer({ clock, timers, log, config: () => holder.config(), onTransition: trigger });
  const wake = createWakeChannel({
    store: leaseStore,
    replicaId,
    clock,
    timers,
    log,
    isLeader: () => leader.isLeader(),
    onWake: (from) => trigger(`event on replica ${from}`),
  });

  /** The next run: after the interval, sooner when the last run asked for it, or after the backoff delay while runs fail (requeue.ts). */
  function armRequeue(): void {
    timers.clear(requeueTimer);
    requeueTimer = undefined;
    if (stopped) return;
    const next = requeue ?? { delayMs: intervalMs(), reason: 'interval' };
    nextAt = clock() + next.delayMs;
    requeueTimer = timers.set(() => trigger(next.reason), next.delayMs);
  }

  /** An event from the API (queued request, check-in): reconcile now, on whichever replica leads. */
  function notify(reason: string): void {
    if (stopped) return;
    if (!leader.isLeader() && leader.leaderId() !== null && leader.leaderId() !== replicaId) {
      wake.send();
      return;
    }
    trigger(reason);
  }

  /** Decides the next run from this one (requeue.ts): interval, earlier, or backoff. */
  function settle(result: RunResult): void {
    requeue = nextRequeue(backoff, result, intervalMs(), options.backoff);
    backoff = requeue.state;
  }

  async function doReconcile(trig: string): Promise<ReconcileSummary> {
    const startMs = clock();
    const summary = (result: ReconcileSummary['result'], message: string, outcome?: ReconcileOutcome): ReconcileSummary =>
      reconcileSummary(startMs, clock(), trig, result, message, outcome);
    const cfg = holder.config();
    if (!cfg) return finish(summary('skipped', 'no valid configuration loaded'));
    if (!leader.isLeader()) return finish(summary('skipped', `not the leader (leader: ${leader.leaderId() ?? 'none'})`), false);
    const now = new Date(startMs);
    const nowIso = now.toISOString();
    try {
      await expireSessions(store, log, cfg, nowIso);
    } catch (err) {
      log.warn({ event: 'expire-error', err: errorMessage(err) }, 'expiring sessions failed');
    }
    const lockId = randomUUID();
    try {
      await store.acquireLock({ id: lockId, operation: 'serve reconcile', pid: process.pid, host: hostname(), since: nowIso }, { waitMs: lockWaitMs });
    } catch (err) {
      if (err instanceof LockHeldError) {
        log.warn({ event: 'reconcile-skipped', reason: 'locked', holder: err.holder.operation, holder_pid: err.holder.pid }, err.message);
        const t = timers.set(() => {
          lockRetryTimers.delete(t);
          trigger('retry after lock');
        }, LOCK_RETRY_MS);
        lockRetryTimers.add(t);
        return finish(summary('skipped', err.message));
      }
      return finish(summary('error', `cannot take the state lock: ${errorMessage(err)}`), true, { kind: 'error', disposition: 'retryable' });
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
      log.error(
        { event: 'reconcile-error', trigger: trig, err: errorMessage(err), code: errorCodeOf(err) },
        `reconcile failed: error [${errorCodeOf(err)}]: ${errorMessage(err)}`,
      );
      return finish(summary('error', errorMessage(err)), true, { kind: 'error', disposition: dispositionOf(err) });
    } finally {
      await store
        .releaseLock(lockId)
        .catch((err: unknown) =>
          log.error(
            { event: 'unlock-error', err: errorMessage(err), code: errorCodeOf(err) },
            `cannot release the state lock: error [${errorCodeOf(err)}]: ${errorMessage(err)}`,
          ),
        );
    }
    for (const e of outcome.providerErrors) metrics.providerError(e.provider);
    try {
      await afterApply(cfg, outcome, nowIso);
    } catch (err) {
      // Runs are started from a timer: a rejection here would be unhandled and end the process.
      log.error(
        { event: 'after-apply-error', err: errorMessage(err), code: errorCodeOf(err) },
        `after the reconcile: error [${errorCodeOf(err)}]: ${errorMessage(err)}`,
      );
    }
    const msg = outcomeMessage(outcome);
    log.info(
      {
        event: 'reconcile',
        trigger: trig,
        policy: policy(),
        changes: outcome.changes.length,
        applied: outcome.applied,
        failed: outcome.failed,
        held: outcome.held.length,
        duration_ms: clock() - startMs,
      },
      `reconcile (${trig}): ${msg}`,
    );
    return finish(summary('ok', msg, outcome), true, { kind: 'done', outcome });
  }

  function finish(s: ReconcileSummary, record = true, result: RunResult = { kind: 'skipped' }): ReconcileSummary {
    if (record || last === null) {
      last = s;
      recent.unshift(s);
      if (recent.length > RECENT_RUNS) recent.pop();
    }
    settle(result);
    metrics.observeReconcile(s.duration_ms / 1000, s.result);
    return s;
  }

  async function afterApply(cfg: Config, outcome: ReconcileOutcome, nowIso: string): Promise<void> {
    const review = audit.review(outcome);
    for (const { decision: d, fresh } of review.decisions) {
      const line = {
        event: 'decision',
        action: d.action,
        pool: d.pool,
        autoscale: d.autoscale,
        server_id: d.server_id ?? null,
        reason: d.reason,
        // A hold says when it ends (null: when something changes, e.g. max_instances).
        ...(d.action === 'hold' ? { until: holdUntil(d.reason) } : {}),
      };
      const msg = `${d.action} ${d.pool}/${d.autoscale}${d.server_id ? ` ${d.server_id}` : ''}: ${d.reason}`;
      if (fresh) log.info(line, msg);
      else log.debug({ ...line, repeated: true }, msg);
    }
    // A held change stays held every run until an admin applies it: logged at info once, then at debug.
    for (const { change: h, fresh } of review.held) {
      const line = { event: 'held', address: h.address, action: h.action, reason: h.reason, policy: policy() };
      const msg = `held by apply_policy ${policy()}: ${h.action} ${h.address}`;
      if (fresh) log.info(line, msg);
      else log.debug({ ...line, repeated: true }, msg);
    }
    if (!outcome.audited && review.fresh.length > 0) {
      await store
        .appendAudit(decisionAuditEntries(review.fresh, nowIso, policy()))
        .catch((err: unknown) =>
          log.error(
            { event: 'audit-error', err: errorMessage(err), code: errorCodeOf(err) },
            `cannot write the audit log: error [${errorCodeOf(err)}]: ${errorMessage(err)}`,
          ),
        );
    }
    await placeQueuedSessions({ store, log, clock, isActive }, cfg, nowIso);
  }

  return {
    replicaId,
    async start() {
      stopped = false;
      await leader.start();
      if (options.watch !== false) {
        watcher = watchConfigDir(
          dir,
          (paths) => {
            log.info({ event: 'config-change', files: paths.length }, `config change detected (${paths.length} path(s))`);
            void holder.reload();
          },
          {
            debounceMs: options.debounceMs ?? 300,
            // The state directory (SQLite WAL, local VM directories) often sits inside DIR: never a config change.
            ignorePaths: [options.stateDir],
            onError: (err) => log.warn({ event: 'config-watch-error', err: errorMessage(err) }, `watching ${dir} failed: ${errorMessage(err)}; reloading`),
          },
        );
        await watcher.ready;
      }
      transitions.start();
      armRequeue();
      wake.start();
      // Triggers before this point (becoming leader, a config edit while the watcher
      // starts) are subsumed by the start run: accepting them earlier made a second run
      // whenever the watcher took longer than the coalescing window to get ready.
      queue.start();
      trigger('start');
    },
    async stop() {
      stopped = true;
      queue.stop();
      transitions.stop();
      wake.stop();
      timers.clear(requeueTimer);
      requeueTimer = undefined;
      for (const t of lockRetryTimers) timers.clear(t);
      lockRetryTimers.clear();
      await watcher?.close();
      await holder.settled();
      const running = queue.current();
      if (running) await running.catch(() => undefined);
      await leader.stop({ release: true });
    },
    trigger,
    notify,
    reconcileNow: (reason) => queue.runNow(reason),
    reload: () => holder.reload(),
    getConfig: () => holder.config(),
    status: () => ({
      replica_id: replicaId,
      is_leader: leader.isLeader(),
      leader_id: leader.leaderId(),
      apply_policy: policy(),
      config: { dir, loaded_at: holder.loadedAt(), rejected_at: holder.rejectedAt(), errors: holder.diagnostics() },
      last_reconcile: last,
      recent_reconciles: [...recent],
      next_reconcile_at: nextAt === null ? null : new Date(nextAt).toISOString(),
    }),
  };
}
