// Prometheus metrics, one prom-client Registry per app instance (so several
// apps in one process, as in tests and benchmarks, never share counters).
// Gauges that mirror the state store are refreshed on each scrape.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/model.ts';
import type { StateStore } from '../state/types.ts';
import type { ServeStatus } from './types.ts';
import { autoscaleCosts, COST_WINDOW_MS } from './capacity-cost.ts';

export interface Metrics {
  readonly registry: Registry;
  /** A reconcile finished (seconds, result). */
  observeReconcile(seconds: number, result: 'ok' | 'error' | 'skipped'): void;
  /** A provider call failed during apply or observe. */
  providerError(provider: string): void;
  /** A session request was answered (placed, queued, rejected, or a client error). */
  sessionRequest(outcome: string): void;
  /**
   * Re-reads the store and status into the gauges. With the config, every
   * configured pool shows its queue length and session counts (0 included) and
   * every provider its error counter, so dashboards and alerts see the series
   * before the first event.
   */
  refresh(store: StateStore, status: ServeStatus | undefined, config?: Config, nowMs?: number): Promise<void>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const sessions = new Gauge({
    name: 'poolform_sessions',
    help: 'Sessions by pool and status (queued, running).',
    labelNames: ['pool', 'status'],
    registers: [registry],
  });
  const queue = new Gauge({ name: 'poolform_queue_length', help: 'Queued session requests by pool.', labelNames: ['pool'], registers: [registry] });
  const servers = new Gauge({ name: 'poolform_servers', help: 'Servers by pool and status.', labelNames: ['pool', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'poolform_reconcile_duration_seconds',
    help: 'Duration of reconcile runs (refresh, decide, apply).',
    labelNames: ['result'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const reconciles = new Counter({ name: 'poolform_reconciles_total', help: 'Reconcile runs by result.', labelNames: ['result'], registers: [registry] });
  const providerErrors = new Counter({
    name: 'poolform_provider_errors_total',
    help: 'Failed provider calls by provider config.',
    labelNames: ['provider'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'poolform_session_requests_total',
    help: 'Session requests by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'poolform_leader',
    help: '1 when this replica holds the leader lease and runs the reconcile loop.',
    labelNames: ['replica'],
    registers: [registry],
  });
  const leaderInfo = new Gauge({
    name: 'poolform_leader_info',
    help: 'The replica that currently leads (value 1).',
    labelNames: ['leader'],
    registers: [registry],
  });
  const idleServerHours = new Gauge({
    name: 'poolform_idle_server_hours_24h',
    help: 'Idle server-hours over the last 24 h per autoscale config (servers that existed with no session on them).',
    labelNames: ['pool', 'autoscale'],
    registers: [registry],
  });
  const idleCoreHours = new Gauge({
    name: 'poolform_idle_core_hours_24h',
    help: 'Idle core-hours over the last 24 h per docker agent autoscale config (cores no session used).',
    labelNames: ['pool', 'autoscale'],
    registers: [registry],
  });
  const targetActive = new Gauge({
    name: 'poolform_autoscale_active',
    help: 'The schedule of an autoscale config is active now (1) or not (0).',
    labelNames: ['pool', 'autoscale'],
    registers: [registry],
  });
  const targetValue = new Gauge({
    name: 'poolform_autoscale_target',
    help: 'The target in force per autoscale config (schedule windows applied): minimum_available_sessions, standby_cores, standby_memory_mb, standby_gpus, max_instances (absent: no window cap).',
    labelNames: ['pool', 'autoscale', 'target'],
    registers: [registry],
  });
  const configErrors = new Gauge({
    name: 'poolform_config_errors',
    help: 'Error diagnostics of the latest config load (the last good config keeps serving).',
    registers: [registry],
  });

  return {
    registry,
    observeReconcile(seconds, result) {
      duration.observe({ result }, seconds);
      reconciles.inc({ result });
    },
    providerError(provider) {
      providerErrors.inc({ provider });
    },
    sessionRequest(outcome) {
      requests.inc({ outcome });
    },
    async refresh(store, status, config, nowMs) {
      const [srv, sess] = await Promise.all([store.listServers(), store.listSessions({ status: ['queued', 'running'] })]);
      servers.reset();
      sessions.reset();
      queue.reset();
      for (const p of config?.pools ?? []) {
        queue.set({ pool: p.name }, 0);
        for (const st of ['queued', 'running']) sessions.set({ pool: p.name, status: st }, 0);
      }
      for (const name of providerNames(config)) providerErrors.inc({ provider: name }, 0);
      const count = <K extends string>(m: Map<K, number>, k: K): void => void m.set(k, (m.get(k) ?? 0) + 1);
      const sc = new Map<string, number>();
      for (const s of srv) count(sc, `${s.pool}\u0000${s.status}`);
      for (const [k, n] of sc) {
        const [pool = '', st = ''] = k.split('\u0000');
        servers.set({ pool, status: st }, n);
      }
      const ss = new Map<string, number>();
      const qc = new Map<string, number>();
      for (const s of sess) {
        if (s.staged) continue;
        count(ss, `${s.pool}\u0000${s.status}`);
        if (s.status === 'queued') count(qc, s.pool);
      }
      for (const [k, n] of ss) {
        const [pool = '', st = ''] = k.split('\u0000');
        sessions.set({ pool, status: st }, n);
      }
      for (const [pool, n] of qc) queue.set({ pool }, n);
      idleServerHours.reset();
      idleCoreHours.reset();
      targetActive.reset();
      targetValue.reset();
      if (config) {
        const now = nowMs ?? Date.now();
        for (const c of autoscaleCosts(config, await store.idleTotals(new Date(now - COST_WINDOW_MS).toISOString()), now)) {
          const labels = { pool: c.pool, autoscale: c.autoscale };
          idleServerHours.set(labels, c.idle_server_hours_24h);
          if (c.idle_core_hours_24h !== null) idleCoreHours.set(labels, c.idle_core_hours_24h);
          if (!c.target) continue;
          targetActive.set(labels, c.target.active ? 1 : 0);
          const t = c.target.targets;
          const names = c.type === 'server' ? (['minimum_available_sessions'] as const) : (['standby_cores', 'standby_memory_mb', 'standby_gpus'] as const);
          for (const name of names) targetValue.set({ ...labels, target: name }, t[name]);
          if (t.max_instances !== null) targetValue.set({ ...labels, target: 'max_instances' }, t.max_instances);
        }
      }
      if (status) {
        leader.reset();
        leader.set({ replica: status.replica_id }, status.is_leader ? 1 : 0);
        leaderInfo.reset();
        if (status.leader_id) leaderInfo.set({ leader: status.leader_id }, 1);
        configErrors.set(status.config.errors.filter((d) => d.severity === 'error').length);
      }
    },
  };
}

function providerNames(config: Config | undefined): string[] {
  if (!config) return [];
  return [...config.vmProviders, ...config.dnsProviders, ...config.ldapConfigs].map((p) => p.name);
}
