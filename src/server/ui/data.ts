// What the web page shows, read from the state store and the daemon's status:
// one typed view of pools, servers, sessions, schedules and history. Only
// names, numbers, statuses and messages are copied out of records; audit
// details go through the state redactor. No key, password, token or
// connection secret is ever part of it (test: ui-secrets.test.ts).
import type { Config } from '../../config/model.ts';
import { autoscaleConfigs } from '../../config/model.ts';
import { findPool } from '../../config/lookup.ts';
import type { Resources } from '../../model/compute.ts';
import type { TargetInForce } from '../../schedule/targets.ts';
import { targetAt } from '../../schedule/targets.ts';
import { redactJson } from '../../state/redact.ts';
import type { AuditEntry, JsonObject, ServerRecord, SessionRecord } from '../../state/types.ts';
import type { AppContext } from '../context.ts';
import { holdsOf, type HoldView } from '../holds.ts';
import { poolFriendlyName, serverFriendlyName } from '../friendly-names.ts';
import type { ReconcileSummary } from '../types.ts';
import type { CapacityPoint } from './capacity-series.ts';
import { CAPACITY_WINDOW_MS, capacitySeries } from './capacity-series.ts';

export interface PoolView {
  name: string;
  friendly_name: string | null;
  type: string | null;
  enabled: boolean;
  in_config: boolean;
  servers: { starting: number; running: number; draining: number; failed: number; total: number };
  sessions_running: number;
  sessions_queued: number;
  /** Docker pools: pre-created (staged) sessions waiting for a user. */
  sessions_staged: number;
  /** Server pools: free session slots on running, enabled servers. */
  free_slots: number | null;
  /** Docker agent pools: what running, enabled agents have left. */
  free_resources: Resources | null;
  autoscale: { name: string; target: TargetInForce | null }[];
  /** The last reconcile's decisions for this pool (what the autoscaler wants and why). */
  decisions: { action: string; autoscale: string; server_id: string | null; reason: string }[];
  /** Planned changes of the last reconcile touching this pool. */
  changes: { address: string; action: string; reason: string }[];
  held_changes: { address: string; action: string; reason: string }[];
  holds: HoldView[];
  /** Sessions and servers over the last 24 h (empty when not asked for). */
  capacity: CapacityPoint[];
}

export interface ServerView {
  id: string;
  pool: string;
  autoscale: string | null;
  friendly_name: string | null;
  address: string;
  hostname: string;
  ip: string | null;
  connection_type: string | null;
  connection_port: number | null;
  status: string;
  status_message: string;
  status_progress: number;
  enabled: boolean;
  sessions: number;
  max_sessions: number;
  capacity: Resources | null;
  created_at: string;
  checked_in_at: string | null;
}

export interface SessionView {
  id: string;
  pool: string;
  user: string;
  status: string;
  server_id: string | null;
  workspace: string | null;
  staged: boolean;
  api_key: string | null;
  created_at: string;
  last_keepalive_at: string;
  ended_at: string | null;
  end_reason: string | null;
}

export interface AuditView {
  at: string;
  actor: string;
  action: string;
  address: string | null;
  reason: string;
  detail: JsonObject | null;
}

export interface UiData {
  at: string;
  config: {
    loaded: boolean;
    dir: string | null;
    loaded_at: string | null;
    errors: { code: string; message: string; file: string | null; line: number | null }[];
    warnings: number;
  };
  leader: string | null;
  apply_policy: string;
  last_reconcile: ReconcileSummary | null;
  /** Recent recorded reconcile runs, newest first. */
  recent_reconciles: ReconcileSummary[];
  next_reconcile_at: string | null;
  pools: PoolView[];
  servers: ServerView[];
  sessions: SessionView[];
  audit: AuditView[];
}

const STARTING = new Set(['provisioning', 'starting']);
const DRAINING = new Set(['draining', 'destroying']);

/** Pool of a plan address (`vm.<pool>.<autoscale>.<id>`, `server.<pool>.<name>`), else null. */
export function poolOfAddress(address: string): string | null {
  const m = /^(?:vm|server)\.([^.]+)\./.exec(address);
  return m?.[1] ?? null;
}

