// POST /api/set_server_status?token=JWT — the check-in a new server's startup
// script sends (the reference's exact shape):
//   {"status": "running"|"starting"|"failed", "status_message": "...", "status_progress": "0".."100"}
// The token is the per-server JWT rendered into its startup script. A
// missing, malformed, expired or forged token, or one for a server that does
// not exist (or not the one named by `server_id` when given) → 401 and
// nothing changes. `running` makes the server usable and places queued
// requests (FIFO); `failed` marks it for replacement at the next reconcile.
import type { Hono } from 'hono';
import { verifyCheckinToken } from '../auth/checkin-token.ts';
import { historyAfterCheckin } from '../autoscale/history.ts';
import { autoscaleKey } from '../config/model.ts';
import type { ServerRecord, ServerStatus } from '../state/types.ts';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';
import { displaySafe } from '../util/display-safe.ts';
import { readJsonObject, stringField } from './request-body.ts';

const CHECKIN_STATUSES = ['running', 'starting', 'failed'] as const;
type CheckinStatus = (typeof CHECKIN_STATUSES)[number];

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'invalid_token', message);
}

/** status_progress: "0".."100" as in the reference; an integer 0..100 is accepted too. */
function parseProgress(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\s*\d{1,3}\s*$/.test(text)) {
    throw new ApiError(400, 'invalid_field', '"status_progress" must be a number from "0" to "100"');
  }
  const n = Number(text);
  if (n > 100) throw new ApiError(400, 'invalid_field', '"status_progress" must be a number from "0" to "100"');
  return n;
}

export function registerCheckin(app: Hono, ctx: AppContext): void {
  app.post('/api/set_server_status', async (c) => {
    const token = c.req.query('token');
    if (!token) throw unauthorized('missing check-in token (?token=...)');
    const nowMs = ctx.clock();
    const serverId = await verifyCheckinToken(await ctx.signingKey(), token, nowMs);
    if (serverId === null) throw unauthorized('check-in token is malformed, expired or not signed by this poolform');
    const named = c.req.query('server_id');
    if (named !== undefined && named !== serverId) throw unauthorized('check-in token belongs to another server');
    const server = await ctx.store.getServer(serverId);
    if (!server) throw unauthorized('check-in token belongs to a server poolform no longer knows');

    const body = await readJsonObject(c);
    return c.json(await applyCheckin(ctx, server, body, nowMs));
  });
}

export interface CheckinResult {
  ok: true;
  server_id: string;
  status: ServerStatus;
  status_progress: number;
  queued_sessions_placed: number;
}

/**
 * A check-in for `server` (already authenticated): the body is the
 * reference's {status, status_message, status_progress}. Shared by the
 * check-in route and the docker agent registration (agent-register.ts).
 */
export async function applyCheckin(ctx: AppContext, server: ServerRecord, body: Record<string, unknown>, nowMs: number): Promise<CheckinResult> {
  const serverId = server.id;
  const bodyServer = body['server_id'];
  if (bodyServer !== undefined && bodyServer !== serverId) throw unauthorized('check-in token belongs to another server');
  const statusValue = body['status'];
  if (typeof statusValue !== 'string' || !(CHECKIN_STATUSES as readonly string[]).includes(statusValue)) {
    throw new ApiError(400, 'invalid_field', '"status" must be one of running, starting, failed');
  }
  const status = statusValue as CheckinStatus;
  // Sanitized, not refused: a 400 here would fail the server's check-in and get it replaced.
  const message = displaySafe(stringField(body, 'status_message', { max: 2000 }) ?? '');
  const progress = parseProgress(body['status_progress']) ?? (status === 'running' ? 100 : server.status_progress);

  // A server being drained or destroyed keeps that status: a late check-in must not make it usable again.
  const keep = server.status === 'draining' || server.status === 'destroying';
  const next: ServerStatus = keep ? server.status : status;
  const at = new Date(nowMs).toISOString();
  const updated = await ctx.store.updateServerStatus(serverId, { status: next, message, progress, at, checkedIn: true });
  if (!updated) throw unauthorized('check-in token belongs to a server poolform no longer knows');

  ctx.log.info(
    { event: 'checkin', server_id: serverId, pool: server.pool, status: next, reported: status, progress },
    `server ${serverId} checked in: ${status} (${progress}%)`,
  );
  await ctx.store.appendAudit([
    {
      at,
      actor: `server:${serverId}`,
      action: 'checkin',
      address: server.address,
      reason: `check-in: ${status}${message ? ` (${message})` : ''}`,
      detail: { status: next, progress },
    },
  ]);

  let placed = 0;
  if (next === 'running') {
    if (server.autoscale !== null) {
      // A successful check-in ends the config's failure streak (check-in timeout back-off).
      const key = autoscaleKey(server.pool, server.autoscale);
      const history = (await ctx.store.getHistory())[key];
      if (history && history.consecutive_failures > 0) await ctx.store.putHistory(key, historyAfterCheckin(history));
      // Its boot time (create → first running check-in) feeds prewarm: auto; the store keeps the first one per server.
      try {
        await ctx.store.recordBoot({ pool: server.pool, autoscale: server.autoscale, server_id: serverId, created_at: server.created_at, running_at: at });
      } catch (err) {
        ctx.log.warn(
          { event: 'boot-record-failed', server_id: serverId },
          `could not record the boot time of ${serverId}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    const config = ctx.getConfig();
    if (config) {
      const assigned = await ctx.store.assignQueued(server.pool, ctx.chooser(config, nowMs), at);
      placed = assigned.length;
      for (const s of assigned) {
        ctx.log.info(
          { event: 'session-assigned', session_id: s.id, pool: s.pool, server_id: s.server_id },
          `queued session ${s.id} placed on ${s.server_id ?? '?'}`,
        );
      }
    }
  }
  ctx.onCheckin(serverId, next);
  return { ok: true, server_id: serverId, status: updated.status, status_progress: updated.status_progress, queued_sessions_placed: placed };
}
