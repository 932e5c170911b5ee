// GET /api/v1/status: what an admin wants to see at a glance (pools, servers
// with status and progress, sessions, the queue, the last reconcile and its
// result, current config errors, which replica leads). No secrets, no user
// credentials. GET /metrics: Prometheus text from this app's registry.
import type { Hono } from 'hono';
import type { AppContext } from './context.ts';
import { autoscaleCosts, COST_WINDOW_MS } from './capacity-cost.ts';
import { occupying } from './placement.ts';
import { requireStatusAccess } from './roles.ts';
import { holdsOf } from './holds.ts';
import { poolFriendlyName, serverFriendlyName } from './friendly-names.ts';
import { findPool } from '../config/lookup.ts';

export function registerStatus(app: Hono, ctx: AppContext): void {
  app.get('/api/v1/status', async (c) => {
    const config = ctx.getConfig();
    requireStatusAccess(c, ctx, config);
    const status = ctx.getStatus();
    const nowMs = ctx.clock();
    const [servers, sessions, idle] = await Promise.all([
      ctx.store.listServers(),
      ctx.store.listSessions({ status: ['queued', 'running'] }),
      ctx.store.idleTotals(new Date(nowMs - COST_WINDOW_MS).toISOString()),
    ]);
    const byServer = new Map<string, number>();
    for (const s of occupying(sessions)) {
      if (s.server_id !== null && s.status === 'running') byServer.set(s.server_id, (byServer.get(s.server_id) ?? 0) + 1);
    }
    const queued = sessions
      .filter((s) => s.status === 'queued')
      .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
    const poolNames = new Set<string>([...(config?.pools ?? []).map((p) => p.name), ...servers.map((s) => s.pool)]);
    const pools = [...poolNames].map((name) => {
      const def = config ? findPool(config, name) : undefined;
      const ps = servers.filter((s) => s.pool === name);
      const running = sessions.filter((s) => s.pool === name && s.status === 'running' && !s.staged).length;
      const usableSlots = ps
        .filter((s) => s.enabled && s.status === 'running')
        .reduce((n, s) => n + Math.max(0, s.max_sessions - (byServer.get(s.id) ?? 0)), 0);
      return {
        name,
        friendly_name: poolFriendlyName(config, name),
        type: def?.type ?? null,
        in_config: def !== undefined,
        enabled: def ? def.enabled !== false : false,
        servers: ps.length,
        servers_by_status: ps.reduce<Record<string, number>>((m, s) => ({ ...m, [s.status]: (m[s.status] ?? 0) + 1 }), {}),
        sessions: running,
        queued: queued.filter((s) => s.pool === name).length,
        available_sessions: def?.type === 'docker_agent' ? null : usableSlots,
      };
    });
    const positions = new Map<string, number>();
    return c.json({
      replica: status ? { id: status.replica_id, is_leader: status.is_leader, leader: status.leader_id } : null,
      leader: status?.leader_id ?? null,
      apply_policy: status?.apply_policy ?? config?.settings.apply_policy ?? 'safe',
      config: {
        dir: status?.config.dir ?? config?.dir ?? null,
        loaded: config !== undefined,
        loaded_at: status?.config.loaded_at ?? null,
        // The latest load was rejected: the configuration served is the last good one (loaded_at).
        rejected_at: status?.config.rejected_at ?? null,
        serving_last_good: config !== undefined && (status?.config.errors.some((d) => d.severity === 'error') ?? false),
        errors: status?.config.errors.filter((d) => d.severity === 'error') ?? [],
        warnings: status?.config.errors.filter((d) => d.severity === 'warning') ?? [],
      },
      last_reconcile: status?.last_reconcile ?? null,
      // What the autoscaler holds back (backoffs, caps), with the reason and when the hold ends.
      holds: holdsOf(status?.last_reconcile?.decisions),
      next_reconcile_at: status?.next_reconcile_at ?? null,
      pools,
      // Per autoscale config: the target in force and what idle capacity cost over the last 24 h.
      autoscale: autoscaleCosts(config, idle, nowMs),
      servers: servers.map((s) => ({
        id: s.id,
        pool: s.pool,
        autoscale: s.autoscale,
        friendly_name: serverFriendlyName(config, s),
        hostname: s.hostname,
        ip: s.ip,
        status: s.status,
        status_message: s.status_message,
        status_progress: s.status_progress,
        enabled: s.enabled,
        sessions: byServer.get(s.id) ?? 0,
        max_sessions: s.max_sessions,
        capacity: s.capacity,
        created_at: s.created_at,
        checked_in_at: s.checked_in_at,
      })),
      sessions: sessions
        .filter((s) => s.status === 'running')
        .map((s) => ({
          id: s.id,
          pool: s.pool,
          server_id: s.server_id,
          staged: s.staged,
          workspace: s.workspace,
          created_at: s.created_at,
          last_keepalive_at: s.last_keepalive_at,
        })),
      queue: queued.map((s) => {
        const position = (positions.get(s.pool) ?? 0) + 1;
        positions.set(s.pool, position);
        return { id: s.id, pool: s.pool, position, created_at: s.created_at };
      }),
    });
  });

  app.get('/metrics', async (c) => {
    await ctx.metrics.refresh(ctx.store, ctx.getStatus(), ctx.getConfig(), ctx.clock());
    const text = await ctx.metrics.registry.metrics();
    return c.body(text, 200, { 'Content-Type': ctx.metrics.registry.contentType });
  });
}
