// GET /api/v1/sessions[?pool=P&status=running,queued]: the sessions a key may
// see (roles.ts): an admin key every session, a `sessions` key only the ones
// it created. For operators' tools and `poolform sessions list --api URL`.
// No credentials in it (GET /api/v1/sessions/:id answers those).
import type { Hono } from 'hono';
import type { SessionStatus } from '../state/types.ts';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';
import { authenticateCaller, maySeeSession } from './roles.ts';

const STATUSES: readonly SessionStatus[] = ['queued', 'running', 'ended', 'failed'];

export function registerSessionList(app: Hono, ctx: AppContext): void {
  app.get('/api/v1/sessions', async (c) => {
    const config = ctx.requireConfig();
    const caller = authenticateCaller(c, ctx, config);
    const pool = c.req.query('pool');
    const statusText = c.req.query('status') ?? 'queued,running';
    const status = statusText
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const unknown = status.filter((s) => !(STATUSES as readonly string[]).includes(s));
    if (unknown.length > 0)
      throw new ApiError(400, 'invalid_field', `status takes ${STATUSES.join(', ')} (comma-separated), not ${JSON.stringify(unknown.join(','))}`);
    const list = (await ctx.store.listSessions({ ...(pool ? { pool } : {}), status: status as SessionStatus[] }))
      .filter((s) => !s.staged && maySeeSession(caller, s))
      .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
    return c.json({
      sessions: list.map((s) => ({
        id: s.id,
        pool: s.pool,
        status: s.status,
        server_id: s.server_id,
        user: s.user,
        zone: s.zone,
        workspace: s.workspace,
        api_key: s.api_key,
        created_at: s.created_at,
        last_keepalive_at: s.last_keepalive_at,
        ended_at: s.ended_at,
        end_reason: s.end_reason,
      })),
    });
  });
}
