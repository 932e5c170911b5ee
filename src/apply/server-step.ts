// Apply steps for fixed servers (`server.<pool>.<name>`): registration only,
// no provider. A removed server with sessions is drained (no new sessions)
// and kept; the next apply removes it once it is empty.
import { fixedServerId } from '../plan/planner.ts';
import { fixedServerAttributeView } from '../plan/attribute-views.ts';
import type { ServerChange } from '../plan/types.ts';
import type { ServerRecord } from '../state/types.ts';
import { PoolformError } from '../util/errors.ts';
import { SkipChange } from './executor.ts';
import type { StepContext } from './step-context.ts';

async function putFixedServer(ctx: StepContext, change: ServerChange): Promise<void> {
  const { store } = ctx.deps;
  if (!change.after) throw new PoolformError('plan-invalid', `${change.address}: no attributes`);
  const after = fixedServerAttributeView(change.after);
  const pool = after.pool ?? change.pool ?? '';
  const name = after.name ?? change.name;
  const id = fixedServerId(pool, name);
  const now = ctx.nowIso();
  await ctx.putResource({ address: change.address, type: 'server', provider: null, provider_id: null, attributes: change.after, status: 'created' });
  const existing = await store.getServer(id);
  const hostname = after.hostname ?? name;
  const server: ServerRecord = {
    id,
    pool,
    autoscale: null,
    address: change.address,
    hostname,
    ip: hostname,
    connection_type: after.connection_type,
    connection_port: after.connection_port,
    // A fixed server is there already: usable at once (back from draining when re-added).
    status: existing && existing.status !== 'draining' ? existing.status : 'running',
    status_message: existing?.status_message ?? 'registered',
    status_progress: existing?.status_progress ?? 100,
    max_sessions: after.max_sessions ?? 1,
    reusable: after.reusable ?? true,
    // Fixed docker agents (agents:) carry their size; fixed servers have none.
    capacity: after.capacity,
    enabled: after.enabled ?? true,
    created_at: existing?.created_at ?? now,
    updated_at: now,
    checked_in_at: existing?.checked_in_at ?? null,
  };
  await store.putServer(server);
}

async function removeFixedServer(ctx: StepContext, change: ServerChange): Promise<void> {
  const { store } = ctx.deps;
  const before = fixedServerAttributeView(change.before);
  const id = fixedServerId(before.pool ?? change.pool ?? '', before.name ?? change.name);
  // Drain first (allocations only pick `running` servers), then count: no session can be
  // placed between the count and the removal.
  const server = await store.getServer(id);
  if (server && server.status !== 'draining') {
    await store.updateServerStatus(id, {
      status: 'draining',
      message: 'removed from the configuration',
      progress: server.status_progress,
      at: ctx.nowIso(),
      checkedIn: false,
    });
  }
  const sessions = await store.activeSessionCount(id);
  if (sessions > 0) {
    throw new SkipChange(`server ${id} has ${sessions} active session${sessions === 1 ? '' : 's'}: draining, removed once they end`);
  }
  await store.deleteResource(change.address);
  await store.deleteServer(id);
}

export async function applyServerChange(ctx: StepContext, change: ServerChange): Promise<void> {
  switch (change.action) {
    case 'create':
    case 'update':
    case 'replace':
      return putFixedServer(ctx, change);
    case 'delete':
      return removeFixedServer(ctx, change);
    default: {
      const never: never = change.action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}
