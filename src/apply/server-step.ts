// Apply steps for fixed servers (`server.<pool>.<name>`): registration only,
// no provider. A removed server with sessions is drained (no new sessions)
// and kept; the next apply removes it once it is empty.
import { fixedServerId } from '../plan/planner.ts';
import { bool, num, str } from '../plan/json-attrs.ts';
import type { ResourceChange } from '../plan/types.ts';
import type { JsonObject, Resources, ServerRecord } from '../state/types.ts';
import { PoolformError } from '../util/errors.ts';
import { SkipChange } from './executor.ts';
import type { StepContext } from './step-context.ts';

function capacityOf(after: JsonObject): Resources | null {
  const c = after['capacity'];
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return null;
  const cores = num(c, 'cores');
  const memory = num(c, 'memory_mb');
  if (cores === null || memory === null) return null;
  return { cores, memory_mb: memory, gpus: num(c, 'gpus') ?? 0 };
}

async function putFixedServer(ctx: StepContext, change: ResourceChange): Promise<void> {
  const { store } = ctx.deps;
  const after = change.after;
  if (!after) throw new PoolformError('plan-invalid', `${change.address}: no attributes`);
  const pool = str(after, 'pool') ?? change.pool ?? '';
  const name = str(after, 'name') ?? change.name;
  const id = fixedServerId(pool, name);
  const now = ctx.nowIso();
  await ctx.putResource({ address: change.address, type: 'server', provider: null, provider_id: null, attributes: after, status: 'created' });
  const existing = await store.getServer(id);
  const hostname = str(after, 'hostname') ?? name;
  const server: ServerRecord = {
    id,
    pool,
    autoscale: null,
    address: change.address,
    hostname,
    ip: hostname,
    connection_type: str(after, 'connection_type'),
    connection_port: num(after, 'connection_port'),
    // A fixed server is there already: usable at once (back from draining when re-added).
    status: existing && existing.status !== 'draining' ? existing.status : 'running',
    status_message: existing?.status_message ?? 'registered',
    status_progress: existing?.status_progress ?? 100,
    max_sessions: num(after, 'max_sessions') ?? 1,
    reusable: bool(after, 'reusable') ?? true,
    // Fixed docker agents (agents:) carry their size; fixed servers have none.
    capacity: capacityOf(after),
    enabled: bool(after, 'enabled') ?? true,
    created_at: existing?.created_at ?? now,
    updated_at: now,
    checked_in_at: existing?.checked_in_at ?? null,
  };
  await store.putServer(server);
}

async function removeFixedServer(ctx: StepContext, change: ResourceChange): Promise<void> {
  const { store } = ctx.deps;
  const before = change.before ?? {};
  const id = fixedServerId(str(before, 'pool') ?? change.pool ?? '', str(before, 'name') ?? change.name);
  // Drain first (allocations only pick `running` servers), then count: no session can be
  // placed between the count and the removal.
  const server = await store.getServer(id);
  if (server && server.status !== 'draining') {
    await store.updateServerStatus(id, { status: 'draining', message: 'removed from the configuration', progress: server.status_progress, at: ctx.nowIso(), checkedIn: false });
  }
  const sessions = await store.activeSessionCount(id);
  if (sessions > 0) {
    throw new SkipChange(`server ${id} has ${sessions} active session${sessions === 1 ? '' : 's'}: draining, removed once they end`);
  }
  await store.deleteResource(change.address);
  await store.deleteServer(id);
}

export async function applyServerChange(ctx: StepContext, change: ResourceChange): Promise<void> {
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