export function serverView(config: Config | undefined, s: ServerRecord, running: number): ServerView {
  return {
    id: s.id,
    pool: s.pool,
    autoscale: s.autoscale,
    friendly_name: serverFriendlyName(config, s),
    address: s.address,
    hostname: s.hostname,
    ip: s.ip,
    connection_type: s.connection_type,
    connection_port: s.connection_port,
    status: s.status,
    status_message: s.status_message,
    status_progress: s.status_progress,
    enabled: s.enabled,
    sessions: running,
    max_sessions: s.max_sessions,
    capacity: s.capacity,
    created_at: s.created_at,
    checked_in_at: s.checked_in_at,
  };
}

export function sessionView(s: SessionRecord): SessionView {
  return {
    id: s.id,
    pool: s.pool,
    user: s.user,
    status: s.status,
    server_id: s.server_id,
    workspace: s.workspace,
    staged: s.staged,
    api_key: s.api_key,
    created_at: s.created_at,
    last_keepalive_at: s.last_keepalive_at,
    ended_at: s.ended_at,
    end_reason: s.end_reason,
  };
}

export function auditView(e: AuditEntry): AuditView {
  return { at: e.at, actor: e.actor, action: e.action, address: e.address, reason: e.reason, detail: e.detail === null ? null : redactJson(e.detail) };
}

function targetFor(config: Config, poolName: string, autoscaleName: string, nowMs: number): TargetInForce | null {
  const pool = findPool(config, poolName);
  const a = pool?.autoscale?.find((x) => x.name === autoscaleName);
  if (!pool || !a) return null;
  const staging: Record<string, number> = {};
  if (pool.type === 'docker_agent') for (const s of pool.staging ?? []) if (s.autoscale === a.name) staging[s.name] = s.num_sessions;
  try {
    return targetAt(a.enabled === false || pool.enabled === false ? { ...a, enabled: false } : a, nowMs, staging);
  } catch {
    return null;
  }
}

export interface UiDataOptions {
  /** How many audit entries (newest first; default 300). */
  auditLimit?: number;
  /**
   * Build the 24-hour capacity series (default true). It reads every stored
   * session (the store keeps ended ones and has no time filter), so the pages
   * that do not draw the chart leave it out and read only open sessions.
   */
  capacity?: boolean;
}

