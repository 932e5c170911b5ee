// Prometheus metrics, one prom-client Registry per app instance (so several
// apps in one process, as in tests and benchmarks, never share counters).
// Gauges that mirror the state store are refreshed on each scrape.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/model.ts';
import type { StateStore } from '../state/types.ts';
import type { ServeStatus } from './types.ts';

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
  refresh(store: StateStore, status: ServeStatus | undefined, config?: Config): Promise<void>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const sessions = new Gauge({ name: 'poolform_sessions', help: 'Sessions by pool and status (queued, running).', labelNames: ['pool', 'status'], registers: [registry] });
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
  const providerErrors = new Counter({ name: 'poolform_provider_errors_total', help: 'Failed provider calls by provider config.', labelNames: ['provider'], registers: [registry] });
  const requests = new Counter({ name: 'poolform_session_requests_total', help: 'Session requests by outcome.', labelNames: ['outcome'], registers: [registry] });
  const leader = new Gauge({ name: 'poolform_leader', help: '1 when this replica holds the leader lease and runs the reconcile loop.', labelNames: ['replica'], registers: [registry] });
  const leaderInfo = new Gauge({ name: 'poolform_leader_info', help: 'The replica that currently leads (value 1).', labelNames: ['leader'], registers: [registry] });
  const configErrors = new Gauge({ name: 'poolform_config_errors', help: 'Error diagnostics of the latest config load (the last good config keeps serving).', registers: [registry] });

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
    async refresh(store, status, config) {
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