/** Everything the pages show, at `nowMs`. */
export async function loadUiData(ctx: AppContext, nowMs: number, options: UiDataOptions = {}): Promise<UiData> {
  const config = ctx.getConfig();
  const status = ctx.getStatus();
  const withCapacity = options.capacity ?? true;
  const [servers, sessions, audit] = await Promise.all([
    ctx.store.listServers(),
    withCapacity ? ctx.store.listSessions() : ctx.store.listSessions({ status: ['queued', 'running'] }),
    ctx.store.listAudit(options.auditLimit ?? 300),
  ]);
  const since = nowMs - CAPACITY_WINDOW_MS;
  const open = sessions.filter((s) => s.status === 'queued' || s.status === 'running');
  const recent = withCapacity ? sessions.filter((s) => s.ended_at === null || Date.parse(s.ended_at) >= since) : [];
  const runningOn = new Map<string, number>();
  const usedOn = new Map<string, Resources>();
  for (const s of open) {
    if (s.status !== 'running' || s.server_id === null) continue;
    runningOn.set(s.server_id, (runningOn.get(s.server_id) ?? 0) + 1);
    if (s.resources) {
      const u = usedOn.get(s.server_id) ?? { cores: 0, memory_mb: 0, gpus: 0 };
      usedOn.set(s.server_id, { cores: u.cores + s.resources.cores, memory_mb: u.memory_mb + s.resources.memory_mb, gpus: u.gpus + s.resources.gpus });
    }
  }
  const last = status?.last_reconcile ?? null;
  const holds = holdsOf(last?.decisions);
  const poolNames = [...new Set([...(config?.pools ?? []).map((p) => p.name), ...servers.map((s) => s.pool)])];
  const series = withCapacity ? capacitySeries(poolNames, recent, servers, nowMs) : new Map<string, CapacityPoint[]>();
  const pools: PoolView[] = poolNames.map((name) => {
    const def = config ? findPool(config, name) : undefined;
    const ps = servers.filter((s) => s.pool === name);
    const usable = ps.filter((s) => s.enabled && s.status === 'running');
    const docker = def?.type === 'docker_agent';
    const free: Resources = { cores: 0, memory_mb: 0, gpus: 0 };
    if (docker) {
      for (const s of usable) {
        const cap = s.capacity ?? { cores: 0, memory_mb: 0, gpus: 0 };
        const used = usedOn.get(s.id) ?? { cores: 0, memory_mb: 0, gpus: 0 };
        free.cores += Math.max(0, cap.cores - used.cores);
        free.memory_mb += Math.max(0, cap.memory_mb - used.memory_mb);
        free.gpus += Math.max(0, cap.gpus - used.gpus);
      }
    }
    const inPool = (c: { address: string }) => poolOfAddress(c.address) === name;
    return {
      name,
      friendly_name: poolFriendlyName(config, name),
      type: def?.type ?? null,
      enabled: def ? def.enabled !== false : false,
      in_config: def !== undefined,
      servers: {
        starting: ps.filter((s) => STARTING.has(s.status)).length,
        running: ps.filter((s) => s.status === 'running').length,
        draining: ps.filter((s) => DRAINING.has(s.status)).length,
        failed: ps.filter((s) => s.status === 'failed').length,
        total: ps.length,
      },
      sessions_running: open.filter((s) => s.pool === name && s.status === 'running' && !s.staged).length,
      sessions_queued: open.filter((s) => s.pool === name && s.status === 'queued').length,
      sessions_staged: open.filter((s) => s.pool === name && s.status === 'running' && s.staged).length,
      free_slots: docker ? null : usable.reduce((n, s) => n + Math.max(0, s.max_sessions - (runningOn.get(s.id) ?? 0)), 0),
      free_resources: docker ? free : null,
      autoscale: config && def ? (def.autoscale ?? []).map((a) => ({ name: a.name, target: targetFor(config, name, a.name, nowMs) })) : [],
      decisions: (last?.decisions ?? [])
        .filter((d) => d.pool === name)
        .map((d) => ({ action: d.action, autoscale: d.autoscale, server_id: d.server_id, reason: d.reason })),
      changes: (last?.plan ?? []).filter(inPool),
      held_changes: (last?.held_changes ?? []).filter(inPool),
      holds: holds.filter((h) => h.pool === name),
      capacity: series.get(name) ?? [],
    };
  });
  const errors = status?.config.errors.filter((d) => d.severity === 'error') ?? [];
  return {
    at: new Date(nowMs).toISOString(),
    config: {
      loaded: config !== undefined,
      dir: status?.config.dir ?? config?.dir ?? null,
      loaded_at: status?.config.loaded_at ?? null,
      errors: errors.map((d) => ({ code: d.code, message: d.message, file: d.file === '' ? null : d.file, line: d.file === '' ? null : d.line })),
      warnings: status?.config.errors.filter((d) => d.severity === 'warning').length ?? 0,
    },
    leader: status?.leader_id ?? null,
    apply_policy: status?.apply_policy ?? config?.settings.apply_policy ?? 'safe',
    last_reconcile: last,
    recent_reconciles: status?.recent_reconciles ?? (last ? [last] : []),
    next_reconcile_at: status?.next_reconcile_at ?? null,
    pools,
    servers: servers.map((s) => serverView(config, s, runningOn.get(s.id) ?? 0)),
    sessions: open.map(sessionView),
    audit: audit.map(auditView),
  };
}

/** The autoscale configs of a config (for the Schedules page), in config order. */
export function scheduledConfigs(config: Config | undefined): ReturnType<typeof autoscaleConfigs> {
  return config ? autoscaleConfigs(config) : [];
}
